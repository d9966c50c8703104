//! Each person's preferences: channels per kind (JSON), e-mail address, language.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::rules::{Channel, Kind, Language, Preferences};

/// The stored preferences of `account_id`, or `None` when the person never set any.
pub async fn preferences_of(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Option<Preferences>> {
    let row =
        sqlx::query("SELECT email, language, channels FROM preferences WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let channels: String = row.try_get("channels")?;
    let channels: BTreeMap<Kind, Vec<Channel>> =
        serde_json::from_str(&channels).map_err(json_err)?;
    let language: String = row.try_get("language")?;
    Ok(Some(Preferences {
        channels,
        email: row.try_get("email")?,
        language: Language::parse(&language).unwrap_or_default(),
    }))
}

/// Stores `p` as `account_id`'s preferences, replacing any before.
pub async fn put_preferences(
    conn: &mut AnyConnection,
    account_id: &str,
    p: &Preferences,
    now_us: i64,
) -> Result<()> {
    let channels = serde_json::to_string(&p.channels).map_err(json_err)?;
    sqlx::query(
        "INSERT INTO preferences (account_id, email, language, channels, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         email = excluded.email, language = excluded.language, channels = excluded.channels, \
         updated_at_us = excluded.updated_at_us",
    )
    .bind(account_id)
    .bind(&p.email)
    .bind(p.language.as_str())
    .bind(channels)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(())
}
