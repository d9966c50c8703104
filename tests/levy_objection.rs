//! An objection to a levy (اعتراض به عوارض) through the gateway's HTTP API, on the whole
//! running system, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL: the
//! demo owner whose parcel owes files an inquiry, objects to one line of the bill with a
//! reason (another citizen cannot: the inquiry does not exist for them), pays the bill —
//! the disputed part is held as a deposit (note to article 74 of the Municipalities Law) —
//! and receives an issued answer whose facts, signed payload and printed page record the
//! objection and the deposit's receipt; the answer verifies. A clerk then finds it on the
//! desk's queue and dismisses it, once; the owner sees the outcome on their bill.

mod support;

use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_runtime::config::Settings;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use support::nine_steps::http;
use support::on_every_backend;
use support::{accounts, system};

/// One running system with the demo people.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let system::Started {
            system,
            settings,
            people,
            postgres,
            data,
            ..
        } = system::start_with_demo(label, "objection", postgres_url.as_deref(), 50).await;
        Self {
            label,
            system,
            settings,
            people,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    fn citizen(&self, debt: bool) -> &CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| c.has_debt == debt)
            .expect("a demo citizen")
    }

    async fn client_of(&self, national_code: &str, password: &str) -> http::Applicant {
        let token = accounts::log_in(&self.settings, national_code, password).await;
        http::Applicant::new(&self.system.gateway_url, &token)
    }
}

on_every_backend!(an_objection_is_deposited_recorded_and_decided => crate::objection);

async fn objection(w: &World) {
    let label = w.label;
    let owner = w.citizen(true).clone();
    let other = w.citizen(false).clone();
    let o = w.client_of(&owner.national_code, &owner.password).await;
    let stranger = w.client_of(&other.national_code, &other.password).await;

    // The owner files on their parcel, which owes: the inquiry waits for the bill.
    let mut filing = http::Filing::up_to_applicant(
        &o,
        "property-transfer",
        &owner.renovation_code,
        &owner.request_number,
        &w.people.authority.organization_id,
    )
    .await;
    filing
        .applicant(&owner.name, "", "full")
        .await
        .unwrap_or_else(|r| panic!("{label}: applicant: {r}"));
    let submitted = filing
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{label}: submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{label}: {submitted}"
    );
    let bill = o
        .get(&filing.path("bill"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the bill: {r}"));
    let lines = bill["lines"].as_array().cloned().unwrap_or_default();
    let (index, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l["kind"] != "inquiry_fee" && l["total_rials"].as_i64() > Some(0))
        .unwrap_or_else(|| panic!("{label}: a levy line on the bill: {bill}"));
    let disputed = line["total_rials"].as_i64().expect("an amount");
    let total = bill["total_rials"].as_i64().expect("a total");
    let path = filing.path("bill/disputes");

    // Another citizen does not learn the inquiry exists; a reason is required.
    let hidden = stranger
        .post(
            &path,
            json!({"line_indexes": [index], "reason": "not mine"}),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{label}: {hidden}");
    let no_reason = o
        .post(&path, json!({"line_indexes": [index], "reason": "   "}))
        .await;
    assert_eq!(
        no_reason.status,
        StatusCode::BAD_REQUEST,
        "{label}: {no_reason}"
    );
    assert_eq!(
        no_reason.body["reason"], "REASON_REQUIRED",
        "{label}: {no_reason}"
    );
    let no_line = o
        .post(&path, json!({"line_indexes": [lines.len()], "reason": "x"}))
        .await;
    assert_eq!(
        no_line.status,
        StatusCode::BAD_REQUEST,
        "{label}: {no_line}"
    );
    assert_eq!(
        no_line.body["reason"], "DISPUTE_LINES_INVALID",
        "{label}: {no_line}"
    );

    // Filed: awaiting its deposit, and on the bill.
    let filed = o
        .post(
            &path,
            json!({"line_indexes": [index], "reason": "مساحت  ملک اشتباه ثبت شده است"}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{label}: {filed}");
    let dispute_id = filed.body["dispute_id"].as_str().expect("an id").to_owned();
    assert_eq!(filed.body["status"], "awaiting_deposit", "{label}: {filed}");
    assert_eq!(filed.body["disputed_rials"], disputed, "{label}: {filed}");
    assert_eq!(
        filed.body["reason"], "مساحت ملک اشتباه ثبت شده است",
        "{label}: cleaned"
    );

    // The bill is paid as usual; the answer is issued with the objection on it.
    filing.pay_and_wait().await;
    let answer = o
        .get(&filing.path("answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the answer: {r}"));
    let facts = &answer["facts"];
    assert_eq!(facts["debt_status"], "cleared", "{label}: {answer}");
    assert_eq!(facts["amount_paid_rials"], total, "{label}: {answer}");
    let recorded = facts["disputes"].as_array().cloned().unwrap_or_default();
    assert_eq!(recorded.len(), 1, "{label}: {answer}");
    assert_eq!(recorded[0]["dispute_id"], dispute_id.as_str(), "{label}");
    assert_eq!(recorded[0]["deposit_rials"], disputed, "{label}");
    let receipt = recorded[0]["receipt_code"]
        .as_str()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| panic!("{label}: a receipt: {answer}"))
        .to_owned();
    // The signed payload says the same, and the answer verifies.
    let signed = answer["signed_payload"].as_str().unwrap_or_default();
    let payload = base64_decode(signed);
    assert!(
        payload.contains(&receipt) && payload.contains("\"disputes\""),
        "{label}: the signed payload records the objection: {payload}"
    );
    let code = answer["verification_code"].as_str().expect("a code");
    let verified = o
        .get(&format!("/api/v1/answers/{code}"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: verify: {r}"));
    assert_eq!(verified["result"], "valid", "{label}: {verified}");
    assert_eq!(verified["signature_valid"], true, "{label}: {verified}");
    // The printed page names the items and the receipt.
    let page = o
        .http
        .get(o.url(&format!("{}?lang=en", filing.path("answer.html"))))
        .bearer_auth(&o.token)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("the page");
    assert!(
        page.contains("Items under objection") && page.contains(&receipt),
        "{label}: the page records the objection"
    );

    // The desk: a citizen may not see the queue; the clerk finds the objection there.
    let clerk_login = &w.people.clerk;
    let clerk = w
        .client_of(&clerk_login.national_code, &clerk_login.password)
        .await;
    let refused = o.get("/api/v1/disputes?status=deposited").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{label}: {refused}");
    let queue = clerk
        .get(&format!(
            "/api/v1/disputes?status=deposited&renovation_code={}",
            owner.renovation_code
        ))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the queue: {r}"));
    let listed = queue["disputes"].as_array().cloned().unwrap_or_default();
    assert!(
        listed.iter().any(|d| d["dispute_id"] == dispute_id.as_str()
            && d["deposit_receipt_code"] == receipt.as_str()),
        "{label}: {queue}"
    );

    // Dismissed, once: the deposit pays the line; the owner sees it on their bill.
    let decision = format!("/api/v1/disputes/{dispute_id}/decision");
    let decided = clerk
        .post(
            &decision,
            json!({"decision": "dismiss", "reason": "بازدید محلی مساحت را تأیید کرد"}),
        )
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: decide: {r}"));
    assert_eq!(
        decided["dispute"]["status"], "dismissed",
        "{label}: {decided}"
    );
    assert_eq!(decided["balance_rials"], 0, "{label}: {decided}");
    let again = clerk
        .post(
            &decision,
            json!({"decision": "uphold", "reason": "second thoughts"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{label}: {again}"
    );
    assert_eq!(
        again.body["reason"], "DISPUTE_ALREADY_DECIDED",
        "{label}: {again}"
    );
    let seen = o
        .get(&filing.path("bill"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the bill after: {r}"));
    assert_eq!(
        seen["disputes"][0]["status"], "dismissed",
        "{label}: {seen}"
    );
    assert_eq!(
        seen["disputes"][0]["decision_reason"], "بازدید محلی مساحت را تأیید کرد",
        "{label}: {seen}"
    );
    let _: &Value = &seen;
}

/// The signed payload as text (it is canonical JSON, base64 on the wire).
fn base64_decode(s: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
