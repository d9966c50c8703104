//! Parcel versions and their owners: a parcel is never updated in place; each change closes
//! the current version (`valid_to`) and inserts the next, so the history is the table.

use estelam_domain::RenovationCode;
use rstar::AABB;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use estelam_parcel_geo::dang::Dang;
use estelam_parcel_geo::ownership::{Owner, OwnerKind, Ownership, OwnershipType};
use estelam_parcel_geo::parcel::{LandUse, ParcelRecord, RegistryPlate};
use estelam_runtime::db::Database;

use super::{Actor, ROWS_PER_INSERT, StoreResult, in_list, is_sqlite, placeholders};

/// What produced a version (mirrors `ParcelChangeKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new parcel.
    Created,
    /// Facts or outline replaced.
    Updated,
    /// Only the owners changed.
    OwnershipChanged,
}

impl ChangeKind {
    /// The `ParcelChangeKind` number, which is also what the store keeps.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Created => 1,
            Self::Updated => 2,
            Self::OwnershipChanged => 3,
        }
    }
    fn from_i64(v: i64) -> Self {
        match v {
            2 => Self::Updated,
            3 => Self::OwnershipChanged,
            _ => Self::Created,
        }
    }
}

/// Who, when, why and what kind of change produced a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change did to the parcel.
    pub kind: ChangeKind,
    /// Why, as the clerk gave it: the history shows it to the next clerk.
    pub reason: String,
    /// Who made it, for the history and the audit.
    pub actor: Actor,
    /// The caller's idempotency key, if any: a retry with it returns this version.
    pub client_request_id: Option<String>,
    /// When (µs since the epoch): the version's valid_from.
    pub at: i64,
}

/// One stored version of a parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredParcel {
    /// The parcel's facts and owners as of this version.
    pub record: ParcelRecord,
    /// 1 for a new parcel, one more per change; writers send it back as `expected_version`.
    pub version: i64,
    /// Its place in the order of all parcel changes, which the map index catches up by.
    pub seq: i64,
    /// Who changed what, when and why.
    pub change: Change,
    /// When it was replaced; `None` while current.
    pub valid_to: Option<i64>,
}

const VERSION_COLS: &str = "renovation_code, version, seq, zone, district, plate_main, plate_sub, plate_section, \
    address, postal_code, land_use, land_area_dm2, built_area_dm2, floors, land_value_rials_per_m2, \
    building_value_rials_per_m2, geometry_geojson, min_lon, min_lat, max_lon, max_lat, label_lon, label_lat, \
    ownership_type, deed_number, change_kind, reason, actor_account_id, actor_display_name, client_request_id, \
    valid_from, valid_to";
const OWNER_COLS: &str = "renovation_code, version, ordinal, kind, national_code, full_name, share_numerator, share_denominator, deed_number";
const OWNER_COL_COUNT: usize = 9;

/// A new version to insert.
pub struct NewVersion<'a> {
    /// The parcel's facts and owners.
    pub record: &'a ParcelRecord,
    /// The version number it gets (one more than the version it closes).
    pub version: i64,
    /// Its place in the order of all parcel changes, drawn from the `parcel_change` counter.
    pub seq: i64,
    /// Who changed what, when and why.
    pub change: &'a Change,
    /// The outline as compact bytes ([`estelam_parcel_geo::outline_bytes::encode`] of the
    /// shape whose text is `record.geometry_geojson`): what the map index loads at start.
    pub outline: Vec<u8>,
}

/// The columns written per version: the read columns plus the outline's bytes, which only
/// the index loader and the catch-up read.
const INSERT_COLS: &str = "renovation_code, version, seq, zone, district, plate_main, plate_sub, plate_section, \
    address, postal_code, land_use, land_area_dm2, built_area_dm2, floors, land_value_rials_per_m2, \
    building_value_rials_per_m2, geometry_geojson, min_lon, min_lat, max_lon, max_lat, label_lon, label_lat, \
    ownership_type, deed_number, change_kind, reason, actor_account_id, actor_display_name, client_request_id, \
    valid_from, valid_to, outline_bin";
const INSERT_COL_COUNT: usize = 33;

/// Inserts versions and their owners, many rows per statement.
pub async fn insert_versions(
    tx: &mut Transaction<'static, Any>,
    rows: &[NewVersion<'_>],
) -> StoreResult<()> {
    let sqlite = is_sqlite(tx);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO parcel_versions ({INSERT_COLS}) VALUES {}",
            placeholders(sqlite, chunk.len(), INSERT_COL_COUNT)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in chunk {
            let r = v.record;
            q = q
                .bind(r.code.to_string())
                .bind(v.version)
                .bind(v.seq)
                .bind(r.code.zone() as i32)
                .bind(r.code.district() as i32)
                .bind(r.plate.main.clone())
                .bind(r.plate.sub.clone())
                .bind(r.plate.section.clone())
                .bind(r.address.clone())
                .bind(r.postal_code.clone())
                .bind(r.land_use.to_i32())
                .bind(r.land_area_dm2)
                .bind(r.built_area_dm2)
                .bind(r.floors)
                .bind(r.land_value_rials_per_m2)
                .bind(r.building_value_rials_per_m2)
                .bind(r.geometry_geojson.clone())
                .bind(r.bbox[0])
                .bind(r.bbox[1])
                .bind(r.bbox[2])
                .bind(r.bbox[3])
                .bind(r.label[0])
                .bind(r.label[1])
                .bind(r.ownership.kind.map_or(0, OwnershipType::to_i32))
                .bind(r.ownership.deed_number.clone())
                .bind(v.change.kind.to_i32())
                .bind(v.change.reason.clone())
                .bind(v.change.actor.account_id.clone())
                .bind(v.change.actor.display_name.clone())
                .bind(v.change.client_request_id.clone())
                .bind(v.change.at)
                .bind(None::<i64>)
                .bind(v.outline.clone());
        }
        q.execute(&mut **tx).await?;
    }
    let owners: Vec<(&NewVersion<'_>, usize, &Owner)> = rows
        .iter()
        .flat_map(|v| {
            v.record
                .ownership
                .owners
                .iter()
                .enumerate()
                .map(move |(i, o)| (v, i, o))
        })
        .collect();
    for chunk in owners.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO parcel_owners ({OWNER_COLS}) VALUES {}",
            placeholders(sqlite, chunk.len(), OWNER_COL_COUNT)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (v, i, o) in chunk {
            q = q
                .bind(v.record.code.to_string())
                .bind(v.version)
                .bind(*i as i32)
                .bind(o.kind.to_i32())
                .bind(o.national_code.clone())
                .bind(o.full_name.clone())
                .bind(o.share.numerator())
                .bind(o.share.denominator())
                .bind(o.deed_number.clone());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Ends the current version `expected` of a parcel at `at`; false when it is not current
/// (someone else changed the parcel first, or it does not exist).
pub async fn close_version(
    tx: &mut Transaction<'static, Any>,
    code: &RenovationCode,
    expected: i64,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE parcel_versions SET valid_to = $3 WHERE renovation_code = $1 AND version = $2 AND valid_to IS NULL",
    )
    .bind(code.to_string())
    .bind(expected)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn decode_version(row: &AnyRow) -> StoreResult<StoredParcel> {
    let code: String = row.try_get("renovation_code")?;
    let code = RenovationCode::parse(&code).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let land_use: i64 = row.try_get("land_use")?;
    let ownership_type: i64 = row.try_get("ownership_type")?;
    let record = ParcelRecord {
        code,
        plate: RegistryPlate {
            main: row.try_get("plate_main")?,
            sub: row.try_get("plate_sub")?,
            section: row.try_get("plate_section")?,
        },
        address: row.try_get("address")?,
        postal_code: row.try_get("postal_code")?,
        land_use: LandUse::from_i32(land_use as i32).unwrap_or(LandUse::Residential),
        land_area_dm2: row.try_get("land_area_dm2")?,
        built_area_dm2: row.try_get("built_area_dm2")?,
        floors: row.try_get::<i64, _>("floors")? as i32,
        land_value_rials_per_m2: row.try_get("land_value_rials_per_m2")?,
        building_value_rials_per_m2: row.try_get("building_value_rials_per_m2")?,
        geometry_geojson: row.try_get("geometry_geojson")?,
        bbox: [
            row.try_get("min_lon")?,
            row.try_get("min_lat")?,
            row.try_get("max_lon")?,
            row.try_get("max_lat")?,
        ],
        label: [row.try_get("label_lon")?, row.try_get("label_lat")?],
        ownership: Ownership {
            kind: OwnershipType::from_i32(ownership_type as i32),
            deed_number: row.try_get("deed_number")?,
            owners: Vec::new(),
        },
    };
    Ok(StoredParcel {
        record,
        version: row.try_get("version")?,
        seq: row.try_get("seq")?,
        change: Change {
            kind: ChangeKind::from_i64(row.try_get("change_kind")?),
            reason: row.try_get("reason")?,
            actor: Actor {
                account_id: row.try_get("actor_account_id")?,
                display_name: row.try_get("actor_display_name")?,
            },
            client_request_id: row.try_get("client_request_id")?,
            at: row.try_get("valid_from")?,
        },
        valid_to: row.try_get("valid_to")?,
    })
}

/// Fills in the owners of each version, in one query.
async fn attach_owners<'e, E>(exec: E, parcels: &mut [StoredParcel]) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    if parcels.is_empty() {
        return Ok(());
    }
    let mut codes: Vec<String> = parcels.iter().map(|p| p.record.code.to_string()).collect();
    codes.sort_unstable();
    codes.dedup();
    let list = in_list(codes.len());
    let sql = format!(
        "SELECT renovation_code, version, kind, national_code, full_name, share_numerator, share_denominator, deed_number \
         FROM parcel_owners WHERE renovation_code IN ({list}) ORDER BY renovation_code, version, ordinal"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for c in &codes {
        q = q.bind(c.clone());
    }
    let rows = q.fetch_all(exec).await?;
    let mut by_key: std::collections::HashMap<(String, i64), Vec<Owner>> =
        std::collections::HashMap::new();
    for row in rows {
        let kind: i64 = row.try_get("kind")?;
        let owner = Owner {
            kind: OwnerKind::from_i32(kind as i32).unwrap_or(OwnerKind::NaturalPerson),
            national_code: row.try_get("national_code")?,
            full_name: row.try_get("full_name")?,
            share: Dang::new(
                row.try_get("share_numerator")?,
                row.try_get("share_denominator")?,
            )
            .unwrap_or(Dang::whole(0)),
            deed_number: row.try_get("deed_number")?,
        };
        by_key
            .entry((row.try_get("renovation_code")?, row.try_get("version")?))
            .or_default()
            .push(owner);
    }
    for p in parcels {
        p.record.ownership.owners = by_key
            .remove(&(p.record.code.to_string(), p.version))
            .unwrap_or_default();
    }
    Ok(())
}

/// The current version of a parcel.
pub async fn current(db: &Database, code: &RenovationCode) -> StoreResult<Option<StoredParcel>> {
    let sql = format!(
        "SELECT {VERSION_COLS} FROM parcel_versions WHERE renovation_code = $1 AND valid_to IS NULL"
    );
    let Some(row) = sqlx::query(AssertSqlSafe(sql))
        .bind(code.to_string())
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let mut parcels = vec![decode_version(&row)?];
    attach_owners(db.pool(), &mut parcels).await?;
    Ok(parcels.pop())
}

/// The current version of a parcel, read inside a write transaction.
pub async fn current_in(
    tx: &mut Transaction<'static, Any>,
    code: &RenovationCode,
) -> StoreResult<Option<StoredParcel>> {
    let sql = format!(
        "SELECT {VERSION_COLS} FROM parcel_versions WHERE renovation_code = $1 AND valid_to IS NULL"
    );
    let Some(row) = sqlx::query(AssertSqlSafe(sql))
        .bind(code.to_string())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let mut parcels = vec![decode_version(&row)?];
    attach_owners(&mut **tx, &mut parcels).await?;
    Ok(parcels.pop())
}

/// The current versions of many parcels, in the order of `codes` (missing ones skipped).
pub async fn current_many(
    db: &Database,
    codes: &[RenovationCode],
) -> StoreResult<Vec<StoredParcel>> {
    let mut out = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let list = in_list(chunk.len());
        let sql = format!(
            "SELECT {VERSION_COLS} FROM parcel_versions WHERE renovation_code IN ({list}) AND valid_to IS NULL"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.to_string());
        }
        let mut found: std::collections::HashMap<RenovationCode, StoredParcel> =
            std::collections::HashMap::new();
        for row in q.fetch_all(db.pool()).await? {
            let p = decode_version(&row)?;
            found.insert(p.record.code, p);
        }
        out.extend(chunk.iter().filter_map(|c| found.remove(c)));
    }
    Ok(out)
}

/// Like [`current_many`], with owners.
pub async fn current_many_with_owners(
    db: &Database,
    codes: &[RenovationCode],
) -> StoreResult<Vec<StoredParcel>> {
    let mut parcels = current_many(db, codes).await?;
    for chunk in parcels.chunks_mut(500) {
        attach_owners(db.pool(), chunk).await?;
    }
    Ok(parcels)
}

/// One version of a parcel, with owners (to replay an idempotent write).
pub async fn version(db: &Database, code: &str, version: i64) -> StoreResult<Option<StoredParcel>> {
    let sql = format!(
        "SELECT {VERSION_COLS} FROM parcel_versions WHERE renovation_code = $1 AND version = $2"
    );
    let Some(row) = sqlx::query(AssertSqlSafe(sql))
        .bind(code)
        .bind(version)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let mut parcels = vec![decode_version(&row)?];
    attach_owners(db.pool(), &mut parcels).await?;
    Ok(parcels.pop())
}

/// The version an earlier call with this idempotency key produced, if any.
pub async fn version_by_request_id(
    db: &Database,
    actor: &str,
    request_id: &str,
) -> StoreResult<Option<(String, i64)>> {
    let row = sqlx::query(
        "SELECT renovation_code, version FROM parcel_versions WHERE actor_account_id = $1 AND client_request_id = $2",
    )
    .bind(actor)
    .bind(request_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("renovation_code")?, r.try_get("version")?)))
        .transpose()
}

/// Versions of a parcel older than `before` (newest first), at most `limit`.
pub async fn history(
    db: &Database,
    code: &RenovationCode,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<StoredParcel>> {
    let sql = format!(
        "SELECT {VERSION_COLS} FROM parcel_versions WHERE renovation_code = $1 AND version < $2 ORDER BY version DESC LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(code.to_string())
        .bind(before)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let mut out = rows
        .iter()
        .map(decode_version)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_owners(db.pool(), &mut out).await?;
    Ok(out)
}

/// Codes of current parcels on a plate, after `after` in code order, at most `limit`.
pub async fn codes_by_plate(
    db: &Database,
    plate: &RegistryPlate,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT renovation_code FROM parcel_versions WHERE valid_to IS NULL AND plate_main = $1 \
         AND ($2 = '' OR plate_sub = $2) AND ($3 = '' OR plate_section = $3) AND renovation_code > $4 \
         ORDER BY renovation_code LIMIT $5",
    )
    .bind(plate.main.clone())
    .bind(plate.sub.clone())
    .bind(plate.section.clone())
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Codes of current parcels a person owns a share of, after `after`, at most `limit`.
pub async fn codes_by_owner(
    db: &Database,
    national_code: &str,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT p.renovation_code FROM parcel_owners o JOIN parcel_versions p \
         ON p.renovation_code = o.renovation_code AND p.version = o.version \
         WHERE o.national_code = $1 AND p.valid_to IS NULL AND p.renovation_code > $2 \
         ORDER BY p.renovation_code LIMIT $3",
    )
    .bind(national_code)
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// A stored outline as the index reads it: its compact bytes, or, for a row an older build
/// wrote without them, its GeoJSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredOutline {
    /// [`estelam_parcel_geo::outline_bytes`], format 1 or later.
    Bytes(Vec<u8>),
    /// The GeoJSON text (the bytes column is NULL).
    Text(String),
}

fn stored_outline(row: &AnyRow) -> StoreResult<StoredOutline> {
    match row.try_get::<Option<Vec<u8>>, _>("outline_bin")? {
        Some(bytes) => Ok(StoredOutline::Bytes(bytes)),
        None => Ok(StoredOutline::Text(
            row.try_get::<Option<String>, _>("geometry_geojson")?
                .unwrap_or_default(),
        )),
    }
}

/// The outline's bytes, or its text only where the bytes are missing (so a load moves no
/// JSON it does not need).
const OUTLINE_COLS: &str =
    "outline_bin, CASE WHEN outline_bin IS NULL THEN geometry_geojson END AS geometry_geojson";

fn outline_row(r: &AnyRow) -> StoreResult<OutlineRow> {
    Ok(OutlineRow {
        renovation_code: r.try_get("renovation_code")?,
        version: r.try_get("version")?,
        seq: r.try_get("seq")?,
        outline: stored_outline(r)?,
    })
}

/// The GeoJSON text of one version's outline: what the index falls back to when the
/// version's bytes are in a format this build cannot read.
pub async fn outline_text<'e, E>(conn: E, code: &str, version: i64) -> StoreResult<Option<String>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_scalar::<_, String>(
        "SELECT geometry_geojson FROM parcel_versions WHERE renovation_code = $1 AND version = $2",
    )
    .bind(code)
    .bind(version)
    .fetch_optional(conn)
    .await
}

/// How many parcels exist (current versions).
pub async fn parcel_count(db: &Database) -> StoreResult<i64> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM parcel_versions WHERE valid_to IS NULL")
        .fetch_one(db.pool())
        .await
}

/// Which of `codes` already exist.
pub async fn existing_codes(db: &Database, codes: &[String]) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let list = in_list(chunk.len());
        let sql = format!(
            "SELECT renovation_code FROM parcel_versions WHERE renovation_code IN ({list}) AND version = 1"
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.clone());
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// A version's outline, as the map index reads it (at start, and catching up with writes).
#[derive(Debug, Clone)]
pub struct OutlineRow {
    /// The parcel's renovation code, canonical.
    pub renovation_code: String,
    /// The version; above 1, the index drops the outline of the one before.
    pub version: i64,
    /// Its place in the global change order.
    pub seq: i64,
    /// The outline as stored.
    pub outline: StoredOutline,
}

/// Versions with a change sequence above `after`, in sequence order, at most `limit`: what
/// other processes wrote since the index last looked.
/// Reads through `conn`: the pool, or a writing transaction that holds the change counter
/// (and so sees every version committed before its own).
pub async fn outlines_changed_since<'e, E>(
    conn: E,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<OutlineRow>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!(
        "SELECT renovation_code, version, seq, {OUTLINE_COLS} FROM parcel_versions WHERE seq > $1 ORDER BY seq LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(outline_row).collect()
}

/// The bounding box of one version, if it exists: where the index must remove the outline
/// that a later version replaced.
pub async fn version_bbox<'e, E>(
    conn: E,
    code: &str,
    version: i64,
) -> StoreResult<Option<AABB<[f64; 2]>>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row = sqlx::query(
        "SELECT min_lon, min_lat, max_lon, max_lat FROM parcel_versions WHERE renovation_code = $1 AND version = $2",
    )
    .bind(code)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(AABB::from_corners(
            [r.try_get("min_lon")?, r.try_get("min_lat")?],
            [r.try_get("max_lon")?, r.try_get("max_lat")?],
        ))
    })
    .transpose()
}
