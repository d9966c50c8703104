//! Acting for an owner (issue 16, "who asks"): a representative (وکیل) files an inquiry in
//! the owner's name with a power of attorney, a clerk approves or refuses it, and the owner
//! is told by SMS — through the whole running system, over gRPC and through the gateway, on
//! SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL.
//!
//! * over gRPC: without a power of attorney, or with a document of another kind, the
//!   applicant step is refused; with one, the inquiry waits for a clerk (Submit refused,
//!   no answer), the owner gets an SMS naming the inquiry and the representative, a citizen
//!   cannot approve, a clerk finds it in the waiting list and approves, and the
//!   representative's Submit issues an answer naming the owner as applicant and the
//!   representative «به وکالت»; the owner is told of the approval too;
//! * through the gateway: the same filing waits, a citizen's decision is 403, a refusal
//!   without a reason is 400, and a clerk's refusal closes the inquiry with the reason the
//!   representative then reads.

use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tonic::Code;
use tonic::transport::Channel;

mod support;

use support::nine_steps::grpc::{self, DocumentsClient, Filing, InquiryClient, Once};
use support::nine_steps::{http, key};
use support::on_every_backend;
use support::{accounts, system};

/// A valid national code no demo person has: the representative.
const REPRESENTATIVE: &str = "0012345679";
const REPRESENTATIVE_PASSWORD: &str = "a representative's long passphrase";
const REPRESENTATIVE_NAME: &str = "رضا وکیلی";
/// How long an owner's SMS may take to leave through the outbox and identity's inbox.
const TOLD_WITHIN: Duration = Duration::from_secs(20);

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

type IdentityClient = ipb::identity_service_client::IdentityServiceClient<Channel>;

/// One running system with the demo people.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    inquiry: InquiryClient,
    identity: IdentityClient,
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
        } = system::start_with_demo(label, "rep", postgres_url.as_deref(), 200).await;
        let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, &settings));
        let identity = IdentityClient::new(channel(&settings.endpoints.identity, &settings));
        Self {
            label,
            system,
            settings,
            people,
            inquiry,
            identity,
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

    /// Registers the representative (a citizen who owns nothing) and logs them in.
    async fn representative(&self) -> String {
        let mut identity = self.identity.clone();
        identity
            .register_citizen(ipb::RegisterCitizenRequest {
                national_code: REPRESENTATIVE.into(),
                first_name: "رضا".into(),
                last_name: "وکیلی".into(),
                mobile: "09127654321".into(),
                password: REPRESENTATIVE_PASSWORD.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("{}: the representative registers: {e}", self.label));
        self.token_of(REPRESENTATIVE, REPRESENTATIVE_PASSWORD).await
    }

    /// The owner confirms their mobile with the code identity sends (read from the SMS
    /// log), so that they can be told; returns that mobile.
    async fn verified_mobile_of(&self, owner: &CitizenLogin) -> String {
        let label = self.label;
        let token = self.token_of(&owner.national_code, &owner.password).await;
        let mut identity = self.identity.clone();
        let me = identity
            .get_me(outgoing(ipb::GetMeRequest {}, Some(&token)))
            .await
            .unwrap_or_else(|e| panic!("{label}: the owner's account: {e}"))
            .into_inner()
            .account
            .expect("the account");
        let last_code = || {
            self.system
                .sms_sent()
                .into_iter()
                .rev()
                .find(|m| m.mobile == me.mobile)
                .and_then(|m| estelam_identity::sms::code_in(&m.text))
        };
        // The demo start may already have sent one; else ask for it.
        let code = match last_code() {
            Some(code) => code,
            None => {
                identity
                    .send_mobile_code(outgoing(ipb::SendMobileCodeRequest {}, Some(&token)))
                    .await
                    .unwrap_or_else(|e| panic!("{label}: a code is sent to the owner: {e}"));
                last_code().unwrap_or_else(|| panic!("{label}: the code sent to {}", me.mobile))
            }
        };
        identity
            .verify_mobile(outgoing(ipb::VerifyMobileRequest { code }, Some(&token)))
            .await
            .unwrap_or_else(|e| panic!("{label}: the owner confirms their mobile: {e}"));
        me.mobile
    }

    /// Waits until an SMS to `mobile` (from the notifications service's log provider)
    /// contains every one of `words`; returns its text.
    async fn told(&self, mobile: &str, words: &[&str]) -> String {
        estelam_runtime::testing::eventually("the owner's SMS", TOLD_WITHIN, async || {
            let sent: Vec<String> = self
                .system
                .notifications_sent()
                .into_iter()
                .filter(|m| {
                    m.channel == estelam_notifications::rules::Channel::Sms && m.to == mobile
                })
                .map(|m| m.body)
                .collect();
            sent.iter()
                .find(|t| words.iter().all(|w| t.contains(w)))
                .cloned()
                .ok_or(sent)
        })
        .await
    }

    fn documents(&self) -> DocumentsClient {
        DocumentsClient::new(channel(&self.settings.endpoints.documents, &self.settings))
    }

    async fn power_of_attorney(&self, token: &str) -> String {
        grpc::upload(
            &Once,
            &self.documents(),
            token,
            dpb::DocumentKind::PowerOfAttorney,
            "vekalat.pdf",
            fixtures::pdf("", 2_000),
        )
        .await
        .expect("the power of attorney uploads")
    }

    async fn decide(
        &self,
        token: &str,
        inq: &pb::Inquiry,
        approve: bool,
        reason: &str,
    ) -> Result<pb::Inquiry, tonic::Status> {
        let mut c = self.inquiry.clone();
        c.decide_representation(outgoing(
            pb::DecideRepresentationRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: key(),
                approve,
                reason: reason.into(),
            },
            Some(token),
        ))
        .await
        .map(|r| r.into_inner().inquiry.expect("the decided inquiry"))
    }
}

on_every_backend!(a_representative_files_for_the_owner => crate::approved_over_grpc_refused_over_http);

fn claim(poa: &str) -> pb::RepresentationClaim {
    pb::RepresentationClaim {
        representative_full_name: REPRESENTATIVE_NAME.into(),
        power_of_attorney_document_id: poa.into(),
    }
}

fn reason_of(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

async fn approved_over_grpc_refused_over_http(w: &World) {
    let label = w.label;
    let owner = w.owner(false);
    let owner_mobile = w.verified_mobile_of(&owner).await;
    let rep = w.representative().await;
    let clerk = w.clerk().await;

    // Over gRPC, up to the applicant step on the owner's parcel and request number.
    // The owner's clearance (no letter, no inquiry fee): the answer comes within Submit.
    let rt = grpc::request_type(&Once, &w.inquiry, &rep, "clearance")
        .await
        .expect("the request type");
    let mut f = Filing::open(&Once, &w.inquiry, &rep, &rt)
        .await
        .unwrap_or_else(|e| panic!("{label}: open: {e}"));
    f.property(&owner.renovation_code, &owner.request_number)
        .await
        .unwrap_or_else(|e| panic!("{label}: property: {e}"));
    let card_and_deed = grpc::card_and_deed(&w.documents(), &rep).await;
    f.documents(card_and_deed.clone())
        .await
        .unwrap_or_else(|e| panic!("{label}: documents: {e}"));

    // No power of attorney, or a deed in its place: refused, saying why.
    let refused = f
        .applicant_for_owner(
            &owner.name,
            &owner.national_code,
            ppb::OwnershipType::Full,
            claim(""),
        )
        .await
        .expect_err("no power of attorney is refused");
    assert_eq!(refused.code(), Code::InvalidArgument, "{label}: {refused}");
    assert_eq!(reason_of(&refused), "POWER_OF_ATTORNEY_REQUIRED", "{label}");
    let refused = f
        .applicant_for_owner(
            &owner.name,
            &owner.national_code,
            ppb::OwnershipType::Full,
            claim(&card_and_deed[1]),
        )
        .await
        .expect_err("a deed is not a power of attorney");
    assert_eq!(
        reason_of(&refused),
        "POWER_OF_ATTORNEY_KIND_WRONG",
        "{label}"
    );

    // With one: the inquiry waits for a clerk, in the owner's name.
    let poa = w.power_of_attorney(&rep).await;
    f.applicant_for_owner(
        &owner.name,
        &owner.national_code,
        ppb::OwnershipType::Full,
        claim(&poa),
    )
    .await
    .unwrap_or_else(|e| panic!("{label}: the representative's applicant step: {e}"));
    assert_eq!(
        f.inquiry.state,
        pb::InquiryState::AwaitingRepresentationApproval as i32,
        "{label}"
    );
    let applicant = f.inquiry.applicant.clone().expect("the applicant");
    assert_eq!(applicant.national_code, owner.national_code, "{label}");
    let representation = applicant.representation.expect("the representation");
    assert_eq!(representation.representative_national_code, REPRESENTATIVE);
    assert_eq!(
        representation.status,
        pb::RepresentationStatus::Pending as i32
    );

    // Nothing is answered while it waits.
    let refused = f.submit().await.expect_err("Submit waits for the clerk");
    assert_eq!(reason_of(&refused), "REPRESENTATION_PENDING", "{label}");
    let number = f.inquiry.inquiry_number.clone();
    let filed = w
        .told(
            &owner_mobile,
            &[number.as_str(), REPRESENTATIVE_NAME, "شهرداری"],
        )
        .await;
    assert!(filed.contains("به نام شما"), "{label}: {filed}");

    // A citizen cannot approve; a clerk finds it in the waiting list and approves.
    let refused = w
        .decide(&rep, &f.inquiry, true, "")
        .await
        .expect_err("a citizen cannot approve");
    assert_eq!(refused.code(), Code::PermissionDenied, "{label}: {refused}");
    let waiting = w
        .inquiry
        .clone()
        .list_inquiries(outgoing(
            pb::ListInquiriesRequest {
                states: vec![pb::InquiryState::AwaitingRepresentationApproval as i32],
                ..Default::default()
            },
            Some(&clerk),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the clerk's waiting list: {e}"))
        .into_inner();
    assert!(
        waiting
            .inquiries
            .iter()
            .any(|i| i.inquiry_id == f.inquiry.inquiry_id),
        "{label}: the inquiry is in the clerk's waiting list"
    );
    let approved = w
        .decide(&clerk, &f.inquiry, true, "")
        .await
        .unwrap_or_else(|e| panic!("{label}: the clerk approves: {e}"));
    assert_eq!(
        approved.state,
        pb::InquiryState::ApplicantVerified as i32,
        "{label}"
    );
    w.told(&owner_mobile, &[number.as_str(), "تأیید شد"]).await;

    // The representative submits; the answer names the owner, and the representative.
    f.refresh().await.expect("read back");
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|e| panic!("{label}: the representative submits: {e}"));
    let inq = submitted.inquiry.expect("the inquiry");
    assert_eq!(inq.state, pb::InquiryState::Issued as i32, "{label}");
    let answer = w
        .inquiry
        .clone()
        .get_answer(outgoing(
            pb::GetAnswerRequest {
                inquiry_id: inq.inquiry_id.clone(),
            },
            Some(&rep),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the answer: {e}"))
        .into_inner()
        .answer
        .expect("the answer");
    let facts = answer.facts.expect("the facts");
    assert_eq!(facts.applicant_full_name, owner.name, "{label}");
    assert_eq!(
        facts.representative_full_name, REPRESENTATIVE_NAME,
        "{label}"
    );
    assert!(!facts.representative_national_code.is_empty(), "{label}");

    // Through the gateway: the owner with debt, filed by the same representative, refused.
    let debtor = w.owner(true);
    let h = http::Applicant::new(&w.system.gateway_url, &rep);
    let mut hf = http::Filing::up_to_applicant(
        &h,
        "property-transfer",
        &debtor.renovation_code,
        &debtor.request_number,
        &w.people.authority.organization_id,
    )
    .await;
    let reply = hf
        .applicant_for_owner(
            &debtor.name,
            &debtor.national_code,
            "full",
            json!({"representative_full_name": REPRESENTATIVE_NAME,
                   "power_of_attorney_document_id": ""}),
        )
        .await
        .expect_err("no power of attorney is refused");
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{label}: {reply}");
    assert_eq!(
        reply.body["reason"], "POWER_OF_ATTORNEY_REQUIRED",
        "{label}"
    );
    let poa = h
        .upload_ok(
            "power_of_attorney",
            "وکالت‌نامه.pdf",
            "application/pdf",
            fixtures::pdf("", 2_000),
        )
        .await;
    let waiting = hf
        .applicant_for_owner(
            &debtor.name,
            &debtor.national_code,
            "full",
            json!({"representative_full_name": REPRESENTATIVE_NAME,
                   "power_of_attorney_document_id": poa}),
        )
        .await
        .unwrap_or_else(|r| panic!("{label}: the representative's applicant step: {r}"));
    assert_eq!(
        waiting["state"], "awaiting_representation_approval",
        "{label}: {waiting}"
    );
    assert_eq!(
        waiting["applicant"]["representation"]["status"], "pending",
        "{label}: {waiting}"
    );
    let c = http::Applicant::new(&w.system.gateway_url, &clerk);
    let list = c
        .get("/api/v1/inquiries?state=awaiting_representation_approval")
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the clerk's list: {r}"));
    assert!(
        list["inquiries"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["inquiry_id"] == hf.id.as_str())),
        "{label}: {list}"
    );
    let decision = format!("/api/v1/inquiries/{}/representation/decision", hf.id);
    let reply = h
        .post(
            &decision,
            json!({"expected_version": waiting["version"], "client_request_id": key(),
                   "approve": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    let reply = c
        .post(
            &decision,
            json!({"expected_version": waiting["version"], "client_request_id": key(),
                   "approve": false, "reason": "  "}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{label}: {reply}");
    assert_eq!(reply.body["reason"], "REASON_REQUIRED", "{label}: {reply}");
    let because = "وکالت‌نامه امضای دفترخانه ندارد";
    let refused = c
        .post(
            &decision,
            json!({"expected_version": waiting["version"], "client_request_id": key(),
                   "approve": false, "reason": because}),
        )
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the clerk refuses: {r}"));
    assert_eq!(refused["state"], "rejected", "{label}: {refused}");
    // The representative sees why.
    let seen = h
        .get(&hf.path(""))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the representative reads it: {r}"));
    assert_eq!(seen["state"], "rejected", "{label}: {seen}");
    assert!(
        seen["state_reason"]["fa"]
            .as_str()
            .is_some_and(|t| t.contains(because)),
        "{label}: {seen}"
    );
    assert_eq!(
        seen["applicant"]["representation"]["status"], "refused",
        "{label}: {seen}"
    );
}
