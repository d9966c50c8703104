//! The work the faults hit: the demo citizen without debt files property-transfer
//! inquiries naming the notary office, each billed its own inquiry fee on the citizen's bill
//! (an office is charged only for what it files itself), up to AwaitingPayment, then pays them at the
//! sandbox PSP, the payer's browser forwarding each signed callback to fees. An answer is
//! then issued by the `fees.debt.cleared` event. Every call goes over real gRPC to the
//! services' endpoints, whether they run in this process or as `estelam serve` children,
//! through the suites' one gRPC driver of the nine steps (`tests/support/nine_steps`), with
//! the [`Driver`] as its sending policy: a call failing transiently is retried with the same
//! idempotency key, as a client under a fault would.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use estelam::demo::CitizenLogin;
use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::poll_within;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use prost::Message as _;
use tonic::transport::Channel;

use crate::support::accounts;
use crate::support::nine_steps::grpc::{
    self, Application, Calls, DocumentsClient, FeesClient, Filing, InquiryClient, Letter,
    PropertyClient,
};
use crate::support::nine_steps::key;

/// The test's service account playing the payment provider's callback, as the gateway does.
pub const PSP_CLIENT: &str = "fault-psp";
/// The request type every inquiry uses: filed by the citizen, its inquiry fee is on their
/// bill, so every one is paid (the notary's case: the applicant pays, then the answer).
const REQUEST_TYPE: &str = "property-transfer";
/// Where the bank would send the payer back (the workload pays without following it).
const RETURN_URL: &str = "/return";

/// Adds the test's accounts (the PSP service client, the first admin) to `settings`;
/// returns the PSP client's secret.
pub fn add_accounts(settings: &mut Settings) -> String {
    let secret = accounts::add_service_client(settings, PSP_CLIENT);
    accounts::bootstrap_admin(settings);
    secret
}

/// An inquiry filed up to its payment, held back so the payment can be made while a fault
/// is on.
#[derive(Debug, Clone)]
pub struct Pending {
    pub inquiry_id: String,
    /// The sandbox PSP's token of its started payment: all the payer needs at the bank.
    pub psp_token: String,
}

/// A logged-in client of the running system.
pub struct Driver {
    /// Endpoints (and, for the store checks, the database) of the system.
    pub settings: Settings,
    clerk: String,
    psp: String,
    citizen: CitizenLogin,
    token: String,
    authority_org: String,
    /// The type every inquiry files, read once (its undertakings, whether a letter is due).
    request_type: pb::RequestType,
    /// The citizen's national ID card and deed, uploaded once (an account holds at most
    /// 50 documents) and attached to every inquiry.
    documents: (String, String),
    /// Parcels the citizen owns outright, one per inquiry (see [`Driver::add_parcels`]).
    parcels: Mutex<Vec<String>>,
    /// Parcels handed out so far.
    next_parcel: AtomicUsize,
    /// Refusals seen by retried calls, by gRPC code.
    pub refusals: Refusals,
    /// Calls that succeeded (a fault can be timed by progress).
    pub calls: Arc<AtomicUsize>,
}

/// How long a call is retried while it fails with a transient code: longer than any fault
/// the suite injects.
const RETRY_FOR: Duration = Duration::from_secs(120);

/// Codes a client may retry: the service (or the way to it) is down or overloaded.
fn transient(code: tonic::Code) -> bool {
    use tonic::Code::{Cancelled, DeadlineExceeded, Internal, Unavailable, Unknown};
    matches!(
        code,
        Unavailable | Unknown | Cancelled | DeadlineExceeded | Internal
    )
}

/// Every step of the workload's filing is retried, with the same request, while it fails
/// transiently.
impl Calls for Driver {
    fn call<'a, T, F, Fut>(&'a self, attempt: F) -> BoxFuture<'a, Result<T, tonic::Status>>
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: std::future::Future<Output = Result<T, tonic::Status>> + Send + 'a,
    {
        Box::pin(self.retry(attempt))
    }
}

/// Counts refusals by gRPC code, for the report.
pub type Refusals = Arc<Mutex<BTreeMap<String, usize>>>;

/// Records `status` under its code.
pub fn note(refusals: &Refusals, status: &tonic::Status) {
    if matches!(status.code(), tonic::Code::Internal | tonic::Code::Unknown) {
        let e = estelam_runtime::error::ServiceError::from_status(status);
        eprintln!(
            "  refused {:?}: {} ({}: {})",
            status.code(),
            status.message(),
            e.reason,
            e.message_en
        );
    }
    note_as(refusals, format!("{:?}", status.code()));
}

/// Records a refusal under `what`.
pub fn note_as(refusals: &Refusals, what: String) {
    *refusals.lock().expect("refusals").entry(what).or_default() += 1;
}

impl Driver {
    /// Logs in as the admin, creates the demo people, and logs in the clerk, the PSP
    /// account and the citizen without debt.
    pub async fn connect(settings: Settings, psp_secret: &str) -> Self {
        let (_, people) = accounts::demo_people(&settings).await;
        let clerk = accounts::log_in(
            &settings,
            &people.clerk.national_code,
            &people.clerk.password,
        )
        .await;
        let citizen = people
            .citizens
            .iter()
            .find(|c| !c.has_debt)
            .expect("a citizen without debt")
            .clone();
        let token = accounts::log_in(&settings, &citizen.national_code, &citizen.password).await;
        let psp = accounts::service_token(&settings, PSP_CLIENT, psp_secret).await;
        let inquiry = InquiryClient::new(channel(&settings, &settings.endpoints.inquiry));
        let request_type = grpc::request_type(&grpc::Once, &inquiry, &token, REQUEST_TYPE)
            .await
            .expect("the request type");
        let mut driver = Self {
            documents: (String::new(), String::new()),
            parcels: Mutex::new(Vec::new()),
            next_parcel: AtomicUsize::new(0),
            authority_org: people.authority.organization_id.clone(),
            settings,
            clerk,
            psp,
            citizen,
            token,
            request_type,
            refusals: Refusals::default(),
            calls: Arc::new(AtomicUsize::new(0)),
        };
        let card = driver
            .upload(
                dpb::DocumentKind::NationalIdCard,
                "card.png",
                fixtures::png(320, 200),
            )
            .await
            .expect("the ID card uploads");
        let deed = driver
            .upload(
                dpb::DocumentKind::OwnershipDeed,
                "deed.pdf",
                fixtures::pdf("", 2_000),
            )
            .await
            .expect("the deed uploads");
        driver.documents = (card, deed);
        driver
    }

    /// Runs `call` until it succeeds, fails with a code no retry can help, or
    /// [`RETRY_FOR`] passes; every transient failure is noted.
    pub async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T, tonic::Status>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, tonic::Status>>,
    {
        let until = tokio::time::Instant::now() + RETRY_FOR;
        loop {
            match call().await {
                Ok(v) => {
                    self.calls.fetch_add(1, Ordering::Relaxed);
                    return Ok(v);
                }
                Err(s) if transient(s.code()) && tokio::time::Instant::now() < until => {
                    note(&self.refusals, &s);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(s) => return Err(s),
            }
        }
    }

    fn inquiry(&self) -> InquiryClient {
        InquiryClient::new(channel(&self.settings, &self.settings.endpoints.inquiry))
    }

    fn fees(&self) -> FeesClient {
        FeesClient::new(channel(&self.settings, &self.settings.endpoints.fees))
    }

    /// Registers `n` more parcels owned outright by the citizen (the clerk's UpsertParcel),
    /// small squares away from the demo city. A bill is priced at its parcel's ledger
    /// version, so inquiries paid side by side must each name a parcel of its own: a
    /// payment for a parcel whose ledger another payment just changed is, rightly,
    /// reversed.
    pub async fn add_parcels(self: &Arc<Self>, n: usize) {
        let first = self.parcels.lock().expect("parcels").len();
        let codes: Vec<String> = futures::stream::iter(first..first + n)
            .map(|i| {
                let me = self.clone();
                async move {
                    let code = format!("9-{}-1-{}-0-0", 2 + i / 500, 1 + i % 500);
                    let (x, y) = (
                        51.2 + (i % 100) as f64 * 0.0005,
                        32.4 + (i / 100) as f64 * 0.0005,
                    );
                    let ring = [
                        [x, y],
                        [x + 0.0004, y],
                        [x + 0.0004, y + 0.0004],
                        [x, y + 0.0004],
                        [x, y],
                    ]
                    .iter()
                    .map(|[lon, lat]| format!("[{lon},{lat}]"))
                    .collect::<Vec<_>>()
                    .join(",");
                    let parcel = ppb::Parcel {
                        renovation_code: code.clone(),
                        registry_plate: Some(ppb::RegistryPlate {
                            main: "9002".into(),
                            sub: (i + 1).to_string(),
                            section: "5".into(),
                        }),
                        address: format!("شاهین‌شهر، خیابان آزمون، پلاک {}", i + 1),
                        land_use: ppb::LandUse::Residential as i32,
                        land_area_dm2: 25_000,
                        built_area_dm2: 40_000,
                        floors: 2,
                        land_value_rials_per_m2: 8_000_000,
                        building_value_rials_per_m2: 5_000_000,
                        geometry_geojson: format!(
                            "{{\"type\":\"Polygon\",\"coordinates\":[[{ring}]]}}"
                        ),
                        ownership: Some(ppb::Ownership {
                            ownership_type: ppb::OwnershipType::Full as i32,
                            deed_number: format!("91{i:05}"),
                            owners: vec![ppb::Owner {
                                kind: ppb::OwnerKind::NaturalPerson as i32,
                                national_code: me.citizen.national_code.clone(),
                                full_name: me.citizen.name.clone(),
                                share: Some(estelam_proto::common::v1::DangShare {
                                    numerator: 6,
                                    denominator: 1,
                                }),
                                deed_number: String::new(),
                            }],
                        }),
                        ..Default::default()
                    };
                    let client =
                        PropertyClient::new(channel(&me.settings, &me.settings.endpoints.property));
                    let request = ppb::UpsertParcelRequest {
                        client_request_id: key(),
                        parcel: Some(parcel),
                        expected_version: 0,
                        reason: "fault suite".into(),
                    };
                    me.retry(|| {
                        let mut client = client.clone();
                        let request = outgoing(request.clone(), Some(me.clerk.as_str()));
                        async move { client.upsert_parcel(request).await }
                    })
                    .await
                    .unwrap_or_else(|e| panic!("registering parcel {code}: {e}"));
                    code
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        self.parcels.lock().expect("parcels").extend(codes);
    }

    /// The next unused parcel of the citizen, if any is left.
    fn take_parcel(&self) -> Option<String> {
        let i = self.next_parcel.fetch_add(1, Ordering::Relaxed);
        self.parcels.lock().expect("parcels").get(i).cloned()
    }

    /// `n` inquiries filed through every step up to AwaitingPayment, their payments
    /// started, with `concurrency` applicants at a time; a progress line every 50.
    pub async fn prepare(self: &Arc<Self>, n: usize, concurrency: usize) -> Vec<Pending> {
        self.add_parcels(n).await;
        let done = Arc::new(AtomicUsize::new(0));
        futures::stream::iter(0..n)
            .map(|_| {
                let (me, done) = (self.clone(), done.clone());
                async move {
                    let p = me
                        .file_one()
                        .await
                        .unwrap_or_else(|e| panic!("filing an inquiry before the fault: {e}"));
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if d % 50 == 0 || d == n {
                        eprintln!("  filed {d}/{n} inquiries awaiting payment");
                    }
                    p
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    }

    /// One inquiry from creation to a started payment: the nine steps as the applicant
    /// walks them, each call retried with its own idempotency key while it fails
    /// transiently.
    pub async fn file_one(&self) -> Result<Pending, tonic::Status> {
        let parcel = self
            .take_parcel()
            .ok_or_else(|| tonic::Status::out_of_range("the test ran out of parcels"))?;
        let mut filing =
            Filing::open(self, &self.inquiry(), &self.token, &self.request_type).await?;
        let request_number = self.request_number(&parcel).await?;
        let (card, deed) = self.documents.clone();
        filing
            .complete(&Application {
                renovation_code: parcel,
                request_number,
                letter: Letter::from_authority(&self.authority_org),
                documents: vec![card, deed],
                full_name: self.citizen.name.clone(),
                national_code: self.citizen.national_code.clone(),
                ownership_type: ppb::OwnershipType::Full,
            })
            .await?;
        filing.submit().await?;
        assert_eq!(
            filing.inquiry.state,
            pb::InquiryState::AwaitingPayment as i32,
            "a property-transfer inquiry waits for its fee"
        );
        let payment = filing.start_payment(RETURN_URL).await?;
        Ok(Pending {
            inquiry_id: filing.inquiry.inquiry_id,
            psp_token: payment.psp_token,
        })
    }

    async fn request_number(&self, parcel: &str) -> Result<String, tonic::Status> {
        let property =
            PropertyClient::new(channel(&self.settings, &self.settings.endpoints.property));
        grpc::issue_request_number(self, &property, &self.clerk, parcel, "fault suite").await
    }

    async fn upload(
        &self,
        kind: dpb::DocumentKind,
        name: &str,
        data: Vec<u8>,
    ) -> Result<String, tonic::Status> {
        let documents =
            DocumentsClient::new(channel(&self.settings, &self.settings.endpoints.documents));
        grpc::upload(self, &documents, &self.token, kind, name, data).await
    }

    /// Pays one inquiry at the sandbox bank and forwards the callback to fees: the
    /// payment is acknowledged when fees accepts the callback. Every step may be repeated
    /// (the bank's first decision wins; duplicate callbacks are the PSP's normal
    /// behaviour).
    pub async fn pay(&self, p: &Pending) -> Result<(), tonic::Status> {
        grpc::pay_at_sandbox(&self.fees(), &self.psp, &p.psp_token).await
    }

    /// Pays one inquiry as the payer's browser does: the sandbox bank's page on the
    /// gateway, "Pay" pressed; acknowledged by the 303 back to the portal. Retried while
    /// the gateway is unreachable or answers 5xx/429, each such answer required to be
    /// problem+json.
    pub async fn pay_via_gateway(&self, gateway_url: &str, p: &Pending) -> Result<(), String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let until = tokio::time::Instant::now() + RETRY_FOR;
        loop {
            let sent = http
                .post(format!("{gateway_url}/psp/pay"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={}&choice=pay", p.psp_token))
                .send()
                .await;
            match sent {
                Ok(r) if r.status() == reqwest::StatusCode::SEE_OTHER => {
                    self.calls.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Ok(r) => {
                    let status = r.status();
                    let problem = r
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/problem+json"));
                    assert!(
                        problem,
                        "the gateway answered {status} without problem+json"
                    );
                    note_as(&self.refusals, format!("HTTP {}", status.as_u16()));
                    let retry = status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !retry || tokio::time::Instant::now() > until {
                        return Err(format!("{status}: {}", r.text().await.unwrap_or_default()));
                    }
                }
                Err(e) => {
                    note_as(&self.refusals, "HTTP connection failed".into());
                    if tokio::time::Instant::now() > until {
                        return Err(e.to_string());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Pays every pending inquiry, `concurrency` at a time, each retried (as a payer's
    /// browser would) until fees acknowledges it; `acked` counts acknowledgements as they
    /// come. Returns the inquiries whose payment was acknowledged.
    pub async fn pay_all(
        self: &Arc<Self>,
        pending: Vec<Pending>,
        concurrency: usize,
        acked: Arc<AtomicUsize>,
    ) -> Vec<String> {
        let results: Vec<Option<String>> = futures::stream::iter(pending)
            .map(|p| {
                let (me, acked) = (self.clone(), acked.clone());
                async move {
                    let paid = me.retry(|| me.pay(&p)).await;
                    paid.ok().map(|()| {
                        acked.fetch_add(1, Ordering::Relaxed);
                        p.inquiry_id
                    })
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.into_iter().flatten().collect()
    }

    /// Total refusals seen so far.
    pub fn refusals_seen(&self) -> usize {
        self.refusals.lock().expect("refusals").values().sum()
    }

    /// One CreateInquiry, not retried, with a client-side deadline of `wait` (its channel
    /// waits as long, so any refusal before `wait` is the service's own answer): what a
    /// caller sees while a fault is on.
    pub async fn probe(&self, wait: Duration) -> Result<(), tonic::Status> {
        let mut patient = self.settings.grpc.clone();
        patient.request_timeout_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let endpoint = &self.settings.endpoints.inquiry;
        let channel = estelam_runtime::grpc::channel(endpoint, &patient).expect("endpoint");
        let mut request = outgoing(
            pb::CreateInquiryRequest {
                request_type_code: REQUEST_TYPE.into(),
                client_request_id: key(),
            },
            Some(&self.token),
        );
        request.set_timeout(wait);
        pb::inquiry_service_client::InquiryServiceClient::new(channel)
            .create_inquiry(request)
            .await
            .map(|_| ())
    }

    /// The citizen's access token (for calls through the gateway).
    pub fn citizen_token(&self) -> &str {
        &self.token
    }

    /// Waits (up to `deadline`) until every acknowledged inquiry has its answer, then
    /// counts, from the inquiry service's own store, answers and `inquiry.answer.issued`
    /// events per inquiry, and checks each issued state through the API too.
    /// Returns (completed, lost, duplicated).
    pub async fn outcome(&self, acked: &[String], deadline: Duration) -> (usize, usize, usize) {
        let db = estelam_runtime::host::open_store(
            &self.settings,
            "inquiry",
            &estelam_inquiry::migrations(),
        )
        .await
        .expect("the inquiry store");
        let wanted: HashSet<&str> = acked.iter().map(String::as_str).collect();
        // What is still missing at the deadline is reported as lost, not failed at once.
        let answers: HashMap<String, i64> = poll_within(deadline, async || {
            let answers = answer_counts(&db).await.unwrap_or_default();
            if wanted.iter().all(|id| answers.contains_key(*id)) {
                Ok(answers)
            } else {
                Err(answers)
            }
        })
        .await
        .unwrap_or_else(|last| last);
        let events = issued_event_counts(&db).await;
        db.close().await;
        let mut completed = 0;
        let mut duplicated = 0;
        for id in &wanted {
            let a = answers.get(*id).copied().unwrap_or(0);
            let e = events.get(*id).copied().unwrap_or(0);
            if a >= 1 && e >= 1 {
                completed += 1;
            }
            duplicated += usize::try_from((a - 1).max(0)).unwrap_or(0) + e.saturating_sub(1);
        }
        // The applicant sees the same through the API.
        let issued_by_api = futures::stream::iter(wanted.iter().map(|id| (*id).to_owned()))
            .map(|id| async move { self.is_issued(&id).await })
            .buffer_unordered(16)
            .filter(|issued| std::future::ready(*issued))
            .count()
            .await;
        assert_eq!(
            issued_by_api, completed,
            "the API and the store agree on what was issued"
        );
        (completed, wanted.len() - completed, duplicated)
    }

    async fn is_issued(&self, inquiry_id: &str) -> bool {
        self.inquiry()
            .get_inquiry(outgoing(
                pb::GetInquiryRequest {
                    key: Some(pb::get_inquiry_request::Key::InquiryId(inquiry_id.into())),
                },
                Some(&self.token),
            ))
            .await
            .ok()
            .and_then(|r| r.into_inner().inquiry)
            .is_some_and(|i| i.state == pb::InquiryState::Issued as i32)
    }
}

/// A channel to `endpoint` with the system's client settings.
pub fn channel(settings: &Settings, endpoint: &str) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

async fn answer_counts(
    db: &estelam_runtime::db::Database,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT inquiry_id, COUNT(*) AS n FROM answers GROUP BY inquiry_id")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("inquiry_id")?, r.try_get("n")?)))
        .collect()
}

async fn issued_event_counts(db: &estelam_runtime::db::Database) -> HashMap<String, usize> {
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT payload FROM outbox WHERE routing_key = $1")
        .bind(estelam_proto::routing_keys::ANSWER_ISSUED)
        .fetch_all(db.pool())
        .await
        .expect("the outbox");
    let mut counts = HashMap::new();
    for r in &rows {
        let payload: Vec<u8> = r.try_get("payload").expect("payload");
        if let Ok(e) = estelam_proto::events::v1::AnswerIssued::decode(payload.as_slice()) {
            *counts.entry(e.inquiry_id).or_default() += 1;
        }
    }
    counts
}
