//! The whole system, end to end: every real service over real gRPC (identity, property,
//! documents, fees, inquiry), started by the launcher, driven through the nine steps of the
//! property inquiry by the demo people, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is
//! set) PostgreSQL, over the in-process bus or (when `ESTELAM_TEST_AMQP_URL` is set)
//! RabbitMQ.
//!
//! * a no-debt inquiry is issued within its Submit call;
//! * an inquiry with debt waits, is paid through the sandbox PSP, and is issued by the
//!   `fees.debt.cleared` event;
//! * a wrong request number, a wrong owner, a missing deed and a future letter date are
//!   each refused at their own step with a reason;
//! * the inquiry service stopped after payment and before issue, then restarted, issues
//!   exactly one answer;
//! * the answer's Ed25519 signature verifies (by `VerifyAnswer` and independently, with the
//!   key from `ListAnswerSigningKeys`) and a tampered copy does not.

use std::time::Duration;

use bytes::Bytes;
use ed25519_dalek::Verifier as _;
use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::{GrpcListener, outgoing};
use futures::StreamExt as _;
use pb::inquiry_service_client::InquiryServiceClient;
use prost::Message as _;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;

/// The test's own service account: it plays the payment provider's callback, as the
/// gateway does in production.
const PSP_CLIENT: &str = "e2e-psp";

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn reason(status: &tonic::Status) -> (String, String, String) {
    let e = ServiceError::from_status(status);
    (e.reason, e.message_fa, e.message_en)
}

/// Polls `check` until it yields a value or the deadline passes (a hang guard, not a
/// timing assertion).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A fresh PostgreSQL database for one run (every service gets its schema in it).
struct FreshPostgres {
    admin_url: String,
    name: String,
}

impl FreshPostgres {
    async fn create(admin_url: &str) -> (Self, String) {
        let name = format!("e2e_{}", estelam_runtime::testing::unique_suffix());
        let admin = estelam_runtime::db::Database::connect(&estelam_runtime::db::DatabaseTarget {
            url: admin_url.to_owned(),
            schema: None,
            max_connections: 1,
        })
        .await
        .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(admin.pool())
            .await
            .expect("create the run's database");
        admin.close().await;
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url, String::new()),
        };
        let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
        let url = format!("{prefix}/{name}{query}");
        (
            Self {
                admin_url: admin_url.to_owned(),
                name,
            },
            url,
        )
    }

    async fn drop_database(self) {
        if let Ok(admin) =
            estelam_runtime::db::Database::connect(&estelam_runtime::db::DatabaseTarget {
                url: self.admin_url.clone(),
                schema: None,
                max_connections: 1,
            })
            .await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )))
            .execute(admin.pool())
            .await;
            admin.close().await;
        }
    }
}

/// One running system on one backend, with the demo people and the test's clients.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    clerk: String,
    psp: String,
    inquiry: InquiryServiceClient<Channel>,
    inquiry_stop: CancellationToken,
    inquiry_task: tokio::task::JoinHandle<anyhow::Result<()>>,
    postgres: Option<FreshPostgres>,
    _data: tempfile::TempDir,
}

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        };
        let postgres = match &postgres_url {
            Some(url) => {
                let (fresh, url) = FreshPostgres::create(url).await;
                settings.database.url = Some(SecretString::from(url));
                Some(fresh)
            }
            None => None,
        };
        if let Some(amqp) = estelam_runtime::testing::amqp_url() {
            settings.bus.amqp_url = Some(SecretString::from(amqp));
            // Queues are durable and shared by every run on the broker: this run's own.
            settings.inquiry.debt_cleared_queue = format!(
                "inquiry.debt-cleared.e2e-{}",
                estelam_runtime::testing::unique_suffix()
            );
        }
        let psp_secret = format!("{}{}", key(), key());
        settings
            .identity
            .service_clients
            .insert(PSP_CLIENT.into(), SecretString::from(psp_secret.clone()));
        let admin_password = "e2e-Admin-Pass-7731";
        settings.identity.bootstrap_admin = Some(estelam_runtime::config::BootstrapAdmin {
            national_code: "1234567891".into(),
            first_name: "مدیر".into(),
            last_name: "آزمون".into(),
            mobile: "09120000000".into(),
            password: Some(SecretString::from(admin_password.to_owned())),
        });

        let shutdown = CancellationToken::new();
        let system = estelam::start_except(
            settings,
            estelam::SystemAddrs::ephemeral(),
            shutdown,
            &["inquiry"],
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
        let settings = system.settings().clone();
        let admin = estelam::log_in(
            &settings,
            ipb::login_request::Identifier::NationalCode("1234567891".into()),
            admin_password,
        )
        .await
        .expect("the configured admin logs in");
        let people = estelam::create_demo_people(&settings, admin.clone())
            .await
            .unwrap_or_else(|e| panic!("{label}: demo people: {e:#}"));
        let login = |nc: &str, password: &str| {
            let settings = settings.clone();
            let (nc, password) = (nc.to_owned(), password.to_owned());
            async move {
                estelam::log_in(
                    &settings,
                    ipb::login_request::Identifier::NationalCode(nc),
                    &password,
                )
                .await
                .expect("logs in")
            }
        };
        let clerk = login(&people.clerk.national_code, &people.clerk.password).await;
        // The notary office's user can log in too.
        login(&people.authority.national_code, &people.authority.password).await;
        let psp = ipb::identity_service_client::IdentityServiceClient::new(channel(
            &settings.endpoints.identity,
            &settings,
        ))
        .client_credentials_token(ipb::ClientCredentialsTokenRequest {
            client_id: PSP_CLIENT.into(),
            client_secret: psp_secret,
        })
        .await
        .expect("the PSP account gets a service token")
        .into_inner()
        .access_token;

        let mut world = Self {
            label,
            settings,
            people,
            clerk,
            psp,
            inquiry: InquiryServiceClient::new(
                Channel::from_static("http://127.0.0.1:1").connect_lazy(),
            ),
            inquiry_stop: CancellationToken::new(),
            inquiry_task: tokio::spawn(async { Ok(()) }),
            system,
            postgres,
            _data: data,
        };
        world.start_inquiry().await;
        world
    }

    /// Starts (or restarts) the inquiry service on a fresh port.
    async fn start_inquiry(&mut self) {
        let listener = GrpcListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let endpoint = listener.endpoint();
        self.inquiry_stop = CancellationToken::new();
        self.inquiry_task = self
            .system
            .spawn_service("inquiry", listener, self.inquiry_stop.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: inquiry starts: {e:#}", self.label));
        self.inquiry = InquiryServiceClient::new(channel(&endpoint, &self.settings));
    }

    async fn stop_inquiry(&mut self) {
        self.inquiry_stop.cancel();
        let task = std::mem::replace(&mut self.inquiry_task, tokio::spawn(async { Ok(()) }));
        task.await
            .expect("inquiry task")
            .expect("inquiry stops cleanly");
    }

    async fn stop(mut self) {
        self.stop_inquiry().await;
        self.system.stop().await.expect("the system stops cleanly");
        if let Some(pg) = self.postgres {
            pg.drop_database().await;
        }
    }

    fn citizen(&self, has_debt: bool) -> &CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| c.has_debt == has_debt)
            .expect("a demo citizen")
    }

    async fn token_of(&self, c: &CitizenLogin) -> String {
        estelam::log_in(
            &self.settings,
            ipb::login_request::Identifier::NationalCode(c.national_code.clone()),
            &c.password,
        )
        .await
        .expect("citizen logs in")
    }

    /// A fresh request number for `renovation_code`, issued by the clerk.
    async fn request_number(&self, renovation_code: &str) -> String {
        ppb::property_service_client::PropertyServiceClient::new(channel(
            &self.settings.endpoints.property,
            &self.settings,
        ))
        .issue_request_number(outgoing(
            ppb::IssueRequestNumberRequest {
                renovation_code: renovation_code.into(),
                validity_days: 30,
                note: "e2e".into(),
                client_request_id: key(),
            },
            Some(&self.clerk),
        ))
        .await
        .expect("the clerk issues a request number")
        .into_inner()
        .request_number
        .expect("a number")
        .number
    }

    /// Uploads through the documents service's client-streaming UploadDocument.
    async fn upload(
        &self,
        token: &str,
        kind: dpb::DocumentKind,
        name: &str,
        data: Vec<u8>,
    ) -> String {
        let content_type = if name.ends_with(".pdf") {
            "application/pdf"
        } else {
            "image/png"
        };
        let first = dpb::UploadDocumentRequest {
            payload: Some(dpb::upload_document_request::Payload::Metadata(
                dpb::UploadMetadata {
                    kind: kind as i32,
                    original_filename: name.into(),
                    declared_content_type: content_type.into(),
                    client_request_id: key(),
                    ..Default::default()
                },
            )),
        };
        let data = Bytes::from(data);
        let chunks: Vec<Bytes> = (0..data.len())
            .step_by(16 * 1024)
            .map(|i| data.slice(i..(i + 16 * 1024).min(data.len())))
            .collect();
        let stream = futures::stream::once(async move { first }).chain(futures::stream::iter(
            chunks.into_iter().map(|c| dpb::UploadDocumentRequest {
                payload: Some(dpb::upload_document_request::Payload::Chunk(c)),
            }),
        ));
        dpb::document_service_client::DocumentServiceClient::new(channel(
            &self.settings.endpoints.documents,
            &self.settings,
        ))
        .upload_document(outgoing(stream, Some(token)))
        .await
        .unwrap_or_else(|e| panic!("uploading {name}: {e}"))
        .into_inner()
        .document
        .expect("a document")
        .document_id
    }

    /// A national ID card (PNG) and an ownership deed (PDF) of the citizen.
    async fn id_card_and_deed(&self, token: &str) -> (String, String) {
        let card = self
            .upload(
                token,
                dpb::DocumentKind::NationalIdCard,
                "card.png",
                fixtures::png(320, 200),
            )
            .await;
        let deed = self
            .upload(
                token,
                dpb::DocumentKind::OwnershipDeed,
                "deed.pdf",
                fixtures::pdf("", 2_000),
            )
            .await;
        (card, deed)
    }
}

/// Drives one inquiry step by step; each method returns the RPC's result so refusals can be
/// asserted where they happen.
struct Filing<'a> {
    w: &'a World,
    token: String,
    inquiry: pb::Inquiry,
}

impl<'a> Filing<'a> {
    async fn open(w: &'a World, token: &str, type_code: &str) -> Self {
        let mut c = w.inquiry.clone();
        let inquiry = c
            .create_inquiry(outgoing(
                pb::CreateInquiryRequest {
                    request_type_code: type_code.into(),
                    client_request_id: key(),
                },
                Some(token),
            ))
            .await
            .expect("create")
            .into_inner()
            .inquiry
            .expect("inquiry");
        let rt = c
            .get_request_type(outgoing(
                pb::GetRequestTypeRequest {
                    code: type_code.into(),
                },
                Some(token),
            ))
            .await
            .expect("request type")
            .into_inner()
            .request_type
            .expect("request type");
        let inquiry = c
            .accept_undertakings(outgoing(
                pb::AcceptUndertakingsRequest {
                    inquiry_id: inquiry.inquiry_id.clone(),
                    expected_version: inquiry.version,
                    client_request_id: key(),
                    undertaking_version_ids: rt
                        .undertakings
                        .iter()
                        .map(|u| u.undertaking_version_id.clone())
                        .collect(),
                },
                Some(token),
            ))
            .await
            .expect("undertakings")
            .into_inner()
            .inquiry
            .expect("inquiry");
        Self {
            w,
            token: token.to_owned(),
            inquiry,
        }
    }

    fn keep(&mut self, r: Result<Option<pb::Inquiry>, tonic::Status>) -> Result<(), tonic::Status> {
        let inquiry = r?.expect("inquiry");
        self.inquiry = inquiry;
        Ok(())
    }

    async fn property(&mut self, renovation_code: &str, number: &str) -> Result<(), tonic::Status> {
        let r = self
            .w
            .inquiry
            .clone()
            .set_property(outgoing(
                pb::SetPropertyRequest {
                    inquiry_id: self.inquiry.inquiry_id.clone(),
                    expected_version: self.inquiry.version,
                    client_request_id: key(),
                    location: Some(pb::set_property_request::Location::RenovationCode(
                        renovation_code.into(),
                    )),
                    request_number: number.into(),
                },
                Some(&self.token),
            ))
            .await
            .map(|r| r.into_inner().inquiry);
        self.keep(r)
    }

    async fn letter(&mut self, date: &str) -> Result<(), tonic::Status> {
        let r = self
            .w
            .inquiry
            .clone()
            .set_letter(outgoing(
                pb::SetLetterRequest {
                    inquiry_id: self.inquiry.inquiry_id.clone(),
                    expected_version: self.inquiry.version,
                    client_request_id: key(),
                    letter_number: "۱۲۳/ن/۴۵".into(),
                    letter_date_jalali: date.into(),
                    authority_organization_id: self.w.people.authority.organization_id.clone(),
                },
                Some(&self.token),
            ))
            .await
            .map(|r| r.into_inner().inquiry);
        self.keep(r)
    }

    async fn documents(&mut self, ids: Vec<String>) -> Result<(), tonic::Status> {
        let r = self
            .w
            .inquiry
            .clone()
            .attach_documents(outgoing(
                pb::AttachDocumentsRequest {
                    inquiry_id: self.inquiry.inquiry_id.clone(),
                    expected_version: self.inquiry.version,
                    client_request_id: key(),
                    document_ids: ids,
                },
                Some(&self.token),
            ))
            .await
            .map(|r| r.into_inner().inquiry);
        self.keep(r)
    }

    async fn applicant(&mut self, name: &str, national_code: &str) -> Result<(), tonic::Status> {
        let r = self
            .w
            .inquiry
            .clone()
            .set_applicant(outgoing(
                pb::SetApplicantRequest {
                    inquiry_id: self.inquiry.inquiry_id.clone(),
                    expected_version: self.inquiry.version,
                    client_request_id: key(),
                    full_name: name.into(),
                    national_code: national_code.into(),
                    ownership_type: ppb::OwnershipType::Full as i32,
                },
                Some(&self.token),
            ))
            .await
            .map(|r| r.into_inner().inquiry);
        self.keep(r)
    }

    /// Every step with good inputs, up to ApplicantVerified.
    async fn complete(&mut self, citizen: &CitizenLogin, number: &str) {
        let label = self.w.label;
        self.property(&citizen.renovation_code, number)
            .await
            .unwrap_or_else(|e| panic!("{label}: property: {e}"));
        if self.needs_letter().await {
            self.letter("1403/05/12")
                .await
                .unwrap_or_else(|e| panic!("{label}: letter: {e}"));
        }
        let (card, deed) = self.w.id_card_and_deed(&self.token).await;
        self.documents(vec![card, deed])
            .await
            .unwrap_or_else(|e| panic!("{label}: documents: {e}"));
        self.applicant(&citizen.name, &citizen.national_code)
            .await
            .unwrap_or_else(|e| panic!("{label}: applicant: {e}"));
        assert_eq!(
            self.inquiry.state,
            pb::InquiryState::ApplicantVerified as i32,
            "{label}"
        );
    }

    async fn needs_letter(&self) -> bool {
        self.w
            .inquiry
            .clone()
            .get_request_type(outgoing(
                pb::GetRequestTypeRequest {
                    code: self.inquiry.request_type_code.clone(),
                },
                Some(&self.token),
            ))
            .await
            .expect("request type")
            .into_inner()
            .request_type
            .expect("request type")
            .letter_required
    }

    async fn submit(&mut self) -> pb::SubmitResponse {
        let r = self
            .w
            .inquiry
            .clone()
            .submit(outgoing(
                pb::SubmitRequest {
                    inquiry_id: self.inquiry.inquiry_id.clone(),
                    expected_version: self.inquiry.version,
                    client_request_id: key(),
                },
                Some(&self.token),
            ))
            .await
            .unwrap_or_else(|e| panic!("{}: submit: {e}", self.w.label))
            .into_inner();
        self.inquiry = r.inquiry.clone().expect("inquiry");
        r
    }

    async fn current(&self) -> pb::Inquiry {
        get_inquiry(self.w, &self.token, &self.inquiry.inquiry_id).await
    }
}

async fn get_inquiry(w: &World, token: &str, id: &str) -> pb::Inquiry {
    w.inquiry
        .clone()
        .get_inquiry(outgoing(
            pb::GetInquiryRequest {
                key: Some(pb::get_inquiry_request::Key::InquiryId(id.into())),
            },
            Some(token),
        ))
        .await
        .expect("get inquiry")
        .into_inner()
        .inquiry
        .expect("inquiry")
}

/// Starts the payment through the inquiry service, then pays at the sandbox bank and
/// forwards its callback to fees, as the payer's browser and the gateway would.
async fn start_payment(w: &World, token: &str, inquiry: &pb::Inquiry) -> String {
    let payment = w
        .inquiry
        .clone()
        .start_payment(outgoing(
            pb::StartPaymentRequest {
                inquiry_id: inquiry.inquiry_id.clone(),
                expected_version: inquiry.version,
                client_request_id: key(),
                return_url: "https://estelam.example/return".into(),
            },
            Some(token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{}: start payment: {e}", w.label))
        .into_inner()
        .payment
        .expect("payment");
    assert!(!payment.psp_token.is_empty());
    payment.psp_token
}

async fn pay_at_sandbox(w: &World, psp_token: &str, amount: i64) {
    let mut fees = fpb::fee_service_client::FeeServiceClient::new(channel(
        &w.settings.endpoints.fees,
        &w.settings,
    ));
    let at_bank = fees
        .get_sandbox_payment(outgoing(
            fpb::GetSandboxPaymentRequest {
                psp_token: psp_token.into(),
            },
            Some(&w.psp),
        ))
        .await
        .expect("the sandbox shows the payment")
        .into_inner()
        .payment
        .expect("payment");
    assert_eq!(
        at_bank.amount_rials, amount,
        "{}: the bank asks for the bill",
        w.label
    );
    let decided = fees
        .decide_sandbox_payment(outgoing(
            fpb::DecideSandboxPaymentRequest {
                psp_token: psp_token.into(),
                choice: fpb::SandboxChoice::Pay as i32,
            },
            Some(&w.psp),
        ))
        .await
        .expect("the payer pays")
        .into_inner();
    let callback = decided.callback.expect("a callback to forward");
    fees.handle_psp_callback(outgoing(callback, Some(&w.psp)))
        .await
        .unwrap_or_else(|e| panic!("{}: the callback is accepted: {e}", w.label));
}

async fn answer_of(w: &World, token: &str, inquiry_id: &str) -> pb::Answer {
    w.inquiry
        .clone()
        .get_answer(outgoing(
            pb::GetAnswerRequest {
                inquiry_id: inquiry_id.into(),
            },
            Some(token),
        ))
        .await
        .expect("the answer")
        .into_inner()
        .answer
        .expect("answer")
}

/// Independent of the inquiry crate: plain Ed25519 over `signed_payload`.
fn signature_verifies(answer: &pb::Answer, keys: &[ipb::SigningKey]) -> bool {
    let Some(key) = keys.iter().find(|k| k.kid == answer.signing_key_id) else {
        return false;
    };
    let Ok(raw) = <[u8; 32]>::try_from(key.public_key.as_slice()) else {
        return false;
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&raw) else {
        return false;
    };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(&answer.signature) else {
        return false;
    };
    key.verify(&answer.signed_payload, &signature).is_ok()
}

/// (e): VerifyAnswer and the published key both accept the answer; a tampered copy fails.
async fn check_signature(w: &World, answer: &pb::Answer) {
    let mut c = w.inquiry.clone();
    let keys = c
        .list_answer_signing_keys(pb::ListAnswerSigningKeysRequest {})
        .await
        .expect("keys are public")
        .into_inner()
        .keys;
    assert!(signature_verifies(answer, &keys), "{}: signature", w.label);
    let verified = c
        .verify_answer(pb::VerifyAnswerRequest {
            verification_code: answer.verification_code.clone(),
            signed_payload: answer.signed_payload.clone(),
            signature: answer.signature.clone(),
        })
        .await
        .expect("verify needs no login")
        .into_inner();
    assert_eq!(
        verified.result,
        pb::VerificationResult::Valid as i32,
        "{}",
        w.label
    );
    assert!(verified.signature_valid);

    let mut tampered = answer.clone();
    let text = String::from_utf8(tampered.signed_payload.clone()).expect("UTF-8 JSON");
    let changed = text.replacen(
        &answer.inquiry_number,
        &format!("{}9", answer.inquiry_number),
        1,
    );
    assert_ne!(changed, text);
    tampered.signed_payload = changed.into_bytes();
    assert!(
        !signature_verifies(&tampered, &keys),
        "{}: tampered",
        w.label
    );
    let refused = c
        .verify_answer(pb::VerifyAnswerRequest {
            verification_code: answer.verification_code.clone(),
            signed_payload: tampered.signed_payload.clone(),
            signature: tampered.signature.clone(),
        })
        .await
        .expect("verify answers")
        .into_inner();
    assert_eq!(
        refused.result,
        pb::VerificationResult::CopyMismatch as i32,
        "{}: a tampered copy is caught",
        w.label
    );
}

/// Answers stored and `inquiry.answer.issued` events written for one inquiry, read from the
/// inquiry service's own store.
async fn answers_and_events(w: &World, inquiry_id: &str) -> (i64, usize) {
    use sqlx::Row as _;
    let db =
        estelam_runtime::host::open_store(&w.settings, "inquiry", &estelam_inquiry::migrations())
            .await
            .expect("the inquiry store");
    let answers: i64 = sqlx::query("SELECT COUNT(*) AS n FROM answers WHERE inquiry_id = $1")
        .bind(inquiry_id)
        .fetch_one(db.pool())
        .await
        .expect("count answers")
        .try_get("n")
        .expect("n");
    let rows = sqlx::query("SELECT payload FROM outbox WHERE routing_key = $1")
        .bind(estelam_proto::routing_keys::ANSWER_ISSUED)
        .fetch_all(db.pool())
        .await
        .expect("outbox");
    let events = rows
        .iter()
        .filter(|r| {
            let payload: Vec<u8> = r.try_get("payload").expect("payload");
            estelam_proto::events::v1::AnswerIssued::decode(payload.as_slice())
                .is_ok_and(|e| e.inquiry_id == inquiry_id)
        })
        .count();
    db.close().await;
    (answers, events)
}

async fn run_everything(w: &mut World) {
    let label = w.label;
    let clean = w.citizen(false).clone();
    let owing = w.citizen(true).clone();
    let clean_token = w.token_of(&clean).await;
    let owing_token = w.token_of(&owing).await;

    // (a) No debt: issued within Submit, with a seeded type. A property transfer's inquiry
    // fee goes to the notary office's account, not on the applicant's bill, so a parcel that
    // owes nothing is answered at once.
    let mut a = Filing::open(w, &clean_token, "property-transfer").await;
    a.complete(&clean, &clean.request_number).await;
    let submitted = a.submit().await;
    assert_eq!(
        submitted.inquiry.as_ref().unwrap().state,
        pb::InquiryState::Issued as i32,
        "{label}: (a) issued within Submit"
    );
    assert!(
        submitted.bill.as_ref().is_none_or(|b| b.total_rials == 0),
        "{label}: (a) nothing to pay: {:?}",
        submitted.bill
    );
    let answer_a = answer_of(w, &clean_token, &a.inquiry.inquiry_id).await;
    let facts = answer_a.facts.clone().expect("facts");
    assert_eq!(facts.debt_status, pb::DebtStatus::None as i32, "{label}");
    assert_eq!(
        facts.parcel.as_ref().expect("parcel").renovation_code,
        clean.renovation_code
    );
    // The answer says what was paid (nothing) and what was charged to whose account.
    assert!(facts.fees_paid.is_empty(), "{label}: {:?}", facts.fees_paid);
    assert_eq!(facts.amount_paid_rials, 0, "{label}");
    let authority = &w.people.authority.organization_id;
    assert_eq!(&facts.authority_organization_id, authority, "{label}");
    let [fee] = facts.fees_charged_to_authority.as_slice() else {
        panic!(
            "{label}: one fee charged to the authority: {:?}",
            facts.fees_charged_to_authority
        )
    };
    assert_eq!(fee.kind, fpb::BillItemKind::InquiryFee as i32, "{label}");
    assert!(fee.amount_rials > 0, "{label}: {fee:?}");
    // The fees ledger holds the same charge on the notary office's account, once.
    let statement = fpb::fee_service_client::FeeServiceClient::new(channel(
        &w.settings.endpoints.fees,
        &w.settings,
    ))
    .get_account_statement(outgoing(
        fpb::GetAccountStatementRequest {
            account_id: authority.clone(),
            page_size: 100,
            page_token: String::new(),
        },
        Some(&w.clerk),
    ))
    .await
    .unwrap_or_else(|e| panic!("{label}: the clerk reads the authority's account: {e}"))
    .into_inner();
    let charged: Vec<_> = statement
        .charges
        .iter()
        .filter(|c| c.inquiry_id == a.inquiry.inquiry_id)
        .collect();
    assert_eq!(charged.len(), 1, "{label}: {:?}", statement.charges);
    assert_eq!(charged[0].amount_rials, fee.amount_rials, "{label}");
    assert_eq!(charged[0].request_type_code, "property-transfer");
    // (e) on this answer.
    check_signature(w, &answer_a).await;

    // (b) With debt: waits, is paid through the sandbox PSP, issued by the event.
    let mut b = Filing::open(w, &owing_token, "property-transfer").await;
    b.complete(&owing, &owing.request_number).await;
    let r = b.submit().await;
    assert_eq!(
        b.inquiry.state,
        pb::InquiryState::AwaitingPayment as i32,
        "{label}: (b) waits for payment"
    );
    let bill = r.bill.expect("a bill");
    assert!(
        bill.lines
            .iter()
            .any(|l| l.kind == fpb::BillItemKind::RenewalLevy as i32 && l.jalali_year > 0),
        "{label}: the unpaid levies are billed"
    );
    let psp_token = start_payment(w, &owing_token, &b.current().await).await;
    pay_at_sandbox(w, &psp_token, bill.total_rials).await;
    let issued = eventually("(b) issued by the debt-cleared event", || {
        let (w, t, id) = (&*w, owing_token.clone(), b.inquiry.inquiry_id.clone());
        async move {
            let i = get_inquiry(w, &t, &id).await;
            (i.state == pb::InquiryState::Issued as i32).then_some(i)
        }
    })
    .await;
    let answer_b = answer_of(w, &owing_token, &issued.inquiry_id).await;
    let facts = answer_b.facts.clone().expect("facts");
    assert_eq!(facts.debt_status, pb::DebtStatus::Cleared as i32, "{label}");
    // The bill was the parcel's debt alone; the fee went to the notary office's account.
    assert!(
        bill.lines
            .iter()
            .all(|l| l.kind != fpb::BillItemKind::InquiryFee as i32),
        "{label}: no inquiry fee on the applicant's bill: {:?}",
        bill.lines
    );
    assert_eq!(facts.amount_paid_rials, bill.total_rials, "{label}");
    assert_eq!(facts.fees_charged_to_authority.len(), 1, "{label}");
    // Issued after the payment, the answer says when the facts it states were read: at
    // Submit, before the payment.
    let submitted_at = issued.submitted_at.expect("submitted at").seconds;
    let checked = facts.facts_checked_at.expect("facts checked at").seconds;
    assert_eq!(checked, submitted_at, "{label}");
    assert!(!facts.facts_checked_at_jalali.is_empty(), "{label}");
    check_signature(w, &answer_b).await;

    // (c) Refusals, each at its own step, with a reason in both languages.
    let mut c = Filing::open(w, &clean_token, "property-transfer").await;
    let err = c
        .property(&clean.renovation_code, &owing.request_number)
        .await
        .expect_err("a request number of another parcel is refused");
    let (r, fa, en) = reason(&err);
    assert_eq!(err.code(), Code::InvalidArgument, "{label}: {err:?}");
    assert!(
        r.starts_with("REQUEST_NUMBER") || r == "REQUEST_NUMBER_INVALID",
        "{label}: {r}"
    );
    assert!(!fa.is_empty() && !en.is_empty());
    let err = c
        .property(&clean.renovation_code, "1234567890123")
        .await
        .expect_err("an unknown request number is refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{label}: {err:?}");
    assert_eq!(
        c.current().await.state,
        pb::InquiryState::UndertakingsAccepted as i32
    );
    let number = w.request_number(&clean.renovation_code).await;
    c.property(&clean.renovation_code, &number)
        .await
        .expect("the right number");
    let err = c
        .letter("1499/01/01")
        .await
        .expect_err("a future letter date is refused");
    let (r, fa, en) = reason(&err);
    assert_eq!(r, "LETTER_DATE_IN_FUTURE", "{label}");
    assert!(!fa.is_empty() && !en.is_empty());
    assert_eq!(
        c.current().await.state,
        pb::InquiryState::PropertyVerified as i32
    );
    c.letter("1403/05/12").await.expect("a past date");
    let (card, deed) = w.id_card_and_deed(&clean_token).await;
    let err = c
        .documents(vec![card.clone()])
        .await
        .expect_err("without the deed");
    let (r, fa, en) = reason(&err);
    assert_eq!(r, "REQUIRED_DOCUMENT_MISSING", "{label}");
    assert!(en.contains("deed") && !fa.is_empty(), "{label}: {en}");
    assert_eq!(
        c.current().await.state,
        pb::InquiryState::LetterRecorded as i32
    );
    c.documents(vec![card, deed]).await.expect("with the deed");
    let err = c
        .applicant(&owing.name, &owing.national_code)
        .await
        .expect_err("someone who does not own the parcel");
    let (r, fa, en) = reason(&err);
    assert_eq!(r, "APPLICANT_NOT_OWNER", "{label}");
    assert!(!fa.is_empty() && !en.is_empty());
    assert_eq!(
        c.current().await.state,
        pb::InquiryState::DocumentsAttached as i32
    );

    // (d) The inquiry service stops after payment and before issue; restarted, it issues
    // exactly one answer. (b) paid the parcel's debt, so a clerk's correction makes it owe
    // again: only what the parcel owes holds an answer back.
    fpb::fee_service_client::FeeServiceClient::new(channel(
        &w.settings.endpoints.fees,
        &w.settings,
    ))
    .add_adjustment(outgoing(
        fpb::AddAdjustmentRequest {
            renovation_code: owing.renovation_code.clone(),
            amount_rials: 1_250_000,
            jalali_year: 0,
            reason: "e2e: a levy correction after the transfer inquiry".into(),
            corrects_ledger_entry_id: String::new(),
            client_request_id: key(),
        },
        Some(&w.clerk),
    ))
    .await
    .unwrap_or_else(|e| panic!("{label}: the clerk corrects the parcel's levies: {e}"));
    let mut d = Filing::open(w, &owing_token, "mortgage").await;
    let number = w.request_number(&owing.renovation_code).await;
    d.complete(&owing, &number).await;
    let r = d.submit().await;
    assert_eq!(
        d.inquiry.state,
        pb::InquiryState::AwaitingPayment as i32,
        "{label}"
    );
    let amount = r.bill.expect("bill").total_rials;
    let psp_token = start_payment(w, &owing_token, &d.current().await).await;
    let inquiry_id = d.inquiry.inquiry_id.clone();
    drop(d);
    w.stop_inquiry().await;
    pay_at_sandbox(w, &psp_token, amount).await;
    w.start_inquiry().await;
    let issued = eventually("(d) issued after the restart", || {
        let (w, t, id) = (&*w, owing_token.clone(), inquiry_id.clone());
        async move {
            let i = get_inquiry(w, &t, &id).await;
            (i.state == pb::InquiryState::Issued as i32).then_some(i)
        }
    })
    .await;
    let answer_d = answer_of(w, &owing_token, &issued.inquiry_id).await;
    check_signature(w, &answer_d).await;
    assert_eq!(
        answers_and_events(w, &inquiry_id).await,
        (1, 1),
        "{label}: exactly one answer and one answer.issued event"
    );
}

#[tokio::test]
async fn the_nine_steps_work_across_the_real_services() {
    let mut backends: Vec<(&'static str, Option<String>)> = vec![("sqlite", None)];
    if let Some(url) = estelam_runtime::testing::postgres_url() {
        backends.push(("postgres", Some(url)));
    }
    for (label, url) in backends {
        let mut w = World::start(label, url).await;
        Box::pin(run_everything(&mut w)).await;
        w.stop().await;
    }
}
