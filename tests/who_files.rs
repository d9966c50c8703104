//! Who asks, who is named and who pays (issue 16, points 1, 2 and the consent throttle of
//! 8), through the whole running system: the gateway over HTTP and the services over gRPC,
//! on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL.
//!
//! * a freshly registered citizen who names a demo owner as the applicant is refused at the
//!   applicant step (`APPLICANT_NOT_CALLER`) over gRPC and HTTP, the owner's request number
//!   is not used up, and the owner still files, without even typing their national code;
//! * an office's user who names another office in the letter step is refused
//!   (`AUTHORITY_NOT_OWN_ORGANIZATION`) over gRPC and HTTP, so that office is never charged;
//! * the owner who files themselves naming the office pays the inquiry fee on their own bill
//!   (the office is not charged), the office reads and lists the inquiry through the
//!   gateway, and the answer, issued after payment, says the owner asked, addressed to the
//!   office (the office-filed path, charged to the office, is in `tests/inquiry_flow.rs`);
//! * wrong membership codes at an office, for one citizen, do not block that office's
//!   on-behalf filing for another citizen (identity counts them per organisation and
//!   citizen, not per the inquiry service's own account).

use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;

mod support;

use support::nine_steps::grpc::{self, DocumentsClient, Filing, InquiryClient, Letter, Once};
use support::nine_steps::{LETTER_DATE, LETTER_NUMBER, http};
use support::on_every_backend;
use support::{accounts, system};

/// A valid national code no demo person has, for the stranger who registers.
const STRANGER: &str = "0012345679";
const STRANGER_PASSWORD: &str = "a stranger's long passphrase";

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

/// One running system with the demo people.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    admin: String,
    inquiry: InquiryClient,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let system::Started {
            system,
            settings,
            admin,
            people,
            postgres,
            data,
        } = system::start_with_demo(label, "who", postgres_url.as_deref(), 200).await;
        let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, &settings));
        Self {
            label,
            system,
            settings,
            people,
            admin,
            inquiry,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    fn owner(&self) -> &CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| !c.has_debt)
            .expect("a demo owner without debt")
    }

    async fn token_of(&self, c: &CitizenLogin) -> String {
        accounts::log_in(&self.settings, &c.national_code, &c.password).await
    }

    /// Registers a citizen who owns nothing and logs them in.
    async fn stranger(&self) -> String {
        self.register(STRANGER, "09127654321").await;
        accounts::log_in(&self.settings, STRANGER, STRANGER_PASSWORD).await
    }

    /// Registers a citizen with `national_code`; returns their membership code.
    async fn register(&self, national_code: &str, mobile: &str) -> String {
        ipb::identity_service_client::IdentityServiceClient::new(channel(
            &self.settings.endpoints.identity,
            &self.settings,
        ))
        .register_citizen(ipb::RegisterCitizenRequest {
            national_code: national_code.into(),
            first_name: "غریبه".into(),
            last_name: "ناشناس".into(),
            mobile: mobile.into(),
            password: STRANGER_PASSWORD.into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{}: {national_code} registers: {e}", self.label))
        .into_inner()
        .membership_code
    }

    /// The demo notary office's user's token.
    async fn authority(&self) -> String {
        let a = &self.people.authority;
        accounts::log_in(&self.settings, &a.national_code, &a.password).await
    }

    /// FileInquiryOnBehalf by the holder of `token` for `national_code`, consenting with
    /// `membership_code`.
    async fn file_on_behalf(
        &self,
        token: &str,
        national_code: &str,
        membership_code: &str,
    ) -> Result<pb::Inquiry, tonic::Status> {
        let mut c = self.inquiry.clone();
        c.file_inquiry_on_behalf(estelam_runtime::grpc::outgoing(
            pb::FileInquiryOnBehalfRequest {
                request_type_code: "court".into(),
                applicant_national_code: national_code.into(),
                applicant_membership_code: membership_code.into(),
                client_request_id: support::nine_steps::key(),
            },
            Some(token),
        ))
        .await
        .map(|r| r.into_inner().inquiry.expect("the filed inquiry"))
    }

    /// A national ID card and an ownership deed uploaded by the holder of `token`.
    async fn card_and_deed(&self, token: &str) -> Vec<String> {
        let documents =
            DocumentsClient::new(channel(&self.settings.endpoints.documents, &self.settings));
        grpc::card_and_deed(&documents, token).await
    }

    /// A property transfer opened over gRPC by the holder of `token`, filled in up to the
    /// applicant step for `parcel_of`'s parcel and request number.
    async fn up_to_applicant(&self, token: &str, parcel_of: &CitizenLogin) -> Filing<'_, Once> {
        let label = self.label;
        let rt = grpc::request_type(&Once, &self.inquiry, token, "property-transfer")
            .await
            .expect("the request type");
        let mut f = Filing::open(&Once, &self.inquiry, token, &rt)
            .await
            .unwrap_or_else(|e| panic!("{label}: open: {e}"));
        f.property(&parcel_of.renovation_code, &parcel_of.request_number)
            .await
            .unwrap_or_else(|e| panic!("{label}: property: {e}"));
        f.letter(&Letter::from_authority(
            &self.people.authority.organization_id,
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: letter: {e}"));
        f.documents(self.card_and_deed(token).await)
            .await
            .unwrap_or_else(|e| panic!("{label}: documents: {e}"));
        f
    }

    /// The same over the gateway's HTTP API.
    async fn up_to_applicant_http<'a>(
        &self,
        applicant: &'a http::Applicant,
        parcel_of: &CitizenLogin,
    ) -> http::Filing<'a> {
        http::Filing::up_to_applicant(
            applicant,
            "property-transfer",
            &parcel_of.renovation_code,
            &parcel_of.request_number,
            &self.people.authority.organization_id,
        )
        .await
    }
}

on_every_backend!(a_citizen_files_only_as_themselves => crate::files_only_as_themselves);

async fn files_only_as_themselves(w: &World) {
    let label = w.label;
    let owner = w.owner().clone();
    let stranger = w.stranger().await;

    // Over gRPC: the stranger names the owner (name, national code, ownership type) on the
    // owner's parcel and request number; the applicant step refuses, saying why.
    let mut f = w.up_to_applicant(&stranger, &owner).await;
    let refused = f
        .applicant(&owner.name, &owner.national_code, ppb::OwnershipType::Full)
        .await
        .expect_err("naming another person is refused");
    assert_eq!(refused.code(), Code::PermissionDenied, "{label}: {refused}");
    let e = ServiceError::from_status(&refused);
    assert_eq!(e.reason, "APPLICANT_NOT_CALLER", "{label}: {e:?}");
    assert!(
        !e.message_fa.is_empty() && e.message_en.contains("only for yourself"),
        "{label}: {e:?}"
    );
    // Leaving the code out does not help: the applicant is the stranger, who owns nothing.
    let refused = f
        .applicant(&owner.name, "", ppb::OwnershipType::Full)
        .await
        .expect_err("the stranger is not an owner");
    assert_eq!(
        ServiceError::from_status(&refused).reason,
        "APPLICANT_NOT_OWNER",
        "{label}: {refused}"
    );
    assert_eq!(
        f.refresh().await.expect("read back").state,
        pb::InquiryState::DocumentsAttached as i32,
        "{label}: the refused step changed nothing"
    );

    // Through the gateway: the same refusal as a 403 problem.
    let s = http::Applicant::new(&w.system.gateway_url, &stranger);
    let mut h = w.up_to_applicant_http(&s, &owner).await;
    let reply = h
        .applicant(&owner.name, &owner.national_code, "full")
        .await
        .expect_err("naming another person is refused");
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    assert_eq!(
        reply.body["reason"], "APPLICANT_NOT_CALLER",
        "{label}: {reply}"
    );

    // The owner's request number was not used up: the owner files with it, through the
    // gateway, without typing a national code (it comes from the login).
    let token = w.token_of(&owner).await;
    let o = http::Applicant::new(&w.system.gateway_url, &token);
    let mut mine = w.up_to_applicant_http(&o, &owner).await;
    let step = mine
        .applicant(&owner.name, "", "full")
        .await
        .unwrap_or_else(|r| panic!("{label}: the owner's applicant step: {r}"));
    assert_eq!(
        step["applicant"]["national_code"],
        owner.national_code.as_str(),
        "{label}: {step}"
    );
    let submitted = mine
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{label}: the owner submits with their number: {r}"));
    // The owner filed themselves and named the notary office in the letter: the office is
    // not charged, so the inquiry fee is on the owner's bill (a parcel with no debt owes
    // nothing else) and the answer waits for the payment.
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{label}: {submitted}"
    );
    let lines = submitted["bill"]["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l["kind"] == "inquiry_fee"),
        "{label}: the bill is the inquiry fee alone: {submitted}"
    );

    // Through the gateway, the office reads the inquiry and lists it among those addressed
    // to it; the stranger (a citizen) does not see it.
    let office_id = &w.people.authority.organization_id;
    let office = http::Applicant::new(&w.system.gateway_url, &w.authority().await);
    let seen = office
        .get(&mine.path(""))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the named office reads it: {r}"));
    assert_eq!(seen["state"], "awaiting_payment", "{label}: {seen}");
    let listed = office
        .get(&format!(
            "/api/v1/inquiries?letter_organization_id={office_id}"
        ))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the office's list: {r}"));
    assert!(
        listed["inquiries"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["inquiry_id"] == mine.id.as_str())),
        "{label}: {listed}"
    );
    let hidden = s.get(&mine.path("")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{label}: {hidden}");

    // Paid with the bill, the answer is issued; it says the owner asked, addressed to the
    // office with its letter number.
    mine.pay_and_wait().await;
    let answer = o
        .get(&mine.path("answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the answer: {r}"));
    assert_eq!(
        answer["facts"]["inquired_by"], "applicant",
        "{label}: {answer}"
    );
    assert_eq!(
        answer["facts"]["authority_organization_id"],
        office_id.as_str(),
        "{label}: {answer}"
    );
    assert_eq!(
        answer["facts"]["letter_number"],
        estelam_domain::normalize_digits(LETTER_NUMBER),
        "{label}: {answer}"
    );
    // The fee paid was no debt of the parcel's.
    assert_eq!(answer["facts"]["debt_status"], "none", "{label}: {answer}");
}

on_every_backend!(consent_guesses_block_only_that_office_and_citizen => crate::consent_throttle);

async fn consent_throttle(w: &World) {
    let label = w.label;
    let (first, second) = ("0012345687", "0012345695");
    let first_code = w.register(first, "09127654322").await;
    let second_code = w.register(second, "09127654323").await;
    let wrong = (1..)
        .map(|n| {
            estelam_domain::CheckCode::from_sequence(estelam_domain::CodeKind::Membership, n)
                .expect("a membership code")
                .as_str()
                .to_owned()
        })
        .find(|c| *c != first_code)
        .expect("another code");
    let wrong = wrong.as_str();
    let office = w.authority().await;
    let mut throttled = false;
    for _ in 0..6 {
        let e = w
            .file_on_behalf(&office, first, wrong)
            .await
            .expect_err("a wrong membership code is refused");
        match ServiceError::from_status(&e).reason.as_str() {
            "CONSENT_NOT_VERIFIED" => {}
            "ATTEMPTS_THROTTLED" => throttled = true,
            other => panic!("{label}: {other}: {e}"),
        }
    }
    assert!(
        throttled,
        "{label}: guessing one citizen's code is throttled"
    );
    // The same office files for another citizen, who gave the right code.
    let filed = w
        .file_on_behalf(&office, second, &second_code)
        .await
        .unwrap_or_else(|e| panic!("{label}: the office's filing for another citizen: {e}"));
    assert_eq!(filed.state, pb::InquiryState::Draft as i32, "{label}");
}

on_every_backend!(an_office_names_only_itself => crate::office_names_only_itself);

async fn office_names_only_itself(w: &World) {
    let label = w.label;
    // Another notary office, registered by the admin.
    let other = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &w.settings.endpoints.identity,
        &w.settings,
    ))
    .create_organization(estelam_runtime::grpc::outgoing(
        ipb::CreateOrganizationRequest {
            r#type: ipb::OrganizationType::NotaryOffice as i32,
            name: Some(estelam_proto::common::v1::LocalizedText {
                fa: "دفتر اسناد رسمی دیگر".into(),
                en: "Another notary office".into(),
            }),
            registry_number: "9876".into(),
            city: "اصفهان".into(),
            address: "خیابان دیگر".into(),
            phone: "03131234567".into(),
        },
        Some(&w.admin),
    ))
    .await
    .unwrap_or_else(|e| panic!("{label}: the admin registers another office: {e}"))
    .into_inner()
    .organization
    .expect("the office")
    .organization_id;

    // The demo office files a court inquiry for a consenting citizen, up to the letter.
    let citizen = "0012345709";
    let membership = w.register(citizen, "09127654324").await;
    let office = w.authority().await;
    let filed = w
        .file_on_behalf(&office, citizen, &membership)
        .await
        .unwrap_or_else(|e| panic!("{label}: the office files: {e}"));
    let parcel = w.owner().clone();
    let rt = grpc::request_type(&Once, &w.inquiry, &office, "court")
        .await
        .expect("the request type");
    let mut filing = grpc::Filing::resume(&Once, &w.inquiry, &office, &rt, filed)
        .await
        .unwrap_or_else(|e| panic!("{label}: undertakings: {e}"));
    filing
        .property(&parcel.renovation_code, &parcel.request_number)
        .await
        .unwrap_or_else(|e| panic!("{label}: property: {e}"));
    let inq = filing.inquiry.clone();

    // Over gRPC: naming the other office is refused, saying why.
    let refused = filing
        .letter(&Letter::from_authority(&other))
        .await
        .expect_err("naming another office is refused");
    assert_eq!(refused.code(), Code::PermissionDenied, "{label}: {refused}");
    let e = ServiceError::from_status(&refused);
    assert_eq!(e.reason, "AUTHORITY_NOT_OWN_ORGANIZATION", "{label}: {e:?}");
    assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());

    // Through the gateway: the same refusal as a 403 problem.
    let h = http::Applicant::new(&w.system.gateway_url, &office);
    let reply = h
        .put(
            &format!("/api/v1/inquiries/{}/letter", inq.inquiry_id),
            json!({"expected_version": inq.version, "client_request_id": support::nine_steps::key(),
                   "letter_number": LETTER_NUMBER, "letter_date_jalali": LETTER_DATE,
                   "authority_organization_id": other}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    assert_eq!(
        reply.body["reason"], "AUTHORITY_NOT_OWN_ORGANIZATION",
        "{label}: {reply}"
    );

    // Its own organisation is accepted.
    filing
        .letter(&Letter::from_authority(&w.people.authority.organization_id))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office names itself: {e}"));
    assert_eq!(
        filing
            .inquiry
            .letter
            .as_ref()
            .expect("the letter")
            .authority_organization_id,
        w.people.authority.organization_id,
        "{label}"
    );
}
