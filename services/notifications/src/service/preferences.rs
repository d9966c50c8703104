//! A person's own preferences: read with the defaults filled in, replaced after checking.

use std::collections::BTreeMap;

use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::Notifications;
use crate::errors;
use crate::rules::{Channel, Kind, Preferences, email_plausible};
use crate::store;

impl Notifications {
    /// `account_id`'s preferences, or the defaults when they never chose.
    pub async fn preferences(&self, account_id: &str) -> Result<Preferences, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::preferences_of(&mut conn, account_id)
            .await?
            .unwrap_or_default())
    }

    /// Replaces `account_id`'s preferences with `p` (e-mail cleaned, checked; e-mail chosen
    /// for a kind only with an address) and returns what is now in effect.
    pub async fn set_preferences(
        &self,
        account_id: &str,
        mut p: Preferences,
    ) -> Result<Preferences, ServiceError> {
        p.email = errors::clean(errors::EMAIL, &p.email)?
            .trim()
            .to_ascii_lowercase();
        if !p.email.is_empty() && !email_plausible(&p.email) {
            return Err(errors::email_invalid());
        }
        let wants_email = p
            .channels
            .values()
            .any(|channels| channels.contains(&Channel::Email));
        if wants_email && p.email.is_empty() {
            return Err(errors::email_missing());
        }
        let mut channels: BTreeMap<Kind, Vec<Channel>> = BTreeMap::new();
        for (kind, mut list) in p.channels {
            list.sort();
            list.dedup();
            channels.insert(kind, list);
        }
        p.channels = channels;
        let mut tx = self.db.begin().await?;
        store::put_preferences(&mut tx, account_id, &p, now_micros()).await?;
        tx.commit().await?;
        Ok(p)
    }
}

impl Notifications {
    /// The newest `limit` messages made for `account_id` (the audit a person reads).
    pub async fn deliveries_of(
        &self,
        account_id: &str,
        limit: i64,
    ) -> Result<Vec<store::DeliveryRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::deliveries_of(&mut conn, account_id, limit).await?)
    }
}
