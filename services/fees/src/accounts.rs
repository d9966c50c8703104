//! Authority accounts: inquiry fees charged to the inquiring authority (keyed by its
//! organisation id) instead of to the parcel, so the applicant's bill holds only what the
//! property owes and a debt-free answer is never held back by a fee.
//!
//! A charge is taken once per inquiry (the inquiry id is unique), so a retried or repeated
//! `ChargeAccount` returns the first charge; the account's balance is the sum of its charges.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One inquiry fee charged to an authority's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCharge {
    /// Id (UUIDv7).
    pub charge_id: String,
    /// The authority's organisation id.
    pub account_id: String,
    /// The inquiry it is for.
    pub inquiry_id: String,
    /// Request type whose fee it is.
    pub request_type_code: String,
    /// Canonical renovation code of the parcel asked about.
    pub renovation_code: String,
    /// Rials.
    pub amount: i64,
    /// Persian description.
    pub description_fa: String,
    /// English description.
    pub description_en: String,
    /// Tariff version it came from.
    pub tariff_id: String,
    /// Who asked for the charge.
    pub actor_id: String,
    /// When, µs.
    pub charged_at_us: i64,
}

const COLUMNS: &str = "charge_id, account_id, inquiry_id, request_type_code, renovation_code, \
    amount, description_fa, description_en, tariff_id, actor_id, charged_at_us";

fn charge_from(r: &AnyRow) -> Result<AccountCharge, sqlx::Error> {
    Ok(AccountCharge {
        charge_id: r.try_get("charge_id")?,
        account_id: r.try_get("account_id")?,
        inquiry_id: r.try_get("inquiry_id")?,
        request_type_code: r.try_get("request_type_code")?,
        renovation_code: r.try_get("renovation_code")?,
        amount: r.try_get("amount")?,
        description_fa: r.try_get("description_fa")?,
        description_en: r.try_get("description_en")?,
        tariff_id: r.try_get("tariff_id")?,
        actor_id: r.try_get("actor_id")?,
        charged_at_us: r.try_get("charged_at_us")?,
    })
}

/// The charge already taken for an inquiry, if any.
pub async fn charge_for_inquiry(
    conn: &mut AnyConnection,
    inquiry_id: &str,
) -> Result<Option<AccountCharge>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM account_charges WHERE inquiry_id = $1"
    )))
    .bind(inquiry_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(charge_from).transpose()
}

/// Stores a charge; `false` when the inquiry was charged already (a concurrent call won).
pub async fn insert_charge(
    conn: &mut AnyConnection,
    c: &AccountCharge,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO account_charges ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (inquiry_id) DO NOTHING"
    )))
    .bind(&c.charge_id)
    .bind(&c.account_id)
    .bind(&c.inquiry_id)
    .bind(&c.request_type_code)
    .bind(&c.renovation_code)
    .bind(c.amount)
    .bind(&c.description_fa)
    .bind(&c.description_en)
    .bind(&c.tariff_id)
    .bind(&c.actor_id)
    .bind(c.charged_at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A page of an account's charges, newest first.
pub async fn charges(
    conn: &mut AnyConnection,
    account_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<AccountCharge>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM account_charges WHERE account_id = $1 \
         ORDER BY charged_at_us DESC, charge_id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(account_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    rows.iter().map(charge_from).collect()
}

/// The sum of an account's charges (0 for none).
pub async fn balance(conn: &mut AnyConnection, account_id: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM account_charges WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}
