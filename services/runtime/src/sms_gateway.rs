//! The client of an HTTP SMS gateway in the style of the Iranian SMS providers (Kavenegar,
//! Ghasedak, SMS.ir and the like), shared by the two services that text people: identity
//! (one-time codes, which never leave identity) and notifications (every other message).
//!
//! The API key is part of the path; plain messages go out from the account's sender line
//! (`sms/send.json`), one-time codes through a provider-side template (`verify/lookup.json`,
//! which reaches numbers that block advertising lines); `sms/status.json` tells what became
//! of messages by the provider's ids, and `sms/statuslocalmessageid.json` by *our* id, the
//! `localid` every send carries. Every call answers JSON with a `return.status` (200 when
//! accepted) and `entries`.
//!
//! The local id is what makes a retry safe: a sender that does not know whether its last
//! attempt reached the provider (the process died after the provider accepted, before the
//! row said so) asks [`SmsGateway::by_local_id`] first and sends only when the provider has
//! never seen that id.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// How long one call to the gateway may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The provider's status code for an id it does not know (Kavenegar's "invalid id").
pub const UNKNOWN_ID: i64 = 100;

/// Where to reach the gateway and as whom.
#[derive(Debug, Clone)]
pub struct GatewayAccount {
    /// Base URL, e.g. `https://api.kavenegar.com/v1`.
    pub base_url: String,
    /// The account's API key.
    pub api_key: SecretString,
    /// The sender line (شماره خط) plain messages go out from.
    pub sender: String,
    /// The provider-side template of one-time codes.
    pub code_template: String,
}

/// Why the gateway did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Might work later (gateway down, timeout, throttling, credit, key): retried.
    #[error("SMS gateway failed, will retry: {0}")]
    Transient(String),
    /// Will never work (number or text refused).
    #[error("SMS gateway refused: {0}")]
    Permanent(String),
}

/// One message as the gateway knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The provider's id for it.
    pub message_id: String,
    /// What became of it.
    pub state: DeliveryState,
}

/// What became of a message, from the provider's status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Queued, scheduled or handed to the operator: not known yet.
    Pending,
    /// On the person's phone.
    Delivered,
    /// Refused by the operator, blocked by the person or cancelled: will not arrive.
    Failed,
    /// The phone was unreachable until the message's validity ran out.
    Expired,
    /// The provider has no message with that id.
    Unknown,
}

impl DeliveryState {
    /// The state of a Kavenegar-style status code (1 queued, 2 scheduled, 4/5 with the
    /// operator, 6 failed, 10 delivered, 11 undelivered within its validity, 13
    /// cancelled, 14 blocked by the person, 100 unknown id).
    pub fn of_code(code: i64) -> Self {
        match code {
            10 => Self::Delivered,
            11 => Self::Expired,
            6 | 13 | 14 => Self::Failed,
            UNKNOWN_ID => Self::Unknown,
            _ => Self::Pending,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(rename = "return")]
    status: ReplyStatus,
    #[serde(default)]
    entries: Option<Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
struct ReplyStatus {
    status: i64,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    messageid: serde_json::Value,
    #[serde(default)]
    status: i64,
}

impl Entry {
    fn message(&self) -> Message {
        let message_id = match &self.messageid {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        Message {
            message_id,
            state: DeliveryState::of_code(self.status),
        }
    }
}

/// The gateway client.
pub struct SmsGateway {
    client: reqwest::Client,
    account: GatewayAccount,
}

impl SmsGateway {
    /// A client for `account`.
    pub fn new(mut account: GatewayAccount) -> anyhow::Result<Self> {
        account.base_url = account.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            client: reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?,
            account,
        })
    }

    fn url(&self, call: &str) -> String {
        format!(
            "{}/{}/{call}",
            self.account.base_url,
            self.account.api_key.expose_secret()
        )
    }

    async fn call(&self, call: &str, form: &[(&str, &str)]) -> Result<Vec<Entry>, GatewayError> {
        let response = self
            .client
            .post(self.url(call))
            .form(form)
            .send()
            .await
            // The error names the URL, which holds the API key: say only what failed.
            .map_err(|e| {
                GatewayError::Transient(format!(
                    "calling the SMS gateway ({call}): {}",
                    e.without_url()
                ))
            })?;
        let http = response.status();
        let text = response.text().await.map_err(|e| {
            GatewayError::Transient(format!(
                "reading the SMS gateway's answer: {}",
                e.without_url()
            ))
        })?;
        let reply: Option<Reply> = serde_json::from_str(&text).ok();
        let status = reply
            .as_ref()
            .map_or(i64::from(http.as_u16()), |r| r.status.status);
        if http.is_success() && status == 200 {
            return reply
                .map(|r| r.entries.unwrap_or_default())
                .ok_or_else(|| GatewayError::Transient("unreadable answer".into()));
        }
        let message = reply.map(|r| r.status.message).unwrap_or_default();
        let what = format!("SMS gateway answered {http} / status {status} {message}");
        // Server trouble, throttling, credit or key problems are fixed on the provider's or
        // operator's side, after which the message should still go; a refused number or
        // text will never go.
        if http.is_server_error() || matches!(status, 401 | 402 | 403 | 418 | 429 | 500..=599) {
            Err(GatewayError::Transient(what))
        } else {
            Err(GatewayError::Permanent(what))
        }
    }

    fn first(entries: &[Entry]) -> Message {
        entries.first().map_or(
            Message {
                message_id: String::new(),
                state: DeliveryState::Pending,
            },
            Entry::message,
        )
    }

    /// Sends `text` to `receptor` from the sender line, under our `local_id`.
    pub async fn send(
        &self,
        receptor: &str,
        text: &str,
        local_id: &str,
    ) -> Result<Message, GatewayError> {
        let entries = self
            .call(
                "sms/send.json",
                &[
                    ("receptor", receptor),
                    ("sender", self.account.sender.as_str()),
                    ("message", text),
                    ("localid", local_id),
                ],
            )
            .await?;
        Ok(Self::first(&entries))
    }

    /// Sends a one-time `code` to `receptor` through the provider-side template (the
    /// "verify/lookup" call), under our `local_id`: the words live at the provider, so the
    /// request carries the code alone.
    pub async fn send_code(
        &self,
        receptor: &str,
        code: &str,
        local_id: &str,
    ) -> Result<Message, GatewayError> {
        let entries = self
            .call(
                "verify/lookup.json",
                &[
                    ("receptor", receptor),
                    ("token", code),
                    ("template", self.account.code_template.as_str()),
                    ("localid", local_id),
                ],
            )
            .await?;
        Ok(Self::first(&entries))
    }

    /// What became of the messages the provider calls `message_ids`, in that order.
    pub async fn status(&self, message_ids: &[&str]) -> Result<Vec<Message>, GatewayError> {
        let ids = message_ids.join(",");
        let entries = self
            .call("sms/status.json", &[("messageid", ids.as_str())])
            .await?;
        Ok(entries.iter().map(Entry::message).collect())
    }

    /// The message sent under our `local_id`, if the provider has one: asked before a
    /// retry whose previous attempt may have reached the provider.
    pub async fn by_local_id(&self, local_id: &str) -> Result<Option<Message>, GatewayError> {
        let entries = self
            .call("sms/statuslocalmessageid.json", &[("localid", local_id)])
            .await?;
        Ok(entries
            .first()
            .map(Entry::message)
            .filter(|m| m.state != DeliveryState::Unknown))
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryState;

    #[test]
    fn status_codes_map_to_what_a_person_would_be_told() {
        assert_eq!(DeliveryState::of_code(10), DeliveryState::Delivered);
        assert_eq!(DeliveryState::of_code(11), DeliveryState::Expired);
        for failed in [6, 13, 14] {
            assert_eq!(DeliveryState::of_code(failed), DeliveryState::Failed);
        }
        for pending in [1, 2, 4, 5] {
            assert_eq!(DeliveryState::of_code(pending), DeliveryState::Pending);
        }
        assert_eq!(DeliveryState::of_code(100), DeliveryState::Unknown);
    }
}
