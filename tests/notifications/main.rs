//! Notifications through the outbox (issue 19): the whole system sends its messages through a
//! real SMTP server and a real HTTP server standing in for an Iranian SMS gateway, both
//! started by the test, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL,
//! on the in-process bus or RabbitMQ (`ESTELAM_TEST_AMQP_URL`).
//!
//! * A citizen confirms their mobile and, through the gateway's
//!   `PUT /api/v1/me/notification-preferences`, asks for SMS and e-mail in English when an
//!   answer is issued. Both providers fail their first two attempts. The citizen files a
//!   clearance, the answer is issued, and then exactly one e-mail (subject and body in
//!   English, naming the inquiry number and the verification code) and one SMS reach them,
//!   the audit (`ListDeliveries`) saying each took three attempts.
//! * The SMS gateway then reports the answer's SMS delivered, and the audit says so.
//! * A representative files in the citizen's name (the inquiry service's event): the
//!   notifications service texts the owner (no longer identity); the gateway takes the
//!   text but its answer is lost, and the retry asks the gateway about the delivery's
//!   `localid` instead of texting again — one SMS; the gateway later reports it expired
//!   (the phone was off), and the audit says so.
//! * The whole system restarts on the same stores; the answer-issued event is delivered
//!   again (as a broker redelivers after a lost acknowledgement), and no second message
//!   goes out.

mod codes;
mod sms_gateway;
mod smtp_server;
#[path = "../support/mod.rs"]
mod support;

use std::time::Duration;

use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_proto::events::v1 as epb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::notifications::v1 as npb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::bus::Event;
use estelam_runtime::config::{EmailProviderKind, NotifySmsProviderKind, Settings, SmtpSecurity};
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::{FreshDatabase, eventually};
use prost::Message as _;
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use sms_gateway::SmsGateway;
use smtp_server::SmtpServer;
use support::accounts;
use support::nine_steps::grpc::{
    self, Application, DocumentsClient, Filing, InquiryClient, Letter, Once,
};

/// How long a message may take through the outbox, the bus, the lookups and the retries.
const TOLD_WITHIN: Duration = Duration::from_secs(60);
const EMAIL: &str = "citizen.notices@example.ir";

type IdentityClient = ipb::identity_service_client::IdentityServiceClient<Channel>;
type NotificationsClient = npb::notification_service_client::NotificationServiceClient<Channel>;
type PropertyClient = ppb::property_service_client::PropertyServiceClient<Channel>;

fn channel(endpoint: &str, settings: &Settings) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

/// The settings of one run: its stores, its own queues on a shared broker, and the two
/// providers pointed at the test's servers with short retry pauses.
fn settings_for(
    data: &std::path::Path,
    pg: Option<&FreshDatabase>,
    smtp: &SmtpServer,
    sms: &SmsGateway,
) -> Settings {
    let mut settings = Settings {
        data_dir: data.to_path_buf(),
        ..Settings::default()
    };
    if let Some(pg) = pg {
        settings.database.url = Some(SecretString::from(pg.url().to_owned()));
    }
    if let Some(amqp) = estelam_runtime::testing::amqp_url() {
        settings.bus.amqp_url = Some(SecretString::from(amqp));
        // Queues are durable and shared by every run on the broker: this run's own.
        let run = estelam_runtime::testing::unique_suffix();
        settings.notifications.queue = format!("notifications.events.test-{run}");
        settings.identity.owner_notice_queue = format!("identity.owner-notices.test-{run}");
        settings.inquiry.debt_cleared_queue = format!("inquiry.debt-cleared.test-{run}");
    }
    let n = &mut settings.notifications;
    n.sms.provider = NotifySmsProviderKind::Http;
    n.sms.base_url = sms.url.clone();
    n.sms.api_key = Some(SecretString::from("test-api-key-5531"));
    n.sms.sender = "10008663".into();
    n.email.provider = EmailProviderKind::Smtp;
    n.email.smtp_host = "127.0.0.1".into();
    n.email.smtp_port = smtp.port;
    n.email.smtp_security = SmtpSecurity::None;
    n.email.from = "Shahin Shahr Municipality <no-reply@shahinshahr.example>".into();
    n.retry_min_ms = 20;
    n.retry_max_ms = 200;
    n.poll_interval_ms = 50;
    n.status_check_min_ms = 20;
    settings.property.demo_parcels = 200;
    accounts::bootstrap_admin(&mut settings);
    settings
}

async fn start(label: &str, settings: Settings) -> estelam::RunningSystem {
    estelam::start(
        settings,
        estelam::SystemAddrs::ephemeral(),
        CancellationToken::new(),
    )
    .await
    .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"))
}

/// The citizen confirms their mobile with the code identity sends (read from identity's
/// log provider; the demo start may already have sent one); returns their token and mobile.
async fn verified(
    label: &str,
    system: &estelam::RunningSystem,
    citizen: &CitizenLogin,
) -> (String, String) {
    let settings = system.settings();
    let token = accounts::log_in(settings, &citizen.national_code, &citizen.password).await;
    let mut identity = IdentityClient::new(channel(&settings.endpoints.identity, settings));
    let me = identity
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the account: {e}"))
        .into_inner()
        .account
        .expect("the account");
    let last_code = || {
        system
            .sms_sent()
            .into_iter()
            .rev()
            .find(|m| m.mobile == me.mobile)
            .and_then(|m| estelam_identity::sms::code_in(&m.text))
    };
    let code = match last_code() {
        Some(code) => code,
        None => {
            identity
                .send_mobile_code(outgoing(ipb::SendMobileCodeRequest {}, Some(&token)))
                .await
                .unwrap_or_else(|e| panic!("{label}: a code is sent: {e}"));
            last_code().unwrap_or_else(|| panic!("{label}: the code sent to {}", me.mobile))
        }
    };
    identity
        .verify_mobile(outgoing(ipb::VerifyMobileRequest { code }, Some(&token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the mobile is confirmed: {e}"));
    (token, me.mobile)
}

/// Files the citizen's own clearance (no fee, no debt) and waits for its answer.
async fn clearance_issued(
    label: &str,
    settings: &Settings,
    people: &DemoPeople,
    citizen: &CitizenLogin,
    token: &str,
) -> pb::Inquiry {
    let clerk = accounts::log_in(
        settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, settings));
    let documents = DocumentsClient::new(channel(&settings.endpoints.documents, settings));
    let property = PropertyClient::new(channel(&settings.endpoints.property, settings));
    let number =
        grpc::issue_request_number(&Once, &property, &clerk, &citizen.renovation_code, "notify")
            .await
            .expect("the clerk issues a request number");
    let documents = grpc::card_and_deed(&documents, token).await;
    let request_type = grpc::request_type(&Once, &inquiry, token, "clearance")
        .await
        .expect("the request type");
    let mut filing = Filing::open(&Once, &inquiry, token, &request_type)
        .await
        .expect("open");
    filing
        .complete(&Application {
            renovation_code: citizen.renovation_code.clone(),
            request_number: number,
            letter: Letter::from_authority(&people.authority.organization_id),
            documents,
            full_name: citizen.name.clone(),
            national_code: citizen.national_code.clone(),
            ownership_type: ppb::OwnershipType::Full,
        })
        .await
        .unwrap_or_else(|e| panic!("{label}: steps 4 to 6: {e}"));
    filing
        .submit()
        .await
        .unwrap_or_else(|e| panic!("{label}: submit: {e}"));
    let id = filing.inquiry.inquiry_id.clone();
    eventually("the answer to be issued", TOLD_WITHIN, async || {
        let now = grpc::get_inquiry(&inquiry, token, &id)
            .await
            .expect("inquiry");
        if now.state == pb::InquiryState::Issued as i32 {
            Ok(now)
        } else {
            Err(now.state)
        }
    })
    .await
}

fn answer_mails(smtp: &SmtpServer, number: &str) -> Vec<smtp_server::Mail> {
    smtp.accepted()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == EMAIL) && m.subject().contains(number))
        .collect()
}

fn answer_texts(sms: &SmsGateway, mobile: &str, number: &str) -> Vec<sms_gateway::Sms> {
    sms.accepted()
        .into_iter()
        .filter(|m| {
            m.receptor == mobile && m.message.contains(number) && m.message.contains("was issued")
        })
        .collect()
}

async fn run(label: &'static str, postgres_url: Option<String>) {
    let smtp = SmtpServer::start().await;
    let sms = SmsGateway::start().await;
    let data = tempfile::tempdir().expect("temp dir");
    let pg = match &postgres_url {
        Some(url) => Some(
            FreshDatabase::create(url, "notify")
                .await
                .expect("a database of the run's own"),
        ),
        None => None,
    };
    let settings = settings_for(data.path(), pg.as_ref(), &smtp, &sms);
    let system = start(label, settings.clone()).await;
    let running = system.settings().clone();
    let (_, people) = accounts::demo_people(&running).await;
    let citizen = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a demo citizen with no debt")
        .clone();
    let (token, mobile) = verified(label, &system, &citizen).await;

    // Preferences through the gateway: SMS and e-mail for an issued answer, in English, and
    // nothing for logins.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/me/notification-preferences", system.gateway_url);
    let put = http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({
            "channels": {"answer_issued": ["sms", "email"], "new_login": []},
            "email": EMAIL,
            "language": "en"
        }))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(
        put.status(),
        200,
        "{label}: {}",
        put.text().await.unwrap_or_default()
    );
    let now: serde_json::Value = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        now["channels"]["answer_issued"],
        json!(["sms", "email"]),
        "{label}: {now}"
    );
    assert_eq!(
        now["channels"]["bill_waiting"],
        json!(["sms"]),
        "{label}: the default stays: {now}"
    );
    assert_eq!(now["language"], "en", "{label}");
    let bad = http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"channels": {"answer_issued": ["email"]}, "email": "not an address", "language": "en"}))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(bad.status(), 400, "{label}: a wrong address is refused");

    // Both providers fail twice before they accept (the SMS gateway only the answer's
    // message: other texts, such as a login notice resolved late, go through meanwhile).
    smtp.refuse_next(2);
    sms.fail_next(2, "was issued");
    let issued = clearance_issued(label, &running, &people, &citizen, &token).await;
    let number = issued.inquiry_number.clone();
    let mails = eventually("the answer's e-mail", TOLD_WITHIN, async || {
        let mails = answer_mails(&smtp, &number);
        if mails.is_empty() {
            Err(smtp.accepted().len())
        } else {
            Ok(mails)
        }
    })
    .await;
    let texts = eventually("the answer's SMS", TOLD_WITHIN, async || {
        let texts = answer_texts(&sms, &mobile, &number);
        if texts.is_empty() {
            Err(sms.accepted().len())
        } else {
            Ok(texts)
        }
    })
    .await;
    let mail = &mails[0];
    assert_eq!(
        mail.subject(),
        format!("Municipality: the answer to inquiry {number} was issued"),
        "{label}"
    );
    let body = mail.body();
    assert!(
        body.starts_with("Dear ") && body.contains(&issued.verification_code),
        "{label}: {body}"
    );
    assert!(
        mail.header("from")
            .unwrap_or_default()
            .contains("no-reply@shahinshahr.example"),
        "{label}"
    );
    assert_eq!(texts[0].sender, "10008663", "{label}");
    assert!(
        !texts[0].local_id.is_empty(),
        "{label}: our delivery id goes as localid"
    );
    assert_eq!(texts[0].api_key, "test-api-key-5531", "{label}");
    assert!(
        texts[0]
            .message
            .starts_with("Municipality: the answer to inquiry"),
        "{label}: {}",
        texts[0].message
    );
    assert_eq!(smtp.refused(), 2, "{label}: the SMTP server refused twice");
    assert_eq!(sms.failed(), 2, "{label}: the SMS gateway failed twice");

    // The audit: both sent, on the third attempt, with the providers' ids.
    let mut notifications =
        NotificationsClient::new(channel(&running.endpoints.notifications, &running));
    // A provider's acceptance is recorded just after the provider answers, so the row can
    // trail the message the test server already holds: wait for both rows to say so.
    let answered: Vec<npb::Delivery> = eventually(
        &format!("{label}: both answer notices recorded as sent"),
        TOLD_WITHIN,
        async || {
            let audit = notifications
                .list_deliveries(outgoing(
                    npb::ListDeliveriesRequest::default(),
                    Some(&token),
                ))
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .deliveries;
            let answered: Vec<_> = audit
                .into_iter()
                .filter(|d| d.kind == npb::NoticeKind::AnswerIssued as i32)
                .collect();
            let all_sent = answered.len() == 2
                && answered
                    .iter()
                    .all(|d| d.status == npb::DeliveryStatus::Sent as i32);
            if all_sent {
                Ok(answered)
            } else {
                Err(format!("{answered:?}"))
            }
        },
    )
    .await;
    for d in &answered {
        assert_eq!(d.status, npb::DeliveryStatus::Sent as i32, "{label}: {d:?}");
        assert_eq!(d.attempts, 3, "{label}: {d:?}");
        assert!(!d.provider_message_id.is_empty(), "{label}: {d:?}");
    }
    let event_id = answered[0].event_id.clone();

    // The gateway reports the answer's SMS on the phone.
    sms.report_status("was issued", 10);
    settled(
        label,
        &mut notifications,
        &token,
        npb::NoticeKind::AnswerIssued,
        npb::DeliveryStatus::Delivered,
    )
    .await;

    // Filed in the citizen's name: the SMS comes from notifications; the gateway takes it
    // but the answer is lost, and the retry asks about the localid rather than texting again.
    sms.lose_answers(1, "filed in your name");
    let represented = epb::RepresentationChanged {
        event_id: uuid::Uuid::now_v7().to_string(),
        inquiry_id: uuid::Uuid::now_v7().to_string(),
        inquiry_number: "0999000111".into(),
        owner_national_code: citizen.national_code.clone(),
        representative_full_name: "رضا وکیلی".into(),
        stage: epb::RepresentationStage::Filed as i32,
        ..Default::default()
    };
    let mut event = Event::new(
        estelam_proto::routing_keys::REPRESENTATION_CHANGED,
        "estelam.events.v1.RepresentationChanged",
        represented.encode_to_vec(),
    );
    event.id = represented.event_id.clone();
    system.bus().publish(&event).await.expect("published");
    let filed = settled(
        label,
        &mut notifications,
        &token,
        npb::NoticeKind::FiledInYourName,
        npb::DeliveryStatus::Sent,
    )
    .await;
    let filed_texts: Vec<_> = sms
        .accepted()
        .into_iter()
        .filter(|m| m.receptor == mobile && m.message.contains("0999000111"))
        .collect();
    assert_eq!(
        filed_texts.len(),
        1,
        "{label}: one text, the lost answer notwithstanding: {filed_texts:?}"
    );
    assert!(
        filed_texts[0]
            .message
            .contains("was filed in your name by رضا وکیلی"),
        "{label}: {}",
        filed_texts[0].message
    );
    assert_eq!(sms.lost(), 1, "{label}");
    assert!(
        sms.local_id_calls() >= 1,
        "{label}: the retry asked about the localid"
    );
    assert_eq!(filed.attempts, 2, "{label}: {filed:?}");
    assert_eq!(
        filed.provider_message_id,
        filed_texts[0].message_id.to_string(),
        "{label}"
    );
    sms.report_status("0999000111", 11);
    let expired = settled(
        label,
        &mut notifications,
        &token,
        npb::NoticeKind::FiledInYourName,
        npb::DeliveryStatus::Expired,
    )
    .await;
    assert!(expired.settled_at.is_some(), "{label}: {expired:?}");

    // Restart on the same stores; the answer-issued event comes again, as a broker
    // redelivers after a lost acknowledgement.
    system.stop().await.expect("the system stops");
    let system = start(label, settings).await;
    let again = epb::AnswerIssued {
        event_id: event_id.clone(),
        inquiry_id: issued.inquiry_id.clone(),
        inquiry_number: number.clone(),
        verification_code: issued.verification_code.clone(),
        request_type_code: "clearance".into(),
        ..Default::default()
    };
    let mut event = Event::new(
        estelam_proto::routing_keys::ANSWER_ISSUED,
        "estelam.events.v1.AnswerIssued",
        again.encode_to_vec(),
    );
    event.id = event_id;
    system.bus().publish(&event).await.expect("published again");
    // A later event that does make a message: once its e-mail is here, the redelivered one
    // (earlier on the same queue) has been handled.
    let running = system.settings().clone();
    let mut notifications =
        NotificationsClient::new(channel(&running.endpoints.notifications, &running));
    notifications
        .update_preferences(outgoing(
            npb::UpdatePreferencesRequest {
                preferences: Some(npb::Preferences {
                    kinds: vec![npb::KindChannels {
                        kind: npb::NoticeKind::NewLogin as i32,
                        channels: vec![npb::Channel::Email as i32],
                    }],
                    email: EMAIL.into(),
                    language: "fa".into(),
                }),
            },
            Some(&accounts::log_in(&running, &citizen.national_code, &citizen.password).await),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: preferences: {e}"));
    accounts::log_in(&running, &citizen.national_code, &citizen.password).await;
    let login = eventually("the new-login e-mail", TOLD_WITHIN, async || {
        smtp.accepted()
            .into_iter()
            .find(|m| m.subject().contains("ورود تازه"))
            .ok_or(smtp.accepted().len())
    })
    .await;
    assert!(
        login.body().contains(&citizen.name) || login.body().contains("گرامی"),
        "{label}: {}",
        login.body()
    );
    assert_eq!(
        answer_mails(&smtp, &number).len(),
        1,
        "{label}: one e-mail for the answer, after the restart too"
    );
    assert_eq!(
        answer_texts(&sms, &mobile, &number).len(),
        1,
        "{label}: one SMS for the answer, after the restart too"
    );
    system.stop().await.expect("the system stops");
    if let Some(pg) = pg {
        pg.drop_database()
            .await
            .expect("the run's database is dropped");
    }
}

/// Waits until the citizen's SMS of `kind` has `status` in the audit; returns it.
async fn settled(
    label: &str,
    notifications: &mut NotificationsClient,
    token: &str,
    kind: npb::NoticeKind,
    status: npb::DeliveryStatus,
) -> npb::Delivery {
    eventually(
        &format!("{label}: the {kind:?} SMS to be {status:?}"),
        TOLD_WITHIN,
        async || {
            let audit = notifications
                .list_deliveries(outgoing(npb::ListDeliveriesRequest::default(), Some(token)))
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .deliveries;
            let sms = audit
                .into_iter()
                .find(|d| d.kind == kind as i32 && d.channel == npb::Channel::Sms as i32)
                .ok_or_else(|| "no such delivery".to_owned())?;
            if sms.status == status as i32 {
                Ok(sms)
            } else {
                Err(format!("{sms:?}"))
            }
        },
    )
    .await
}

#[tokio::test]
async fn an_issued_answer_reaches_the_citizen_by_sms_and_email_once() {
    Box::pin(run("sqlite", None)).await;
    match estelam_runtime::testing::postgres_url() {
        Some(url) => Box::pin(run("postgres", Some(url))).await,
        None => println!("skipped: notifications on PostgreSQL (set ESTELAM_TEST_POSTGRES_URL)"),
    }
}
