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

use estelam_domain::{CheckCode, CodeKind, RenovationCode};
use estelam_runtime::db::Database;
use estelam_runtime::error::{ErrorCode, FieldViolation, ServiceError};
use rstar::AABB;
use sqlx::Row;

use crate::geometry::Shape;
use crate::index::{IndexedParcel, ParcelIndex};
use crate::ownership::{FieldProblem, Ownership};
use crate::parcel::ParcelRecord;
use crate::request_number::{self, Verdict};
use crate::store::{
    self, Actor, Change, ChangeKind, NewVersion, StoredParcel, StoredRequestNumber,
};

/// The time source, in µs since the epoch; tests substitute a clock they control.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(estelam_runtime::db::now_micros)
}

/// One day in µs.
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// Turns validation problems into one `InvalidArgument` naming every field.
pub fn invalid(problems: Vec<FieldProblem>) -> ServiceError {
    let first = problems.first().cloned().unwrap_or(FieldProblem {
        field: String::new(),
        reason: "INVALID_ARGUMENT",
        fa: "ورودی نادرست است.".into(),
        en: "The input is not valid.".into(),
    });
    let mut err = ServiceError::new(
        ErrorCode::InvalidArgument,
        first.reason,
        first.fa.clone(),
        first.en.clone(),
    );
    for p in problems {
        err = err.with_field(FieldViolation {
            field: p.field,
            reason: p.reason.to_owned(),
            message_fa: p.fa,
            message_en: p.en,
        });
    }
    err
}

/// A failed write: a unique-key violation means another process wrote the same version (or
/// used the same idempotency key) first — a conflict the caller resolves by reloading.
fn write_failed(err: sqlx::Error) -> ServiceError {
    if estelam_runtime::db::is_unique_violation(&err) {
        ServiceError::conflict().with_cause(err)
    } else {
        err.into()
    }
}

fn parcel_not_found() -> ServiceError {
    ServiceError::not_found("ملک با این کد نوسازی", "A parcel with this renovation code")
}

fn overlap_error(codes: &[RenovationCode]) -> ServiceError {
    let list = codes
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        "PARCEL_OVERLAPS",
        format!("مرز این قطعه با قطعه‌های ثبت‌شده هم‌پوشانی دارد: {list}. مرز را اصلاح کنید."),
        format!("The outline overlaps registered parcels: {list}. Correct the outline."),
    )
}

/// What a batch insert (import) found wrong with one of its parcels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProblem {
    /// Position in the batch.
    pub index: usize,
    /// What is wrong.
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

/// Current outlines read per query while loading the index.
const LOAD_PAGE: i64 = 50_000;

impl Registry {
    /// Opens the registry over `db`, loading every current outline into the index.
    pub async fn open(db: Database, clock: Clock) -> anyhow::Result<Self> {
        let applied: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'parcel_change'")
                .fetch_one(db.pool())
                .await?;
        let mut entries = Vec::new();
        let mut after = String::new();
        loop {
            let page = store::current_outlines(&db, &after, LOAD_PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = last.clone();
            for (code, text) in &page {
                let code = RenovationCode::parse(code)?;
                let shape = Shape::parse_trusted(text)
                    .map_err(|e| anyhow::anyhow!("stored outline of {code}: {e}"))?;
                entries.push(IndexedParcel::new(code, shape));
            }
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

    /// The store.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The map index.
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
        let mut applied = 0;
        loop {
            let from = self.applied_seq.load(Ordering::SeqCst);
            let rows = sqlx::query(
                "SELECT renovation_code, version, seq, geometry_geojson FROM parcel_versions WHERE seq > $1 ORDER BY seq LIMIT 10000",
            )
            .bind(from)
            .fetch_all(self.db.pool())
            .await?;
            if rows.is_empty() {
                return Ok(applied);
            }
            for row in &rows {
                let code: String = row.try_get("renovation_code")?;
                let version: i64 = row.try_get("version")?;
                let text: String = row.try_get("geometry_geojson")?;
                let previous = if version > 1 {
                    let prev = sqlx::query(
                        "SELECT min_lon, min_lat, max_lon, max_lat FROM parcel_versions WHERE renovation_code = $1 AND version = $2",
                    )
                    .bind(&code)
                    .bind(version - 1)
                    .fetch_optional(self.db.pool())
                    .await?;
                    prev.map(|r| -> Result<AABB<[f64; 2]>, sqlx::Error> {
                        Ok(AABB::from_corners(
                            [r.try_get("min_lon")?, r.try_get("min_lat")?],
                            [r.try_get("max_lon")?, r.try_get("max_lat")?],
                        ))
                    })
                    .transpose()?
                } else {
                    None
                };
                let parsed = RenovationCode::parse(&code)
                    .map_err(|e| ServiceError::internal(anyhow::anyhow!("{e}")))?;
                let shape = Shape::parse_trusted(&text).map_err(ServiceError::internal)?;
                self.index.put(IndexedParcel::new(parsed, shape), previous);
                self.note_applied(row.try_get("seq")?);
                applied += 1;
            }
        }
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
        // Parcels written elsewhere first, so the overlap check sees them.
        self.catch_up_locked().await?;
        let code = record.code;
        let overlaps = self.index.overlapping(&shape, Some(&code));
        if !overlaps.is_empty() {
            return Err(overlap_error(&overlaps));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let current = store::current_in(&mut tx, &code).await?;
        let (version, kind, previous) = match (expected_version, &current) {
            (0, None) => (1, ChangeKind::Created, None),
            (0, Some(_)) => {
                return Err(ServiceError::new(
                    ErrorCode::AlreadyExists,
                    "PARCEL_EXISTS",
                    "ملکی با این کد نوسازی ثبت شده است؛ برای تغییر آن نسخهٔ فعلی را بفرستید.",
                    "A parcel with this renovation code exists; send its current version to change it.",
                ));
            }
            (_, None) => return Err(parcel_not_found()),
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
        let seq = store::next_values(&mut tx, "parcel_change", 1).await?;
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
        let current = store::current_in(&mut tx, code)
            .await?
            .ok_or_else(parcel_not_found)?;
        if current.version != expected_version
            || !store::close_version(&mut tx, code, expected_version, now).await?
        {
            return Err(ServiceError::conflict());
        }
        let seq = store::next_values(&mut tx, "parcel_change", 1).await?;
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
        store::insert_versions(
            &mut tx,
            &[NewVersion {
                record: &record,
                version,
                seq,
                change: &change,
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
        self.catch_up_locked().await?;
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
                let list = overlaps
                    .iter()
                    .take(5)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(BatchProblem {
                    index: i,
                    message: format!("outline overlaps registered parcels {list}"),
                });
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let n = items.len();
        let mut tx = self.db.begin().await?;
        let last = store::next_values(&mut tx, "parcel_change", n as i64).await?;
        let first = last - n as i64 + 1;
        let rows: Vec<NewVersion<'_>> = items
            .iter()
            .enumerate()
            .map(|(i, (record, _))| NewVersion {
                record,
                version: 1,
                seq: first + i as i64,
                change,
            })
            .collect();
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

    /// Issues a request number for a parcel, valid for `validity_days`.
    pub async fn issue_request_number(
        &self,
        code: &RenovationCode,
        validity_days: u32,
        note: &str,
        actor: &Actor,
        client_request_id: Option<&str>,
    ) -> Result<StoredRequestNumber, ServiceError> {
        if let Some(id) = client_request_id
            && let Some(earlier) =
                store::request_number_by_request_id(&self.db, &actor.account_id, id).await?
        {
            return Ok(earlier);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if store::current_in(&mut tx, code).await?.is_none() {
            return Err(parcel_not_found());
        }
        let seq = store::next_values(&mut tx, "request_number", 1).await?;
        let number =
            CheckCode::from_sequence(CodeKind::Request, u64::try_from(seq).unwrap_or(u64::MAX))
                .map_err(|e| ServiceError::internal(anyhow::anyhow!("{e}")))?;
        let issued = StoredRequestNumber {
            number: number.as_str().to_owned(),
            seq,
            renovation_code: code.to_string(),
            issued_at: now,
            expires_at: now + i64::from(validity_days) * DAY_MICROS,
            issued_by: actor.clone(),
            note: note.to_owned(),
            client_request_id: client_request_id.map(str::to_owned),
            used_by_inquiry_id: None,
            used_at: None,
        };
        if let Err(err) =
            store::insert_request_numbers(&mut tx, std::slice::from_ref(&issued)).await
        {
            // A concurrent retry with the same idempotency key won the race: return its number.
            if estelam_runtime::db::is_unique_violation(&err)
                && let Some(id) = client_request_id
            {
                drop(tx);
                if let Some(earlier) =
                    store::request_number_by_request_id(&self.db, &actor.account_id, id).await?
                {
                    return Ok(earlier);
                }
            }
            return Err(err.into());
        }
        store::audit(
            &mut tx,
            now,
            actor,
            "request_number.issued",
            &issued.number,
            &serde_json::json!({ "renovation_code": issued.renovation_code, "expires_at": issued.expires_at }),
        )
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// What a request number means for a parcel, now.
    pub async fn verify_request_number(
        &self,
        code: &RenovationCode,
        number: &CheckCode,
    ) -> Result<(Verdict, Option<StoredRequestNumber>), ServiceError> {
        let issued = store::request_number(&self.db, number.as_str()).await?;
        Ok((
            request_number::verify(issued.as_ref(), code, self.now()),
            issued,
        ))
    }

    /// Marks a request number used by an inquiry; repeating it for the same inquiry is a
    /// no-op that returns the same record.
    pub async fn mark_request_number_used(
        &self,
        code: &RenovationCode,
        number: &CheckCode,
        inquiry_id: &str,
        actor: &Actor,
    ) -> Result<StoredRequestNumber, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let issued = store::request_number_in(&mut tx, number.as_str()).await?;
        if let Some(n) = &issued
            && n.renovation_code == code.to_string()
            && n.used_by_inquiry_id.as_deref() == Some(inquiry_id)
        {
            return Ok(n.clone());
        }
        let verdict = request_number::verify(issued.as_ref(), code, now);
        let issued = match (verdict, issued) {
            (Verdict::Valid, Some(n)) => n,
            (Verdict::Unknown, _) | (_, None) => {
                return Err(ServiceError::not_found(
                    "این شمارهٔ درخواست",
                    "This request number",
                ));
            }
            (v, Some(_)) => {
                let (fa, en) = v.message();
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    v.reason(),
                    fa,
                    en,
                ));
            }
        };
        if !store::mark_used(&mut tx, number.as_str(), inquiry_id, now).await? {
            let (fa, en) = Verdict::Used.message();
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                Verdict::Used.reason(),
                fa,
                en,
            ));
        }
        store::audit(
            &mut tx,
            now,
            actor,
            "request_number.used",
            number.as_str(),
            &serde_json::json!({ "renovation_code": issued.renovation_code, "inquiry_id": inquiry_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredRequestNumber {
            used_by_inquiry_id: Some(inquiry_id.to_owned()),
            used_at: Some(now),
            ..issued
        })
    }
}
