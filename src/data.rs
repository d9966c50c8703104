//! The data commands: `estelam migrate`, `estelam seed`, `estelam import parcels` and
//! `estelam documents verify`. Each opens the stores it needs, does its work and closes them;
//! none starts a server, so they run as one-off jobs (the Kubernetes migrate Job) beside
//! a running system.

use std::path::Path;

use anyhow::Context as _;
use estelam_runtime::config::{SERVICES, Settings};
use estelam_runtime::db::Database;
use estelam_runtime::host::open_store;

use crate::services::migrations_of;

/// Applies every service's migrations, or only `only`'s, so a deployment can bring the
/// schemas up to date before the new version of the services starts.
pub async fn migrate(settings: &Settings, only: Option<&str>) -> anyhow::Result<()> {
    if let Some(o) = only {
        // Refuse a misspelt name instead of silently migrating nothing.
        migrations_of(o)?;
    }
    for service in SERVICES.iter().filter(|s| only.is_none_or(|o| o == **s)) {
        let db = open_store(settings, service, &migrations_of(service)?)
            .await
            .with_context(|| format!("migrating the {service} store"))?;
        db.close().await;
        tracing::info!(service, "store is up to date");
    }
    Ok(())
}

/// Fills an empty property store with `parcels` parcels of the synthetic city, reporting
/// progress after each batch: a city of any size, for the demo or for benchmarks.
pub async fn seed(
    settings: &Settings,
    parcels: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<estelam_property::seed::SeedReport> {
    let db = open_store(
        settings,
        estelam_property::SERVICE,
        &estelam_property::migrations(),
    )
    .await?;
    let report = estelam_property::seed::seed_city(&db, parcels, progress).await;
    db.close().await;
    Ok(report?)
}

/// What `estelam seed` prints when done: the counts, and the seeded people a person can
/// file with at once.
pub fn seed_summary(report: &estelam_property::seed::SeedReport) -> String {
    let demo = &report.demo;
    format!(
        "Seeded {} parcels and {} request numbers in {:.1?}.\n\
         Demo: {} ({}) owns {} with request numbers {} and {}; {} ({}) owns 3 dang of {} \
         (expired {}, used {}).",
        report.parcels,
        report.request_numbers,
        report.elapsed,
        demo.citizen_with_valid_numbers.full_name,
        demo.citizen_with_valid_numbers.national_code,
        demo.parcels[0],
        demo.valid_request_numbers[0],
        demo.valid_request_numbers[1],
        demo.citizen_with_spent_numbers.full_name,
        demo.citizen_with_spent_numbers.national_code,
        demo.parcels[1],
        demo.expired_request_number,
        demo.used_request_number,
    )
}

/// Loads the synthetic demo city (`property.demo_parcels` parcels) into an empty property
/// store: what the first `estelam run` does, so the map has parcels to pick. A store with
/// parcels is left alone.
pub(crate) async fn load_demo_city(settings: &Settings, db: &Database) -> anyhow::Result<()> {
    let n = u64::from(settings.property.demo_parcels);
    if let Some(report) = estelam_property::seed::load_demo_city_if_empty(db, n)
        .await
        .context("loading the demo city")?
    {
        tracing::info!(parcels = report.parcels, elapsed = ?report.elapsed, "loaded the demo city into the empty property store");
    }
    Ok(())
}

/// Imports a GeoJSON parcel layer into the property store; all or nothing, every bad
/// feature named in the error, so a municipality's GIS export can be fixed and retried.
pub async fn import_parcels(
    settings: &Settings,
    file: &Path,
    reason: &str,
) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = open_store(
        settings,
        estelam_property::SERVICE,
        &estelam_property::migrations(),
    )
    .await?;
    let registry =
        estelam_property::Registry::open(db.clone(), estelam_property::system_clock()).await?;
    let actor = estelam_property::store::Actor::system("estelam import");
    let result = estelam_property::import::import_geojson(&registry, &text, &actor, reason).await;
    db.close().await;
    Ok(result?)
}

/// Imports the city's label layer (street names, block numbers, landmarks) from a GeoJSON
/// file into the property store, replacing the layer there was; all or nothing. Returns
/// how many labels were imported.
pub async fn import_labels(settings: &Settings, file: &Path) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = open_store(
        settings,
        estelam_property::SERVICE,
        &estelam_property::migrations(),
    )
    .await?;
    let result = estelam_property::import::import_labels(&db, &text).await;
    db.close().await;
    Ok(result?)
}

/// Reads every stored document and checks it against its SHA-256; an error when anything
/// is damaged or missing (listed above it on the terminal), so a scheduled job fails loudly.
pub async fn verify_documents(settings: &Settings) -> anyhow::Result<()> {
    if estelam_documents::verify_command(settings).await? {
        Ok(())
    } else {
        anyhow::bail!("damaged documents found (listed above)")
    }
}
