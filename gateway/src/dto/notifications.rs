//! The JSON shape of a person's notification preferences (`estelam.notifications.v1`).

use std::collections::BTreeMap;

use estelam_proto::notifications::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{enum_name, parse_enum};
use crate::problem::ApiError;

/// What a person wants to be told, and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Channels per kind of event. Kinds: `bill_waiting`, `payment_received`,
    /// `answer_issued`, `answer_revoked`, `filed_in_your_name`, `new_login`; channels:
    /// `sms`, `email`. A kind left out keeps the default (SMS); an empty list means none.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::formats::notice_channels)]
    pub channels: BTreeMap<String, Vec<String>>,
    /// Where e-mails go; empty for no e-mail (then no kind may choose `email`).
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::Email)]
    pub email: String,
    /// `fa` (Persian, the default) or `en`.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::Language)]
    pub language: String,
}

impl From<pb::Preferences> for NotificationPreferences {
    fn from(p: pb::Preferences) -> Self {
        let channels = p
            .kinds
            .iter()
            .map(|k| {
                let kind = pb::NoticeKind::try_from(k.kind)
                    .map(|k| enum_name(k.as_str_name(), "NOTICE_KIND_"))
                    .unwrap_or_default();
                let list = k
                    .channels
                    .iter()
                    .filter_map(|c| pb::Channel::try_from(*c).ok())
                    .map(|c| enum_name(c.as_str_name(), "CHANNEL_"))
                    .collect();
                (kind, list)
            })
            .collect();
        Self {
            channels,
            email: p.email,
            language: p.language,
        }
    }
}

impl NotificationPreferences {
    /// The protobuf message, or a 400 naming the unknown kind or channel.
    pub fn to_pb(&self) -> Result<pb::Preferences, ApiError> {
        let mut kinds = Vec::new();
        for (kind, list) in &self.channels {
            let field = format!("channels.{kind}");
            let kind = parse_enum(&field, kind, "NOTICE_KIND_", |s| {
                pb::NoticeKind::from_str_name(s).map(|k| k as i32)
            })?;
            let mut channels = Vec::new();
            for c in list {
                channels.push(parse_enum(&field, c, "CHANNEL_", |s| {
                    pb::Channel::from_str_name(s).map(|c| c as i32)
                })?);
            }
            kinds.push(pb::KindChannels { kind, channels });
        }
        Ok(pb::Preferences {
            kinds,
            email: self.email.clone(),
            language: self.language.clone(),
        })
    }
}
