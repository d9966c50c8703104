//! Authority accounts: inquiry fees charged to an inquiring authority's account (its
//! organisation id), one row per inquiry; the account's balance is the sum of its charges.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One inquiry fee charged to an authority's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCharge {
    /// UUIDv7.
    pub charge_id: String,
    /// The authority's organisation id.
    pub account_id: String,
    /// The inquiry it is for; unique, so an inquiry is charged once.
    pub inquiry_id: String,
    /// The request type whose fee it is.
    pub request_type_code: String,
    /// Canonical renovation code of the parcel asked about, whose tariff priced it.
    pub renovation_code: String,
    /// Rials, from the tariff in force when it was charged.
    pub amount: i64,
    /// What the authority's statement says, in Persian.
    pub description_fa: String,
    /// What the authority's statement says, in English.
    pub description_en: String,
    /// The tariff version it was priced by.
    pub tariff_id: String,
    /// Who asked for the charge (the inquiry service's account).
    pub actor_id: String,
    /// When, µs; with the id, the statement's order and its page key.
    pub charged_at_us: i64,
    /// When it was reversed (its inquiry cancelled), µs; 0 while it stands.
    pub reversed_at_us: i64,
}

const COLUMNS: &str = "charge_id, account_id, inquiry_id, request_type_code, renovation_code, \
    amount, description_fa, description_en, tariff_id, actor_id, charged_at_us, reversed_at_us";

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
        reversed_at_us: r.try_get("reversed_at_us")?,
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (inquiry_id) DO NOTHING"
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
    .bind(c.reversed_at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where a statement page starts: after the charge at (`charged_at_us`, `charge_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeKey<'a> {
    /// The last charge's time on the previous page.
    pub charged_at_us: i64,
    /// The last charge's id on the previous page, which breaks ties of time.
    pub charge_id: &'a str,
}

/// Up to `limit` of an account's charges, newest first, after `after` (from the newest when
/// `None`): keyset paging on (time, id), which is unique, so charges taken between two
/// pages never shift the ones not read yet.
pub async fn charges(
    conn: &mut AnyConnection,
    account_id: &str,
    limit: i64,
    after: Option<ChargeKey<'_>>,
) -> Result<Vec<AccountCharge>, sqlx::Error> {
    let rows = match after {
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM account_charges WHERE account_id = $1 \
                 ORDER BY charged_at_us DESC, charge_id DESC LIMIT $2"
            )))
            .bind(account_id)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        Some(key) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM account_charges WHERE account_id = $1 \
                 AND (charged_at_us < $2 OR (charged_at_us = $2 AND charge_id < $3)) \
                 ORDER BY charged_at_us DESC, charge_id DESC LIMIT $4"
            )))
            .bind(account_id)
            .bind(key.charged_at_us)
            .bind(key.charge_id)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    };
    rows.iter().map(charge_from).collect()
}

/// Marks the charge for `inquiry_id` reversed at `at_us`, unless it is already (a second
/// reversal keeps the first time); `false` when nothing changed.
pub async fn reverse_charge(
    conn: &mut AnyConnection,
    inquiry_id: &str,
    at_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE account_charges SET reversed_at_us = $2 WHERE inquiry_id = $1 AND reversed_at_us = 0",
    )
    .bind(inquiry_id)
    .bind(at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The sum of an account's standing charges (0 for none): what the authority owes for its
/// inquiries; reversed charges do not count.
pub async fn balance(conn: &mut AnyConnection, account_id: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM account_charges WHERE account_id = $1 AND reversed_at_us = 0",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}
