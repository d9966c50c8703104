//! The HTTP SMS gateway adapter (Kavenegar-style; the client itself is
//! [`estelam_runtime::sms_gateway`], shared with identity's one-time codes).
//!
//! Our delivery id goes along as `localid`. A retry whose previous attempt may have reached
//! the gateway (its answer lost, or the process gone before the row said "sent") first asks
//! the gateway about that local id and, if the gateway has the message, takes it as sent
//! instead of texting the person a second time. Sent messages are later asked about by the
//! gateway's id ([`Provider::delivery_states`]) so the audit says delivered, failed or
//! expired.

use async_trait::async_trait;
use estelam_runtime::config::NotifySmsSettings;
use estelam_runtime::sms_gateway::{DeliveryState, GatewayAccount, GatewayError, SmsGateway};

use super::{Accepted, Outgoing, Provider, SendError};
use crate::rules::Channel;

/// The HTTP SMS gateway adapter.
pub struct HttpSms {
    gateway: SmsGateway,
}

impl HttpSms {
    /// An adapter for the gateway `settings` name.
    pub fn new(settings: &NotifySmsSettings) -> anyhow::Result<Self> {
        let api_key = settings
            .api_key
            .clone()
            .ok_or_else(|| anyhow::anyhow!("notifications.sms.api_key is not set"))?;
        Ok(Self {
            gateway: SmsGateway::new(GatewayAccount {
                base_url: settings.base_url.clone(),
                api_key,
                sender: settings.sender.clone(),
                code_template: settings.code_template.clone(),
            })?,
        })
    }
}

fn send_error(e: GatewayError) -> SendError {
    match e {
        GatewayError::Transient(why) => SendError::Transient(why),
        GatewayError::Permanent(why) => SendError::Permanent(why),
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
        if m.retry
            && let Some(taken) = self
                .gateway
                .by_local_id(&m.delivery_id)
                .await
                .map_err(send_error)?
        {
            // The gateway took an earlier attempt; its answer never reached the audit.
            return Ok(Accepted {
                provider_message_id: taken.message_id,
            });
        }
        let sent = self
            .gateway
            .send(&m.to, &m.body, &m.delivery_id)
            .await
            .map_err(send_error)?;
        Ok(Accepted {
            provider_message_id: sent.message_id,
        })
    }

    fn tracks_delivery(&self) -> bool {
        true
    }

    async fn delivery_states(
        &self,
        provider_message_ids: &[&str],
    ) -> Result<Vec<DeliveryState>, SendError> {
        let found = self
            .gateway
            .status(provider_message_ids)
            .await
            .map_err(send_error)?;
        // The gateway answers in the order asked; an id it left out is not known yet.
        Ok(provider_message_ids
            .iter()
            .map(|id| {
                found
                    .iter()
                    .find(|m| m.message_id == *id)
                    .map_or(DeliveryState::Pending, |m| m.state)
            })
            .collect())
    }
}
