//! Replicas on one machine, as Kubernetes runs them: every service in a process of its own
//! (`estelam serve <service>`), with two replicas each of inquiry, property and documents
//! behind one address (a comma-separated list of both, as a headless Service's name
//! resolves to both pods), sharing one PostgreSQL database.
//!
//! What a deployment gains, checked here:
//! * the calls are shared: each replica serves calls, and over thousands of calls the busiest
//!   serves at most 1.2× the calls of the least busy (each process counts what it served in
//!   its `/metrics`);
//! * a replica killed mid-run (SIGKILL: no drain) fails no nine-step flow: the clients take
//!   it out of the balance and retry what it left unanswered on the other one;
//! * the map stays one map: a parcel written through one property replica becomes pickable
//!   through the other (the delay is printed, not asserted), and two overlapping parcels
//!   written at once through the two replicas are never both stored.
//!
//! Replicas share their database, so this runs on PostgreSQL only (SQLite is one file per
//! machine); without `ESTELAM_TEST_POSTGRES_URL` it says "skipped".
//!
//! The load generator's multi-process mode (`estelam-bench --processes`) starts the same
//! deployment through the same launcher ([`estelam::processes`]) and, with RabbitMQ, the
//! gateway and notifications too: a bounded run of it completes every flow and scenario and
//! reports the calls each replica served (never a speed).

mod support;

use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use estelam::demo::CitizenLogin;
use estelam::processes::{Deployment, Plan};
use estelam_documents::inspect::fixtures;
use estelam_proto::common::v1 as cpb;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::{outgoing, retry_idempotent};
use estelam_runtime::testing::eventually;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use support::nine_steps::grpc::{
    self, Application, Calls, DocumentsClient, Filing, InquiryClient, Letter, PropertyClient,
};
use support::nine_steps::key;
use support::{accounts, system};
use tonic::{Code, Status};

/// The services that run two replicas.
const REPLICATED: [&str; 3] = ["property", "documents", "inquiry"];
/// Nine-step flows per phase, and how many run at once.
const FLOWS: usize = 12;
const AT_ONCE: usize = 4;
/// Extra cheap reads per replicated service. The balancer sends each call to one of two
/// equally loaded replicas at random, so a replica's share is binomial: over n calls the
/// bound busiest ≤ 1.2 × least busy is |share − ½| ≤ 1/22, which n ≥ 2,400 keeps 4.5
/// standard deviations away (a false failure about once in 150,000 runs).
const READS: usize = 2_400;
/// How long a flow may take to finish, a parcel to reach the other replica: hang guards,
/// not timings.
const SETTLE: Duration = Duration::from_secs(60);

/// Each call retried when it got no answer (the replica was gone), with the same request
/// and so the same idempotency key: what every client of a replicated service does.
struct Retried;

impl Calls for Retried {
    fn call<'a, T, F, Fut>(&'a self, attempt: F) -> BoxFuture<'a, Result<T, Status>>
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T, Status>> + Send + 'a,
    {
        Box::pin(retry_idempotent(attempt))
    }
}

/// The clients a test uses, all through the balanced addresses.
struct World {
    inquiry: InquiryClient,
    documents: DocumentsClient,
    property: PropertyClient,
    clerk: String,
    citizen: CitizenLogin,
    token: String,
    authority: String,
}

/// One clearance (the owner's own inquiry, no debt): steps 3 to 9, each call retried with
/// its idempotency key when it got no answer; the answer is issued within Submit.
async fn flow(w: &World) -> Result<(), String> {
    let c = &w.citizen;
    let number = grpc::issue_request_number(
        &Retried,
        &w.property,
        &w.clerk,
        &c.renovation_code,
        "replicas",
    )
    .await
    .map_err(|e| format!("request number: {e}"))?;
    let mut documents = Vec::new();
    for (kind, name, data) in [
        (
            dpb::DocumentKind::NationalIdCard,
            "card.png",
            fixtures::png(320, 200),
        ),
        (
            dpb::DocumentKind::OwnershipDeed,
            "deed.pdf",
            fixtures::pdf("", 2_000),
        ),
    ] {
        documents.push(
            grpc::upload(&Retried, &w.documents, &w.token, kind, name, data)
                .await
                .map_err(|e| format!("upload: {e}"))?,
        );
    }
    let request_type = grpc::request_type(&Retried, &w.inquiry, &w.token, "clearance")
        .await
        .map_err(|e| format!("request type: {e}"))?;
    let mut filing = Filing::open(&Retried, &w.inquiry, &w.token, &request_type)
        .await
        .map_err(|e| format!("open: {e}"))?;
    filing
        .complete(&Application {
            renovation_code: c.renovation_code.clone(),
            request_number: number,
            letter: Letter::from_authority(&w.authority),
            documents,
            full_name: c.name.clone(),
            national_code: c.national_code.clone(),
            ownership_type: ppb::OwnershipType::Full,
        })
        .await
        .map_err(|e| format!("steps 4-6: {e}"))?;
    let submitted = filing.submit().await.map_err(|e| format!("{e}"))?;
    let state = submitted.inquiry.map(|i| i.state);
    if state == Some(pb::InquiryState::Issued as i32) {
        Ok(())
    } else {
        Err(format!("not issued within Submit: state {state:?}"))
    }
}

/// Runs `n` flows, `AT_ONCE` at a time, counting each finished one in `done`; returns the
/// failures.
async fn flows(w: Arc<World>, n: usize, done: Arc<AtomicUsize>) -> Vec<String> {
    futures::stream::iter(0..n)
        .map(|_| {
            let (w, done) = (w.clone(), done.clone());
            async move {
                let result = flow(&w).await;
                done.fetch_add(1, Ordering::SeqCst);
                result
            }
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await
}

/// `READS` cheap reads of each replicated service, 16 at a time.
async fn reads(w: &World, document_id: &str) {
    let calls = (0..READS).flat_map(|_| 0..3);
    futures::stream::iter(calls)
        .map(|which| async move {
            let token = w.token.as_str();
            let result = match which {
                0 => {
                    let request = pb::GetRequestTypeRequest {
                        code: "clearance".into(),
                    };
                    retry_idempotent(|| {
                        let mut client = w.inquiry.clone();
                        let request = outgoing(request.clone(), Some(token));
                        async move { client.get_request_type(request).await }
                    })
                    .await
                    .map(drop)
                }
                1 => {
                    let request = ppb::GetParcelRequest {
                        renovation_code: w.citizen.renovation_code.clone(),
                    };
                    retry_idempotent(|| {
                        let mut client = w.property.clone();
                        let request = outgoing(request.clone(), Some(token));
                        async move { client.get_parcel(request).await }
                    })
                    .await
                    .map(drop)
                }
                _ => {
                    let request = dpb::GetDocumentInfoRequest {
                        document_id: document_id.to_owned(),
                    };
                    retry_idempotent(|| {
                        let mut client = w.documents.clone();
                        let request = outgoing(request.clone(), Some(token));
                        async move { client.get_document_info(request).await }
                    })
                    .await
                    .map(drop)
                }
            };
            result.unwrap_or_else(|e| panic!("a read of service {which}: {e}"));
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

/// A small square parcel at (`lon`, `lat`), `size` degrees wide, owned outright by `owner`.
fn parcel(
    code: &str,
    plate: u32,
    lon: f64,
    lat: f64,
    size: f64,
    owner: &CitizenLogin,
) -> ppb::Parcel {
    let ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    .iter()
    .map(|[x, y]| format!("[{x},{y}]"))
    .collect::<Vec<_>>()
    .join(",");
    ppb::Parcel {
        renovation_code: code.into(),
        registry_plate: Some(ppb::RegistryPlate {
            main: plate.to_string(),
            sub: "1".into(),
            section: "5".into(),
        }),
        address: format!("شاهین‌شهر، خیابان آزمون، پلاک {plate}"),
        land_use: ppb::LandUse::Residential as i32,
        land_area_dm2: 25_000,
        built_area_dm2: 40_000,
        floors: 2,
        land_value_rials_per_m2: 8_000_000,
        building_value_rials_per_m2: 5_000_000,
        geometry_geojson: format!("{{\"type\":\"Polygon\",\"coordinates\":[[{ring}]]}}"),
        ownership: Some(ppb::Ownership {
            ownership_type: ppb::OwnershipType::Full as i32,
            deed_number: format!("{plate}"),
            owners: vec![ppb::Owner {
                kind: ppb::OwnerKind::NaturalPerson as i32,
                national_code: owner.national_code.clone(),
                full_name: owner.name.clone(),
                share: Some(cpb::DangShare {
                    numerator: 6,
                    denominator: 1,
                }),
                deed_number: String::new(),
            }],
        }),
        ..Default::default()
    }
}

async fn upsert(client: &PropertyClient, clerk: &str, parcel: ppb::Parcel) -> Result<(), Status> {
    let request = ppb::UpsertParcelRequest {
        client_request_id: key(),
        parcel: Some(parcel),
        expected_version: 0,
        reason: "replicas test".into(),
    };
    client
        .clone()
        .upsert_parcel(outgoing(request, Some(clerk)))
        .await
        .map(drop)
}

/// The code of the parcel `client`'s replica picks at (`lon`, `lat`), if any.
async fn picked(client: &PropertyClient, token: &str, lon: f64, lat: f64) -> Option<String> {
    let request = ppb::PickAtRequest {
        point: Some(cpb::GeoPoint { lat, lon }),
    };
    match client.clone().pick_at(outgoing(request, Some(token))).await {
        Ok(r) => r.into_inner().parcel.map(|p| p.renovation_code),
        Err(s) if s.code() == Code::NotFound => None,
        Err(s) => panic!("PickAt: {s}"),
    }
}

/// What a person reading the test output learns, shown even when the test passes.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "replicas: {line}");
}

/// One deployment at a time: two at once would each get half of a small machine's cores.
static ONE_DEPLOYMENT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_the_calls_survive_a_kill_and_keep_one_map() {
    let Some(postgres_url) = estelam_runtime::testing::postgres_url() else {
        return;
    };
    let _alone = ONE_DEPLOYMENT.lock().await;
    // The first start, in this process, as `estelam run` does it: migrations, the demo city
    // and its people, the service credentials in the data directory. Then every service
    // moves into processes of its own over the same database and data directory.
    let started = system::start_with_demo("replicas", "replicas", Some(&postgres_url), 300).await;
    let (settings, people, data, postgres) = (
        started.settings.clone(),
        started.people.clone(),
        started.data,
        started.postgres,
    );
    started
        .system
        .stop()
        .await
        .expect("the first start stops cleanly");
    let database_url = postgres.as_ref().expect("a database").url().to_owned();

    let logs = tempfile::tempdir().expect("a log directory");
    let http = reqwest::Client::new();
    let plan = Plan {
        binary: env!("CARGO_BIN_EXE_estelam").into(),
        data_dir: data.path().to_path_buf(),
        database_url,
        amqp_url: None,
        replicated: REPLICATED.iter().map(|s| (*s).to_owned()).collect(),
        copies: 2,
        // Notifications is called by no one here, so it is not started.
        notifications: false,
        gateway: false,
        env: vec![
            (
                "ESTELAM_TELEMETRY__LOG_FORMAT".to_owned(),
                "json".to_owned(),
            ),
            (
                "ESTELAM_TELEMETRY__LOG_FILTER".to_owned(),
                "warn,estelam_runtime::balance=info".to_owned(),
            ),
        ],
        logs: logs.path().to_path_buf(),
    };
    let mut deployment = Deployment::start(&plan, &http)
        .await
        .unwrap_or_else(|e| panic!("the deployment starts: {e:#}"));
    let endpoints = deployment.endpoints.clone();

    // The test's own clients, as an authority's software: through the same lists.
    let mut client_settings = settings.clone();
    for (service, addrs) in &endpoints {
        client_settings
            .endpoints
            .set(service, estelam::processes::endpoint_list(addrs));
    }
    let channel = |service: &str| {
        estelam_runtime::grpc::channel(
            client_settings.endpoints.of(service).expect("a service"),
            &client_settings.grpc,
        )
        .expect("a channel")
    };
    let citizen = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a citizen who owes nothing")
        .clone();
    let clerk = accounts::log_in(
        &client_settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let token = accounts::log_in(&client_settings, &citizen.national_code, &citizen.password).await;
    let world = Arc::new(World {
        inquiry: InquiryClient::new(channel("inquiry")),
        documents: DocumentsClient::new(channel("documents")),
        property: PropertyClient::new(channel("property")),
        clerk: clerk.clone(),
        citizen: citizen.clone(),
        token: token.clone(),
        authority: people.authority.organization_id.clone(),
    });

    // (a) The calls are shared.
    let failed = flows(world.clone(), FLOWS, Arc::new(AtomicUsize::new(0))).await;
    assert!(
        failed.is_empty(),
        "flows failed with every replica up: {failed:?}"
    );
    let document = grpc::upload(
        &Retried,
        &world.documents,
        &token,
        dpb::DocumentKind::NationalIdCard,
        "card.png",
        fixtures::png(64, 64),
    )
    .await
    .expect("an upload to read");
    reads(&world, &document).await;
    for service in REPLICATED {
        let served = deployment
            .calls_served(service, &http)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        report(&format!("{service} calls served per replica: {served:?}"));
        let (least, most) = (
            *served.iter().min().expect("replicas"),
            *served.iter().max().expect("replicas"),
        );
        assert!(least > 0, "{service}: a replica served nothing: {served:?}");
        assert!(
            most as f64 <= 1.2 * least as f64,
            "{service}: the busiest replica served more than 1.2× the least busy: {served:?}"
        );
    }

    // (b) A replica killed mid-run fails no flow.
    let done = Arc::new(AtomicUsize::new(0));
    let running = tokio::spawn(flows(world.clone(), FLOWS, done.clone()));
    eventually("a third of the flows to finish", SETTLE, async || {
        done.load(Ordering::SeqCst) >= FLOWS / 3
    })
    .await;
    deployment
        .process_mut("inquiry-2")
        .expect("the second inquiry replica")
        .kill()
        .await
        .expect("SIGKILL");
    report(&format!(
        "inquiry-2 killed after {} of {FLOWS} flows",
        done.load(Ordering::SeqCst)
    ));
    let failed = running.await.expect("the flows ran");
    assert!(
        failed.is_empty(),
        "flows failed when a replica was killed: {failed:?}"
    );

    // (c) One map across the property replicas.
    let replicas = deployment.replicas("property");
    let (a, b) = (
        PropertyClient::new(channel_to(&replicas[0].endpoint(), &client_settings)),
        PropertyClient::new(channel_to(&replicas[1].endpoint(), &client_settings)),
    );
    let (lon, lat) = (51.30, 32.50);
    upsert(
        &a,
        &clerk,
        parcel("88-1-1-1-0-0", 9100, lon, lat, 0.0004, &citizen),
    )
    .await
    .expect("a parcel written through the first replica");
    let written = Instant::now();
    eventually(
        "the parcel to be pickable through the other replica",
        SETTLE,
        async || {
            picked(&b, &token, lon + 0.0002, lat + 0.0002)
                .await
                .as_deref()
                == Some("88-1-1-1-0-0")
        },
    )
    .await;
    report(&format!(
        "a parcel written through one property replica was pickable through the other after {:?} (property.index_refresh_ms bounds it)",
        written.elapsed()
    ));
    for round in 0..5u32 {
        let (x, y) = (lon + 0.01 * f64::from(round + 1), lat);
        let first = format!("88-1-2-{}-0-0", 2 * round + 1);
        let second = format!("88-1-2-{}-0-0", 2 * round + 2);
        // Two outlines that share a quarter, written at the same moment through each replica.
        let (one, two) = tokio::join!(
            upsert(
                &a,
                &clerk,
                parcel(&first, 9200 + 2 * round, x, y, 0.0004, &citizen)
            ),
            upsert(
                &b,
                &clerk,
                parcel(
                    &second,
                    9201 + 2 * round,
                    x + 0.0002,
                    y + 0.0002,
                    0.0004,
                    &citizen
                )
            ),
        );
        let refused = match (&one, &two) {
            (Ok(()), Err(s)) | (Err(s), Ok(())) => s,
            _ => panic!(
                "round {round}: exactly one of two overlapping parcels is stored: {one:?} / {two:?}"
            ),
        };
        assert_eq!(
            refused.code(),
            Code::FailedPrecondition,
            "round {round}: {refused:?}"
        );
        let winner = if one.is_ok() { &first } else { &second };
        for (name, replica) in [("first", &a), ("second", &b)] {
            eventually(
                &format!("round {round}: the {name} replica picks the stored parcel"),
                SETTLE,
                async || {
                    picked(replica, &token, x + 0.0003, y + 0.0003)
                        .await
                        .as_deref()
                        == Some(winner.as_str())
                },
            )
            .await;
        }
    }

    drop(deployment);
    if let Some(pg) = postgres {
        pg.drop_database()
            .await
            .expect("the run's database is dropped");
    }
    drop(logs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bench_against_separate_processes_completes_and_counts_calls_per_replica() {
    let (Some(postgres_url), Some(amqp_url)) = (
        estelam_runtime::testing::postgres_url(),
        estelam_runtime::testing::amqp_url(),
    ) else {
        report("the multi-process bench needs PostgreSQL and RabbitMQ: skipped");
        return;
    };
    let _alone = ONE_DEPLOYMENT.lock().await;
    let mut settings = Settings::default();
    settings.database.url = Some(secrecy::SecretString::from(postgres_url));
    settings.bus.amqp_url = Some(secrecy::SecretString::from(amqp_url));
    settings.telemetry.log_filter = "warn".into();
    let options = estelam_bench::BenchOptions {
        url: None,
        admin: None,
        applicants: 2,
        flows_each: 1,
        requests: 12,
        bulk_size: 5,
        parcels: 200,
        no_debt_only: false,
        flows_only: false,
        markdown: None,
        statements_per_step: false,
        processes: Some(env!("CARGO_BIN_EXE_estelam").into()),
        command: "estelam-bench --processes (replicas test)".into(),
    };
    let result = Box::pin(estelam_bench::run(settings, &options))
        .await
        .unwrap_or_else(|e| panic!("the bench runs against the processes: {e:#}"));
    assert_eq!(result.failed, 0, "{}", result.markdown);
    assert_eq!(
        result.flows_completed, 4,
        "2 applicants × 1 flow × (no debt, debt):\n{}",
        result.markdown
    );
    let services: Vec<&str> = result.replicas.iter().map(|r| r.service.as_str()).collect();
    assert_eq!(services, REPLICATED, "{}", result.markdown);
    for r in &result.replicas {
        report(&format!(
            "bench: {} calls served per replica: {:?}",
            r.service, r.served
        ));
        assert_eq!(r.served.len(), 2, "{}: two replicas", r.service);
        assert!(
            r.served.iter().sum::<u64>() > 0,
            "{}: the phases' calls are counted: {:?}",
            r.service,
            r.served
        );
        let served: Vec<String> = r.served.iter().map(u64::to_string).collect();
        let row = format!("| {} | {} |", r.service, served.join(" / "));
        assert!(
            result.markdown.contains(&row),
            "missing {row:?} in:\n{}",
            result.markdown
        );
    }
    assert!(
        result
            .markdown
            .contains("CPU of the `estelam serve` processes while it ran"),
        "{}",
        result.markdown
    );
}

/// A channel to one replica only.
fn channel_to(endpoint: &str, settings: &Settings) -> tonic::transport::Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("a channel")
}
