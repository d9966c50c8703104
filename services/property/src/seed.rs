//! Writes the synthetic city ([`crate::city`]) into an empty store: `estelam seed` and the
//! demo city `estelam run` loads on first start.
//!
//! Parcels go in batches, one transaction per batch and many rows per INSERT, so a million
//! parcels load in minutes on SQLite (see BENCHMARKS.md). Besides the parcels, the seed issues
//! request numbers: first the demo fixtures ([`DemoCity`]), then one for every 25th parcel,
//! valid for 30 days.

use std::time::{Duration, Instant};

use estelam_domain::{CheckCode, CodeKind};
use estelam_parcel_geo::outline_bytes;
use estelam_runtime::db::{Database, now_micros};

use crate::city::{City, DEMO_CITIZENS, DEMO_CO_OWNER, DEMO_PARCELS, DemoCitizen};
use crate::registry::DAY_MICROS;
use crate::store::{self, Actor, Change, ChangeKind, NewVersion, StoredRequestNumber};

/// Parcels written per transaction.
pub const BATCH: usize = 2_000;
/// Every how many parcels the seed issues a request number.
pub const REQUEST_NUMBER_EVERY: u64 = 25;
/// The inquiry id the demo's used request number is marked with.
pub const DEMO_USED_BY_INQUIRY: &str = "0190f1c2-0000-7000-8000-00000000d001";

/// What the demo city guarantees, for the inquiry's demo and tests: two citizens owning
/// parcels, and request numbers in each state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCity {
    /// Owner of `parcels[0]` (full ownership) with two valid request numbers.
    pub citizen_with_valid_numbers: DemoCitizen,
    /// Owner of 3 dang of `parcels[1]` (shared with [`DEMO_CO_OWNER`]); their parcel's numbers
    /// are one expired and one used.
    pub citizen_with_spent_numbers: DemoCitizen,
    /// The co-owner of `parcels[1]`.
    pub co_owner: DemoCitizen,
    /// Renovation codes of the two demo parcels.
    pub parcels: [&'static str; 2],
    /// Valid (unused, 365 days) request numbers of `parcels[0]`.
    pub valid_request_numbers: [String; 2],
    /// Expired request number of `parcels[1]`.
    pub expired_request_number: String,
    /// Request number of `parcels[1]` already used by inquiry [`DEMO_USED_BY_INQUIRY`].
    pub used_request_number: String,
}

fn request_number(seq: i64) -> String {
    CheckCode::from_sequence(CodeKind::Request, seq as u64)
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

/// The demo fixtures as a fresh seed creates them (request numbers 1–4 of the sequence).
pub fn demo_city() -> DemoCity {
    DemoCity {
        citizen_with_valid_numbers: DEMO_CITIZENS[0],
        citizen_with_spent_numbers: DEMO_CITIZENS[1],
        co_owner: DEMO_CO_OWNER,
        parcels: DEMO_PARCELS,
        valid_request_numbers: [request_number(1), request_number(2)],
        expired_request_number: request_number(3),
        used_request_number: request_number(4),
    }
}

/// What a seed did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// Parcels written.
    pub parcels: u64,
    /// Request numbers issued (fixtures included).
    pub request_numbers: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The demo fixtures.
    pub demo: DemoCity,
}

/// Why seeding did not start.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The store has parcels; the city would collide with them.
    #[error("the property store already holds {0} parcels; seed only an empty store")]
    NotEmpty(i64),
    /// Fewer than the two demo parcels were asked for.
    #[error("the city needs at least 2 parcels (the demo parcels)")]
    TooSmall,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// A generated outline could not be written as bytes (a defect of the generator).
    #[error("a generated outline cannot be stored: {0}")]
    Outline(#[from] estelam_parcel_geo::outline_bytes::OutlineBytesError),
}

/// A request number the seed issues: parcel, issued at, expires at, (used by, used at), note.
type ToIssue = (String, i64, i64, Option<(&'static str, i64)>, &'static str);

/// Writes the first `n` parcels of the synthetic city into an empty store, calling
/// `progress(parcels_written)` after each batch.
pub async fn seed_city(
    db: &Database,
    n: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<SeedReport, SeedError> {
    if n < 2 {
        return Err(SeedError::TooSmall);
    }
    let existing = store::parcel_count(db).await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    let started = Instant::now();
    let now = now_micros();
    let actor = Actor::system("estelam seed");
    let change = Change {
        kind: ChangeKind::Created,
        reason: "synthetic demo city (estelam seed)".into(),
        actor: actor.clone(),
        client_request_id: None,
        at: now,
    };
    let demo = demo_city();
    let mut written = 0u64;
    let mut numbers = 0u64;
    let mut parcels = City.parcels(n).peekable();
    let mut first_batch = true;
    while parcels.peek().is_some() {
        let batch: Vec<_> = parcels.by_ref().take(BATCH).collect();
        let mut tx = db.begin().await?;
        let last = store::next_values(&mut tx, "parcel_change", batch.len() as i64).await?;
        let first = last - batch.len() as i64 + 1;
        let rows = batch
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Ok(NewVersion {
                    record: &p.record,
                    version: 1,
                    seq: first + i as i64,
                    change: &change,
                    outline: outline_bytes::encode(&p.shape())?,
                })
            })
            .collect::<Result<Vec<_>, SeedError>>()?;
        store::insert_versions(&mut tx, &rows).await?;
        let mut issued: Vec<ToIssue> = Vec::new();
        if first_batch {
            let (a, b) = (DEMO_PARCELS[0].to_owned(), DEMO_PARCELS[1].to_owned());
            issued.push((a.clone(), now, now + 365 * DAY_MICROS, None, "demo: valid"));
            issued.push((a, now, now + 365 * DAY_MICROS, None, "demo: valid"));
            issued.push((
                b.clone(),
                now - 60 * DAY_MICROS,
                now - 30 * DAY_MICROS,
                None,
                "demo: expired",
            ));
            issued.push((
                b,
                now - 10 * DAY_MICROS,
                now + 20 * DAY_MICROS,
                Some((DEMO_USED_BY_INQUIRY, now - DAY_MICROS)),
                "demo: used",
            ));
            first_batch = false;
        }
        for (i, p) in batch.iter().enumerate() {
            if (written + i as u64 + 1).is_multiple_of(REQUEST_NUMBER_EVERY) {
                issued.push((
                    p.record.code.to_string(),
                    now,
                    now + 30 * DAY_MICROS,
                    None,
                    "issued by the seed",
                ));
            }
        }
        if !issued.is_empty() {
            let last = store::next_values(&mut tx, "request_number", issued.len() as i64).await?;
            let first = last - issued.len() as i64 + 1;
            let rows: Vec<StoredRequestNumber> = issued
                .into_iter()
                .enumerate()
                .map(
                    |(i, (code, issued_at, expires_at, used, note))| StoredRequestNumber {
                        number: request_number(first + i as i64),
                        seq: first + i as i64,
                        renovation_code: code,
                        issued_at,
                        expires_at,
                        issued_by: actor.clone(),
                        note: note.into(),
                        client_request_id: None,
                        used_by_inquiry_id: used.map(|u| u.0.to_owned()),
                        used_at: used.map(|u| u.1),
                    },
                )
                .collect();
            numbers += rows.len() as u64;
            store::insert_request_numbers(&mut tx, &rows).await?;
        }
        written += batch.len() as u64;
        if parcels.peek().is_none() {
            // The city's label layer (street names, block numbers) with its last parcels,
            // so a seeded city is never without one.
            store::replace_labels(&mut tx, &City.labels(n), now).await?;
            store::audit(
                &mut tx,
                now,
                &actor,
                "city.seeded",
                "",
                &serde_json::json!({ "parcels": written, "request_numbers": numbers }),
            )
            .await?;
        }
        tx.commit().await?;
        progress(written);
    }
    Ok(SeedReport {
        parcels: written,
        request_numbers: numbers,
        elapsed: started.elapsed(),
        demo,
    })
}

/// Loads the demo city of `n` parcels if the store has no parcels yet (first start of
/// `estelam run`); `None` when the store already had data.
pub async fn load_demo_city_if_empty(
    db: &Database,
    n: u64,
) -> Result<Option<SeedReport>, SeedError> {
    if n == 0 || store::parcel_count(db).await? > 0 {
        return Ok(None);
    }
    match seed_city(db, n, &mut |_| {}).await {
        Ok(report) => Ok(Some(report)),
        // Another replica seeded first.
        Err(SeedError::NotEmpty(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
