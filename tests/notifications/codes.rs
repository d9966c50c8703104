//! The mobile verification code leaves identity through its own outbox (issue 19): with
//! identity's SMS provider pointed at the HTTP gateway stand-in, on SQLite and PostgreSQL,
//!
//! * a gateway that fails twice before it accepts still delivers the registration's code,
//!   once, and the code confirms the mobile;
//! * a code requested while the gateway is down, with the whole system stopped before it
//!   could be sent, arrives once after the restart and confirms the mobile;
//! * a gateway that takes a code but whose answer is lost is asked about the send's
//!   `localid` before a retry, and the person gets one text, not two.

use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::{Settings, SmsProviderKind};
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::{FreshDatabase, eventually};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use super::sms_gateway::{Sms, SmsGateway};
use super::support::accounts;
use super::{IdentityClient, TOLD_WITHIN, channel};

const PASSWORD: &str = "Bahar-Shahin-1403-pass";

/// A valid national code from `seed` (the tenth digit is the check digit).
fn national_code(seed: u32) -> String {
    let body = format!("{:09}", 300_000_000 + seed.wrapping_mul(7919) % 600_000_000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    let check = if r < 2 { r } else { 11 - r };
    format!("{body}{check}")
}

fn settings_for(data: &std::path::Path, pg: Option<&FreshDatabase>, sms: &SmsGateway) -> Settings {
    let mut settings = Settings {
        data_dir: data.to_path_buf(),
        ..Settings::default()
    };
    if let Some(pg) = pg {
        settings.database.url = Some(SecretString::from(pg.url().to_owned()));
    }
    if let Some(amqp) = estelam_runtime::testing::amqp_url() {
        settings.bus.amqp_url = Some(SecretString::from(amqp));
        let run = estelam_runtime::testing::unique_suffix();
        settings.notifications.queue = format!("notifications.events.test-{run}");
        settings.identity.owner_notice_queue = format!("identity.owner-notices.test-{run}");
        settings.inquiry.debt_cleared_queue = format!("inquiry.debt-cleared.test-{run}");
    }
    let s = &mut settings.identity.sms;
    s.provider = SmsProviderKind::Http;
    s.base_url = sms.url.clone();
    s.api_key = Some(SecretString::from("identity-key-7710"));
    s.code_template = "estelam-verify".into();
    s.retry_min_ms = 20;
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

/// Registers a citizen with `mobile`; returns their national code.
async fn register(label: &str, settings: &Settings, seed: u32, mobile: &str) -> String {
    let national = national_code(seed);
    let mut identity = IdentityClient::new(channel(&settings.endpoints.identity, settings));
    identity
        .register_citizen(outgoing(
            ipb::RegisterCitizenRequest {
                national_code: national.clone(),
                first_name: "مریم".into(),
                last_name: "کدخدایی".into(),
                mobile: mobile.into(),
                password: PASSWORD.into(),
            },
            None,
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: {national} registers: {e}"));
    national
}

/// Waits for the code texted to `mobile`.
async fn code_to(sms: &SmsGateway, mobile: &str) -> Sms {
    eventually("the code's SMS", TOLD_WITHIN, async || {
        sms.codes_to(mobile)
            .into_iter()
            .next()
            .ok_or(sms.accepted().len())
    })
    .await
}

/// Logs in and confirms the mobile with `code`: the code is the one identity made.
async fn confirms(label: &str, settings: &Settings, national: &str, code: &str) {
    let token = accounts::log_in(settings, national, PASSWORD).await;
    let mut identity = IdentityClient::new(channel(&settings.endpoints.identity, settings));
    let account = identity
        .verify_mobile(outgoing(
            ipb::VerifyMobileRequest { code: code.into() },
            Some(&token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: {national} confirms the mobile: {e}"))
        .into_inner()
        .account
        .expect("the account");
    assert!(account.mobile_verified, "{label}: {account:?}");
}

async fn run(label: &'static str, postgres_url: Option<String>) {
    let sms = SmsGateway::start().await;
    let data = tempfile::tempdir().expect("temp dir");
    let pg = match &postgres_url {
        Some(url) => Some(
            FreshDatabase::create(url, "codes")
                .await
                .expect("a database of the run's own"),
        ),
        None => None,
    };
    let settings = settings_for(data.path(), pg.as_ref(), &sms);
    let system = start(label, settings.clone()).await;
    let running = system.settings().clone();

    // Fails twice, then accepts: one code, through the template call, under a local id.
    let first_mobile = "09131110001";
    sms.fail_codes(2, first_mobile);
    let first = register(label, &running, 11, first_mobile).await;
    let text = code_to(&sms, first_mobile).await;
    assert_eq!(sms.failed_codes(), 2, "{label}: the gateway failed twice");
    assert_eq!(text.template, "estelam-verify", "{label}");
    assert_eq!(text.api_key, "identity-key-7710", "{label}");
    assert!(
        !text.local_id.is_empty(),
        "{label}: the send's id goes as localid"
    );
    assert!(
        text.message.is_empty(),
        "{label}: the code travels alone, the words are the provider's template"
    );
    confirms(label, &running, &first, &text.token).await;
    assert_eq!(sms.codes_to(first_mobile).len(), 1, "{label}: one text");

    // Taken, but the answer lost: the retry asks about the local id and sends nothing more.
    let lost_mobile = "09131110003";
    sms.lose_answers(1, lost_mobile);
    let lost = register(label, &running, 13, lost_mobile).await;
    let text = code_to(&sms, lost_mobile).await;
    eventually(
        "the retry to ask about the local id",
        TOLD_WITHIN,
        async || {
            if sms.local_id_calls() > 0 {
                Ok(())
            } else {
                Err(sms.lost())
            }
        },
    )
    .await;
    confirms(label, &running, &lost, &text.token).await;
    assert_eq!(
        sms.codes_to(lost_mobile).len(),
        1,
        "{label}: a lost answer does not text the code twice"
    );

    // Down while the code is asked for, and the system stops before it could be sent.
    let second_mobile = "09131110002";
    sms.fail_codes(usize::MAX, second_mobile);
    let second = register(label, &running, 12, second_mobile).await;
    let failed_before = sms.failed_codes();
    eventually("an attempt on the code", TOLD_WITHIN, async || {
        if sms.failed_codes() > failed_before {
            Ok(())
        } else {
            Err(sms.failed_codes())
        }
    })
    .await;
    system.stop().await.expect("the system stops");
    assert!(sms.codes_to(second_mobile).is_empty(), "{label}");
    sms.fail_codes(0, "");
    let system = start(label, settings).await;
    let running = system.settings().clone();
    let text = code_to(&sms, second_mobile).await;
    confirms(label, &running, &second, &text.token).await;
    assert_eq!(
        sms.codes_to(second_mobile).len(),
        1,
        "{label}: the queued code went once, after the restart"
    );
    system.stop().await.expect("the system stops");
    if let Some(pg) = pg {
        pg.drop_database()
            .await
            .expect("the run's database is dropped");
    }
}

#[tokio::test]
async fn the_mobile_code_survives_a_failing_provider_and_a_restart() {
    Box::pin(run("sqlite", None)).await;
    match estelam_runtime::testing::postgres_url() {
        Some(url) => Box::pin(run("postgres", Some(url))).await,
        None => {
            println!("skipped: mobile codes on PostgreSQL (set ESTELAM_TEST_POSTGRES_URL)");
        }
    }
}
