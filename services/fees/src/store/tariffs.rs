//! Tariff versions: append-only rows, one per (Jalali year, land use, zone, version), whose
//! rules are stored as JSON ([`TariffRules`]).

use estelam_domain::JalaliDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{json_err, small};
use crate::tariff::{Tariff, TariffRules};

const TARIFF_COLUMNS: &str = "tariff_id, jalali_year, land_use, zone, version, \
    effective_from_jalali, effective_from_us, rules, reason, actor_id, created_at_us";

fn tariff_from(row: &AnyRow) -> Result<Tariff, sqlx::Error> {
    let rules: String = row.try_get("rules")?;
    let from: String = row.try_get("effective_from_jalali")?;
    Ok(Tariff {
        tariff_id: row.try_get("tariff_id")?,
        jalali_year: small(row.try_get("jalali_year")?),
        effective_from: JalaliDate::parse(&from).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        effective_from_us: row.try_get("effective_from_us")?,
        land_use: small(row.try_get("land_use")?),
        zone: small(row.try_get("zone")?),
        version: row.try_get("version")?,
        rules: serde_json::from_str::<TariffRules>(&rules).map_err(json_err)?,
        reason: row.try_get("reason")?,
        actor_id: row.try_get("actor_id")?,
        created_at_us: row.try_get("created_at_us")?,
    })
}

/// Every tariff version, by year (newest first), land use, zone, version. Assessment picks
/// among all of them (see [`crate::tariff::applicable`]), and there are few.
pub async fn all_tariffs(conn: &mut AnyConnection) -> Result<Vec<Tariff>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TARIFF_COLUMNS} FROM tariffs \
         ORDER BY jalali_year DESC, land_use, zone, version"
    )))
    .fetch_all(conn)
    .await?;
    rows.iter().map(tariff_from).collect()
}

/// One tariff version by id.
pub async fn tariff(conn: &mut AnyConnection, id: &str) -> Result<Option<Tariff>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TARIFF_COLUMNS} FROM tariffs WHERE tariff_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(tariff_from).transpose()
}

/// The tariff version a PutTariff with this `client_request_id` stored, so a retry gets it
/// back instead of adding another.
pub async fn tariff_by_request(
    conn: &mut AnyConnection,
    client_request_id: &str,
) -> Result<Option<Tariff>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TARIFF_COLUMNS} FROM tariffs WHERE client_request_id = $1"
    )))
    .bind(client_request_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(tariff_from).transpose()
}

/// The latest version number of (year, land use, zone), 0 when there is none: what a
/// PutTariff's `expected_version` is checked against.
pub async fn latest_tariff_version(
    conn: &mut AnyConnection,
    year: i32,
    land_use: i32,
    zone: i32,
) -> Result<i64, sqlx::Error> {
    let v: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(version) FROM tariffs WHERE jalali_year = $1 AND land_use = $2 AND zone = $3",
    )
    .bind(i64::from(year))
    .bind(i64::from(land_use))
    .bind(i64::from(zone))
    .fetch_one(conn)
    .await?;
    Ok(v.unwrap_or(0))
}

/// Stores a tariff version. A duplicate (year, land use, zone, version) or
/// `client_request_id` fails as a unique violation: a concurrent PutTariff won.
pub async fn insert_tariff(
    conn: &mut AnyConnection,
    t: &Tariff,
    client_request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let rules = serde_json::to_string(&t.rules).map_err(json_err)?;
    sqlx::query(
        "INSERT INTO tariffs (tariff_id, jalali_year, land_use, zone, version, \
         effective_from_jalali, effective_from_us, rules, reason, actor_id, created_at_us, \
         client_request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&t.tariff_id)
    .bind(i64::from(t.jalali_year))
    .bind(i64::from(t.land_use))
    .bind(i64::from(t.zone))
    .bind(t.version)
    .bind(t.effective_from.to_string())
    .bind(t.effective_from_us)
    .bind(rules)
    .bind(&t.reason)
    .bind(&t.actor_id)
    .bind(t.created_at_us)
    .bind(client_request_id)
    .execute(conn)
    .await?;
    Ok(())
}
