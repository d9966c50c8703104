//! Owner notices: whether an owner was told of a representation, one row per inquiry and
//! stage.

use sqlx::{AnyConnection, Row};

use super::Result;

/// One notice, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerNoticeRow {
    /// The inquiry filed in the owner's name.
    pub inquiry_id: String,
    /// `filed`, `approved` or `refused`.
    pub stage: String,
    /// Its inquiry number, as the SMS quoted it.
    pub inquiry_number: String,
    /// The owner, canonical national code.
    pub owner_national_code: String,
    /// The owner's account; empty when they have none.
    pub account_id: String,
    /// The mobile the SMS went to; empty when none was sent.
    pub mobile: String,
    /// `sent`, `no_account` or `mobile_unverified`.
    pub outcome: String,
    /// The event that asked for it.
    pub event_id: String,
    /// When, µs.
    pub created_at_us: i64,
}

/// Records a notice; false when this inquiry's stage was already recorded (a second event
/// for the same moment tells no one twice).
pub async fn insert_owner_notice(conn: &mut AnyConnection, n: &OwnerNoticeRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO owner_notices (inquiry_id, stage, inquiry_number, owner_national_code, \
         account_id, mobile, outcome, event_id, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (inquiry_id, stage) DO NOTHING",
    )
    .bind(&n.inquiry_id)
    .bind(&n.stage)
    .bind(&n.inquiry_number)
    .bind(&n.owner_national_code)
    .bind(&n.account_id)
    .bind(&n.mobile)
    .bind(&n.outcome)
    .bind(&n.event_id)
    .bind(n.created_at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The notices of one inquiry, oldest first.
pub async fn owner_notices_of(
    conn: &mut AnyConnection,
    inquiry_id: &str,
) -> Result<Vec<OwnerNoticeRow>> {
    let rows = sqlx::query(
        "SELECT inquiry_id, stage, inquiry_number, owner_national_code, account_id, mobile, \
         outcome, event_id, created_at_us FROM owner_notices WHERE inquiry_id = $1 \
         ORDER BY created_at_us",
    )
    .bind(inquiry_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OwnerNoticeRow {
                inquiry_id: r.try_get("inquiry_id")?,
                stage: r.try_get("stage")?,
                inquiry_number: r.try_get("inquiry_number")?,
                owner_national_code: r.try_get("owner_national_code")?,
                account_id: r.try_get("account_id")?,
                mobile: r.try_get("mobile")?,
                outcome: r.try_get("outcome")?,
                event_id: r.try_get("event_id")?,
                created_at_us: r.try_get("created_at_us")?,
            })
        })
        .collect()
}
