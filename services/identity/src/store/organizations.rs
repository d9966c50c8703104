//! `organizations`: the inquiring authorities (notary offices, banks, courts) whose users
//! and API clients act for them.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use super::{Result, like_escape};

/// A row of `organizations`: an inquiring authority whose users and clients act for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    /// UUIDv7; the `org` claim of its users' tokens.
    pub organization_id: String,
    /// `OrganizationType` number (notary office, bank, court…).
    pub kind: i32,
    /// Persian name, printed on answers.
    pub name_fa: String,
    /// English name, or empty.
    pub name_en: String,
    /// The Persian name folded with `name_key`, so sorting and search ignore letter
    /// variants and joiners.
    pub name_key: String,
    /// The organisation's official number (a notary office's number, a bank branch code).
    pub registry_number: String,
    /// City, as typed.
    pub city: String,
    /// The city folded, part of the uniqueness rule: numbers repeat across cities.
    pub city_key: String,
    /// Postal address, or empty.
    pub address: String,
    /// Telephone, or empty.
    pub phone: String,
    /// Whether it may act: while false its users cannot log in nor new ones be created.
    pub active: bool,
    /// When it was registered, µs.
    pub created_at: i64,
}

const ORGANIZATION_COLUMNS: &str = "organization_id, type, name_fa, name_en, name_key, registry_number, city, city_key, address, phone, active, created_at";

fn organization(row: &AnyRow) -> Result<OrganizationRow> {
    Ok(OrganizationRow {
        organization_id: row.try_get("organization_id")?,
        kind: row.try_get::<i32, _>("type")?,
        name_fa: row.try_get("name_fa")?,
        name_en: row.try_get("name_en")?,
        name_key: row.try_get("name_key")?,
        registry_number: row.try_get("registry_number")?,
        city: row.try_get("city")?,
        city_key: row.try_get("city_key")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        active: row.try_get::<i32, _>("active")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts an organization (a duplicate type + city + number is a unique violation).
pub async fn insert_organization(conn: &mut AnyConnection, o: &OrganizationRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO organizations ({ORGANIZATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&o.organization_id)
        .bind(o.kind)
        .bind(&o.name_fa)
        .bind(&o.name_en)
        .bind(&o.name_key)
        .bind(&o.registry_number)
        .bind(&o.city)
        .bind(&o.city_key)
        .bind(&o.address)
        .bind(&o.phone)
        .bind(i32::from(o.active))
        .bind(o.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The organisation with this id, whatever its state.
pub async fn organization_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<OrganizationRow>> {
    let sql =
        format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE organization_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(organization).transpose()
}

/// What organisations are searched by. Its `Debug` form binds page tokens to it, so every
/// field must take part in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// `OrganizationType` number; 0 for every type.
    pub kind: i32,
    /// Text folded with `name_key`, matched in names and registry numbers.
    pub query: String,
    /// Disabled ones too (admins only: others may pick only organisations that work).
    pub include_inactive: bool,
}

/// Up to `limit` organisations matching `f` after the (name key, id) `after`, by name: the
/// pair is unique and stable, so pages neither skip nor repeat.
pub async fn list_organizations(
    conn: &mut AnyConnection,
    f: &OrganizationFilter,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<OrganizationRow>> {
    let sql = format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations \
         WHERE ($1 = 0 OR type = $1) AND ($2 = 1 OR active = 1) \
         AND ($3 = '' OR name_key LIKE $3 ESCAPE '\\' OR registry_number LIKE $3 ESCAPE '\\') \
         AND (name_key > $4 OR (name_key = $4 AND organization_id > $5)) \
         ORDER BY name_key, organization_id LIMIT $6"
    );
    let query = if f.query.is_empty() {
        String::new()
    } else {
        format!("%{}%", like_escape(&f.query))
    };
    let (after_name, after_id) = after.unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.kind)
        .bind(i32::from(f.include_inactive))
        .bind(query)
        .bind(after_name)
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(organization).collect()
}

/// Marks an organisation active (1) or disabled (0).
pub async fn set_organization_active(
    conn: &mut AnyConnection,
    id: &str,
    active: bool,
) -> Result<()> {
    sqlx::query("UPDATE organizations SET active = $1 WHERE organization_id = $2")
        .bind(i32::from(active))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The ids of every account acting for the organisation (its people and its clients),
/// whatever their status: disabling the organisation revokes them all.
pub async fn organization_account_ids(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>> {
    sqlx::query("SELECT account_id FROM accounts WHERE organization_id = $1 ORDER BY account_id")
        .bind(id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get("account_id"))
        .collect()
}
