//! The whole inquiry for an institution (issue 17): the demo notary office's software, with
//! only its client id and secret from `demo.json`, files on behalf of a demo citizen who gave
//! it their membership code and walks the inquiry to its answer — opening it, the
//! undertakings, the parcel, the letter, the deed and ID card it holds uploaded for the
//! applicant, the applicant, submission, the fee charged to the office's account or the bill
//! paid, the answer as JSON and PDF — over gRPC and over HTTP. A draft charged to the
//! office's account and then cancelled has its charge reversed (the statement the office
//! reads keeps it, marked, and the balance drops). What the office uploads is the
//! applicant's: the applicant reads it, another citizen and another office do not, and
//! neither may upload for that inquiry.
//!
//! On SQLite with the in-process bus, and (when `ESTELAM_TEST_POSTGRES_URL` is set)
//! PostgreSQL, with RabbitMQ when `ESTELAM_TEST_AMQP_URL` is set too.

use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

mod support;

use support::accounts;
use support::nine_steps::grpc::{
    self, DocumentsClient, FeesClient, Filing, InquiryClient, Letter, Once, PropertyClient,
};
use support::nine_steps::{LETTER_DATE, LETTER_NUMBER, http, key};
use support::on_every_backend;

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

/// One running system with the demo people, on one backend.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    admin: String,
    clerk: String,
    inquiry: InquiryClient,
    documents: DocumentsClient,
    fees: FeesClient,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        };
        settings.property.demo_parcels = 100;
        let postgres = match &postgres_url {
            Some(url) => {
                let fresh = FreshDatabase::create(url, "walk")
                    .await
                    .expect("a PostgreSQL database of the run's own");
                settings.database.url = Some(SecretString::from(fresh.url().to_owned()));
                // The production pairing: PostgreSQL with RabbitMQ, on queues of this run's
                // own (durable queues are shared by every run on the broker).
                if let Some(amqp) = estelam_runtime::testing::amqp_url() {
                    let run = estelam_runtime::testing::unique_suffix();
                    settings.bus.amqp_url = Some(SecretString::from(amqp));
                    settings.inquiry.debt_cleared_queue =
                        format!("inquiry.debt-cleared.walk-{run}");
                    settings.identity.owner_notice_queue =
                        format!("identity.owner-notice.walk-{run}");
                }
                Some(fresh)
            }
            None => None,
        };
        accounts::bootstrap_admin(&mut settings);
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
        let settings = system.settings().clone();
        let (admin, people) = accounts::demo_people(&settings).await;
        let clerk = accounts::log_in(
            &settings,
            &people.clerk.national_code,
            &people.clerk.password,
        )
        .await;
        Self {
            label,
            inquiry: InquiryClient::new(channel(&settings.endpoints.inquiry, &settings)),
            documents: DocumentsClient::new(channel(&settings.endpoints.documents, &settings)),
            fees: FeesClient::new(channel(&settings.endpoints.fees, &settings)),
            system,
            settings,
            people,
            admin,
            clerk,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        self.system.stop().await.expect("the system stops cleanly");
        if let Some(pg) = self.postgres {
            pg.drop_database()
                .await
                .expect("the run's database is dropped");
        }
    }

    fn identity(&self) -> ipb::identity_service_client::IdentityServiceClient<Channel> {
        ipb::identity_service_client::IdentityServiceClient::new(channel(
            &self.settings.endpoints.identity,
            &self.settings,
        ))
    }

    fn office(&self) -> &str {
        &self.people.authority.organization_id
    }

    fn citizen(&self, has_debt: bool) -> &CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| c.has_debt == has_debt)
            .expect("a demo citizen")
    }

    /// `POST /oauth/token` with a client's id and secret (HTTP Basic): the access token.
    async fn token_over_http(&self, client_id: &str, secret: &str) -> String {
        let response = reqwest::Client::new()
            .post(format!("{}/oauth/token", self.system.gateway_url))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{}: a token", self.label);
        let body: Value = response.json().await.expect("JSON");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// The demo office's client's token over gRPC, as `demo.json` has its credentials.
    async fn office_token_over_grpc(&self) -> String {
        let demo = self
            .people
            .office_client
            .clone()
            .expect("the demo office's client");
        self.identity()
            .client_credentials_token(ipb::ClientCredentialsTokenRequest {
                client_id: demo.client_id,
                client_secret: demo.client_secret,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{}: the client's gRPC token: {e}", self.label))
            .into_inner()
            .access_token
    }

    async fn office_token_over_http(&self) -> String {
        let demo = self
            .people
            .office_client
            .clone()
            .expect("the demo office's client");
        self.token_over_http(&demo.client_id, &demo.client_secret)
            .await
    }

    /// A client of another office, which the admin registers: its token.
    async fn other_office_token(&self) -> String {
        let org = self
            .identity()
            .create_organization(outgoing(
                ipb::CreateOrganizationRequest {
                    r#type: ipb::OrganizationType::Bank as i32,
                    name: Some(estelam_proto::common::v1::LocalizedText {
                        fa: "بانک دیگر".into(),
                        en: "Another bank".into(),
                    }),
                    registry_number: format!("walk-{}", key()),
                    city: "شاهین شهر".into(),
                    address: "خیابان اول".into(),
                    phone: "03145200000".into(),
                },
                Some(&self.admin),
            ))
            .await
            .unwrap_or_else(|e| panic!("{}: the admin adds a bank: {e}", self.label))
            .into_inner()
            .organization
            .expect("the organisation");
        let client = self
            .identity()
            .create_organization_client(outgoing(
                ipb::CreateOrganizationClientRequest {
                    organization_id: org.organization_id,
                    name: "bank-desk".into(),
                    description: "another office's software".into(),
                },
                Some(&self.admin),
            ))
            .await
            .unwrap_or_else(|e| panic!("{}: the admin registers its client: {e}", self.label))
            .into_inner();
        self.token_over_http(&client.client_id, &client.client_secret)
            .await
    }

    /// A fresh request number for `renovation_code`, issued by the clerk.
    async fn request_number(&self, renovation_code: &str) -> String {
        let property =
            PropertyClient::new(channel(&self.settings.endpoints.property, &self.settings));
        grpc::issue_request_number(&Once, &property, &self.clerk, renovation_code, "walk")
            .await
            .expect("the clerk issues a request number")
    }

    /// The office's account as its own software reads it: (balance, charges).
    async fn statement(&self, token: &str) -> fpb::GetAccountStatementResponse {
        self.fees
            .clone()
            .get_account_statement(outgoing(
                fpb::GetAccountStatementRequest {
                    account_id: self.office().to_owned(),
                    page_size: 100,
                    page_token: String::new(),
                },
                Some(token),
            ))
            .await
            .unwrap_or_else(|e| panic!("{}: the office reads its own account: {e}", self.label))
            .into_inner()
    }
}

on_every_backend!(an_office_walks_an_inquiry_over_grpc => crate::walk_over_grpc);

/// Uploads `data` over gRPC for the applicant of `inquiry_id`.
async fn upload_for(
    w: &World,
    token: &str,
    inquiry_id: &str,
    kind: dpb::DocumentKind,
    name: &str,
    data: Vec<u8>,
) -> Result<dpb::Document, tonic::Status> {
    let content_type = if name.ends_with(".pdf") {
        "application/pdf"
    } else {
        "image/png"
    };
    let messages = vec![
        dpb::UploadDocumentRequest {
            payload: Some(dpb::upload_document_request::Payload::Metadata(
                dpb::UploadMetadata {
                    kind: kind as i32,
                    original_filename: name.into(),
                    declared_content_type: content_type.into(),
                    client_request_id: key(),
                    inquiry_id: inquiry_id.into(),
                    ..Default::default()
                },
            )),
        },
        dpb::UploadDocumentRequest {
            payload: Some(dpb::upload_document_request::Payload::Chunk(data.into())),
        },
    ];
    w.documents
        .clone()
        .upload_document(outgoing(futures::stream::iter(messages), Some(token)))
        .await
        .map(|r| r.into_inner().document.expect("the document"))
}

async fn walk_over_grpc(w: &World) {
    let label = w.label;
    let office = w.office_token_over_grpc().await;
    let citizen = w.citizen(false);
    let before = w.statement(&office).await.balance_rials;

    // Opened on behalf of the citizen, who gave the office their membership code.
    let draft = w
        .inquiry
        .clone()
        .file_inquiry_on_behalf(outgoing(
            pb::FileInquiryOnBehalfRequest {
                request_type_code: "property-transfer".into(),
                applicant_national_code: citizen.national_code.clone(),
                applicant_membership_code: citizen.membership_code.clone(),
                client_request_id: key(),
            },
            Some(&office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office files on behalf: {e}"))
        .into_inner()
        .inquiry
        .expect("the draft");
    assert_eq!(draft.filed_by_organization_id, w.office(), "{label}");
    let request_type = grpc::request_type(&Once, &w.inquiry, &office, "property-transfer")
        .await
        .expect("the request type");
    let mut f = Filing::resume(&Once, &w.inquiry, &office, &request_type, draft)
        .await
        .unwrap_or_else(|e| panic!("{label}: undertakings: {e}"));
    f.property(&citizen.renovation_code, &citizen.request_number)
        .await
        .unwrap_or_else(|e| panic!("{label}: property: {e}"));
    f.letter(&Letter::from_authority(w.office()))
        .await
        .unwrap_or_else(|e| panic!("{label}: letter: {e}"));

    // The ID card and deed the office holds, uploaded for the applicant and this inquiry.
    let id = f.inquiry.inquiry_id.clone();
    let card = upload_for(
        w,
        &office,
        &id,
        dpb::DocumentKind::NationalIdCard,
        "card.png",
        fixtures::png(320, 200),
    )
    .await
    .unwrap_or_else(|e| panic!("{label}: the office uploads the ID card: {e}"));
    let deed = upload_for(
        w,
        &office,
        &id,
        dpb::DocumentKind::OwnershipDeed,
        "deed.pdf",
        fixtures::pdf("", 2_000),
    )
    .await
    .unwrap_or_else(|e| panic!("{label}: the office uploads the deed: {e}"));
    assert_eq!(
        deed.owner_account_id, f.inquiry.applicant_account_id,
        "{label}: the deed is the applicant's"
    );
    assert_eq!(deed.inquiry_id, id, "{label}: and names the inquiry");
    assert_eq!(deed.organization_id, w.office(), "{label}: and the office");
    // The office reads back what it uploaded.
    w.documents
        .clone()
        .get_document_info(outgoing(
            dpb::GetDocumentInfoRequest {
                document_id: deed.document_id.clone(),
            },
            Some(&office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office reads its upload: {e}"));

    f.documents(vec![card.document_id.clone(), deed.document_id.clone()])
        .await
        .unwrap_or_else(|e| panic!("{label}: documents: {e}"));
    f.applicant(
        &citizen.name,
        &citizen.national_code,
        ppb::OwnershipType::Full,
    )
    .await
    .unwrap_or_else(|e| panic!("{label}: applicant: {e}"));

    // Nothing owed on the parcel: answered within Submit, the fee on the office's account.
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|e| panic!("{label}: submit: {e}"));
    assert_eq!(
        f.inquiry.state,
        pb::InquiryState::Issued as i32,
        "{label}: issued at once: {submitted:?}"
    );
    let statement = w.statement(&office).await;
    let charge = statement
        .charges
        .iter()
        .find(|c| c.inquiry_id == id)
        .unwrap_or_else(|| panic!("{label}: the office's statement shows the charge"));
    assert!(charge.amount_rials > 0, "{label}: {charge:?}");
    assert_eq!(
        statement.balance_rials,
        before + charge.amount_rials,
        "{label}"
    );

    // The answer, as JSON and as the PDF.
    let answer = w
        .inquiry
        .clone()
        .get_answer(outgoing(
            pb::GetAnswerRequest {
                inquiry_id: id.clone(),
            },
            Some(&office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office reads the answer: {e}"))
        .into_inner()
        .answer
        .expect("the answer");
    let facts = answer.facts.expect("the answer's facts");
    assert_eq!(facts.authority_organization_id, w.office(), "{label}");
    assert!(!answer.verification_code.is_empty(), "{label}");
    let pdf = w
        .inquiry
        .clone()
        .render_answer(outgoing(
            pb::RenderAnswerRequest {
                inquiry_id: id.clone(),
                format: pb::AnswerFormat::Pdf as i32,
                language: "fa".into(),
            },
            Some(&office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office renders the PDF: {e}"))
        .into_inner();
    assert_eq!(pdf.content_type, "application/pdf", "{label}");
    assert!(pdf.content.starts_with(b"%PDF"), "{label}: a PDF");

    machines_follow_the_answer(w, &office, &f.inquiry).await;

    // What the office uploaded is the applicant's: they read it, another citizen does not.
    let owner = accounts::log_in(&w.settings, &citizen.national_code, &citizen.password).await;
    let stranger = w.citizen(true);
    let stranger = accounts::log_in(&w.settings, &stranger.national_code, &stranger.password).await;
    let info = |token: String| {
        let mut documents = w.documents.clone();
        let document_id = deed.document_id.clone();
        async move {
            documents
                .get_document_info(outgoing(
                    dpb::GetDocumentInfoRequest { document_id },
                    Some(&token),
                ))
                .await
        }
    };
    info(owner)
        .await
        .unwrap_or_else(|e| panic!("{label}: the applicant reads their deed: {e}"));
    let refused = info(stranger.clone())
        .await
        .expect_err("another citizen does not read it");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{label}");
    // Another office neither reads it nor uploads for this inquiry; nor does a citizen.
    let other_office = w.other_office_token().await;
    let refused = info(other_office.clone())
        .await
        .expect_err("another office does not read it");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{label}");
    for (who, token) in [
        ("another office", &other_office),
        ("another citizen", &stranger),
    ] {
        let refused = upload_for(
            w,
            token,
            &id,
            dpb::DocumentKind::OwnershipDeed,
            "deed.pdf",
            fixtures::pdf("", 1_000),
        )
        .await
        .expect_err("no upload for someone else's inquiry");
        assert_eq!(refused.code(), tonic::Code::NotFound, "{label}: {who}");
    }
}

on_every_backend!(an_office_walks_an_inquiry_over_http => crate::walk_over_http);

/// Uploads `bytes` over HTTP for the applicant of `inquiry_id`.
async fn upload_over_http(
    office: &http::Applicant,
    inquiry_id: &str,
    kind: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> http::Reply {
    let form = reqwest::multipart::Form::new()
        .text("kind", kind.to_owned())
        .text("inquiry_id", inquiry_id.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .expect("a MIME type"),
        );
    office
        .send(
            office
                .http
                .post(office.url("/api/v1/documents"))
                .multipart(form),
        )
        .await
}

/// Opens an inquiry over HTTP on behalf of `citizen` and takes it through the applicant
/// step, the documents uploaded by the office: the filing, ready to submit.
async fn up_to_submit<'a>(
    w: &World,
    office: &'a http::Applicant,
    citizen: &CitizenLogin,
    request_number: &str,
) -> http::Filing<'a> {
    let label = w.label;
    let reply = office
        .post(
            "/api/v1/inquiries/on-behalf",
            json!({
                "request_type_code": "property-transfer",
                "applicant_national_code": citizen.national_code,
                "applicant_membership_code": citizen.membership_code,
                "client_request_id": key(),
            }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{label}: on behalf: {reply}"
    );
    assert_eq!(
        reply.body["filed_by_organization_id"],
        w.office(),
        "{label}"
    );
    let request_type = office.request_type("property-transfer").await;
    let mut f = http::Filing::resume(office, &request_type, reply.body);
    f.accept_undertakings()
        .await
        .unwrap_or_else(|r| panic!("{label}: undertakings: {r}"));
    f.property(
        &json!({"renovation_code": citizen.renovation_code}),
        Some(request_number),
    )
    .await
    .unwrap_or_else(|r| panic!("{label}: property: {r}"));
    f.letter(LETTER_NUMBER, LETTER_DATE, w.office())
        .await
        .unwrap_or_else(|r| panic!("{label}: letter: {r}"));
    let mut documents = Vec::new();
    for (kind, name, mime, bytes) in [
        (
            "national_id_card",
            "card.png",
            "image/png",
            fixtures::png(320, 200),
        ),
        (
            "ownership_deed",
            "deed.pdf",
            "application/pdf",
            fixtures::pdf("", 2_000),
        ),
    ] {
        let reply = upload_over_http(office, &f.id, kind, name, mime, bytes).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{label}: {name}: {reply}"
        );
        assert_eq!(reply.body["inquiry_id"], f.id.as_str(), "{label}");
        documents.push(
            reply.body["document_id"]
                .as_str()
                .expect("an id")
                .to_owned(),
        );
    }
    f.documents(&documents)
        .await
        .unwrap_or_else(|r| panic!("{label}: documents: {r}"));
    f.applicant(&citizen.name, &citizen.national_code, "full")
        .await
        .unwrap_or_else(|r| panic!("{label}: applicant: {r}"));
    f
}

async fn walk_over_http(w: &World) {
    let label = w.label;
    let token = w.office_token_over_http().await;
    let office = http::Applicant::new(&w.system.gateway_url, &token);
    let citizen = w.citizen(true);
    let before = w.statement(&token).await.balance_rials;

    // A draft the office submits is charged to its account; cancelled, the charge is
    // reversed: the statement keeps it, marked, and the balance is what it was.
    let mut cancelled = up_to_submit(w, &office, citizen, &citizen.request_number).await;
    let submitted = cancelled
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{label}: submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{label}: the parcel owes levies: {submitted}"
    );
    let charged = w.statement(&token).await;
    let charge = charged
        .charges
        .iter()
        .find(|c| c.inquiry_id == cancelled.id)
        .unwrap_or_else(|| panic!("{label}: the charge on the statement"))
        .clone();
    assert!(charge.reversed_at.is_none(), "{label}");
    assert_eq!(
        charged.balance_rials,
        before + charge.amount_rials,
        "{label}"
    );
    let reply = office
        .post(
            &cancelled.path("cancel"),
            json!({"expected_version": cancelled.inquiry["version"],
                   "client_request_id": key(), "reason": "مشتری منصرف شد"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{label}: cancel: {reply}");
    assert_eq!(reply.body["state"], "cancelled", "{label}");
    let after = w.statement(&token).await;
    assert_eq!(
        after.balance_rials, before,
        "{label}: the charge is reversed"
    );
    let reversed = after
        .charges
        .iter()
        .find(|c| c.inquiry_id == cancelled.id)
        .unwrap_or_else(|| panic!("{label}: the reversed charge stays on the statement"));
    assert!(reversed.reversed_at.is_some(), "{label}: marked reversed");

    // The whole walk, the bill paid at the bank, the answer as JSON and PDF.
    let number = w.request_number(&citizen.renovation_code).await;
    let mut f = up_to_submit(w, &office, citizen, &number).await;
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{label}: submit: {r}"));
    assert_eq!(submitted["inquiry"]["state"], "awaiting_payment", "{label}");
    let charged = w.statement(&token).await;
    assert!(
        charged
            .charges
            .iter()
            .any(|c| c.inquiry_id == f.id && c.reversed_at.is_none()),
        "{label}: this inquiry's fee is on the office's account"
    );
    f.pay_and_wait().await;
    let answer = office
        .get(&f.path("answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the answer: {r}"));
    assert!(
        answer["verification_code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{label}: {answer}"
    );
    let pdf = reqwest::Client::new()
        .get(office.url(&f.path("answer.pdf")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the PDF");
    assert_eq!(pdf.status(), StatusCode::OK, "{label}");
    assert!(
        pdf.bytes()
            .await
            .expect("the PDF's bytes")
            .starts_with(b"%PDF"),
        "{label}: a PDF"
    );

    // A citizen neither opens on someone's behalf nor uploads for the office's inquiry.
    let other = w.citizen(false);
    let other = accounts::log_in(&w.settings, &other.national_code, &other.password).await;
    let other = http::Applicant::new(&w.system.gateway_url, &other);
    let reply = other
        .post(
            "/api/v1/inquiries/on-behalf",
            json!({"request_type_code": "property-transfer",
                   "applicant_national_code": citizen.national_code,
                   "applicant_membership_code": citizen.membership_code,
                   "client_request_id": key()}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    let reply = upload_over_http(
        &other,
        &f.id,
        "ownership_deed",
        "deed.pdf",
        "application/pdf",
        fixtures::pdf("", 1_000),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{label}: {reply}");
}

/// What an office's software reads by machine about an issued inquiry of its own: the
/// status of many inquiries at once (over HTTP and gRPC), with the answer's own status —
/// valid, then revoked with the clerk's reason while the inquiry stays issued —, its list
/// filtered by state, date and letter number, and its own fee account (another's is 404).
async fn machines_follow_the_answer(w: &World, office: &str, issued: &pb::Inquiry) {
    let label = w.label;
    let http = http::Applicant::new(&w.system.gateway_url, office);
    let status = |body: Value| body["entries"][0].clone();
    let asked = json!({"inquiry_numbers": [issued.inquiry_number, "123"]});
    let reply = http
        .post("/api/v1/inquiries/status", asked.clone())
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: status: {r}"));
    assert_eq!(status(reply.clone())["state"], "issued", "{label}: {reply}");
    assert_eq!(
        status(reply.clone())["answer_status"],
        "valid",
        "{label}: {reply}"
    );
    assert_eq!(reply["entries"][1]["found"], false, "{label}: {reply}");

    let revoked = w
        .inquiry
        .clone()
        .revoke_answer(outgoing(
            pb::RevokeAnswerRequest {
                inquiry_id: issued.inquiry_id.clone(),
                expected_version: issued.version,
                client_request_id: key(),
                reason: "سند جعلی بود".into(),
            },
            Some(&w.clerk),
        ))
        .await;
    revoked.unwrap_or_else(|e| panic!("{label}: the clerk revokes the answer: {e}"));
    let reply = http
        .post("/api/v1/inquiries/status", asked)
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: status: {r}"));
    let entry = status(reply);
    assert_eq!(entry["state"], "issued", "{label}: {entry}");
    assert_eq!(entry["answer_status"], "revoked", "{label}: {entry}");
    assert_eq!(entry["answer_revocation_reason"], "سند جعلی بود", "{label}");
    let entries = w
        .inquiry
        .clone()
        .bulk_status(outgoing(
            pb::BulkStatusRequest {
                inquiry_numbers: vec![issued.inquiry_number.clone()],
            },
            Some(office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: BulkStatus: {e}"))
        .into_inner()
        .entries;
    assert_eq!(
        entries[0].answer_status,
        pb::AnswerStatus::Revoked as i32,
        "{label}: {entries:?}"
    );

    // The office's list, by state, creation date and the number on its letter (as written,
    // Persian digits and all).
    let created = issued.created_at.expect("a creation time");
    let before = prost_types::Timestamp {
        seconds: created.seconds - 60,
        nanos: 0,
    };
    let listed = |query: String| {
        let http = http.clone();
        async move {
            http.get(&format!("/api/v1/inquiries?{query}"))
                .await
                .success()
                .unwrap_or_else(|r| panic!("{label}: the list: {r}"))["inquiries"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|i| i["inquiry_id"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let number = url_encode(LETTER_NUMBER);
    let found = listed(format!(
        "state=issued&letter_number={number}&created_after={}",
        url_encode(&before.to_string())
    ))
    .await;
    assert!(found.contains(&issued.inquiry_id), "{label}: {found:?}");
    for query in [
        "letter_number=999".to_owned(),
        "state=cancelled".to_owned(),
        format!("created_before={}", url_encode(&before.to_string())),
    ] {
        let found = listed(query.clone()).await;
        assert!(
            !found.contains(&issued.inquiry_id),
            "{label}: {query}: {found:?}"
        );
    }
    let listed = w
        .inquiry
        .clone()
        .list_inquiries(outgoing(
            pb::ListInquiriesRequest {
                letter_number: LETTER_NUMBER.into(),
                ..Default::default()
            },
            Some(office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: ListInquiries: {e}"))
        .into_inner()
        .inquiries;
    assert!(
        listed.iter().any(|i| i.inquiry_id == issued.inquiry_id),
        "{label}: by letter number over gRPC"
    );

    // Its own account over HTTP; another organisation's is missing.
    let account = http
        .get(&format!("/api/v1/organizations/{}/account", w.office()))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the office's account: {r}"));
    assert!(
        account["charges"].as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["inquiry_id"] == issued.inquiry_id.as_str())),
        "{label}: {account}"
    );
    let other = http
        .get(&format!("/api/v1/organizations/{}/account", key()))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{label}: {other}");
}

/// `s` percent-encoded for a query string.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
