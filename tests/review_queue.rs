//! The clerks' review queue (issue 20): an applicant whose name or ownership type differs
//! from the parcel's record waits for a municipal clerk instead of a dead end — through the
//! whole running system, over gRPC and through the gateway, on SQLite and (when
//! `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL.
//!
//! * a name otherwise than on the deed: the inquiry waits (Submit refused, nothing issued);
//!   a citizen can neither list the queue nor decide; the clerk's queue shows what the
//!   applicant gave beside what the record says; the clerk approves, once (a retry is
//!   answered the same, a second decision is refused), and the citizen's inquiry goes on
//!   to an issued answer;
//! * the wrong ownership type: the applicant sees that a clerk reviews it but not the
//!   registry's data; a refusal without a reason is refused; the clerk refuses with a
//!   reason the citizen then reads on their inquiry.

use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::transport::Channel;

mod support;

use support::nine_steps::grpc::{self, DocumentsClient, Filing, InquiryClient, Once};
use support::nine_steps::{http, key};
use support::on_every_backend;
use support::{accounts, system};

/// A name no owner is recorded under.
const OTHER_NAME: &str = "مریم کاظمی";

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

/// One running system with the demo people.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    inquiry: InquiryClient,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let system::Started {
            system,
            settings,
            admin: _,
            people,
            postgres,
            data,
        } = system::start_with_demo(label, "review", postgres_url.as_deref(), 200).await;
        let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, &settings));
        Self {
            label,
            system,
            settings,
            people,
            inquiry,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    fn owner(&self, has_debt: bool) -> CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| c.has_debt == has_debt)
            .expect("a demo owner")
            .clone()
    }

    async fn token_of(&self, national_code: &str, password: &str) -> String {
        accounts::log_in(&self.settings, national_code, password).await
    }

    async fn clerk(&self) -> String {
        let c = &self.people.clerk;
        self.token_of(&c.national_code, &c.password).await
    }

    fn http(&self, token: &str) -> http::Applicant {
        http::Applicant::new(&self.system.gateway_url, token)
    }

    fn documents(&self) -> DocumentsClient {
        DocumentsClient::new(channel(&self.settings.endpoints.documents, &self.settings))
    }

    /// The queue as the holder of `token` reads it through the gateway.
    async fn queue(&self, token: &str) -> http::Reply {
        self.http(token).get("/api/v1/desk/reviews").await
    }
}

on_every_backend!(a_mismatch_goes_to_a_clerk => crate::approved_then_refused);

fn reason_of(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

fn queued<'a>(queue: &'a Value, inquiry_id: &str) -> Option<&'a Value> {
    queue["reviews"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["inquiry"]["inquiry_id"] == inquiry_id))
}

async fn approved_then_refused(w: &World) {
    let label = w.label;
    let clerk = w.clerk().await;

    // Over gRPC: the owner who owes nothing asks for a clearance under another name.
    let owner = w.owner(false);
    let citizen = w.token_of(&owner.national_code, &owner.password).await;
    let rt = grpc::request_type(&Once, &w.inquiry, &citizen, "clearance")
        .await
        .expect("the request type");
    let mut f = Filing::open(&Once, &w.inquiry, &citizen, &rt)
        .await
        .unwrap_or_else(|e| panic!("{label}: open: {e}"));
    f.property(&owner.renovation_code, &owner.request_number)
        .await
        .unwrap_or_else(|e| panic!("{label}: property: {e}"));
    f.documents(grpc::card_and_deed(&w.documents(), &citizen).await)
        .await
        .unwrap_or_else(|e| panic!("{label}: documents: {e}"));
    f.applicant(OTHER_NAME, &owner.national_code, ppb::OwnershipType::Full)
        .await
        .unwrap_or_else(|e| panic!("{label}: a mismatch is not a dead end: {e}"));
    assert_eq!(
        f.inquiry.state,
        pb::InquiryState::AwaitingReview as i32,
        "{label}"
    );
    let refused = f.submit().await.expect_err("Submit waits for the clerk");
    assert_eq!(reason_of(&refused), "REVIEW_PENDING", "{label}");
    let id = f.inquiry.inquiry_id.clone();

    // A citizen neither reads the queue nor decides.
    let reply = w.queue(&citizen).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    let decision = format!("/api/v1/inquiries/{id}/review/decision");
    let reply = w
        .http(&citizen)
        .post(
            &decision,
            json!({"expected_version": f.inquiry.version, "client_request_id": key(),
                   "approve": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");

    // The clerk's queue: what the applicant gave beside what the record says.
    let queue = w
        .queue(&clerk)
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the clerk's queue: {r}"));
    let item = queued(&queue, &id).unwrap_or_else(|| panic!("{label}: queued: {queue}"));
    assert_eq!(item["kind"], "applicant_name_mismatch", "{label}: {item}");
    assert_eq!(item["given_full_name"], OTHER_NAME, "{label}: {item}");
    assert_eq!(
        item["recorded"]["owner_full_name"],
        owner.name.as_str(),
        "{label}: {item}"
    );
    assert_eq!(
        item["documents"].as_array().map(Vec::len),
        Some(2),
        "{label}: the card and the deed to read: {item}"
    );

    // Approved once: a retry is answered the same, a second decision is refused.
    let c = w.http(&clerk);
    let body = json!({"expected_version": f.inquiry.version, "client_request_id": key(),
                      "approve": true});
    let approved = c
        .post(&decision, body.clone())
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the clerk approves: {r}"));
    assert_eq!(
        approved["state"], "applicant_verified",
        "{label}: {approved}"
    );
    let approval = approved["history"]
        .as_array()
        .and_then(|h| h.last())
        .unwrap_or_else(|| panic!("{label}: the timeline: {approved}"));
    assert!(
        approval["changed"]["actor_display_name"]
            .as_str()
            .is_some_and(|n| !n.trim().is_empty()),
        "{label}: the clerk's name is on the timeline: {approval}"
    );
    let again = c
        .post(&decision, body)
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the retry: {r}"));
    assert_eq!(again["version"], approved["version"], "{label}: {again}");
    let reply = c
        .post(
            &decision,
            json!({"expected_version": approved["version"], "client_request_id": key(),
                   "approve": false, "reason_fa": "دوباره"}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{label}: {reply}"
    );
    assert_eq!(
        reply.body["reason"], "REVIEW_NOT_PENDING",
        "{label}: {reply}"
    );

    // The citizen goes on to the answer.
    f.refresh().await.expect("read back");
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|e| panic!("{label}: the citizen submits: {e}"));
    let inq = submitted.inquiry.expect("the inquiry");
    assert_eq!(inq.state, pb::InquiryState::Issued as i32, "{label}");
    assert_eq!(
        inq.review.map(|r| r.status),
        Some(pb::ReviewStatus::Approved as i32),
        "{label}"
    );

    // Through the gateway: the owner with debt declares the wrong ownership type.
    let debtor = w.owner(true);
    let citizen = w.token_of(&debtor.national_code, &debtor.password).await;
    let h = w.http(&citizen);
    let mut hf = http::Filing::up_to_applicant(
        &h,
        "property-transfer",
        &debtor.renovation_code,
        &debtor.request_number,
        &w.people.authority.organization_id,
    )
    .await;
    let waiting = hf
        .applicant(&debtor.name, &debtor.national_code, "shared")
        .await
        .unwrap_or_else(|r| panic!("{label}: the applicant step: {r}"));
    assert_eq!(waiting["state"], "awaiting_review", "{label}: {waiting}");
    assert_eq!(
        waiting["review"]["kind"], "ownership_type_mismatch",
        "{label}"
    );
    assert_eq!(waiting["review"]["status"], "pending", "{label}");
    assert!(
        waiting["review"].get("recorded").is_none(),
        "{label}: the registry's data is for clerks only: {waiting}"
    );

    // Over gRPC, the clerk: a refusal needs a reason; with one, the inquiry is rejected.
    let version: i64 = waiting["version"].as_i64().expect("the version");
    let refuse = |fa: &str, en: &str| pb::DecideReviewRequest {
        inquiry_id: hf.id.clone(),
        expected_version: version,
        client_request_id: key(),
        approve: false,
        reason: Some(cpb::LocalizedText {
            fa: fa.into(),
            en: en.into(),
        }),
    };
    let err = w
        .inquiry
        .clone()
        .decide_review(outgoing(refuse(" ", ""), Some(&clerk)))
        .await
        .expect_err("a refusal says why");
    assert_eq!(reason_of(&err), "REASON_REQUIRED", "{label}");
    let because = "سند ملک شش‌دانگ به نام متقاضی است، نه مشاع";
    let rejected = w
        .inquiry
        .clone()
        .decide_review(outgoing(
            refuse(because, "The deed is six-dang, not shared"),
            Some(&clerk),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the clerk refuses: {e}"))
        .into_inner()
        .inquiry
        .expect("the inquiry");
    assert_eq!(rejected.state, pb::InquiryState::Rejected as i32, "{label}");

    // The citizen reads why on their inquiry.
    let seen = h
        .get(&hf.path(""))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the citizen reads it: {r}"));
    assert_eq!(seen["state"], "rejected", "{label}: {seen}");
    assert!(
        seen["state_reason"]["fa"]
            .as_str()
            .is_some_and(|t| t.contains(because)),
        "{label}: {seen}"
    );
    assert_eq!(seen["review"]["status"], "refused", "{label}: {seen}");
    assert!(
        seen["review"]["reason"]["en"]
            .as_str()
            .is_some_and(|t| t.contains("six-dang")),
        "{label}: {seen}"
    );
    let queue = w.queue(&clerk).await.success().expect("the queue");
    assert!(
        queued(&queue, &hf.id).is_none(),
        "{label}: decided: {queue}"
    );
}
