//! Map benchmarks at 1,000,000 parcels (override with `ESTELAM_BENCH_PARCELS`):
//!
//! 1. R-tree build: wall time of `ParcelIndex::build` (bulk load) and resident memory of the
//!    outlines plus the tree (RSS from `/proc/self/statm`, before and after).
//! 2. In-process `PickAt` (criterion): a point inside a random parcel, and a point in a street.
//! 3. PostGIS, same parcels, same run: `ST_Contains` with a GiST index, one query at a time
//!    over one connection, and the ratio to the in-process pick. Skipped with a message when
//!    no PostgreSQL URL is set (`ESTELAM_BENCH_POSTGRES_URL`, else
//!    `ESTELAM_TEST_POSTGRES_URL`) or the server has no PostGIS.
//!
//! Run: `cargo bench -p estelam-property --bench pick`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use estelam_parcel_geo::geometry::Shape;
use estelam_parcel_geo::index::{IndexedParcel, ParcelIndex};
use estelam_property::city::City;
use geo::{Contains, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Resident set size of this process in bytes (Linux).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn inside(shape: &Shape, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let r = shape.bounding_rect();
    let Shape::Polygon(poly) = shape else {
        unreachable!("the city has only polygons")
    };
    loop {
        let p = Point::new(
            rng.random_range(r.min().x..r.max().x),
            rng.random_range(r.min().y..r.max().y),
        );
        if poly.contains(&p) {
            return (p.x(), p.y());
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let n: u64 = std::env::var("ESTELAM_BENCH_PARCELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("== Property / GIS benchmark, {n} parcels ==");

    // Generate: the codes, the text outlines (for PostGIS) and the shapes.
    let started = Instant::now();
    let parcels: Vec<(String, Vec<[f64; 2]>)> = City
        .parcels(n)
        .map(|p| (p.record.code.to_string(), p.ring))
        .collect();
    println!(
        "generated {} parcels in {:.2?}",
        parcels.len(),
        started.elapsed()
    );

    // 1. Build time and memory.
    let rss_before = rss_bytes();
    let entries: Vec<IndexedParcel> = City
        .parcels(n)
        .map(|p| IndexedParcel::new(p.record.code, p.shape()))
        .collect();
    let rss_entries = rss_bytes();
    let started = Instant::now();
    let index = ParcelIndex::build(entries);
    let build = started.elapsed();
    let rss_after = rss_bytes();
    println!(
        "R-tree bulk load of {} parcels: {:.2?}; RSS +{:.0} MiB for the outlines, +{:.0} MiB for the tree, {:.0} MiB total",
        index.len(),
        build,
        mib(rss_entries.saturating_sub(rss_before)),
        mib(rss_after.saturating_sub(rss_entries)),
        mib(rss_after.saturating_sub(rss_before)),
    );

    // Query points: inside random parcels (hits) and in streets (misses).
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let hits: Vec<(f64, f64)> = (0..10_000)
        .map(|_| {
            let (_, ring) = &parcels[rng.random_range(0..parcels.len())];
            let shape = Shape::Polygon(geo::Polygon::new(
                geo::LineString::new(
                    ring.iter()
                        .map(|c| geo::Coord { x: c[0], y: c[1] })
                        .collect(),
                ),
                vec![],
            ));
            inside(&shape, &mut rng)
        })
        .collect();
    let e = City.extent(n);
    let mut misses = Vec::new();
    while misses.len() < 1000 {
        let (lon, lat) = (rng.random_range(e[0]..e[2]), rng.random_range(e[1]..e[3]));
        if index.pick(lon, lat).is_none() {
            misses.push((lon, lat));
        }
    }

    // 2. In-process pick, criterion.
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(5));
    let mut i = 0usize;
    c.bench_function(&format!("pick_hit_{n}"), |b| {
        b.iter(|| {
            let (lon, lat) = hits[i % hits.len()];
            i += 1;
            black_box(index.pick(black_box(lon), black_box(lat)))
        })
    });
    let mut j = 0usize;
    c.bench_function(&format!("pick_miss_{n}"), |b| {
        b.iter(|| {
            let (lon, lat) = misses[j % misses.len()];
            j += 1;
            black_box(index.pick(black_box(lon), black_box(lat)))
        })
    });
    // The same hits timed one by one, for percentiles and the PostGIS ratio.
    let mut samples: Vec<Duration> = hits
        .iter()
        .map(|(lon, lat)| {
            let t = Instant::now();
            black_box(index.pick(*lon, *lat));
            t.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let in_process = percentile(&samples, 0.5);
    println!(
        "in-process pick (hits, one at a time): p50 {:.2?}, p99 {:.2?}",
        in_process,
        percentile(&samples, 0.99)
    );
    c.final_summary();

    // 3. PostGIS.
    let url = std::env::var("ESTELAM_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("ESTELAM_TEST_POSTGRES_URL"))
        .ok();
    let Some(url) = url else {
        println!(
            "PostGIS comparison SKIPPED: set ESTELAM_BENCH_POSTGRES_URL (or ESTELAM_TEST_POSTGRES_URL) to a PostgreSQL server with PostGIS installed (Debian: postgresql-15-postgis-3)."
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(postgis(&url, &parcels, &hits, &misses)) {
        Ok(Some((p50, p99, miss50))) => println!(
            "PostGIS ST_Contains + GiST ({} parcels): hits p50 {:.2?}, p99 {:.2?}; misses p50 {:.2?}; in-process pick is {:.0}× faster at the median",
            parcels.len(),
            p50,
            p99,
            miss50,
            p50.as_secs_f64() / in_process.as_secs_f64().max(1e-9)
        ),
        Ok(None) => {}
        Err(e) => println!("PostGIS comparison FAILED: {e:#}"),
    }
}

/// Loads the parcels into a scratch database with PostGIS and times point queries; `None`
/// (with a message) when PostGIS is not available.
async fn postgis(
    url: &str,
    parcels: &[(String, Vec<[f64; 2]>)],
    hits: &[(f64, f64)],
    misses: &[(f64, f64)],
) -> anyhow::Result<Option<(Duration, Duration, Duration)>> {
    use sqlx::{Connection, PgConnection};
    let mut admin = PgConnection::connect(url).await?;
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'estelam_bench_gis')",
    )
    .fetch_one(&mut admin)
    .await?;
    if !exists {
        sqlx::query("CREATE DATABASE estelam_bench_gis")
            .execute(&mut admin)
            .await?;
    }
    // Same server, database `estelam_bench_gis`.
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let base = url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i]);
    let scratch = format!("{base}/estelam_bench_gis");
    let mut conn = PgConnection::connect(&scratch).await?;
    if let Err(e) = sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut conn)
        .await
    {
        println!(
            "PostGIS comparison SKIPPED: the server has no PostGIS extension ({e}); install postgresql-15-postgis-3."
        );
        return Ok(None);
    }
    let have: bool = sqlx::query_scalar("SELECT to_regclass('bench_parcels') IS NOT NULL")
        .fetch_one(&mut conn)
        .await?;
    let rows: i64 = if have {
        sqlx::query_scalar("SELECT count(*) FROM bench_parcels")
            .fetch_one(&mut conn)
            .await?
    } else {
        0
    };
    if rows != parcels.len() as i64 {
        let started = Instant::now();
        sqlx::query("DROP TABLE IF EXISTS bench_parcels")
            .execute(&mut conn)
            .await?;
        sqlx::query("CREATE TABLE bench_parcels (code TEXT COLLATE \"C\" PRIMARY KEY, geom geometry(Polygon, 4326) NOT NULL)")
            .execute(&mut conn)
            .await?;
        let mut copy = conn
            .copy_in_raw("COPY bench_parcels (code, geom) FROM STDIN")
            .await?;
        let mut buf = String::with_capacity(1 << 20);
        for (code, ring) in parcels {
            use std::fmt::Write as _;
            let _ = write!(buf, "{code}\tSRID=4326;POLYGON((");
            for (k, p) in ring.iter().enumerate() {
                if k > 0 {
                    buf.push(',');
                }
                let _ = write!(buf, "{} {}", p[0], p[1]);
            }
            buf.push_str("))\n");
            if buf.len() > 1 << 20 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
        let loaded = started.elapsed();
        let started = Instant::now();
        sqlx::query("CREATE INDEX bench_parcels_geom ON bench_parcels USING GIST (geom)")
            .execute(&mut conn)
            .await?;
        sqlx::query("ANALYZE bench_parcels")
            .execute(&mut conn)
            .await?;
        println!(
            "PostGIS: loaded with COPY in {loaded:.2?}, GiST index built in {:.2?}",
            started.elapsed()
        );
    }
    // ST_Contains uses the GiST index; smallest code first, as PickAt breaks ties.
    let query = "SELECT code FROM bench_parcels WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) \
                 ORDER BY code LIMIT 1";
    for (lon, lat) in hits.iter().take(500) {
        let _: Option<String> = sqlx::query_scalar(query)
            .bind(lon)
            .bind(lat)
            .fetch_optional(&mut conn)
            .await?;
    }
    let mut samples = Vec::with_capacity(hits.len());
    for (lon, lat) in hits {
        let t = Instant::now();
        let found: Option<String> = sqlx::query_scalar(query)
            .bind(lon)
            .bind(lat)
            .fetch_optional(&mut conn)
            .await?;
        samples.push(t.elapsed());
        anyhow::ensure!(
            found.is_some(),
            "PostGIS found no parcel at a point inside one"
        );
    }
    samples.sort_unstable();
    let mut miss_samples = Vec::with_capacity(misses.len());
    for (lon, lat) in misses {
        let t = Instant::now();
        let _: Option<String> = sqlx::query_scalar(query)
            .bind(lon)
            .bind(lat)
            .fetch_optional(&mut conn)
            .await?;
        miss_samples.push(t.elapsed());
    }
    miss_samples.sort_unstable();
    Ok(Some((
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        percentile(&miss_samples, 0.5),
    )))
}
