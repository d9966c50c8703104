//! A parcel's fee account and its append-only ledger: the account row (first year owed and
//! the ledger's version, which is also the parcel's lock), the entries with their running
//! balance, and the (year, levy) pairs paid bills settled.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::small;
use crate::assess::Charged;
use crate::codes::{ENTRY_CHARGE, ITEM_RENEWAL_LEVY, ITEM_WASTE_FEE, levy_code, levy_of};
use crate::tariff::ItemKind;

/// A parcel's fee account: what decides which years it owes and whether a bill is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// First Jalali year it owes yearly levies for (see [`crate::assess`]).
    pub levy_start_year: i32,
    /// Bumped by every ledger change; a bill is payable only at the version it was
    /// computed against.
    pub ledger_version: i64,
}

/// Opens an account if the parcel has none (ignored when it has); true when it opened one.
pub async fn open_account(
    conn: &mut AnyConnection,
    code: &str,
    levy_start_year: i32,
    note: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO parcel_accounts (renovation_code, levy_start_year, ledger_version, opened_at_us, note) \
         VALUES ($1, $2, 0, $3, $4) ON CONFLICT (renovation_code) DO NOTHING",
    )
    .bind(code)
    .bind(i64::from(levy_start_year))
    .bind(now_us)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the parcel's lock for the rest of the transaction (a row lock on PostgreSQL; on
/// SQLite the transaction already holds the write lock) and reads the account.
pub async fn lock_account(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<Account>, sqlx::Error> {
    // One round trip: the locking update hands back the row it locked.
    let row = sqlx::query(
        "UPDATE parcel_accounts SET ledger_version = ledger_version WHERE renovation_code = $1 \
         RETURNING levy_start_year, ledger_version",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(account_of).transpose()
}

fn account_of(r: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        levy_start_year: small(r.try_get("levy_start_year")?),
        ledger_version: r.try_get("ledger_version")?,
    })
}

/// Reads the account without locking it; `None` for a parcel the fee records do not know.
pub async fn account(conn: &mut AnyConnection, code: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT levy_start_year, ledger_version FROM parcel_accounts WHERE renovation_code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(account_of).transpose()
}

/// Records that the ledger changed, so bills computed before are no longer payable;
/// returns the new version.
pub async fn bump_ledger_version(conn: &mut AnyConnection, code: &str) -> Result<i64, sqlx::Error> {
    let version: Option<i64> = sqlx::query_scalar(
        "UPDATE parcel_accounts SET ledger_version = ledger_version + 1 WHERE renovation_code = $1 \
         RETURNING ledger_version",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    Ok(version.unwrap_or(0))
}

/// A ledger entry to append; empty strings and zeros where a field does not apply.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    /// `LedgerEntryKind` number ([`crate::codes`]).
    pub kind: i64,
    /// `BillItemKind` number of what it charges or credits.
    pub item_kind: i64,
    /// The Jalali year a levy is for; 0 for entries not tied to a year.
    pub jalali_year: i32,
    /// Rials: positive raises the debt, negative lowers it.
    pub amount: i64,
    /// What the clerk and the payer read, in Persian.
    pub description_fa: String,
    /// What the clerk and the payer read, in English.
    pub description_en: String,
    /// The bill whose assessment or payment wrote it.
    pub bill_id: String,
    /// The payment that wrote it.
    pub payment_id: String,
    /// The payment's tracking code (کد رهگیری), on payment entries.
    pub tracking_code: String,
    /// Why a clerk adjusted.
    pub reason: String,
    /// The entry an adjustment corrects (entries are never changed in place).
    pub corrects: String,
    /// The tariff version an amount came from.
    pub tariff_id: String,
    /// Who caused it; empty for the system.
    pub actor_id: String,
    /// An adjustment's idempotency key; unique, so a retry cannot append twice.
    pub client_request_id: Option<String>,
}

/// A stored ledger entry: a [`NewEntry`] with its place and the balance it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// UUIDv7.
    pub ledger_entry_id: String,
    /// Position in the parcel's ledger, from 1; the ledger's order and its page key.
    pub seq: i64,
    /// `LedgerEntryKind` number.
    pub kind: i64,
    /// `BillItemKind` number.
    pub item_kind: i64,
    /// The Jalali year a levy is for; 0 for entries not tied to a year.
    pub jalali_year: i32,
    /// Rials: positive raises the debt, negative lowers it.
    pub amount: i64,
    /// The parcel's balance after this entry: the running sum of the amounts.
    pub balance_after: i64,
    /// What the clerk and the payer read, in Persian.
    pub description_fa: String,
    /// What the clerk and the payer read, in English.
    pub description_en: String,
    /// The bill whose assessment or payment wrote it.
    pub bill_id: String,
    /// The payment that wrote it.
    pub payment_id: String,
    /// The payment's tracking code, on payment entries.
    pub tracking_code: String,
    /// Why a clerk adjusted.
    pub reason: String,
    /// The entry an adjustment corrects.
    pub corrects: String,
    /// Who caused it; empty for the system.
    pub actor_id: String,
    /// When it was appended, µs since the epoch.
    pub recorded_at_us: i64,
}

const ENTRY_COLUMNS: &str = "ledger_entry_id, seq, kind, item_kind, jalali_year, amount_rials, \
    balance_after_rials, description_fa, description_en, bill_id, payment_id, tracking_code, \
    reason, corrects_ledger_entry_id, actor_id, recorded_at_us";

fn entry_from(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        ledger_entry_id: r.try_get("ledger_entry_id")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        item_kind: r.try_get("item_kind")?,
        jalali_year: small(r.try_get("jalali_year")?),
        amount: r.try_get("amount_rials")?,
        balance_after: r.try_get("balance_after_rials")?,
        description_fa: r.try_get("description_fa")?,
        description_en: r.try_get("description_en")?,
        bill_id: r.try_get("bill_id")?,
        payment_id: r.try_get("payment_id")?,
        tracking_code: r.try_get("tracking_code")?,
        reason: r.try_get("reason")?,
        corrects: r.try_get("corrects_ledger_entry_id")?,
        actor_id: r.try_get("actor_id")?,
        recorded_at_us: r.try_get("recorded_at_us")?,
    })
}

/// Appends an entry (the caller holds the parcel lock); its balance-after is the previous
/// entry's plus its amount. Fails on overflow rather than wrapping.
pub async fn append_entry(
    conn: &mut AnyConnection,
    code: &str,
    e: &NewEntry,
    now_us: i64,
) -> Result<Entry, sqlx::Error> {
    let last = sqlx::query(
        "SELECT seq, balance_after_rials FROM ledger_entries WHERE renovation_code = $1 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    let (seq, balance) = match last {
        Some(r) => (
            r.try_get::<i64, _>("seq")?,
            r.try_get::<i64, _>("balance_after_rials")?,
        ),
        None => (0, 0),
    };
    let balance_after = balance
        .checked_add(e.amount)
        .ok_or_else(|| sqlx::Error::Protocol("ledger balance would overflow".into()))?;
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO ledger_entries (ledger_entry_id, renovation_code, seq, kind, item_kind, \
         jalali_year, amount_rials, balance_after_rials, description_fa, description_en, bill_id, \
         payment_id, tracking_code, reason, corrects_ledger_entry_id, tariff_id, actor_id, \
         recorded_at_us, client_request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(&id)
    .bind(code)
    .bind(seq + 1)
    .bind(e.kind)
    .bind(e.item_kind)
    .bind(i64::from(e.jalali_year))
    .bind(e.amount)
    .bind(balance_after)
    .bind(&e.description_fa)
    .bind(&e.description_en)
    .bind(&e.bill_id)
    .bind(&e.payment_id)
    .bind(&e.tracking_code)
    .bind(&e.reason)
    .bind(&e.corrects)
    .bind(&e.tariff_id)
    .bind(&e.actor_id)
    .bind(now_us)
    .bind(e.client_request_id.as_deref())
    .execute(conn)
    .await?;
    Ok(Entry {
        ledger_entry_id: id,
        seq: seq + 1,
        kind: e.kind,
        item_kind: e.item_kind,
        jalali_year: e.jalali_year,
        amount: e.amount,
        balance_after,
        description_fa: e.description_fa.clone(),
        description_en: e.description_en.clone(),
        bill_id: e.bill_id.clone(),
        payment_id: e.payment_id.clone(),
        tracking_code: e.tracking_code.clone(),
        reason: e.reason.clone(),
        corrects: e.corrects.clone(),
        actor_id: e.actor_id.clone(),
        recorded_at_us: now_us,
    })
}

/// The entry an adjustment with this `client_request_id` appended, with its parcel, so a
/// retry gets it back.
pub async fn entry_by_request(
    conn: &mut AnyConnection,
    client_request_id: &str,
) -> Result<Option<(String, Entry)>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT renovation_code, {ENTRY_COLUMNS} FROM ledger_entries WHERE client_request_id = $1"
    )))
    .bind(client_request_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("renovation_code")?, entry_from(&r)?)))
        .transpose()
}

/// One entry of a parcel, by id; `None` when that parcel's ledger has no such entry.
pub async fn entry(
    conn: &mut AnyConnection,
    code: &str,
    id: &str,
) -> Result<Option<Entry>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE renovation_code = $1 AND ledger_entry_id = $2"
    )))
    .bind(code)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(entry_from).transpose()
}

/// Up to `limit` of a parcel's entries, newest first, before position `before_seq` (from
/// the newest when `None`): keyset paging on the parcel's unique `seq`, so entries appended
/// between two pages never shift the ones not read yet.
pub async fn entries(
    conn: &mut AnyConnection,
    code: &str,
    limit: i64,
    before_seq: Option<i64>,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE renovation_code = $1 AND seq < $2 \
         ORDER BY seq DESC LIMIT $3"
    )))
    .bind(code)
    .bind(before_seq.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry_from).collect()
}

/// The parcel's balance: the sum of every entry (0 for none). Positive is owed.
pub async fn balance(conn: &mut AnyConnection, code: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_rials) AS BIGINT) FROM ledger_entries WHERE renovation_code = $1",
    )
    .bind(code)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}

/// Yearly levies charged to the ledger and not settled yet: their amounts stand even when
/// the tariff changes later.
pub async fn unsettled_charges(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Vec<Charged>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.jalali_year, e.item_kind, e.amount_rials, e.tariff_id, e.description_fa, \
         e.description_en FROM ledger_entries e \
         LEFT JOIN settled_items s ON s.renovation_code = e.renovation_code \
           AND s.jalali_year = e.jalali_year AND s.item_kind = e.item_kind \
         WHERE e.renovation_code = $1 AND e.kind = $2 AND e.item_kind IN ($3, $4) \
           AND s.renovation_code IS NULL ORDER BY e.seq",
    )
    .bind(code)
    .bind(ENTRY_CHARGE)
    .bind(ITEM_RENEWAL_LEVY)
    .bind(ITEM_WASTE_FEE)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .filter_map(|r| {
            let kind = r.try_get::<i64, _>("item_kind").map(levy_of);
            match kind {
                Ok(Some(kind)) => Some((r, kind)),
                _ => None,
            }
        })
        .map(|(r, kind)| {
            Ok(Charged {
                year: small(r.try_get("jalali_year")?),
                kind,
                amount: r.try_get("amount_rials")?,
                tariff_id: r.try_get("tariff_id")?,
                description_fa: r.try_get("description_fa")?,
                description_en: r.try_get("description_en")?,
            })
        })
        .collect()
}

/// The (year, levy) pairs paid bills settled: what is no longer owed.
pub async fn settled(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Vec<(i32, ItemKind)>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT jalali_year, item_kind FROM settled_items WHERE renovation_code = $1")
            .bind(code)
            .fetch_all(conn)
            .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some(kind) = levy_of(r.try_get("item_kind")?) {
            out.push((small(r.try_get("jalali_year")?), kind));
        }
    }
    Ok(out)
}

/// Marks (year, levy) settled by a bill's payment; fails if it already was, so no levy is
/// ever settled twice.
pub async fn settle_item(
    conn: &mut AnyConnection,
    code: &str,
    year: i32,
    kind: ItemKind,
    bill_id: &str,
    payment_id: &str,
    now_us: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settled_items (renovation_code, jalali_year, item_kind, bill_id, payment_id, settled_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code)
    .bind(i64::from(year))
    .bind(levy_code(kind))
    .bind(bill_id)
    .bind(payment_id)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(())
}
