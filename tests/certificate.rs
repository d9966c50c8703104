//! The printed answer reads as a municipal certificate (issue 18). Two answers are issued
//! through the whole running system over HTTP — one for a parcel that owes nothing, one
//! paid at the sandbox bank — and downloaded as the citizen downloads them, as PDF and
//! HTML, in Persian and English, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set)
//! on PostgreSQL.
//!
//! The PDF is read back with `pdftotext` (Debian's poppler-utils; `.ci/run` installs it),
//! so the test sees what a reader and a screen reader see: the boxed statement of the
//! outcome in Persian, extracted in logical order (letters joined and not reversed), the
//! inquiry number without its padding, and the municipality's name from the settings.
//!
//! What pdftotext cannot do is left out of the comparison, not the PDF: it drops the space
//! where digits meet letters, moves zero-width non-joiners and wraps runs in bidi marks
//! (see [`squashed`] and [`flat`]); it also reads the lam-alef ligature back as «ال» and
//! reverses a hyphenated code inside a right-to-left line, so the statements keep to words,
//! dates and plain numbers (the property's codes are in the facts below them).

use std::process::Command;

use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_documents::inspect::fixtures;
use estelam_runtime::config::Settings;
use estelam_runtime::testing::FreshDatabase;
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

mod support;

use support::accounts;
use support::nine_steps::http::{Applicant, Application, Filing};
use support::nine_steps::{LETTER_DATE, LETTER_NUMBER};

/// Starts the whole system on `postgres` (a fresh database of the run's own) or SQLite.
async fn system(
    label: &str,
    postgres: Option<&str>,
    data: &tempfile::TempDir,
    shutdown: CancellationToken,
) -> (estelam::RunningSystem, DemoPeople, Option<FreshDatabase>) {
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let fresh = match postgres {
        Some(url) => {
            let fresh = FreshDatabase::create(url, "cert")
                .await
                .expect("a PostgreSQL database of the run's own");
            settings.database.url = Some(SecretString::from(fresh.url().to_owned()));
            Some(fresh)
        }
        None => None,
    };
    accounts::bootstrap_admin(&mut settings);
    let running = estelam::start(settings, estelam::SystemAddrs::ephemeral(), shutdown)
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
    let (_, people) = accounts::demo_people(running.settings()).await;
    (running, people, fresh)
}

/// The owner's own clearance inquiry (no letter, no inquiry fee) by `citizen` on their
/// parcel, through HTTP, until its answer is issued (paying the bill first when the parcel
/// owes levies); its id. A citizen's property-transfer inquiry would carry the inquiry fee
/// on the bill, and the statements here are about the parcel's debt alone.
async fn issued_answer(
    running: &estelam::RunningSystem,
    people: &DemoPeople,
    citizen: &CitizenLogin,
) -> (Applicant, String) {
    let token = accounts::log_in(
        running.settings(),
        &citizen.national_code,
        &citizen.password,
    )
    .await;
    let applicant = Applicant::new(&running.gateway_url, &token);
    let clearance = applicant.request_type("clearance").await;
    let mut filing = Filing::open(&applicant, &clearance).await;
    let documents = vec![
        applicant
            .upload_ok(
                "national_id_card",
                "card.png",
                "image/png",
                fixtures::png(320, 200),
            )
            .await,
        applicant
            .upload_ok(
                "ownership_deed",
                "deed.pdf",
                "application/pdf",
                fixtures::pdf("", 2_000),
            )
            .await,
    ];
    filing
        .complete(&Application {
            location: json!({"renovation_code": citizen.renovation_code}),
            request_number: citizen.request_number.clone(),
            letter: (
                LETTER_NUMBER.into(),
                LETTER_DATE.into(),
                people.authority.organization_id.clone(),
            ),
            documents,
            full_name: citizen.name.clone(),
            national_code: citizen.national_code.clone(),
            ownership_type: citizen.ownership_type.clone(),
        })
        .await;
    let submitted = filing
        .submit()
        .await
        .unwrap_or_else(|r| panic!("submit: {r}"));
    if citizen.has_debt {
        assert_eq!(
            submitted["inquiry"]["state"], "awaiting_payment",
            "{submitted}"
        );
        filing.pay_and_wait().await;
    } else {
        assert_eq!(submitted["inquiry"]["state"], "issued", "{submitted}");
    }
    let id = filing.id.clone();
    (applicant, id)
}

/// The answer downloaded as the portal downloads it.
async fn download(applicant: &Applicant, id: &str, format: &str, lang: &str) -> Vec<u8> {
    let response = applicant
        .http
        .get(applicant.url(&format!(
            "/api/v1/inquiries/{id}/answer.{format}?lang={lang}"
        )))
        .bearer_auth(&applicant.token)
        .send()
        .await
        .expect("the gateway answers");
    assert!(
        response.status().is_success(),
        "answer.{format}: {}",
        response.status()
    );
    response.bytes().await.expect("the body").to_vec()
}

/// The PDF's text as `pdftotext` reads it, whitespace collapsed to single spaces, without
/// the zero-width non-joiners (which draw nothing) and the bidi marks pdftotext adds
/// around each run.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("answer.pdf");
    std::fs::write(&path, pdf).expect("PDF written");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian's poppler-utils; .ci/run installs it)");
    assert!(out.status.success(), "pdftotext: {out:?}");
    flat(&String::from_utf8(out.stdout).expect("UTF-8 text"))
}

fn flat(text: &str) -> String {
    text.replace(
        [
            '\u{200C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ],
        "",
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}

/// The answer's issue date in words, as Persian letters write it (`۱۲ مرداد ۱۴۰۳`).
fn issue_date(answer: &serde_json::Value) -> String {
    let issued = answer["facts"]["issued_at_jalali"]
        .as_str()
        .expect("the Jalali issue time");
    estelam_domain::JalaliDate::parse(issued.split(' ').next().unwrap_or_default())
        .expect("a Jalali date")
        .display_persian_long()
}

/// `text` without any whitespace: pdftotext drops the space where a run of digits meets
/// Persian letters (`۴۰۷۹۷۷۵۶۳۷۵۰بهطور`), so the statement is compared letter by letter
/// and digit by digit — still in order, which is what logical order means.
fn squashed(text: &str) -> String {
    flat(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Text of an HTML page without its styles and markup.
fn html_text(html: &str) -> String {
    let body = html.split("</style>").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    flat(&out)
}

/// The inquiry's number as stored and as printed, in Persian digits: a number of the old
/// counter (`0000000175`) is printed without its padding (`۱۷۵`); today's numbers (the
/// Jalali year's prefix and a random part, e.g. `1052911955`) have none to drop.
async fn numbers(applicant: &Applicant, id: &str) -> (String, String) {
    let inquiry = applicant
        .get(&format!("/api/v1/inquiries/{id}"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("the inquiry: {r}"));
    let stored = inquiry["inquiry_number"]
        .as_str()
        .expect("an inquiry number")
        .to_owned();
    assert_eq!(stored.len(), 10, "a ten-digit inquiry number: {stored}");
    let printed = estelam_domain::to_persian_digits(stored.trim_start_matches('0'));
    (stored, printed)
}

async fn check(label: &str, postgres: Option<&str>) {
    let data = tempfile::tempdir().expect("temp dir");
    let shutdown = CancellationToken::new();
    let (running, people, fresh) = system(label, postgres, &data, shutdown.clone()).await;
    let clean = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a demo citizen whose parcel owes nothing");
    let owing = people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen whose parcel owes levies");

    // No debt: the statement says so, in Persian, read in logical order.
    let (applicant, id) = issued_answer(&running, &people, clean).await;
    let (stored, printed) = numbers(&applicant, &id).await;
    let text = pdf_text(&download(&applicant, &id, "pdf", "fa").await);
    let answer = applicant
        .get(&format!("/api/v1/inquiries/{id}/answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("the answer: {r}"));
    // Checked and issued within Submit: the day the statement names.
    let none = format!(
        "این ملک در تاریخ {} هیچ بدهی معوقی به شهرداری ندارد.",
        issue_date(&answer)
    );
    assert!(
        squashed(&text).contains(&squashed(&none)),
        "{label}: the no-debt statement reads in logical order: {none} in {text}"
    );
    assert!(
        text.contains(&flat("شهرداری شاهین‌شهر")),
        "{label}: the municipality heads the page: {text}"
    );
    assert!(
        text.contains(&printed)
            && (!stored.starts_with('0')
                || !text.contains(&estelam_domain::to_persian_digits(&stored))),
        "{label}: the number {printed} is printed without padding: {text}"
    );
    // Paid: the statement names the payment's tracking code.
    let (payer, paid_id) = issued_answer(&running, &people, owing).await;
    let answer = payer
        .get(&format!("/api/v1/inquiries/{paid_id}/answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("the answer: {r}"));
    let tracking = answer["facts"]["tracking_code"]
        .as_str()
        .expect("a tracking code")
        .to_owned();
    let text = pdf_text(&download(&payer, &paid_id, "pdf", "fa").await);
    let tracking_fa = estelam_domain::to_persian_digits(&tracking);
    let amount = estelam_domain::Rial::new(
        answer["facts"]["amount_paid_rials"]
            .as_i64()
            .expect("the amount paid"),
    )
    .format_persian();
    let date = issue_date(&answer);
    let paid = format!(
        "بدهی این ملک به مبلغ {amount} ریال در تاریخ {date} با کد رهگیری {tracking_fa} \
         به‌طور کامل پرداخت و تسویه شده است."
    );
    assert!(
        squashed(&text).contains(&squashed(&paid)),
        "{label}: the paid statement reads in logical order: {paid} in {text}"
    );
    // Persian digits everywhere but in what machines compare: the key id, the signature's
    // fingerprint and the verification address.
    let fingerprint: String = answer["signature"]
        .as_str()
        .expect("the signature")
        .chars()
        .take(24)
        .collect();
    let mut rest = text.clone();
    for machine in [
        answer["signing_key_id"].as_str().expect("the key id"),
        answer["verification_url"].as_str().expect("the address"),
        fingerprint.as_str(),
        "Ed25519",
    ] {
        rest = rest.replace(machine, "");
    }
    assert!(
        !rest.chars().any(|c| c.is_ascii_digit()),
        "{label}: Latin digits on a Persian page: {rest}"
    );
    let text = pdf_text(&download(&payer, &paid_id, "pdf", "en").await);
    assert!(
        text.contains("was paid in full on")
            && text.contains(&format!("with tracking code {tracking}.")),
        "{label}: the English statement: {text}"
    );

    // The HTML copy: fits a phone, prints as a certificate, Persian digits in Persian.
    let html = String::from_utf8(download(&payer, &paid_id, "html", "fa").await).expect("UTF-8");
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"),
        "{label}: the viewport meta"
    );
    assert!(html.contains("@media print"), "{label}: print styles");
    assert!(
        html.contains("@media (max-width:600px)"),
        "{label}: phone styles"
    );
    let page = html_text(&html);
    assert!(
        page.contains(&format!("با کد رهگیری {tracking_fa}")),
        "{label}: {page}"
    );
    assert!(
        page.contains("کد تصدیق") && !page.contains("کد بررسی"),
        "{label}: one name for the verification code"
    );

    shutdown.cancel();
    running.wait().await.expect("the system stops cleanly");
    if let Some(fresh) = fresh {
        fresh
            .drop_database()
            .await
            .expect("the run's database dropped");
    }
}

#[tokio::test]
async fn the_answer_reads_as_a_certificate_in_pdf_and_html() {
    check("sqlite", None).await;
    if let Some(url) = estelam_runtime::testing::postgres_url() {
        check("postgres", Some(&url)).await;
    }
}
