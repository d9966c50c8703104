//! Sending one-time codes by SMS, behind a trait so a real provider plugs in by config:
//! the log provider ([`LogSms`], `estelam run` and tests) or an HTTP SMS gateway
//! ([`HttpSms`], Kavenegar-style). Codes reach a provider only from the outbox of
//! `service::code_outbox`, which retries until the provider takes them.

use std::sync::{Arc, Mutex};

use estelam_runtime::sms_gateway::{GatewayAccount, GatewayError, SmsGateway};

/// Sends one-time codes to mobile numbers (every other message to a person goes from the
/// notifications service).
#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync + 'static {
    /// Sends the one-time `code` to `mobile` under our `local_id` (the same on every
    /// attempt). `retry` says an earlier attempt may have reached the provider: a provider
    /// that can tell asks about `local_id` first and does not text the person twice.
    async fn send_code(
        &self,
        mobile: &str,
        code: &str,
        local_id: &str,
        retry: bool,
    ) -> Result<(), GatewayError>;
}

/// The words of a code's SMS, both languages (the log provider's text; a gateway keeps its
/// own copy as the template).
pub fn code_text(code: &str) -> String {
    format!("استعلام شهرداری — کد تأیید شما: {code}\nEstelam verification code: {code}")
}

/// Codes through an HTTP SMS gateway's template call ([`SmsGateway::send_code`]).
pub struct HttpSms {
    gateway: SmsGateway,
}

impl HttpSms {
    /// The provider of `identity.sms`.
    pub fn new(settings: &estelam_runtime::config::SmsSettings) -> anyhow::Result<Self> {
        let api_key = settings
            .api_key
            .clone()
            .ok_or_else(|| anyhow::anyhow!("identity.sms.api_key is not set"))?;
        Ok(Self {
            gateway: SmsGateway::new(GatewayAccount {
                base_url: settings.base_url.clone(),
                api_key,
                sender: String::new(),
                code_template: settings.code_template.clone(),
            })?,
        })
    }
}

#[async_trait::async_trait]
impl SmsProvider for HttpSms {
    async fn send_code(
        &self,
        mobile: &str,
        code: &str,
        local_id: &str,
        retry: bool,
    ) -> Result<(), GatewayError> {
        if retry && self.gateway.by_local_id(local_id).await?.is_some() {
            // The provider took the earlier attempt; the answer was lost on the way back.
            return Ok(());
        }
        self.gateway.send_code(mobile, code, local_id).await?;
        Ok(())
    }
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
    async fn send_code(
        &self,
        mobile: &str,
        code: &str,
        _local_id: &str,
        _retry: bool,
    ) -> Result<(), GatewayError> {
        let text = code_text(code);
        tracing::info!(to = %mobile, text = %text, "SMS (log provider; not really sent)");
        if let Ok(mut sent) = self.sent.lock() {
            if sent.len() >= Self::KEEP {
                sent.remove(0);
            }
            sent.push(SentSms {
                mobile: mobile.to_owned(),
                text,
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
