//! Request types: the current version of each (`request_types`) and every version ever
//! stored (`request_type_versions`), which inquiries follow to the end.

use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::request_types::{RequestTypeDef, StoredRequestType};

fn row_to_type(row: &sqlx::any::AnyRow) -> Result<StoredRequestType> {
    let def: String = row.try_get("definition")?;
    Ok(StoredRequestType {
        def: serde_json::from_str(&def).map_err(json_err)?,
        version: row.try_get("version")?,
        changed_by: row.try_get("changed_by")?,
        changed_by_name: row.try_get("changed_by_name")?,
        changed_at_us: row.try_get("changed_at_us")?,
    })
}

/// The current version of a request type.
pub async fn request_type(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<StoredRequestType>> {
    let row = sqlx::query(
        "SELECT definition, version, changed_by, changed_by_name, changed_at_us \
         FROM request_types WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(row_to_type).transpose()
}

/// One stored version of a request type (what an inquiry follows).
pub async fn request_type_version(
    conn: &mut AnyConnection,
    code: &str,
    version: i64,
) -> Result<Option<RequestTypeDef>> {
    let row = sqlx::query(
        "SELECT definition FROM request_type_versions WHERE code = $1 AND version = $2",
    )
    .bind(code)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) => {
            let def: String = r.try_get("definition")?;
            Ok(Some(serde_json::from_str(&def).map_err(json_err)?))
        }
        None => Ok(None),
    }
}

/// Every request type, current versions, by code.
pub async fn request_types(conn: &mut AnyConnection) -> Result<Vec<StoredRequestType>> {
    let rows = sqlx::query(
        "SELECT definition, version, changed_by, changed_by_name, changed_at_us \
         FROM request_types ORDER BY code",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(row_to_type).collect()
}

/// Stores a new version of a request type (version 1 creates it). Returns false when
/// `expected_version` is not the current one.
pub async fn put_request_type(
    conn: &mut AnyConnection,
    def: &RequestTypeDef,
    expected_version: i64,
    reason: &str,
    actor: &str,
    actor_name: &str,
    at_us: i64,
) -> Result<bool> {
    let json = serde_json::to_string(def).map_err(json_err)?;
    let version = expected_version + 1;
    let changed = if expected_version == 0 {
        sqlx::query(
            "INSERT INTO request_types (code, version, definition, active, changed_by, changed_by_name, changed_at_us) \
             VALUES ($1, 1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&def.code)
        .bind(&json)
        .bind(i64::from(def.active))
        .bind(actor)
        .bind(actor_name)
        .bind(at_us)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE request_types SET version = $1, definition = $2, active = $3, changed_by = $4, \
             changed_by_name = $5, changed_at_us = $6 WHERE code = $7 AND version = $8",
        )
        .bind(version)
        .bind(&json)
        .bind(i64::from(def.active))
        .bind(actor)
        .bind(actor_name)
        .bind(at_us)
        .bind(&def.code)
        .bind(expected_version)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    };
    if changed != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO request_type_versions (code, version, definition, reason, changed_by, changed_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&def.code)
    .bind(version)
    .bind(&json)
    .bind(reason)
    .bind(actor)
    .bind(at_us)
    .execute(conn)
    .await?;
    Ok(true)
}
