//! The whole system, end to end: every real service over real gRPC (identity, property,
//! documents, fees, inquiry), started by the launcher, driven through the nine steps of the
//! property inquiry by the demo people, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is
//! set) PostgreSQL, over the in-process bus or (when `ESTELAM_TEST_AMQP_URL` is set)
//! RabbitMQ.
//!
//! * a no-debt inquiry the notary office files for a consenting owner is issued within its
//!   Submit call, the inquiry fee charged to the office's account (its statement shows it)
//!   and the answer naming the office as the inquirer;
//! * an inquiry a citizen files themselves, naming the office in the letter, waits with the
//!   parcel's debt and the inquiry fee on the citizen's bill, is paid through the sandbox
//!   PSP, and is issued by the `fees.debt.cleared` event; the office is not charged, reads
//!   and lists the inquiry, and the answer says the citizen asked, addressed to the office;
//! * a wrong request number, someone other than the citizen named as applicant, a missing
//!   deed and a future letter date are each refused at their own step with a reason;
//! * the inquiry service stopped after payment and before issue, then restarted, issues
//!   exactly one answer;
//! * the answer's Ed25519 signature verifies (by `VerifyAnswer` and independently, with the
//!   key from `ListAnswerSigningKeys`) and a tampered copy does not.

use std::time::Duration;

use ed25519_dalek::Verifier as _;
use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::{GrpcListener, outgoing};
use estelam_runtime::testing::{FreshDatabase, eventually};
use prost::Message as _;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;

mod support;

use support::accounts;
use support::nine_steps::grpc::{
    self, Application, DocumentsClient, FeesClient, Filing, InquiryClient, Letter, Once,
    PropertyClient,
};
use support::nine_steps::key;

/// The test's own service account: it plays the payment provider's callback, as the
/// gateway does in production.
const PSP_CLIENT: &str = "e2e-psp";

/// Where the bank would send the payer back (the test never follows it).
const RETURN_URL: &str = "/return";

/// How long an answer may take to follow its payment (a hang guard, not a timing
/// assertion).
const ISSUE_WITHIN: Duration = Duration::from_secs(60);

fn reason(status: &tonic::Status) -> (String, String, String) {
    let e = ServiceError::from_status(status);
    (e.reason, e.message_fa, e.message_en)
}

/// `status` is INVALID_ARGUMENT for a control or bidi character, naming `field`, in Persian
/// and English.
fn assert_text_refused(status: &tonic::Status, field: &str, label: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{label}: {status:?}");
    let e = ServiceError::from_status(status);
    assert_eq!(e.reason, "TEXT_CHARACTERS_REFUSED", "{label}");
    assert_eq!(
        e.fields.first().map(|f| f.field.as_str()),
        Some(field),
        "{label}"
    );
    assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());
}

/// One running system on one backend, with the demo people and the test's clients.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    clerk: String,
    psp: String,
    inquiry: InquiryClient,
    inquiry_stop: CancellationToken,
    inquiry_task: tokio::task::JoinHandle<anyhow::Result<()>>,
    postgres: Option<FreshDatabase>,
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
                let fresh = FreshDatabase::create(url, "e2e")
                    .await
                    .expect("a PostgreSQL database of the run's own");
                settings.database.url = Some(SecretString::from(fresh.url().to_owned()));
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
        let psp_secret = accounts::add_service_client(&mut settings, PSP_CLIENT);
        accounts::bootstrap_admin(&mut settings);

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
        let (_, people) = accounts::demo_people(&settings).await;
        let clerk = accounts::log_in(
            &settings,
            &people.clerk.national_code,
            &people.clerk.password,
        )
        .await;
        // The notary office's user can log in too.
        let authority = &people.authority;
        accounts::log_in(&settings, &authority.national_code, &authority.password).await;
        let psp = accounts::service_token(&settings, PSP_CLIENT, &psp_secret).await;

        let mut world = Self {
            label,
            settings,
            people,
            clerk,
            psp,
            inquiry: InquiryClient::new(Channel::from_static("http://127.0.0.1:1").connect_lazy()),
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
        self.inquiry = InquiryClient::new(channel(&endpoint, &self.settings));
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
            pg.drop_database()
                .await
                .expect("the run's database is dropped");
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
        accounts::log_in(&self.settings, &c.national_code, &c.password).await
    }

    fn fees(&self) -> FeesClient {
        FeesClient::new(channel(&self.settings.endpoints.fees, &self.settings))
    }

    /// A fresh request number for `renovation_code`, issued by the clerk.
    async fn request_number(&self, renovation_code: &str) -> String {
        let property =
            PropertyClient::new(channel(&self.settings.endpoints.property, &self.settings));
        grpc::issue_request_number(&Once, &property, &self.clerk, renovation_code, "e2e")
            .await
            .expect("the clerk issues a request number")
    }

    /// A national ID card (PNG) and an ownership deed (PDF) of the citizen.
    async fn id_card_and_deed(&self, token: &str) -> (String, String) {
        let documents =
            DocumentsClient::new(channel(&self.settings.endpoints.documents, &self.settings));
        let [card, deed]: [String; 2] = grpc::card_and_deed(&documents, token)
            .await
            .try_into()
            .expect("a card and a deed");
        (card, deed)
    }

    /// Step 3: a new inquiry of `type_code` with its undertakings accepted.
    async fn open(&self, token: &str, type_code: &str) -> Filing<'static, Once> {
        let request_type = grpc::request_type(&Once, &self.inquiry, token, type_code)
            .await
            .expect("the request type");
        Filing::open(&Once, &self.inquiry, token, &request_type)
            .await
            .unwrap_or_else(|e| panic!("{}: open: {e}", self.label))
    }

    /// The demo notary office's user's token.
    async fn office(&self) -> String {
        let a = &self.people.authority;
        accounts::log_in(&self.settings, &a.national_code, &a.password).await
    }

    /// Step 3 of a `type_code` inquiry the demo notary office files itself on behalf of
    /// `citizen`, who consents with the membership code identity shows them.
    async fn office_files_for(
        &self,
        office: &str,
        citizen_token: &str,
        citizen: &CitizenLogin,
        type_code: &str,
    ) -> Filing<'static, Once> {
        let label = self.label;
        let me = ipb::identity_service_client::IdentityServiceClient::new(channel(
            &self.settings.endpoints.identity,
            &self.settings,
        ))
        .get_me(outgoing(ipb::GetMeRequest {}, Some(citizen_token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the citizen reads their membership code: {e}"))
        .into_inner();
        let membership_code = me.account.expect("the account").membership_code;
        let draft = self
            .inquiry
            .clone()
            .file_inquiry_on_behalf(outgoing(
                pb::FileInquiryOnBehalfRequest {
                    request_type_code: type_code.into(),
                    applicant_national_code: citizen.national_code.clone(),
                    applicant_membership_code: membership_code,
                    client_request_id: key(),
                },
                Some(office),
            ))
            .await
            .unwrap_or_else(|e| panic!("{label}: the office files on the citizen's behalf: {e}"))
            .into_inner()
            .inquiry
            .expect("the filed inquiry");
        let request_type = grpc::request_type(&Once, &self.inquiry, office, type_code)
            .await
            .expect("the request type");
        Filing::resume(&Once, &self.inquiry, office, &request_type, draft)
            .await
            .unwrap_or_else(|e| panic!("{label}: undertakings: {e}"))
    }

    /// A letter from the demo notary office dated `date`.
    fn letter_dated(&self, date: &str) -> Letter {
        Letter {
            date_jalali: date.into(),
            ..Letter::from_authority(&self.people.authority.organization_id)
        }
    }

    /// Steps 4 to 6 with good inputs for `citizen`'s parcel and request number `number`,
    /// with newly uploaded documents, up to ApplicantVerified.
    async fn complete(
        &self,
        filing: &mut Filing<'_, Once>,
        token: &str,
        citizen: &CitizenLogin,
        number: &str,
    ) {
        self.complete_typed(filing, token, citizen, number, &citizen.name)
            .await;
    }

    /// [`World::complete`], with the applicant's name typed as `full_name`.
    async fn complete_typed(
        &self,
        filing: &mut Filing<'_, Once>,
        token: &str,
        citizen: &CitizenLogin,
        number: &str,
        full_name: &str,
    ) {
        let (card, deed) = self.id_card_and_deed(token).await;
        filing
            .complete(&Application {
                renovation_code: citizen.renovation_code.clone(),
                request_number: number.into(),
                letter: Letter::from_authority(&self.people.authority.organization_id),
                documents: vec![card, deed],
                full_name: full_name.into(),
                national_code: citizen.national_code.clone(),
                ownership_type: ppb::OwnershipType::Full,
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.label));
        assert_eq!(
            filing.inquiry.state,
            pb::InquiryState::ApplicantVerified as i32,
            "{}",
            self.label
        );
    }

    /// Waits until the inquiry `id` is issued (by the debt-cleared event).
    async fn issued(&self, token: &str, id: &str, what: &str) -> pb::Inquiry {
        eventually(what, ISSUE_WITHIN, async || {
            let i = grpc::get_inquiry(&self.inquiry, token, id)
                .await
                .expect("get inquiry");
            if i.state == pb::InquiryState::Issued as i32 {
                Ok(i)
            } else {
                Err(pb::InquiryState::try_from(i.state))
            }
        })
        .await
    }
}

/// Starts the payment of `filing`'s bill through the inquiry service; returns the sandbox
/// PSP's token of it.
async fn start_payment(w: &World, filing: &mut Filing<'_, Once>) -> String {
    filing.refresh().await.expect("the inquiry");
    let payment = filing
        .start_payment(RETURN_URL)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", w.label));
    assert!(!payment.psp_token.is_empty());
    payment.psp_token
}

/// The payer checks the amount at the sandbox bank, pays, and the callback goes to fees, as
/// the payer's browser and the gateway would.
async fn pay_at_sandbox(w: &World, psp_token: &str, amount: i64) {
    let fees = w.fees();
    let at_bank = fees
        .clone()
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
    grpc::pay_at_sandbox(&fees, &w.psp, psp_token)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{}: the payment is made and its callback accepted: {e}",
                w.label
            )
        });
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

    // (a) No debt: issued within Submit, with a seeded type. The notary office files the
    // property transfer itself, for the consenting owner: the inquiry fee goes to the
    // office's own account, not on the applicant's bill, so a parcel that owes nothing is
    // answered at once.
    let office = w.office().await;
    let mut a = w
        .office_files_for(&office, &clean_token, &clean, "property-transfer")
        .await;
    // The name is typed on an Arabic keyboard (ي, ك) with a stray zero-width non-joiner at
    // the end: it still matches the owner, and is stored and signed in Persian letters.
    let typed = format!("{}\u{200C}", clean.name.replace('ی', "ي").replace('ک', "ك"));
    assert_ne!(
        typed.trim_end_matches('\u{200C}'),
        clean.name,
        "the demo name has ی or ک"
    );
    // The documents are the owner's own uploads, attached by the office.
    w.complete_typed(&mut a, &clean_token, &clean, &clean.request_number, &typed)
        .await;
    let submitted = a.submit().await.expect("(a) submitted");
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
    assert_eq!(
        facts.applicant_full_name, clean.name,
        "{label}: signed in Persian letters"
    );
    let signed = String::from_utf8(answer_a.signed_payload.clone()).expect("UTF-8 payload");
    let signed_name = format!("\"applicant_full_name\":\"{}\"", clean.name);
    assert!(
        signed.contains(&signed_name),
        "{label}: no trailing ZWNJ: {signed}"
    );
    assert!(
        !signed.contains(['ي', 'ك', '\u{202E}']),
        "{label}: no Arabic variant or override signed: {signed}"
    );
    // A revocation reason carrying a right-to-left override is refused, naming the field.
    let err = w
        .inquiry
        .clone()
        .revoke_answer(outgoing(
            pb::RevokeAnswerRequest {
                inquiry_id: a.inquiry.inquiry_id.clone(),
                expected_version: a.inquiry.version,
                client_request_id: key(),
                reason: "سند \u{202E}جعلی".into(),
            },
            Some(&w.clerk),
        ))
        .await
        .expect_err("a bidi override in a revocation reason is refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{label}");
    assert_text_refused(&err, "reason", label);
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
    assert_eq!(
        facts.inquired_by,
        pb::InquiredBy::Authority as i32,
        "{label}: the office inquired"
    );
    let [fee] = facts.fees_charged_to_authority.as_slice() else {
        panic!(
            "{label}: one fee charged to the authority: {:?}",
            facts.fees_charged_to_authority
        )
    };
    assert_eq!(fee.kind, fpb::BillItemKind::InquiryFee as i32, "{label}");
    assert!(fee.amount_rials > 0, "{label}: {fee:?}");
    // The fees ledger holds the same charge on the notary office's account, once.
    let statement = w
        .fees()
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

    // (b) With debt: waits, is paid through the sandbox PSP, issued by the event. The
    // citizen files themselves and names the notary office in the letter: the office is not
    // charged; the inquiry fee is on the citizen's bill with the parcel's debt.
    let mut b = w.open(&owing_token, "property-transfer").await;
    w.complete(&mut b, &owing_token, &owing, &owing.request_number)
        .await;
    let r = b.submit().await.expect("(b) submitted");
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
    let psp_token = start_payment(w, &mut b).await;
    pay_at_sandbox(w, &psp_token, bill.total_rials).await;
    let issued = w
        .issued(
            &owing_token,
            &b.inquiry.inquiry_id,
            "(b) issued by the debt-cleared event",
        )
        .await;
    let answer_b = answer_of(w, &owing_token, &issued.inquiry_id).await;
    let facts = answer_b.facts.clone().expect("facts");
    assert_eq!(facts.debt_status, pb::DebtStatus::Cleared as i32, "{label}");
    // The bill was the parcel's debt and the inquiry fee, paid together; nothing was
    // charged to the office the letter names, and the answer says the citizen asked and
    // that it is addressed to that office.
    assert!(
        bill.lines
            .iter()
            .any(|l| l.kind == fpb::BillItemKind::InquiryFee as i32 && l.total_rials > 0),
        "{label}: the inquiry fee is on the applicant's bill: {:?}",
        bill.lines
    );
    assert_eq!(facts.amount_paid_rials, bill.total_rials, "{label}");
    assert!(
        facts.fees_charged_to_authority.is_empty(),
        "{label}: {:?}",
        facts.fees_charged_to_authority
    );
    assert!(
        facts
            .fees_paid
            .iter()
            .any(|f| f.kind == fpb::BillItemKind::InquiryFee as i32),
        "{label}: the answer lists the inquiry fee as paid: {:?}",
        facts.fees_paid
    );
    assert_eq!(
        facts.inquired_by,
        pb::InquiredBy::Applicant as i32,
        "{label}: the citizen inquired"
    );
    assert_eq!(&facts.authority_organization_id, authority, "{label}");
    let statement = w
        .fees()
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
    assert!(
        statement
            .charges
            .iter()
            .all(|c| c.inquiry_id != issued.inquiry_id),
        "{label}: the office was not charged: {:?}",
        statement.charges
    );
    // The office the letter names reads the inquiry and its answer, and finds it among
    // the inquiries addressed to it; it does not fill it in.
    let seen = grpc::get_inquiry(&w.inquiry, &office, &issued.inquiry_id)
        .await
        .unwrap_or_else(|e| panic!("{label}: the named office reads the inquiry: {e}"));
    assert_eq!(seen.state, pb::InquiryState::Issued as i32, "{label}");
    answer_of(w, &office, &issued.inquiry_id).await;
    let listed = w
        .inquiry
        .clone()
        .list_inquiries(outgoing(
            pb::ListInquiriesRequest {
                letter_organization_id: authority.clone(),
                page_size: 100,
                ..Default::default()
            },
            Some(&office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office lists what is addressed to it: {e}"))
        .into_inner();
    let ids: Vec<&str> = listed
        .inquiries
        .iter()
        .map(|i| i.inquiry_id.as_str())
        .collect();
    assert!(
        ids.contains(&issued.inquiry_id.as_str()),
        "{label}: {ids:?}"
    );
    // Issued after the payment, the answer says when the facts it states were read: at
    // Submit, before the payment.
    let submitted_at = issued.submitted_at.expect("submitted at").seconds;
    let checked = facts.facts_checked_at.expect("facts checked at").seconds;
    assert_eq!(checked, submitted_at, "{label}");
    assert!(!facts.facts_checked_at_jalali.is_empty(), "{label}");
    check_signature(w, &answer_b).await;

    // (c) Refusals, each at its own step, with a reason in both languages.
    let mut c = w.open(&clean_token, "property-transfer").await;
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
        c.refresh().await.expect("the inquiry").state,
        pb::InquiryState::UndertakingsAccepted as i32
    );
    let number = w.request_number(&clean.renovation_code).await;
    c.property(&clean.renovation_code, &number)
        .await
        .expect("the right number");
    let err = c
        .letter(&w.letter_dated("1499/01/01"))
        .await
        .expect_err("a future letter date is refused");
    let (r, fa, en) = reason(&err);
    assert_eq!(r, "LETTER_DATE_IN_FUTURE", "{label}");
    assert!(!fa.is_empty() && !en.is_empty());
    assert_eq!(
        c.refresh().await.expect("the inquiry").state,
        pb::InquiryState::PropertyVerified as i32
    );
    let err = c
        .letter(&Letter {
            number: "۱۲۳\0/ب".into(),
            ..w.letter_dated("1403/05/12")
        })
        .await
        .expect_err("a NUL in a letter number is refused");
    assert_text_refused(&err, "letter_number", label);
    c.letter(&w.letter_dated("1403/05/12"))
        .await
        .expect("a past date");
    let (card, deed) = w.id_card_and_deed(&clean_token).await;
    let err = c
        .documents(vec![card.clone()])
        .await
        .expect_err("without the deed");
    let (r, fa, en) = reason(&err);
    assert_eq!(r, "REQUIRED_DOCUMENT_MISSING", "{label}");
    assert!(en.contains("deed") && !fa.is_empty(), "{label}: {en}");
    assert_eq!(
        c.refresh().await.expect("the inquiry").state,
        pb::InquiryState::LetterRecorded as i32
    );
    c.documents(vec![card, deed]).await.expect("with the deed");
    let spoofed = format!("{}\u{202E}", clean.name);
    let err = c
        .applicant(&spoofed, &clean.national_code, ppb::OwnershipType::Full)
        .await
        .expect_err("a bidi override in the applicant's name is refused");
    assert_text_refused(&err, "full_name", label);
    let err = c
        .applicant(&owing.name, &owing.national_code, ppb::OwnershipType::Full)
        .await
        .expect_err("someone other than the citizen logged in");
    let (r, fa, en) = reason(&err);
    // A citizen files only as themselves: naming another person is refused as such,
    // before the parcel's owners are even asked.
    assert_eq!(r, "APPLICANT_NOT_CALLER", "{label}");
    assert!(!fa.is_empty() && !en.is_empty());
    assert_eq!(
        c.refresh().await.expect("the inquiry").state,
        pb::InquiryState::DocumentsAttached as i32
    );

    // (d) The inquiry service stops after payment and before issue; restarted, it issues
    // exactly one answer. (b) paid the parcel's debt, so a clerk's correction makes it owe
    // again: only what the parcel owes holds an answer back.
    w.fees()
        .add_adjustment(outgoing(
            fpb::AddAdjustmentRequest {
                renovation_code: owing.renovation_code.clone(),
                amount_rials: 1_250_000,
                jalali_year: 0,
                reason: "e2e: a levy correction after the transfer inquiry".into(),
                corrects_ledger_entry_id: String::new(),
                client_request_id: key(),
                kind: fpb::AdjustmentKind::Correction.into(),
            },
            Some(&w.clerk),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the clerk corrects the parcel's levies: {e}"));
    let mut d = w.open(&owing_token, "mortgage").await;
    let number = w.request_number(&owing.renovation_code).await;
    w.complete(&mut d, &owing_token, &owing, &number).await;
    let r = d.submit().await.expect("(d) submitted");
    assert_eq!(
        d.inquiry.state,
        pb::InquiryState::AwaitingPayment as i32,
        "{label}"
    );
    let amount = r.bill.expect("bill").total_rials;
    let psp_token = start_payment(w, &mut d).await;
    let inquiry_id = d.inquiry.inquiry_id.clone();
    drop(d);
    w.stop_inquiry().await;
    pay_at_sandbox(w, &psp_token, amount).await;
    w.start_inquiry().await;
    let issued = w
        .issued(&owing_token, &inquiry_id, "(d) issued after the restart")
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
