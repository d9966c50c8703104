//! SQL, nothing else. Every function takes a connection (`&mut tx` inside a transaction,
//! a pooled connection outside one); portable SQL through sqlx `Any`, integers as i64.

use estelam_domain::JalaliDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::assess::{Charged, Line};
use crate::tariff::{ItemKind, Tariff, TariffRules};

/// Wire numbers of the enums stored, so SQL and code agree in one place.
pub mod codes {
    /// `BillItemKind`.
    pub const ITEM_RENEWAL: i64 = 1;
    /// `BillItemKind`.
    pub const ITEM_WASTE: i64 = 2;
    /// `BillItemKind`.
    pub const ITEM_PENALTY: i64 = 3;
    /// `BillItemKind`.
    pub const ITEM_INQUIRY_FEE: i64 = 4;
    /// `BillItemKind`.
    pub const ITEM_DISCOUNT: i64 = 5;
    /// `BillItemKind`.
    pub const ITEM_ADJUSTMENT: i64 = 6;
    /// `LedgerEntryKind`.
    pub const ENTRY_CHARGE: i64 = 1;
    /// `LedgerEntryKind`.
    pub const ENTRY_PAYMENT: i64 = 2;
    /// `LedgerEntryKind`.
    pub const ENTRY_ADJUSTMENT: i64 = 3;
    /// `LedgerEntryKind`.
    pub const ENTRY_DISCOUNT: i64 = 4;
    /// `BillStatus`.
    pub const BILL_OPEN: i64 = 1;
    /// `BillStatus`.
    pub const BILL_PAID: i64 = 2;
    /// `BillStatus`.
    pub const BILL_SUPERSEDED: i64 = 3;
    /// `PaymentStatus`.
    pub const PAY_PENDING: i64 = 1;
    /// `PaymentStatus`.
    pub const PAY_CONFIRMED: i64 = 2;
    /// `PaymentStatus`.
    pub const PAY_FAILED: i64 = 3;
    /// `PaymentStatus`.
    pub const PAY_EXPIRED: i64 = 4;
    /// `PaymentStatus`.
    pub const PAY_REVERSED: i64 = 5;
}
use codes::*;

/// The stored number of a yearly levy.
pub fn levy_code(kind: ItemKind) -> i64 {
    match kind {
        ItemKind::RenewalLevy => ITEM_RENEWAL,
        ItemKind::WasteFee => ITEM_WASTE,
        ItemKind::InquiryFee => ITEM_INQUIRY_FEE,
    }
}

fn levy_of(code: i64) -> Option<ItemKind> {
    match code {
        ITEM_RENEWAL => Some(ItemKind::RenewalLevy),
        ITEM_WASTE => Some(ItemKind::WasteFee),
        _ => None,
    }
}

fn json_err(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

// ---- tariffs ----

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

/// Narrows a stored small integer (years, enum numbers) to i32.
pub fn small(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

const TARIFF_COLUMNS: &str = "tariff_id, jalali_year, land_use, zone, version, \
    effective_from_jalali, effective_from_us, rules, reason, actor_id, created_at_us";

/// Every tariff version, by year (newest first), land use, zone, version.
pub async fn all_tariffs(conn: &mut AnyConnection) -> Result<Vec<Tariff>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TARIFF_COLUMNS} FROM tariffs \
         ORDER BY jalali_year DESC, land_use, zone, version"
    )))
    .fetch_all(conn)
    .await?;
    rows.iter().map(tariff_from).collect()
}

/// One tariff version.
pub async fn tariff(conn: &mut AnyConnection, id: &str) -> Result<Option<Tariff>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TARIFF_COLUMNS} FROM tariffs WHERE tariff_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(tariff_from).transpose()
}

/// The tariff version a `client_request_id` stored, if any.
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

/// The latest version number of (year, land use, zone); 0 when none.
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

/// Stores a tariff version (append-only).
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

// ---- accounts and the ledger ----

/// A parcel's fee account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// First year it owes yearly levies for.
    pub levy_start_year: i32,
    /// Bumped by every ledger change.
    pub ledger_version: i64,
}

/// Opens an account if the parcel has none (ignored when it has).
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
    sqlx::query(
        "UPDATE parcel_accounts SET ledger_version = ledger_version WHERE renovation_code = $1",
    )
    .bind(code)
    .execute(&mut *conn)
    .await?;
    account(conn, code).await
}

/// Reads the account.
pub async fn account(conn: &mut AnyConnection, code: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT levy_start_year, ledger_version FROM parcel_accounts WHERE renovation_code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Account {
            levy_start_year: small(r.try_get("levy_start_year")?),
            ledger_version: r.try_get("ledger_version")?,
        })
    })
    .transpose()
}

/// Records that the ledger changed; returns the new version.
pub async fn bump_ledger_version(conn: &mut AnyConnection, code: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE parcel_accounts SET ledger_version = ledger_version + 1 WHERE renovation_code = $1",
    )
    .bind(code)
    .execute(&mut *conn)
    .await?;
    Ok(account(conn, code).await?.map_or(0, |a| a.ledger_version))
}

/// A ledger entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    /// `LedgerEntryKind`.
    pub kind: i64,
    /// `BillItemKind`.
    pub item_kind: i64,
    /// Year, or 0.
    pub jalali_year: i32,
    /// Signed amount.
    pub amount: i64,
    /// Persian description.
    pub description_fa: String,
    /// English description.
    pub description_en: String,
    /// Bill, if any.
    pub bill_id: String,
    /// Payment, if any.
    pub payment_id: String,
    /// Tracking code, for payments.
    pub tracking_code: String,
    /// Clerk's reason.
    pub reason: String,
    /// Entry corrected.
    pub corrects: String,
    /// Tariff used.
    pub tariff_id: String,
    /// Who.
    pub actor_id: String,
    /// Idempotency key.
    pub client_request_id: Option<String>,
}

/// A stored ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Id.
    pub ledger_entry_id: String,
    /// Position in the parcel's ledger, from 1.
    pub seq: i64,
    /// `LedgerEntryKind`.
    pub kind: i64,
    /// `BillItemKind`.
    pub item_kind: i64,
    /// Year, or 0.
    pub jalali_year: i32,
    /// Signed amount.
    pub amount: i64,
    /// Balance after it.
    pub balance_after: i64,
    /// Persian description.
    pub description_fa: String,
    /// English description.
    pub description_en: String,
    /// Bill.
    pub bill_id: String,
    /// Payment.
    pub payment_id: String,
    /// Tracking code.
    pub tracking_code: String,
    /// Reason.
    pub reason: String,
    /// Corrected entry.
    pub corrects: String,
    /// Who.
    pub actor_id: String,
    /// When.
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

/// Appends an entry (caller holds the parcel lock); its balance-after is the previous
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

/// The entry an adjustment's `client_request_id` created, if any.
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

/// One entry of a parcel, by id.
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

/// A page of a parcel's entries, newest first.
pub async fn entries(
    conn: &mut AnyConnection,
    code: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE renovation_code = $1 \
         ORDER BY seq DESC LIMIT $2 OFFSET $3"
    )))
    .bind(code)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry_from).collect()
}

/// The balance: the sum of every entry (0 for none).
pub async fn balance(conn: &mut AnyConnection, code: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_rials) AS BIGINT) FROM ledger_entries WHERE renovation_code = $1",
    )
    .bind(code)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}

/// Yearly levies charged and not settled.
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
    .bind(ITEM_RENEWAL)
    .bind(ITEM_WASTE)
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

/// (year, levy) pairs settled.
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

/// Marks (year, levy) settled by a bill's payment; fails if it already was.
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

/// The latest confirmed payment of a parcel: (tracking code, confirmed at).
pub async fn last_payment(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tracking_code, confirmed_at_us FROM payments WHERE renovation_code = $1 \
         AND status = $2 ORDER BY confirmed_at_us DESC LIMIT 1",
    )
    .bind(code)
    .bind(PAY_CONFIRMED)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get::<Option<String>, _>("tracking_code")?
                .unwrap_or_default(),
            r.try_get::<Option<i64>, _>("confirmed_at_us")?
                .unwrap_or_default(),
        ))
    })
    .transpose()
}

// ---- bills ----

/// A stored bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    /// Id.
    pub bill_id: String,
    /// Parcel.
    pub renovation_code: String,
    /// Inquiry.
    pub inquiry_id: String,
    /// Request type of the inquiry fee.
    pub request_type_code: String,
    /// `BillStatus` as stored (EXPIRED is derived on read).
    pub status: i64,
    /// Lines.
    pub lines: Vec<Line>,
    /// (year, levy) pairs its payment settles.
    pub settles: Vec<(i32, ItemKind)>,
    /// Sum of bases.
    pub total_base: i64,
    /// Sum of penalties.
    pub total_penalty: i64,
    /// To pay.
    pub total: i64,
    /// Ledger balance before it.
    pub balance_before: i64,
    /// As of.
    pub as_of_us: i64,
    /// As of, Jalali.
    pub as_of_jalali: String,
    /// Created.
    pub created_at_us: i64,
    /// Payable until.
    pub valid_until_us: i64,
    /// The account's ledger version the bill was computed against.
    pub ledger_version: i64,
    /// Paying payment.
    pub payment_id: String,
    /// Its tracking code.
    pub tracking_code: String,
    /// Paid at.
    pub paid_at_us: Option<i64>,
}

const BILL_COLUMNS: &str = "bill_id, renovation_code, inquiry_id, request_type_code, status, \
    lines, settles, total_base, total_penalty, total, balance_before, as_of_us, as_of_jalali, \
    created_at_us, valid_until_us, ledger_version, payment_id, tracking_code, paid_at_us";

fn bill_from(r: &AnyRow) -> Result<Bill, sqlx::Error> {
    let lines: String = r.try_get("lines")?;
    let settles: String = r.try_get("settles")?;
    Ok(Bill {
        bill_id: r.try_get("bill_id")?,
        renovation_code: r.try_get("renovation_code")?,
        inquiry_id: r.try_get("inquiry_id")?,
        request_type_code: r.try_get("request_type_code")?,
        status: r.try_get("status")?,
        lines: serde_json::from_str(&lines).map_err(json_err)?,
        settles: serde_json::from_str(&settles).map_err(json_err)?,
        total_base: r.try_get("total_base")?,
        total_penalty: r.try_get("total_penalty")?,
        total: r.try_get("total")?,
        balance_before: r.try_get("balance_before")?,
        as_of_us: r.try_get("as_of_us")?,
        as_of_jalali: r.try_get("as_of_jalali")?,
        created_at_us: r.try_get("created_at_us")?,
        valid_until_us: r.try_get("valid_until_us")?,
        ledger_version: r.try_get("ledger_version")?,
        payment_id: r.try_get("payment_id")?,
        tracking_code: r.try_get("tracking_code")?,
        paid_at_us: r.try_get("paid_at_us")?,
    })
}

/// Stores a bill.
pub async fn insert_bill(
    conn: &mut AnyConnection,
    b: &Bill,
    client_request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bills (bill_id, renovation_code, inquiry_id, request_type_code, status, lines, \
         settles, total_base, total_penalty, total, balance_before, as_of_us, as_of_jalali, \
         created_at_us, valid_until_us, ledger_version, payment_id, tracking_code, paid_at_us, \
         client_request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(&b.bill_id)
    .bind(&b.renovation_code)
    .bind(&b.inquiry_id)
    .bind(&b.request_type_code)
    .bind(b.status)
    .bind(serde_json::to_string(&b.lines).map_err(json_err)?)
    .bind(serde_json::to_string(&b.settles).map_err(json_err)?)
    .bind(b.total_base)
    .bind(b.total_penalty)
    .bind(b.total)
    .bind(b.balance_before)
    .bind(b.as_of_us)
    .bind(&b.as_of_jalali)
    .bind(b.created_at_us)
    .bind(b.valid_until_us)
    .bind(b.ledger_version)
    .bind(&b.payment_id)
    .bind(&b.tracking_code)
    .bind(b.paid_at_us)
    .bind(client_request_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A bill by id.
pub async fn bill(conn: &mut AnyConnection, id: &str) -> Result<Option<Bill>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BILL_COLUMNS} FROM bills WHERE bill_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(bill_from).transpose()
}

/// The bill an assessment's `client_request_id` stored, if any.
pub async fn bill_by_request(
    conn: &mut AnyConnection,
    client_request_id: &str,
) -> Result<Option<Bill>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BILL_COLUMNS} FROM bills WHERE client_request_id = $1"
    )))
    .bind(client_request_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(bill_from).transpose()
}

/// Marks every open bill of the parcel but `except` superseded (the ledger changed).
pub async fn supersede_open_bills(
    conn: &mut AnyConnection,
    code: &str,
    except: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bills SET status = $1 WHERE renovation_code = $2 AND status = $3 AND bill_id <> $4",
    )
    .bind(BILL_SUPERSEDED)
    .bind(code)
    .bind(BILL_OPEN)
    .bind(except)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Marks an open bill paid; false if it was not open.
pub async fn mark_bill_paid(
    conn: &mut AnyConnection,
    bill_id: &str,
    payment_id: &str,
    tracking_code: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bills SET status = $1, payment_id = $2, tracking_code = $3, paid_at_us = $4 \
         WHERE bill_id = $5 AND status = $6",
    )
    .bind(BILL_PAID)
    .bind(payment_id)
    .bind(tracking_code)
    .bind(now_us)
    .bind(bill_id)
    .bind(BILL_OPEN)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- payments ----

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Id.
    pub payment_id: String,
    /// Bill.
    pub bill_id: String,
    /// Parcel.
    pub renovation_code: String,
    /// Rials.
    pub amount: i64,
    /// `PaymentStatus`.
    pub status: i64,
    /// Provider name.
    pub provider: String,
    /// Provider token.
    pub psp_token: String,
    /// Where the payer was sent.
    pub redirect_url: String,
    /// Where the payer comes back to.
    pub return_url: String,
    /// StartPayment's idempotency key.
    pub idempotency_key: String,
    /// Tracking code once confirmed.
    pub tracking_code: String,
    /// Provider's reference once confirmed.
    pub psp_reference: String,
    /// Failure reason, Persian.
    pub failure_fa: String,
    /// Failure reason, English.
    pub failure_en: String,
    /// Started.
    pub created_at_us: i64,
    /// Confirmed.
    pub confirmed_at_us: Option<i64>,
}

const PAYMENT_COLUMNS: &str = "payment_id, bill_id, renovation_code, amount_rials, status, provider, \
    psp_token, redirect_url, return_url, idempotency_key, tracking_code, psp_reference, failure_fa, \
    failure_en, created_at_us, confirmed_at_us";

fn payment_from(r: &AnyRow) -> Result<Payment, sqlx::Error> {
    Ok(Payment {
        payment_id: r.try_get("payment_id")?,
        bill_id: r.try_get("bill_id")?,
        renovation_code: r.try_get("renovation_code")?,
        amount: r.try_get("amount_rials")?,
        status: r.try_get("status")?,
        provider: r.try_get("provider")?,
        psp_token: r.try_get("psp_token")?,
        redirect_url: r.try_get("redirect_url")?,
        return_url: r.try_get("return_url")?,
        idempotency_key: r.try_get("idempotency_key")?,
        tracking_code: r
            .try_get::<Option<String>, _>("tracking_code")?
            .unwrap_or_default(),
        psp_reference: r.try_get("psp_reference")?,
        failure_fa: r.try_get("failure_fa")?,
        failure_en: r.try_get("failure_en")?,
        created_at_us: r.try_get("created_at_us")?,
        confirmed_at_us: r.try_get("confirmed_at_us")?,
    })
}

/// Stores a new pending payment.
pub async fn insert_payment(conn: &mut AnyConnection, p: &Payment) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (payment_id, bill_id, renovation_code, amount_rials, status, provider, \
         psp_token, redirect_url, return_url, idempotency_key, tracking_code, psp_reference, \
         failure_fa, failure_en, created_at_us, confirmed_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, '', '', '', $11, NULL, $11)",
    )
    .bind(&p.payment_id)
    .bind(&p.bill_id)
    .bind(&p.renovation_code)
    .bind(p.amount)
    .bind(p.status)
    .bind(&p.provider)
    .bind(&p.psp_token)
    .bind(&p.redirect_url)
    .bind(&p.return_url)
    .bind(&p.idempotency_key)
    .bind(p.created_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

async fn payment_where(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(payment_from).transpose()
}

/// A payment by id.
pub async fn payment(conn: &mut AnyConnection, id: &str) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "payment_id", id).await
}

/// A payment by the provider's token.
pub async fn payment_by_token(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "psp_token", token).await
}

/// A payment by StartPayment's idempotency key.
pub async fn payment_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "idempotency_key", key).await
}

/// Confirms a pending payment; false if it was not pending.
pub async fn confirm_payment(
    conn: &mut AnyConnection,
    id: &str,
    tracking_code: &str,
    reference: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payments SET status = $1, tracking_code = $2, psp_reference = $3, \
         confirmed_at_us = $4, updated_at_us = $4 WHERE payment_id = $5 AND status = $6",
    )
    .bind(PAY_CONFIRMED)
    .bind(tracking_code)
    .bind(reference)
    .bind(now_us)
    .bind(id)
    .bind(PAY_PENDING)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a pending payment without confirming it (failed, expired, reversed).
pub async fn end_payment(
    conn: &mut AnyConnection,
    id: &str,
    status: i64,
    reference: &str,
    failure: (&str, &str),
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payments SET status = $1, psp_reference = $2, failure_fa = $3, failure_en = $4, \
         updated_at_us = $5 WHERE payment_id = $6 AND status = $7",
    )
    .bind(status)
    .bind(reference)
    .bind(failure.0)
    .bind(failure.1)
    .bind(now_us)
    .bind(id)
    .bind(PAY_PENDING)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending payments started before `before_us`, oldest first.
pub async fn stale_pending(
    conn: &mut AnyConnection,
    before_us: i64,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE status = $1 AND created_at_us <= $2 \
         ORDER BY created_at_us LIMIT $3"
    )))
    .bind(PAY_PENDING)
    .bind(before_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(payment_from).collect()
}

/// Records a callback delivery's idempotency key; false when it was seen before.
pub async fn record_callback(
    conn: &mut AnyConnection,
    provider: &str,
    key: &str,
    payment_id: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO psp_callbacks (provider, idempotency_key, payment_id, received_at_us) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (provider, idempotency_key) DO NOTHING",
    )
    .bind(provider)
    .bind(key)
    .bind(payment_id)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a callback delivery's idempotency key was seen.
pub async fn callback_seen(
    conn: &mut AnyConnection,
    provider: &str,
    key: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM psp_callbacks WHERE provider = $1 AND idempotency_key = $2",
    )
    .bind(provider)
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

// ---- audit ----

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// When.
    pub at_us: i64,
    /// Who ("" for the system or an anonymous provider).
    pub actor_id: String,
    /// What was attempted, e.g. `psp.callback`.
    pub action: String,
    /// What it was about (a payment id, a tariff id, a parcel).
    pub subject: String,
    /// `accepted`, `refused: <reason>`, …
    pub outcome: String,
    /// Details as JSON.
    pub detail: String,
}

/// Appends an audit record.
pub async fn audit(conn: &mut AnyConnection, a: &Audit) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (audit_id, at_us, actor_id, action, subject, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(a.at_us)
    .bind(&a.actor_id)
    .bind(&a.action)
    .bind(&a.subject)
    .bind(&a.outcome)
    .bind(&a.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The audit records about `subject`, oldest first.
pub async fn audit_of(conn: &mut AnyConnection, subject: &str) -> Result<Vec<Audit>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at_us, actor_id, action, subject, outcome, detail FROM audit_log \
         WHERE subject = $1 ORDER BY audit_id",
    )
    .bind(subject)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Audit {
                at_us: r.try_get("at_us")?,
                actor_id: r.try_get("actor_id")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
