//! The providers messages leave through, behind one trait: the log provider (`estelam run`,
//! nothing installed), SMTP for e-mail ([`smtp`], with `lettre`) and an HTTP SMS gateway in
//! the style of Iranian SMS providers ([`sms_http`]).
//!
//! A provider is told the delivery's id with each message and passes it on as the
//! provider-side idempotency key (the SMS gateway's `localid`, the e-mail's `Message-ID`):
//! if the process dies after the provider accepted a message but before the audit says
//! "sent", the retry carries the same id and says it is a retry; the SMS gateway is asked
//! about that id before anything is sent again, and the reader's mail client recognises a
//! duplicate e-mail by its `Message-ID`.
//!
//! A provider that can tell what became of a message after it took it (the SMS gateway:
//! delivered to the phone, failed, expired) says so through [`Provider::delivery_states`];
//! the sender records it in the audit.

pub mod log;
pub mod sms_http;
pub mod smtp;

use std::sync::Arc;

use async_trait::async_trait;
use estelam_runtime::config::{EmailProviderKind, NotificationsSettings, NotifySmsProviderKind};
pub use estelam_runtime::sms_gateway::DeliveryState;

use crate::rules::{Channel, Language};

/// One message to hand to a provider.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The delivery's id: the provider-side idempotency key.
    pub delivery_id: String,
    /// Mobile (`09…`) or e-mail address.
    pub to: String,
    /// The e-mail's subject (unused by SMS).
    pub subject: String,
    /// The text.
    pub body: String,
    /// The language it is written in (the e-mail's `Content-Language`).
    pub language: Language,
    /// An earlier attempt may have reached the provider (its answer was lost, or the
    /// process stopped before recording it): a provider that can ask about
    /// `delivery_id` does so before sending again.
    pub retry: bool,
}

/// What the provider said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's id for the message (SMS message id, e-mail Message-ID), kept in the
    /// audit so a delivery can be traced at the provider.
    pub provider_message_id: String,
}

/// Why a provider did not accept a message.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Might work later (provider down, timeout, rate limit): retried with backoff.
    #[error("provider failed, will retry: {0}")]
    Transient(String),
    /// Will never work (address refused, message rejected): recorded as failed.
    #[error("provider refused the message: {0}")]
    Permanent(String),
}

/// Sends messages over one channel.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The channel this provider serves.
    fn channel(&self) -> Channel;
    /// A short name for the audit and logs (`log`, `smtp`, `sms-http`).
    fn name(&self) -> &'static str;
    /// Hands `message` to the provider.
    async fn send(&self, message: &Outgoing) -> Result<Accepted, SendError>;

    /// Whether the provider reports what became of a message it took.
    fn tracks_delivery(&self) -> bool {
        false
    }

    /// What became of the messages the provider calls `provider_message_ids`, in order.
    async fn delivery_states(
        &self,
        provider_message_ids: &[&str],
    ) -> Result<Vec<DeliveryState>, SendError> {
        Ok(vec![DeliveryState::Pending; provider_message_ids.len()])
    }
}

/// The providers of one process, one per channel.
#[derive(Clone)]
pub struct Providers {
    /// Text messages.
    pub sms: Arc<dyn Provider>,
    /// E-mails.
    pub email: Arc<dyn Provider>,
}

impl Providers {
    /// The provider of `channel`.
    pub fn of(&self, channel: Channel) -> &Arc<dyn Provider> {
        match channel {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
        }
    }

    /// The providers `settings` name; the log providers write to `log`.
    pub fn from_settings(
        settings: &NotificationsSettings,
        log: &log::LogOutbox,
    ) -> anyhow::Result<Self> {
        let sms: Arc<dyn Provider> = match settings.sms.provider {
            NotifySmsProviderKind::Log => Arc::new(log.provider(Channel::Sms)),
            NotifySmsProviderKind::Http => Arc::new(sms_http::HttpSms::new(&settings.sms)?),
        };
        let email: Arc<dyn Provider> = match settings.email.provider {
            EmailProviderKind::Log => Arc::new(log.provider(Channel::Email)),
            EmailProviderKind::Smtp => Arc::new(smtp::Smtp::new(&settings.email)?),
        };
        Ok(Self { sms, email })
    }
}
