//! The parcel registry: the store and the map index kept in step.
//!
//! Every write goes through here. Writes are serialised by one writer lock (per process):
//! the overlap check against the index, the transaction, and the index update happen under
//! it, so two concurrent writes can never both pass the overlap check, and the index is
//! updated before the write returns — a write is visible to the very next pick.
//!
//! Writes made elsewhere (another replica, `estelam seed` or `estelam import` against a
//! running system's store) reach the index through [`Registry::catch_up`], which applies
//! every version with a change sequence above the last one seen; the service runs it
//! periodically. The change sequence comes from a counter row that each writing transaction
//! locks, so sequences commit in order and none is skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use estelam_domain::RenovationCode;
use estelam_parcel_geo::geometry::Shape;
use estelam_parcel_geo::index::{IndexedParcel, ParcelIndex};
use estelam_parcel_geo::outline_bytes;
use estelam_parcel_geo::ownership::Ownership;
use estelam_parcel_geo::parcel::ParcelRecord;
use estelam_runtime::db::Database;
use estelam_runtime::error::ServiceError;
use rstar::AABB;
use sqlx::{Any, AnyConnection, Transaction};
use tokio_util::sync::CancellationToken;

use crate::errors::{self, write_failed};
use crate::store::{
    self, Actor, Change, ChangeKind, NewVersion, OutlineRow, StoredOutline, StoredParcel,
};

/// The time source, in µs since the epoch; tests substitute a clock they control.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The clock the service runs on: the store's own notion of now.
pub fn system_clock() -> Clock {
    Arc::new(estelam_runtime::db::now_micros)
}

/// One day in µs: request numbers are valid for whole days.
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// What a batch insert (import) found wrong with one of its parcels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProblem {
    /// Position in the batch, which the import maps back to the feature's index in the file.
    pub index: usize,
    /// What is wrong, for the person running the import.
    pub message: String,
}

/// The store plus the in-memory map index, kept in step.
pub struct Registry {
    db: Database,
    index: ParcelIndex,
    writer: tokio::sync::Mutex<()>,
    applied_seq: AtomicI64,
    clock: Clock,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("parcels", &self.index.len())
            .finish()
    }
}

/// The shape of a stored outline: decoded from its bytes, or parsed from its text where an
/// older build wrote no bytes. `None` when the bytes cannot be read by this build (a format
/// from a newer one, or a damaged row): the caller then reads the version's text instead.
fn decode_outline(row: &OutlineRow) -> anyhow::Result<Option<Shape>> {
    match &row.outline {
        StoredOutline::Bytes(bytes) => Ok(decode_bytes(&row.renovation_code, row.version, bytes)),
        StoredOutline::Text(text) => Shape::parse_trusted(text).map(Some).map_err(|e| {
            anyhow::anyhow!(
                "stored outline of {} version {}: {e}",
                row.renovation_code,
                row.version
            )
        }),
    }
}

/// The shape these bytes hold, or `None` (logged) where this build cannot read them.
fn decode_bytes(code: &str, version: i64, bytes: &[u8]) -> Option<Shape> {
    match outline_bytes::decode(bytes) {
        Ok(shape) => Some(shape),
        Err(err) => {
            tracing::warn!(
                parcel = %code,
                version,
                error = %err,
                "outline bytes unreadable; the map index uses the outline's GeoJSON text"
            );
            None
        }
    }
}

/// The shape of one version read from its GeoJSON text (see [`decode_outline`]).
async fn text_shape<'e, E>(conn: E, code: &str, version: i64) -> anyhow::Result<Shape>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let text = store::outline_text(conn, code, version)
        .await?
        .unwrap_or_default();
    Shape::parse_trusted(&text)
        .map_err(|e| anyhow::anyhow!("stored outline of {code} version {version}: {e}"))
}

/// The bytes stored beside an outline's text; only a coordinate outside WGS84, which no
/// validated outline has, makes it fail.
fn encode_outline(shape: &Shape) -> Result<Vec<u8>, ServiceError> {
    outline_bytes::encode(shape).map_err(ServiceError::internal)
}

/// Versions read per query while catching up with other writers.
const CATCH_UP_PAGE: i64 = 10_000;
/// The counter that orders parcel changes (see the module docs).
const PARCEL_CHANGE: &str = "parcel_change";

impl Registry {
    /// Opens the registry over `db`, loading every current outline into the index.
    pub async fn open(db: Database, clock: Clock) -> anyhow::Result<Self> {
        let applied = store::counter(&db, PARCEL_CHANGE).await?;
        let mut entries = Vec::new();
        // Rows whose bytes this build cannot read: their text is read after the scan.
        let mut unreadable = Vec::new();
        store::each_current_outline(&db, |row| {
            let code = RenovationCode::parse(&row.renovation_code)?;
            let shape = row
                .bytes
                .as_deref()
                .and_then(|b| decode_bytes(&row.renovation_code, row.version, b));
            match shape {
                Some(shape) => entries.push(IndexedParcel::new(code, shape)),
                None => unreadable.push((code, row)),
            }
            Ok(())
        })
        .await?;
        for (code, row) in unreadable {
            let shape = text_shape(db.pool(), &row.renovation_code, row.version).await?;
            entries.push(IndexedParcel::new(code, shape));
        }
        tracing::info!(parcels = entries.len(), "map index loaded");
        Ok(Self {
            db,
            index: ParcelIndex::build(entries),
            writer: tokio::sync::Mutex::new(()),
            applied_seq: AtomicI64::new(applied),
            clock,
        })
    }

    /// The store, for reads that need no index (and for the launcher's data commands).
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The map index: picks and boxes are answered from it without SQL.
    pub fn index(&self) -> &ParcelIndex {
        &self.index
    }

    /// The current time per the registry's clock.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    fn note_applied(&self, seq: i64) {
        self.applied_seq.fetch_max(seq, Ordering::SeqCst);
    }

    /// Applies other processes' writes to the index every `every` until `shutdown`, so a
    /// parcel another replica (or `estelam import`) wrote is pickable here within a period.
    pub fn keep_in_step(self: Arc<Self>, every: Duration, shutdown: CancellationToken) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                match self.catch_up().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        versions = n,
                        "map index caught up with writes from elsewhere"
                    ),
                    Err(err) => tracing::warn!(error = %err, "could not refresh the map index"),
                }
            }
        });
    }

    /// Applies to the index every version written by others since the last call; returns
    /// how many were applied.
    pub async fn catch_up(&self) -> Result<usize, ServiceError> {
        let _guard = self.writer.lock().await;
        self.catch_up_locked().await
    }

    /// [`Registry::catch_up`] with the writer lock already held. Re-applying a version this
    /// process wrote itself is harmless ([`ParcelIndex::put`] is idempotent), so writes never
    /// advance the applied sequence themselves: a version another process committed with a
    /// lower sequence can never be skipped.
    async fn catch_up_locked(&self) -> Result<usize, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        self.catch_up_on(&mut conn).await
    }

    /// Applies every version with a sequence above the applied one, read through `conn`.
    /// A writer calls it inside its transaction after claiming the change counter
    /// ([`Registry::claim_changes`]), so it sees every version any replica committed before.
    async fn catch_up_on(&self, conn: &mut AnyConnection) -> Result<usize, ServiceError> {
        let mut applied = 0;
        loop {
            let from = self.applied_seq.load(Ordering::SeqCst);
            let rows = store::outlines_changed_since(&mut *conn, from, CATCH_UP_PAGE).await?;
            if rows.is_empty() {
                return Ok(applied);
            }
            for row in &rows {
                let previous = if row.version > 1 {
                    store::version_bbox(&mut *conn, &row.renovation_code, row.version - 1).await?
                } else {
                    None
                };
                let parsed = RenovationCode::parse(&row.renovation_code)
                    .map_err(|e| ServiceError::internal(anyhow::anyhow!("{e}")))?;
                let shape = match decode_outline(row).map_err(ServiceError::internal)? {
                    Some(shape) => shape,
                    None => text_shape(&mut *conn, &row.renovation_code, row.version)
                        .await
                        .map_err(ServiceError::internal)?,
                };
                self.index.put(IndexedParcel::new(parsed, shape), previous);
                self.note_applied(row.seq);
                applied += 1;
            }
        }
    }

    /// Claims the next `n` change sequences in `tx` (returns the last) and brings the index
    /// up to every version committed before them. The counter row stays locked until `tx`
    /// ends, so writers take turns here across every replica, not only within this process:
    /// the overlap check that follows sees every parcel another replica wrote, and two
    /// overlapping outlines written through two replicas can never both be stored.
    async fn claim_changes(
        &self,
        tx: &mut Transaction<'static, Any>,
        n: i64,
    ) -> Result<i64, ServiceError> {
        let last = store::next_values(tx, PARCEL_CHANGE, n).await?;
        self.catch_up_on(tx).await?;
        Ok(last)
    }

    /// Creates a parcel (`expected_version` 0) or replaces its current version, keeping the
    /// old one; checks the outline against every other parcel first.
    pub async fn upsert(
        &self,
        record: ParcelRecord,
        shape: Shape,
        expected_version: i64,
        reason: &str,
        actor: &Actor,
        client_request_id: Option<&str>,
    ) -> Result<StoredParcel, ServiceError> {
        let _guard = self.writer.lock().await;
        if let Some(replayed) = self.replay(actor, client_request_id).await? {
            return Ok(replayed);
        }
        let mut tx = self.db.begin().await?;
        // The change sequence first: parcels written elsewhere are then in the index, so
        // the overlap check sees them, and no other replica's write can slip in before ours.
        let seq = self.claim_changes(&mut tx, 1).await?;
        let code = record.code;
        let overlaps = self.index.overlapping(&shape, Some(&code));
        if !overlaps.is_empty() {
            return Err(errors::parcel_overlaps(&overlaps));
        }
        let now = self.now();
        let current = store::current_in(&mut tx, &code).await?;
        let (version, kind, previous) = match (expected_version, &current) {
            (0, None) => (1, ChangeKind::Created, None),
            (0, Some(_)) => return Err(errors::parcel_exists()),
            (_, None) => return Err(errors::parcel_not_found()),
            (v, Some(c)) if c.version != v => return Err(ServiceError::conflict()),
            (v, Some(c)) => {
                if !store::close_version(&mut tx, &code, v, now).await? {
                    return Err(ServiceError::conflict());
                }
                let b = c.record.bbox;
                (
                    v + 1,
                    ChangeKind::Updated,
                    Some(AABB::from_corners([b[0], b[1]], [b[2], b[3]])),
                )
            }
        };
        let change = Change {
            kind,
            reason: reason.to_owned(),
            actor: actor.clone(),
            client_request_id: client_request_id.map(str::to_owned),
            at: now,
        };
        store::insert_versions(
            &mut tx,
            &[NewVersion {
                record: &record,
                version,
                seq,
                change: &change,
                outline: encode_outline(&shape)?,
            }],
        )
        .await
        .map_err(write_failed)?;
        tx.commit().await.map_err(write_failed)?;
        self.index.put(IndexedParcel::new(code, shape), previous);
        Ok(StoredParcel {
            record,
            version,
            seq,
            change,
            valid_to: None,
        })
    }

    /// Replaces only the ownership of a parcel as a new version.
    pub async fn update_ownership(
        &self,
        code: &RenovationCode,
        ownership: Ownership,
        expected_version: i64,
        reason: &str,
        actor: &Actor,
        client_request_id: Option<&str>,
    ) -> Result<StoredParcel, ServiceError> {
        let _guard = self.writer.lock().await;
        if let Some(replayed) = self.replay(actor, client_request_id).await? {
            return Ok(replayed);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // The counter before the parcel's row, in the order every writer locks them, so two
        // replicas' writes wait for each other rather than deadlock.
        let seq = store::next_values(&mut tx, PARCEL_CHANGE, 1).await?;
        let current = store::current_in(&mut tx, code)
            .await?
            .ok_or_else(errors::parcel_not_found)?;
        if current.version != expected_version
            || !store::close_version(&mut tx, code, expected_version, now).await?
        {
            return Err(ServiceError::conflict());
        }
        let mut record = current.record;
        record.ownership = ownership;
        let change = Change {
            kind: ChangeKind::OwnershipChanged,
            reason: reason.to_owned(),
            actor: actor.clone(),
            client_request_id: client_request_id.map(str::to_owned),
            at: now,
        };
        let version = expected_version + 1;
        // The outline is the current version's; its bytes are written again with it.
        let shape =
            Shape::parse_trusted(&record.geometry_geojson).map_err(ServiceError::internal)?;
        store::insert_versions(
            &mut tx,
            &[NewVersion {
                record: &record,
                version,
                seq,
                change: &change,
                outline: encode_outline(&shape)?,
            }],
        )
        .await
        .map_err(write_failed)?;
        tx.commit().await.map_err(write_failed)?;
        // The outline did not change; the index needs nothing.
        Ok(StoredParcel {
            record,
            version,
            seq,
            change,
            valid_to: None,
        })
    }

    async fn replay(
        &self,
        actor: &Actor,
        client_request_id: Option<&str>,
    ) -> Result<Option<StoredParcel>, ServiceError> {
        let Some(id) = client_request_id else {
            return Ok(None);
        };
        let Some((code, version)) =
            store::version_by_request_id(&self.db, &actor.account_id, id).await?
        else {
            return Ok(None);
        };
        Ok(store::version(&self.db, &code, version).await?)
    }

    /// Creates many new parcels in one transaction (an import): each must have a new code and
    /// overlap no registered parcel. Either all are stored or none, with every problem
    /// reported by position. The caller has already checked them against each other.
    pub async fn insert_new(
        &self,
        items: Vec<(ParcelRecord, Shape)>,
        change: &Change,
    ) -> Result<Result<usize, Vec<BatchProblem>>, ServiceError> {
        let _guard = self.writer.lock().await;
        let n = items.len();
        let mut tx = self.db.begin().await?;
        // As in `upsert`: the sequences first, so the checks below see every replica's writes.
        let last = self.claim_changes(&mut tx, n as i64).await?;
        let codes: Vec<String> = items.iter().map(|(r, _)| r.code.to_string()).collect();
        let existing: std::collections::HashSet<String> = store::existing_codes(&self.db, &codes)
            .await?
            .into_iter()
            .collect();
        let mut problems = Vec::new();
        for (i, (record, shape)) in items.iter().enumerate() {
            if existing.contains(&codes[i]) {
                problems.push(BatchProblem {
                    index: i,
                    message: format!("renovation code {} is already registered", record.code),
                });
            }
            let overlaps = self.index.overlapping(shape, None);
            if !overlaps.is_empty() {
                let list = errors::first_codes(&overlaps);
                problems.push(BatchProblem {
                    index: i,
                    message: format!("outline overlaps registered parcels {list}"),
                });
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let first = last - n as i64 + 1;
        let rows = items
            .iter()
            .enumerate()
            .map(|(i, (record, shape))| {
                Ok(NewVersion {
                    record,
                    version: 1,
                    seq: first + i as i64,
                    change,
                    outline: encode_outline(shape)?,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        store::insert_versions(&mut tx, &rows)
            .await
            .map_err(write_failed)?;
        store::audit(
            &mut tx,
            change.at,
            &change.actor,
            "parcels.imported",
            "",
            &serde_json::json!({ "count": n, "reason": change.reason }),
        )
        .await?;
        tx.commit().await?;
        self.index.extend(
            items
                .into_iter()
                .map(|(r, s)| IndexedParcel::new(r.code, s))
                .collect(),
        );
        Ok(Ok(n))
    }
}
