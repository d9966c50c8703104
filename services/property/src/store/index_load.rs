//! The one bulk read of the service: every current outline, when the map index is built at
//! start (a million rows for a city).
//!
//! Every other read goes through sqlx's `Any` driver; this one does not on SQLite. `Any`
//! turns each row the SQLite driver produced into a second row of its own (every value
//! copied again, a column description per value, values found by column name) before the
//! store sees it: a per-row cost paid a million times at start, where the `sqlite3` shell
//! scans the same rows in about a second. Here the scan runs on a read-only connection of
//! its own through the SQLite driver directly, the values decoded straight into the row
//! the index needs. PostgreSQL keeps the `Any` path. BENCHMARKS.md (Property / GIS) has
//! how each part of a start is timed.

use futures::TryStreamExt as _;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Row as _};

use estelam_runtime::db::{Backend, Database};

/// The columns the index needs, and nothing else: the GeoJSON text is read afterwards for
/// the few rows whose bytes are missing (written by an older build) or unreadable, so the
/// scan moves no JSON, and on SQLite it is answered from the covering index of current
/// outlines without touching the table's wide rows.
const SELECT_CURRENT: &str = "SELECT renovation_code, version, outline_bin \
     FROM parcel_versions WHERE valid_to IS NULL";

/// A current version's outline as the index loads it.
#[derive(Debug, Clone)]
pub struct CurrentOutline {
    /// The parcel's renovation code, canonical.
    pub renovation_code: String,
    /// The current version (to read its text when the bytes cannot be used).
    pub version: i64,
    /// [`estelam_parcel_geo::outline_bytes`]; `None` for a row an older build wrote.
    pub bytes: Option<Vec<u8>>,
}

/// Hands every current outline to `each`, in storage order (a scan, not a lookup per row).
pub async fn each_current_outline(
    db: &Database,
    mut each: impl FnMut(CurrentOutline) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // The pool's own file, opened once more for this scan only; an in-memory store (one
    // per connection) can only be read through the pool.
    let url = db.pool().connect_options().database_url.clone();
    let in_memory = url.as_str().contains(":memory:") || url.as_str().contains("mode=memory");
    if db.backend() == Backend::Sqlite && !in_memory {
        let mut conn = SqliteConnectOptions::from_url(&url)?
            .read_only(true)
            .connect()
            .await?;
        {
            let mut rows = sqlx::query_as::<_, (String, i64, Option<Vec<u8>>)>(SELECT_CURRENT)
                .fetch(&mut conn);
            while let Some((renovation_code, version, bytes)) = rows.try_next().await? {
                each(CurrentOutline {
                    renovation_code,
                    version,
                    bytes,
                })?;
            }
        }
        sqlx::Connection::close(conn).await?;
    } else {
        let mut rows = sqlx::query(SELECT_CURRENT).fetch(db.pool());
        while let Some(row) = rows.try_next().await? {
            each(CurrentOutline {
                renovation_code: row.try_get("renovation_code")?,
                version: row.try_get("version")?,
                bytes: row.try_get("outline_bin")?,
            })?;
        }
    }
    Ok(())
}
