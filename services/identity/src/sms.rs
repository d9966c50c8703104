//! Sending one-time codes by SMS, behind a trait so a real provider plugs in by config.

use std::sync::{Arc, Mutex};

use estelam_runtime::error::ServiceError;

/// Sends a text message to a mobile number.
#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync + 'static {
    /// Sends `text` to `mobile` (canonical `09…`). An error means it was not sent.
    async fn send(&self, mobile: &str, text: &str) -> Result<(), ServiceError>;
}

/// One message the [`LogSms`] provider "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// Recipient, canonical `09…`, so tests can find a person's code by number.
    pub mobile: String,
    /// The text as sent, both languages, code included.
    pub text: String,
}

/// The built-in provider: writes each message to the log and keeps it in memory, so a
/// developer can read the code from the log and a test can read it from [`LogSms::sent`].
/// Keeps at most the last [`LogSms::KEEP`] messages.
#[derive(Debug, Clone, Default)]
pub struct LogSms {
    sent: Arc<Mutex<Vec<SentSms>>>,
}

impl LogSms {
    /// Messages kept in memory: enough for any test, bounded for a long-running
    /// `estelam run`.
    pub const KEEP: usize = 1000;

    /// A provider with an empty outbox (the default: nothing is really sent).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message kept, oldest first.
    pub fn sent(&self) -> Vec<SentSms> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The last message sent to `mobile`, if any.
    pub fn last_to(&self, mobile: &str) -> Option<SentSms> {
        self.sent().into_iter().rev().find(|m| m.mobile == mobile)
    }
}

#[async_trait::async_trait]
impl SmsProvider for LogSms {
    async fn send(&self, mobile: &str, text: &str) -> Result<(), ServiceError> {
        tracing::info!(to = %mobile, text = %text, "SMS (log provider; not really sent)");
        if let Ok(mut sent) = self.sent.lock() {
            if sent.len() >= Self::KEEP {
                sent.remove(0);
            }
            sent.push(SentSms {
                mobile: mobile.to_owned(),
                text: text.to_owned(),
            });
        }
        Ok(())
    }
}

/// The digits of the one-time code in a message sent by this service (the first run of
/// six ASCII digits), for tests and tools reading [`LogSms`].
pub fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let window = &bytes[i..i + 6];
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_digit();
        let boundary_after = bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
        (window.iter().all(u8::is_ascii_digit) && boundary_before && boundary_after)
            .then(|| String::from_utf8_lossy(window).into_owned())
    })
}
