//! The log provider: writes each message to the log and keeps the last ones in memory, so
//! `estelam run` needs nothing installed and a developer reads the messages in the log.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Accepted, Outgoing, Provider, SendError};
use crate::rules::Channel;

/// One message the log provider "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The channel it would have taken.
    pub channel: Channel,
    /// Mobile or address.
    pub to: String,
    /// Subject (e-mail) or empty.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// The messages kept by every log provider of a process (at most [`LogOutbox::KEEP`]).
#[derive(Debug, Clone, Default)]
pub struct LogOutbox {
    sent: Arc<Mutex<Vec<Logged>>>,
}

impl LogOutbox {
    /// Messages kept in memory: enough for any test, bounded for a long `estelam run`.
    pub const KEEP: usize = 1000;

    /// The messages kept, oldest first.
    pub fn sent(&self) -> Vec<Logged> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A provider for `channel` that writes here.
    pub fn provider(&self, channel: Channel) -> LogProvider {
        LogProvider {
            channel,
            outbox: self.clone(),
        }
    }
}

/// Writes messages of one channel to the log and the [`LogOutbox`].
#[derive(Debug, Clone)]
pub struct LogProvider {
    channel: Channel,
    outbox: LogOutbox,
}

#[async_trait]
impl Provider for LogProvider {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, m: &Outgoing) -> Result<Accepted, SendError> {
        tracing::info!(channel = self.channel.as_str(), to = %m.to, subject = %m.subject, text = %m.body, "notification (log provider; not really sent)");
        if let Ok(mut sent) = self.outbox.sent.lock() {
            if sent.len() >= LogOutbox::KEEP {
                sent.remove(0);
            }
            sent.push(Logged {
                channel: self.channel,
                to: m.to.clone(),
                subject: m.subject.clone(),
                body: m.body.clone(),
            });
        }
        Ok(Accepted {
            provider_message_id: format!("log-{}", m.delivery_id),
        })
    }
}
