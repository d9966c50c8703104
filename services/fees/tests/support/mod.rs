//! Shared pieces of the fees tests: a fake property service over real gRPC, the fees
//! service served on a free port with a fixed clock, the transports to run on, and how
//! long a test waits for something (with `estelam_runtime::testing::eventually`).
#![allow(dead_code, missing_docs)] // each test binary uses a subset

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use estelam_domain::JalaliDate;
use estelam_fees::clock::ManualClock;
use estelam_fees::parcels::{GrpcParcelFacts, StaticBearer};
use estelam_fees::{Dependencies, build_with};
use estelam_proto::fees::v1::fee_service_client::FeeServiceClient;
use estelam_proto::property::v1 as prop;
use estelam_proto::property::v1::property_service_server::{
    PropertyService, PropertyServiceServer,
};
use estelam_runtime::auth::{Role, caller};
use estelam_runtime::bus::{
    AmqpBus, AmqpOptions, Delivery, EventBus, MemoryBus, QueueSpec, Subscription,
};
use estelam_runtime::config::Settings;
use estelam_runtime::db::Database;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::testing::{self, SpawnedServer, TokenMint};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// How long any one awaited condition may take before the test fails (a hang guard).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Microseconds at noon (Iran) of a Jalali day.
pub fn noon(y: i32, m: u8, d: u8) -> i64 {
    let day = JalaliDate::new(y, m, d).expect("valid date");
    (day.start_in_iran_unix_seconds() + 12 * 3600) * 1_000_000
}

/// A renovation code no other test uses: zone 7, a random block and parcel.
pub fn fresh_parcel() -> String {
    let n: u32 = rand::random_range(1..=999_999);
    format!("7-3-{}-{}-0-0", n / 1000 + 1, n % 1000 + 1)
}

// ---- the fake property service ----

/// PropertyService with only GetParcel, answering from a table; the rest is Unimplemented.
#[derive(Clone, Default)]
pub struct FakeProperty {
    parcels: Arc<Mutex<HashMap<String, prop::Parcel>>>,
}

impl FakeProperty {
    pub fn put(&self, parcel: prop::Parcel) {
        self.parcels
            .lock()
            .expect("parcels lock")
            .insert(parcel.renovation_code.clone(), parcel);
    }
}

/// A residential parcel in zone 7: 200.00 m² of land at 30,000,000 rials/m², 240.50 m²
/// built at 18,000,001 rials/m².
pub fn residential(code: &str) -> prop::Parcel {
    prop::Parcel {
        renovation_code: code.to_owned(),
        land_use: prop::LandUse::Residential.into(),
        land_area_dm2: 20_000,
        built_area_dm2: 24_050,
        floors: 2,
        zone: 7,
        district: 3,
        land_value_rials_per_m2: 30_000_000,
        building_value_rials_per_m2: 18_000_001,
        ..prop::Parcel::default()
    }
}

#[tonic::async_trait]
impl PropertyService for FakeProperty {
    async fn get_parcel(
        &self,
        request: Request<prop::GetParcelRequest>,
    ) -> Result<Response<prop::GetParcelResponse>, Status> {
        // Like the real one: any valid token; the fees service must send its own.
        let who = caller(&request)?;
        if !who.has(Role::Service) {
            return Err(Status::permission_denied("fees calls with a service token"));
        }
        let code = request.get_ref().renovation_code.replace('/', "-");
        let parcel = self
            .parcels
            .lock()
            .expect("parcels lock")
            .get(&code)
            .cloned();
        match parcel {
            Some(parcel) => Ok(Response::new(prop::GetParcelResponse {
                parcel: Some(parcel),
            })),
            None => Err(Status::not_found("no such parcel")),
        }
    }

    async fn find_parcels_by_registry_plate(
        &self,
        _: Request<prop::FindParcelsByRegistryPlateRequest>,
    ) -> Result<Response<prop::FindParcelsByRegistryPlateResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn find_parcels_by_owner(
        &self,
        _: Request<prop::FindParcelsByOwnerRequest>,
    ) -> Result<Response<prop::FindParcelsByOwnerResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn list_my_parcels(
        &self,
        _: Request<prop::ListMyParcelsRequest>,
    ) -> Result<Response<prop::ListMyParcelsResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn search_parcels(
        &self,
        _: Request<prop::SearchParcelsRequest>,
    ) -> Result<Response<prop::SearchParcelsResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn pick_at(
        &self,
        _: Request<prop::PickAtRequest>,
    ) -> Result<Response<prop::PickAtResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn parcels_in_box(
        &self,
        _: Request<prop::ParcelsInBoxRequest>,
    ) -> Result<Response<prop::ParcelsInBoxResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn list_map_labels(
        &self,
        _: Request<prop::ListMapLabelsRequest>,
    ) -> Result<Response<prop::ListMapLabelsResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn get_parcel_history(
        &self,
        _: Request<prop::GetParcelHistoryRequest>,
    ) -> Result<Response<prop::GetParcelHistoryResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn upsert_parcel(
        &self,
        _: Request<prop::UpsertParcelRequest>,
    ) -> Result<Response<prop::UpsertParcelResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn update_ownership(
        &self,
        _: Request<prop::UpdateOwnershipRequest>,
    ) -> Result<Response<prop::UpdateOwnershipResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn issue_request_number(
        &self,
        _: Request<prop::IssueRequestNumberRequest>,
    ) -> Result<Response<prop::IssueRequestNumberResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn verify_request_number(
        &self,
        _: Request<prop::VerifyRequestNumberRequest>,
    ) -> Result<Response<prop::VerifyRequestNumberResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn mark_request_number_used(
        &self,
        _: Request<prop::MarkRequestNumberUsedRequest>,
    ) -> Result<Response<prop::MarkRequestNumberUsedResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn list_request_numbers(
        &self,
        _: Request<prop::ListRequestNumbersRequest>,
    ) -> Result<Response<prop::ListRequestNumbersResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn list_audit_records(
        &self,
        _: Request<prop::ListAuditRecordsRequest>,
    ) -> Result<Response<prop::ListAuditRecordsResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn check_applicant(
        &self,
        _: Request<prop::CheckApplicantRequest>,
    ) -> Result<Response<prop::CheckApplicantResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }
}

// ---- transports ----

/// One bus implementation under test.
pub struct Transport {
    pub label: &'static str,
    pub bus: Arc<dyn EventBus>,
    amqp: Option<AmqpBus>,
}

impl Transport {
    /// Subscribes a fresh queue to every fees event.
    pub async fn subscribe(&self, queue: &str) -> Subscription {
        self.bus
            .subscribe(QueueSpec::new(queue, ["fees.#"]))
            .await
            .expect("subscribe")
    }

    /// Removes the test's queues from the broker.
    pub async fn cleanup(&self, queue: &str) {
        if let Some(b) = &self.amqp {
            b.delete_queue(queue).await.expect("delete test queue");
        }
    }
}

/// The in-process bus always; RabbitMQ too when `ESTELAM_TEST_AMQP_URL` is set.
pub async fn transports() -> Vec<Transport> {
    let mut out = vec![Transport {
        label: "memory",
        bus: Arc::new(MemoryBus::new()),
        amqp: None,
    }];
    if let Some(url) = testing::amqp_url() {
        let options = AmqpOptions {
            connection_name: "estelam-fees-test".to_owned(),
            heartbeat: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            confirm_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(1),
        };
        let bus = AmqpBus::connect(&url, options)
            .await
            .expect("connect to RabbitMQ");
        out.push(Transport {
            label: "rabbitmq",
            bus: Arc::new(bus.clone()),
            amqp: Some(bus),
        });
    }
    out
}

/// Collects deliveries, acking each, until the next one is awaited.
pub struct Collector {
    subscription: Subscription,
    pub seen: Vec<estelam_runtime::bus::Event>,
}

impl Collector {
    pub fn new(subscription: Subscription) -> Self {
        Self {
            subscription,
            seen: Vec::new(),
        }
    }

    /// Takes deliveries until one satisfies `done`; fails after [`DEADLINE`].
    pub async fn until(&mut self, what: &str, done: impl Fn(&estelam_runtime::bus::Event) -> bool) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let delivery: Option<Delivery> =
                tokio::time::timeout_at(deadline, self.subscription.next())
                    .await
                    .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
            let delivery = delivery.expect("the bus stayed open");
            let event = delivery.event().clone();
            delivery.ack().await.expect("ack");
            let hit = done(&event);
            self.seen.push(event);
            if hit {
                return;
            }
        }
    }
}

// ---- the service under test ----

/// Tokens for each role.
pub struct Tokens {
    pub service: String,
    pub clerk: String,
    pub admin: String,
    pub citizen: String,
}

/// Everything a test talks to; drop-safe, but call [`Harness::stop`] to end cleanly.
pub struct Harness {
    pub db: Database,
    pub bus: Arc<dyn EventBus>,
    pub mint: Arc<TokenMint>,
    pub clock: Arc<ManualClock>,
    pub property: FakeProperty,
    property_server: Option<SpawnedServer>,
    server: Option<SpawnedServer>,
    ctx_shutdown: CancellationToken,
    pub tokens: Tokens,
    pub seed: bool,
}

impl Harness {
    /// Starts a fake property service and the fees service over `db` and `bus`, with the
    /// clock at `now_us` and demo seeding as told.
    pub async fn start(db: Database, bus: Arc<dyn EventBus>, now_us: i64, seed: bool) -> Self {
        let mint = Arc::new(TokenMint::new());
        let property = FakeProperty::default();
        let property_server = testing::spawn_grpc(GrpcServer::new(
            "property",
            tonic::service::Routes::new(PropertyServiceServer::new(property.clone())),
            Default::default(),
            mint.verifier(),
        ))
        .await;
        let tokens = Tokens {
            service: mint.token("svc-fees-test", &[Role::Service]),
            clerk: mint.token("clerk-1", &[Role::Clerk]),
            admin: mint.token("admin-1", &[Role::Admin]),
            citizen: mint.token("citizen-1", &[Role::Citizen]),
        };
        let mut harness = Self {
            db,
            bus,
            mint,
            clock: Arc::new(ManualClock::at(now_us)),
            property,
            property_server: Some(property_server),
            server: None,
            ctx_shutdown: CancellationToken::new(),
            tokens,
            seed,
        };
        harness.serve().await;
        harness
    }

    /// (Re)starts the fees service: a new context, a new outbox relay, a new port.
    pub async fn serve(&mut self) {
        let mut settings = Settings::default();
        settings.fees.seed_demo_data = self.seed;
        settings.fees.reconcile_interval_secs = 0; // tests run reconciliation by hand
        settings.fees.psp_shared_secret = Some(TEST_PSP_SECRET.into());
        settings.fees.public_base_url = PORTAL.into();
        let mut ctx = testing::context(self.db.clone(), &self.mint);
        ctx.settings = Arc::new(settings);
        ctx.bus = self.bus.clone();
        self.ctx_shutdown = ctx.shutdown.clone();
        let property = self
            .property_server
            .as_ref()
            .expect("property running")
            .channel();
        let deps = Dependencies {
            clock: self.clock.clone(),
            parcel_facts: Arc::new(GrpcParcelFacts::new(
                property,
                Arc::new(StaticBearer(self.tokens.service.clone())),
            )),
        };
        let server = build_with(&ctx, deps)
            .await
            .expect("build the fees service");
        self.server = Some(testing::spawn_grpc(server).await);
    }

    /// Stops the fees service and its relay, as a process exit would.
    pub async fn stop_service(&mut self) {
        self.ctx_shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// A client of the running fees service.
    pub fn client(&self) -> FeeServiceClient<Channel> {
        FeeServiceClient::new(self.server.as_ref().expect("fees running").channel())
    }

    pub async fn stop(mut self) {
        self.stop_service().await;
        if let Some(p) = self.property_server.take() {
            p.stop().await;
        }
    }
}

/// Sends `message` with `token`.
pub fn auth<T>(message: T, token: &str) -> Request<T> {
    testing::with_token(message, token)
}

/// The sandbox PSP secret the tests configure, so a test can sign a callback itself.
pub const TEST_PSP_SECRET: &str = "test-only-sandbox-psp-secret";

/// The portal's public address the tests configure: payments return only there.
pub const PORTAL: &str = "https://portal.example";
