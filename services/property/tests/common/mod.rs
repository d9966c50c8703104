//! Shared harness: a property service over real gRPC on each backend, seeded with the
//! synthetic city, with a clock the test controls and tokens for every role.

#![allow(dead_code, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use estelam_property::{build_with_clock, migrations, seed};
use estelam_proto::property::v1::property_service_client::PropertyServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing::{self, SpawnedServer, TestDatabase, TokenMint};
use tonic::transport::Channel;

/// One running service on one backend.
pub struct Harness {
    pub label: &'static str,
    pub server: SpawnedServer,
    pub client: PropertyServiceClient<Channel>,
    pub mint: TokenMint,
    pub now: Arc<AtomicI64>,
    pub db: TestDatabase,
}

impl Harness {
    pub fn token(&self, roles: &[Role]) -> String {
        self.mint.token(
            &format!("acct-{}", roles.first().map_or("none", |r| r.as_str())),
            roles,
        )
    }

    pub fn clerk(&self) -> String {
        self.token(&[Role::Clerk])
    }

    pub fn service(&self) -> String {
        self.token(&[Role::Service])
    }

    pub fn citizen(&self) -> String {
        self.token(&[Role::Citizen])
    }

    pub fn advance_days(&self, days: i64) {
        self.now
            .fetch_add(days * 86_400 * 1_000_000, Ordering::SeqCst);
    }

    pub async fn stop(self) {
        self.server.stop().await;
        self.db.cleanup().await;
    }
}

/// The gRPC reason of a failed call.
pub fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

/// One harness per available backend, each seeded with `parcels` parcels of the city.
pub async fn harnesses(tag: &str, parcels: u64, tune: impl Fn(&mut Settings)) -> Vec<Harness> {
    let mut out = Vec::new();
    for db in testing::databases(tag, &migrations())
        .await
        .expect("test databases")
    {
        if parcels > 0 {
            seed::seed_city(&db.db, parcels, &mut |_| {})
                .await
                .expect("seeding");
        }
        let mint = TokenMint::new();
        let mut settings = Settings::default();
        tune(&mut settings);
        let mut ctx = testing::context(db.db.clone(), &mint);
        ctx.settings = Arc::new(settings);
        let now = Arc::new(AtomicI64::new(estelam_runtime::db::now_micros()));
        let clock_now = now.clone();
        let server = testing::spawn_grpc(
            build_with_clock(&ctx, Arc::new(move || clock_now.load(Ordering::SeqCst)))
                .await
                .expect("building the service"),
        )
        .await;
        let client = PropertyServiceClient::new(server.channel());
        out.push(Harness {
            label: db.label,
            server,
            client,
            mint,
            now,
            db,
        });
    }
    out
}

/// A square outline `size` degrees wide at (lon, lat).
pub fn square(lon: f64, lat: f64, size: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{x2},{lat}],[{x2},{y2}],[{lon},{y2}],[{lon},{lat}]]]}}"#,
        x2 = lon + size,
        y2 = lat + size
    )
}
