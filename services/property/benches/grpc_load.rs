//! gRPC `PickAt` under concurrent load: the property service on a loopback port with the
//! full server stack (trace, metrics, load shed, limit, auth), and a closed-loop load of
//! `ESTELAM_BENCH_CONCURRENCY` (default 64) callers over 8 HTTP/2 connections for
//! `ESTELAM_BENCH_SECONDS` (default 10) after a 2 s warm-up. Every call picks a point inside a
//! random parcel, so each answer is a full parcel read from the store.
//!
//! The store: `ESTELAM_BENCH_STORE=/path/property.sqlite` reuses one made by
//! `estelam seed --parcels 1000000` (or by an earlier run: a store without parcels is seeded
//! with `ESTELAM_BENCH_PARCELS` first and kept); otherwise `ESTELAM_BENCH_PARCELS` (default
//! 100000) parcels are seeded into a temporary SQLite file first. The line "service up with
//! … in …" is the service's start-up: building it loads the map index from the store.
//! With `ESTELAM_BENCH_START_PARTS` set, each part of a start is then timed alone (see
//! `start_parts`).
//!
//! Run: `cargo bench -p estelam-property --bench grpc_load`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use estelam_property::city::City;
use estelam_proto::common::v1::GeoPoint;
use estelam_proto::property::v1::PickAtRequest;
use estelam_proto::property::v1::property_service_client::PropertyServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::db::{Database, DatabaseTarget};
use estelam_runtime::testing::{self, TokenMint, with_token};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where a start's time goes, each part timed alone over the same store (after the start,
/// so the file is as warm as the start left it): the scan through sqlx's `Any` driver as
/// the service read it before, the scan through the SQLite driver as it reads it now, the
/// codes and outlines decoded, and the R-tree bulk-loaded.
async fn start_parts(db: &Database) -> anyhow::Result<()> {
    use futures::TryStreamExt as _;
    use sqlx::Row as _;
    let started = Instant::now();
    let mut rows = sqlx::query(
        "SELECT renovation_code, version, seq, outline_bin, \
         CASE WHEN outline_bin IS NULL THEN geometry_geojson END AS geometry_geojson \
         FROM parcel_versions WHERE valid_to IS NULL",
    )
    .fetch(db.pool());
    let mut n = 0usize;
    while let Some(row) = rows.try_next().await? {
        let code: String = row.try_get("renovation_code")?;
        let bytes: Option<Vec<u8>> = row.try_get("outline_bin")?;
        n += code.len() + bytes.map_or(0, |b| b.len());
    }
    drop(rows);
    println!(
        "  scan through Any, 5 columns: {:.2?} ({n} bytes)",
        started.elapsed()
    );
    let started = Instant::now();
    let mut read = Vec::new();
    estelam_property::store::each_current_outline(db, |row| {
        read.push(row);
        Ok(())
    })
    .await?;
    println!(
        "  scan through the SQLite driver, 3 columns: {:.2?} ({} rows)",
        started.elapsed(),
        read.len()
    );
    let started = Instant::now();
    let mut entries = Vec::with_capacity(read.len());
    for row in &read {
        let code = estelam_domain::RenovationCode::parse(&row.renovation_code)?;
        let shape =
            estelam_parcel_geo::outline_bytes::decode(row.bytes.as_deref().unwrap_or_default())?;
        entries.push(estelam_parcel_geo::index::IndexedParcel::new(code, shape));
    }
    println!(
        "  codes parsed and outlines decoded: {:.2?}",
        started.elapsed()
    );
    drop(read);
    let started = Instant::now();
    let index = estelam_parcel_geo::index::ParcelIndex::build(entries);
    println!(
        "  R-tree bulk load: {:.2?} ({} parcels)",
        started.elapsed(),
        index.len()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let concurrency: usize = env("ESTELAM_BENCH_CONCURRENCY", 64);
    let seconds: u64 = env("ESTELAM_BENCH_SECONDS", 10);
    let dir = tempfile::tempdir()?;
    let target = match std::env::var("ESTELAM_BENCH_STORE") {
        Ok(path) => DatabaseTarget {
            url: format!("sqlite://{path}?mode=rwc"),
            schema: None,
            max_connections: 8,
        },
        Err(_) => DatabaseTarget::sqlite_file(dir.path(), "property"),
    };
    let db = Database::connect(&target).await?;
    let started = Instant::now();
    db.migrate(&estelam_property::migrations()).await?;
    println!("store migrated in {:.1?}", started.elapsed());
    let n = if estelam_property::store::parcel_count(&db).await? == 0 {
        env("ESTELAM_BENCH_PARCELS", 100_000u64)
    } else {
        0
    };
    if n > 0 {
        let started = Instant::now();
        estelam_property::seed::seed_city(&db, n, &mut |_| {}).await?;
        println!(
            "seeded {n} parcels into SQLite in {:.1?}",
            started.elapsed()
        );
    }
    let parcels = estelam_property::store::parcel_count(&db).await? as u64;
    let started = Instant::now();
    let mint = TokenMint::new();
    let server =
        testing::spawn_grpc(estelam_property::build(&testing::context(db.clone(), &mint)).await?)
            .await;
    println!(
        "service up with {parcels} parcels in {:.1?} (index loaded from the store)",
        started.elapsed()
    );
    if std::env::var_os("ESTELAM_BENCH_START_PARTS").is_some() {
        start_parts(&db).await?;
    }

    // Points strictly inside random parcels (label points are inside by construction).
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let all: Vec<[f64; 2]> = City.parcels(parcels).map(|p| p.record.label).collect();
    let points: Arc<Vec<[f64; 2]>> = Arc::new(
        (0..10_000)
            .map(|_| all[rng.random_range(0..all.len())])
            .collect(),
    );
    drop(all);
    let token = Arc::new(mint.token("bench", &[Role::Citizen]));
    let channels: Vec<_> = (0..8).map(|_| server.channel()).collect();

    let warmup_until = Instant::now() + Duration::from_secs(2);
    let until = warmup_until + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let mut client = PropertyServiceClient::new(channels[t % channels.len()].clone());
        let (points, token) = (points.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = t * 997;
            loop {
                let [lon, lat] = points[i % points.len()];
                i += 1;
                let started = Instant::now();
                let result = client
                    .pick_at(with_token(
                        PickAtRequest {
                            point: Some(GeoPoint { lat, lon }),
                        },
                        &token,
                    ))
                    .await;
                let now = Instant::now();
                if now >= until {
                    break;
                }
                if now >= warmup_until {
                    match result {
                        Ok(_) => latencies.push(now - started),
                        Err(_) => errors += 1,
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "gRPC PickAt, {parcels} parcels, {concurrency} concurrent callers, {seconds} s: {} calls ({:.0}/s), {errors} errors; \
         p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, p99.9 {:.2?}, max {:.2?}",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(0.999),
        latencies.last().copied().unwrap_or_default(),
    );
    server.stop().await;
    Ok(())
}
