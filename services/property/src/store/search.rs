//! The one scan the parcel search needs: current addresses, a page at a time, kept by a
//! matcher in Rust. Persian addresses are compared folded (letter variants, joiners), which
//! `LIKE` cannot do the same way on SQLite and PostgreSQL; a city's addresses are few enough
//! (100k rows of short text) to read in pages.

use estelam_runtime::db::Database;
use sqlx::Row as _;

use super::StoreResult;

/// Rows read per page of the scan.
const PAGE: i64 = 5000;

/// Codes of current parcels, in code order, whose address `matches`, at most `limit`.
pub async fn codes_by_address(
    db: &Database,
    matches: impl Fn(&str) -> bool,
    limit: usize,
) -> StoreResult<Vec<String>> {
    let mut found = Vec::new();
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT renovation_code, address FROM parcel_versions WHERE valid_to IS NULL \
             AND renovation_code > $1 ORDER BY renovation_code LIMIT $2",
        )
        .bind(after.clone())
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        for row in &rows {
            let code: String = row.try_get("renovation_code")?;
            let address: String = row.try_get("address")?;
            if matches(&address) {
                found.push(code.clone());
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            after = code;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(found);
        }
    }
}
