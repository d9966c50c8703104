//! An HTTP SMS gateway in the style of the Iranian SMS providers (Kavenegar, Ghasedak,
//! SMS.ir and the like): the API key is part of the path, plain messages go out from the
//! account's sender line (`sms/send.json`), one-time codes through a provider-side
//! template (`verify/lookup.json`, which reaches numbers that block advertising lines),
//! and `sms/status.json` tells what became of a message. Every call answers JSON with a
//! `return.status` (200 when accepted) and `entries` carrying the provider's message id.
//!
//! Our delivery id goes along as `localid`, which these gateways use to refuse a second
//! message with the same id: a retry after a lost answer does not text the person twice.

use std::time::Duration;

use async_trait::async_trait;
use estelam_runtime::config::NotifySmsSettings;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{Accepted, Outgoing, Provider, SendError};
use crate::rules::Channel;

/// How long one call to the gateway may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The gateway's answer.
#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(rename = "return")]
    status: ReplyStatus,
    /// `null` on a refusal.
    #[serde(default)]
    entries: Option<Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
struct ReplyStatus {
    status: i64,
    #[serde(default)]
    message: String,
}

/// One message in an answer.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// The provider's id for the message.
    #[serde(default)]
    pub messageid: serde_json::Value,
    /// The provider's delivery status code (1 queued, 10 delivered, 11 undeliverable…).
    #[serde(default)]
    pub status: i64,
}

/// The HTTP SMS gateway adapter.
pub struct HttpSms {
    client: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    sender: String,
    code_template: String,
}

impl HttpSms {
    /// An adapter for the gateway `settings` name.
    pub fn new(settings: &NotifySmsSettings) -> anyhow::Result<Self> {
        let api_key = settings
            .api_key
            .clone()
            .ok_or_else(|| anyhow::anyhow!("notifications.sms.api_key is not set"))?;
        Ok(Self {
            client: reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            api_key,
            sender: settings.sender.clone(),
            code_template: settings.code_template.clone(),
        })
    }

    fn url(&self, call: &str) -> String {
        format!("{}/{}/{call}", self.base_url, self.api_key.expose_secret())
    }

    async fn call(&self, call: &str, form: &[(&str, &str)]) -> Result<Reply, SendError> {
        let response = self
            .client
            .post(self.url(call))
            .form(form)
            .send()
            .await
            // The error names the URL, which holds the API key: say only what failed.
            .map_err(|e| {
                SendError::Transient(format!(
                    "calling the SMS gateway ({call}): {}",
                    e.without_url()
                ))
            })?;
        let http = response.status();
        let text = response.text().await.map_err(|e| {
            SendError::Transient(format!(
                "reading the SMS gateway's answer: {}",
                e.without_url()
            ))
        })?;
        let reply: Option<Reply> = serde_json::from_str(&text).ok();
        let status = reply
            .as_ref()
            .map_or(i64::from(http.as_u16()), |r| r.status.status);
        if http.is_success() && status == 200 {
            return reply.ok_or_else(|| SendError::Transient("unreadable answer".into()));
        }
        let message = reply.map(|r| r.status.message).unwrap_or_default();
        let what = format!("SMS gateway answered {http} / status {status} {message}");
        // Server trouble, throttling, credit or key problems are fixed on the provider's or
        // operator's side, after which the message should still go; a refused number or
        // text will never go.
        if http.is_server_error() || matches!(status, 401 | 402 | 403 | 418 | 429 | 500..=599) {
            Err(SendError::Transient(what))
        } else {
            Err(SendError::Permanent(what))
        }
    }

    /// Sends a one-time `code` to `mobile` through the provider-side template: the
    /// gateway's "verify/lookup" call.
    pub async fn send_code(
        &self,
        mobile: &str,
        code: &str,
        local_id: &str,
    ) -> Result<Accepted, SendError> {
        let reply = self
            .call(
                "verify/lookup.json",
                &[
                    ("receptor", mobile),
                    ("token", code),
                    ("template", self.code_template.as_str()),
                    ("localid", local_id),
                ],
            )
            .await?;
        Ok(accepted(&reply))
    }

    /// What became of message `message_id`, as the provider's status code.
    pub async fn status(&self, message_id: &str) -> Result<i64, SendError> {
        let reply = self
            .call("sms/status.json", &[("messageid", message_id)])
            .await?;
        Ok(reply
            .entries
            .as_deref()
            .and_then(<[Entry]>::first)
            .map_or(0, |e| e.status))
    }
}

fn accepted(reply: &Reply) -> Accepted {
    let id = reply
        .entries
        .as_deref()
        .and_then(<[Entry]>::first)
        .map(|e| match &e.messageid {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        });
    Accepted {
        provider_message_id: id.unwrap_or_default(),
    }
}

#[async_trait]
impl Provider for HttpSms {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn name(&self) -> &'static str {
        "sms-http"
    }

    async fn send(&self, m: &Outgoing) -> Result<Accepted, SendError> {
        let reply = self
            .call(
                "sms/send.json",
                &[
                    ("receptor", m.to.as_str()),
                    ("sender", self.sender.as_str()),
                    ("message", m.body.as_str()),
                    ("localid", m.delivery_id.as_str()),
                ],
            )
            .await?;
        Ok(accepted(&reply))
    }
}
