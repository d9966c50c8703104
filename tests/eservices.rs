//! New e-services published by municipal staff through the HTTP API alone, on the whole
//! running system, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL, with
//! no code change and no restart:
//!
//! * publishing is refused with the reason, in Persian and English, when a fee item has no
//!   tariff for the current Jalali year, or a required document kind is unknown;
//! * the admin publishes this year's tariff with the new e-service's inquiry fee (the
//!   existing tariffs route), then two e-services: a renewal-levy payment with its receipt
//!   (پرداخت عوارض نوسازی) and an owner's extract of the parcel record (no debt check);
//! * the clerk previews the wizard a citizen will see, priced by the tariff;
//! * a citizen completes each end to end, paying at the sandbox bank, and the answer
//!   carries the title and statements the e-service published;
//! * an inquiry started on version 1 keeps version 1's words after version 2 is published.

mod support;

use std::time::SystemTime;

use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_domain::JalaliDate;
use estelam_runtime::config::Settings;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::nine_steps::{http, key};
use support::{accounts, system};

const EXTRACT: &str = "parcel-extract";
const LEVY: &str = "renewal-levy-payment";
const EXTRACT_FEE_RIALS: i64 = 350_000;

struct World {
    label: &'static str,
    system: estelam::RunningSystem,
    settings: Settings,
    admin: String,
    people: DemoPeople,
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
        } = system::start_with_demo(label, "eservices", postgres_url.as_deref(), 50).await;
        Self {
            label,
            system,
            settings,
            admin,
            people,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    fn as_holder(&self, token: &str) -> http::Applicant {
        http::Applicant::new(&self.system.gateway_url, token)
    }

    async fn citizen(&self, has_debt: bool) -> (CitizenLogin, http::Applicant) {
        let c = self
            .people
            .citizens
            .iter()
            .find(|c| c.has_debt == has_debt)
            .expect("a demo citizen")
            .clone();
        let token = accounts::log_in(&self.settings, &c.national_code, &c.password).await;
        (c, self.as_holder(&token))
    }
}

fn text(fa: &str, en: &str) -> Value {
    json!({ "fa": fa, "en": en })
}

/// The owner's extract of the parcel record: the owner alone, no debt check, an inquiry
/// fee on their bill.
fn extract(title_fa: &str, title_en: &str) -> Value {
    json!({
        "name": text("رونوشت پروندهٔ ملک", "Extract of the parcel record"),
        "description": text("رونوشت اطلاعات ثبت‌شدهٔ ملک برای مالک آن.", "The parcel's record, for its owner."),
        "allowed_roles": ["citizen"],
        "undertakings": [{
            "code": "owner-own-use", "version": 1,
            "title": text("استفادهٔ شخصی", "Own use"),
            "text": text("اینجانب مالک این ملک هستم و رونوشت را برای استفادهٔ خود می‌خواهم.",
                         "I own this property and want the extract for my own use."),
        }],
        "required_documents": ["national_id_card"],
        "check_ownership": true,
        "fee_items": ["inquiry_fee"],
        "inquiry_fee_settlement": "on_bill",
        "answer_title": text(title_fa, title_en),
        "answer_statements": [text(
            "این رونوشت اطلاعات پروندهٔ ملک را گواهی می‌کند و جای سند مالکیت را نمی‌گیرد.",
            "This extract certifies the parcel's record; it does not replace the title deed.",
        )],
        "answer_validity_days": 90,
        "active": true,
    })
}

/// The renewal-levy payment: the parcel's levies on the owner's bill, and the answer is
/// the receipt.
fn levy_payment() -> Value {
    json!({
        "name": text("پرداخت عوارض نوسازی", "Renewal levy payment"),
        "description": text("پرداخت عوارض نوسازی ملک و دریافت رسید.", "Pay the parcel's renewal levy and get a receipt."),
        "allowed_roles": ["citizen"],
        "undertakings": [{
            "code": "levy-receipt", "version": 1,
            "title": text("صحت اطلاعات", "Truthful information"),
            "text": text("اطلاعاتی که می‌دهم درست است.", "The information I give is true."),
        }],
        "required_documents": ["national_id_card"],
        "check_request_number": true,
        "check_ownership": true,
        "check_debt": true,
        "fee_items": ["renewal_levy", "waste_fee", "penalty", "adjustment", "discount"],
        "answer_title": text("رسید پرداخت عوارض نوسازی", "Renewal levy payment receipt"),
        "answer_statements": [
            text("عوارض نوسازی این ملک تا تاریخ صدور پرداخت شده است.",
                 "This property's renewal levy is paid up to the date of issue."),
            text("این رسید جای مفاصاحساب را نمی‌گیرد.",
                 "This receipt does not replace a clearance certificate."),
        ],
        "answer_validity_days": 365,
        "active": true,
    })
}

fn publish_body(request_type: Value, expected_version: i64) -> Value {
    json!({
        "request_type": request_type,
        "expected_version": expected_version,
        "reason": "خدمت الکترونیکی تازه",
        "client_request_id": key(),
    })
}

/// The admin adds `code`'s inquiry fee to this year's tariff for all land uses and zones,
/// through the tariffs route: a new version, from today, carrying the current one's items.
async fn tariff_with_fee(w: &World, admin: &http::Applicant, code: &str, amount: i64) {
    let ctx = w.label;
    let today = JalaliDate::today_in_iran(SystemTime::now()).expect("today");
    let listed = admin
        .get(&format!(
            "/api/v1/tariffs?jalali_year={}&land_use=all&zone=0",
            today.year()
        ))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{ctx}: tariffs: {r}"));
    let current = listed["tariffs"]
        .as_array()
        .expect("tariffs")
        .iter()
        .find(|t| t["land_use"] == "all" && t["zone"] == 0)
        .cloned();
    let (mut items, penalty, discounts, version) = match current {
        Some(t) => (
            t["items"].as_array().cloned().unwrap_or_default(),
            t["penalty"].clone(),
            t["discounts"].clone(),
            t["version"].as_i64().unwrap_or(0),
        ),
        None => (Vec::new(), json!({}), json!([]), 0),
    };
    items.push(json!({
        "kind": "inquiry_fee",
        "description": text("هزینهٔ رونوشت پرونده", "Parcel extract fee"),
        "basis": "fixed",
        "amount_rials": amount,
        "request_type_code": code,
    }));
    let reply = admin
        .post(
            "/api/v1/tariffs",
            json!({
                "tariff": {
                    "jalali_year": today.year(),
                    "effective_from_jalali": today.to_string(),
                    "land_use": "all",
                    "zone": 0,
                    "items": items,
                    "penalty": penalty,
                    "discounts": discounts,
                    "reason": "مصوبهٔ شورا: هزینهٔ رونوشت پرونده",
                },
                "expected_version": version,
                "client_request_id": key(),
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{ctx}: tariff: {reply}");
}

/// A citizen's walk of `code` through the gateway, up to submission.
async fn file<'a>(
    applicant: &'a http::Applicant,
    code: &str,
    owner: &CitizenLogin,
) -> http::Filing<'a> {
    let rt = applicant.request_type(code).await;
    let mut f = http::Filing::open(applicant, &rt).await;
    f.property(
        &json!({ "renovation_code": owner.renovation_code }),
        Some(&owner.request_number),
    )
    .await
    .unwrap_or_else(|r| panic!("property: {r}"));
    let card = applicant
        .upload_ok(
            "national_id_card",
            "card.png",
            "image/png",
            estelam_documents::inspect::fixtures::png(320, 200),
        )
        .await;
    f.documents(&[card])
        .await
        .unwrap_or_else(|r| panic!("documents: {r}"));
    f.applicant(&owner.name, &owner.national_code, &owner.ownership_type)
        .await
        .unwrap_or_else(|r| panic!("applicant: {r}"));
    f
}

async fn answer_of(applicant: &http::Applicant, f: &http::Filing<'_>) -> Value {
    applicant
        .get(&f.path("answer"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("the answer: {r}"))["facts"]
        .clone()
}

async fn staff_publish_and_citizens_file(w: &World) {
    let ctx = w.label;
    let admin = w.as_holder(&w.admin);
    let clerk_login = &w.people.clerk;
    let clerk = w.as_holder(
        &accounts::log_in(
            &w.settings,
            &clerk_login.national_code,
            &clerk_login.password,
        )
        .await,
    );
    let (owner, citizen) = w.citizen(false).await;
    let (debtor, debtor_client) = w.citizen(true).await;
    let extract_path = format!("/api/v1/request-types/{EXTRACT}");

    // Refused: a citizen may not publish; no tariff prices the fee yet; an unknown kind of
    // document. Each a problem that says why in Persian and English, naming the item.
    let refused = citizen
        .put(&extract_path, publish_body(extract("رونوشت", "Extract"), 0))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{ctx}: {refused}");
    let refused = admin
        .put(&extract_path, publish_body(extract("رونوشت", "Extract"), 0))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{ctx}: {refused}"
    );
    assert_eq!(
        refused.body["reason"], "REQUEST_TYPE_TARIFF_MISSING",
        "{ctx}"
    );
    assert!(
        refused.body["detail_fa"]
            .as_str()
            .is_some_and(|d| d.contains("هزینهٔ استعلام")),
        "{ctx}: {refused}"
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("inquiry fee") && d.contains(EXTRACT)),
        "{ctx}: {refused}"
    );
    let mut odd = extract("رونوشت", "Extract");
    odd["required_documents"] = json!(["national_id_card", "birth_certificate"]);
    let refused = admin.put(&extract_path, publish_body(odd, 0)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{ctx}: {refused}");
    assert_eq!(
        refused.body["reason"], "REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN",
        "{ctx}: {refused}"
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("document 2")),
        "{ctx}: names the item: {refused}"
    );

    // The tariff, then both e-services: no restart.
    tariff_with_fee(w, &admin, EXTRACT, EXTRACT_FEE_RIALS).await;
    let v1 = admin
        .put(
            &extract_path,
            publish_body(extract("رونوشت پروندهٔ ملک", "Parcel record extract"), 0),
        )
        .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{ctx}: {v1}");
    assert_eq!(v1.body["version"], 1, "{ctx}");
    let levy = admin
        .put(
            &format!("/api/v1/request-types/{LEVY}"),
            publish_body(levy_payment(), 0),
        )
        .await;
    assert_eq!(levy.status, StatusCode::CREATED, "{ctx}: {levy}");
    // A stale version is a conflict, not an overwrite.
    let stale = admin
        .put(&extract_path, publish_body(extract("رونوشت", "Extract"), 7))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{ctx}: {stale}");

    // Staff read every type; the clerk previews the wizard with this year's price.
    let all = clerk
        .get("/api/v1/request-types?include_inactive=true")
        .await
        .success()
        .unwrap_or_else(|r| panic!("{ctx}: staff list: {r}"));
    let codes: Vec<&str> = all["request_types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["code"].as_str())
        .collect();
    assert!(
        codes.contains(&EXTRACT) && codes.contains(&LEVY),
        "{ctx}: {codes:?}"
    );
    let not_staff = citizen
        .get("/api/v1/request-types?include_inactive=true")
        .await;
    assert_eq!(
        not_staff.status,
        StatusCode::FORBIDDEN,
        "{ctx}: {not_staff}"
    );
    let preview = clerk
        .get(&format!("{extract_path}/preview"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{ctx}: preview: {r}"));
    let steps: Vec<&str> = preview["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "undertakings",
            "property",
            "documents",
            "applicant",
            "payment",
            "answer"
        ],
        "{ctx}"
    );
    assert_eq!(preview["fee_lines"][0]["kind"], "inquiry_fee", "{ctx}");
    assert_eq!(preview["fee_lines"][0]["priced"], true, "{ctx}: {preview}");
    assert_eq!(
        preview["fee_lines"][0]["amount_rials"], EXTRACT_FEE_RIALS,
        "{ctx}"
    );
    assert_eq!(preview["answer_title"]["fa"], "رونوشت پروندهٔ ملک", "{ctx}");
    assert_eq!(preview["documents"][0]["kind"], "national_id_card", "{ctx}");
    let forbidden = citizen.get(&format!("{extract_path}/preview")).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{ctx}: {forbidden}"
    );

    // The owner files the extract on version 1 …
    let mut f = file(&citizen, EXTRACT, &owner).await;
    assert_eq!(f.inquiry["request_type_version"], 1, "{ctx}: {}", f.inquiry);
    // … the admin publishes version 2 with other words meanwhile …
    let v2 = admin
        .put(
            &extract_path,
            publish_body(extract("رونوشت تازه", "New extract"), 1),
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK, "{ctx}: {v2}");
    assert_eq!(v2.body["version"], 2, "{ctx}");
    // … and the owner's inquiry is billed the fee, paid, and answered in version 1's words.
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{ctx}: submit: {r}"));
    assert_eq!(
        submitted["bill"]["total_rials"], EXTRACT_FEE_RIALS,
        "{ctx}: {submitted}"
    );
    f.pay_and_wait().await;
    let facts = answer_of(&citizen, &f).await;
    assert_eq!(facts["request_type_code"], EXTRACT, "{ctx}");
    assert_eq!(
        facts["answer_title"]["fa"], "رونوشت پروندهٔ ملک",
        "{ctx}: {facts}"
    );
    assert_eq!(
        facts["answer_statements"][0]["en"],
        "This extract certifies the parcel's record; it does not replace the title deed.",
        "{ctx}: {facts}"
    );
    assert_eq!(facts["debt_status"], "not_checked", "{ctx}: {facts}");

    // The owner who owes pays the renewal levy; the answer is the receipt.
    let mut f = file(&debtor_client, LEVY, &debtor).await;
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{ctx}: levy submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{ctx}: {submitted}"
    );
    f.pay_and_wait().await;
    let facts = answer_of(&debtor_client, &f).await;
    assert_eq!(
        facts["answer_title"]["fa"], "رسید پرداخت عوارض نوسازی",
        "{ctx}: {facts}"
    );
    assert_eq!(facts["answer_statements"].as_array().map(Vec::len), Some(2));
    assert_eq!(facts["debt_status"], "cleared", "{ctx}: {facts}");
    assert!(
        facts["tracking_code"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{ctx}: {facts}"
    );
}

/// Document kinds are data: an admin adds one over HTTP, publishes an e-service requiring
/// it, and a citizen uploads it (held to its types and limit) and completes the flow — no
/// code change, no restart.
async fn a_new_document_kind_needs_no_release(w: &World) {
    let ctx = w.label;
    let admin = w.as_holder(&w.admin);
    let (owner, citizen) = w.citizen(false).await;
    let kind = json!({
        "name": text("نقشهٔ تفکیکي", "site plan"),
        "accepted_content_types": ["application/pdf"],
        "max_size_bytes": 4096,
        "reason": "خدمت رونوشت نقشه",
    });
    let refused = citizen
        .put("/api/v1/document-kinds/site_plan", kind.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{ctx}: {refused}");
    let added = admin.put("/api/v1/document-kinds/site_plan", kind).await;
    assert_eq!(added.status, StatusCode::CREATED, "{ctx}: {added}");
    assert_eq!(added.body["code"], "site_plan", "{ctx}: {added}");
    assert_eq!(
        added.body["name"]["fa"], "نقشهٔ تفکیکی",
        "{ctx}: cleaned: {added}"
    );
    let listed = citizen
        .get("/api/v1/document-kinds")
        .await
        .success()
        .unwrap_or_else(|r| panic!("{ctx}: kinds: {r}"));
    assert!(
        listed["kinds"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k["code"] == "site_plan")
                && k.iter().any(|k| k["code"] == "national_id_card")),
        "{ctx}: {listed}"
    );

    // An e-service requiring it, published at once.
    let code = "site-plan-extract";
    let mut plan = extract("رونوشت نقشهٔ تفکیکی", "Site plan extract");
    plan["required_documents"] = json!(["national_id_card", "site_plan"]);
    plan["fee_items"] = json!([]);
    let published = admin
        .put(
            &format!("/api/v1/request-types/{code}"),
            publish_body(plan, 0),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{ctx}: {published}");
    assert_eq!(
        published.body["required_documents"],
        json!(["national_id_card", "site_plan"]),
        "{ctx}: {published}"
    );
    let preview = admin
        .get(&format!("/api/v1/request-types/{code}/preview"))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{ctx}: preview: {r}"));
    assert_eq!(
        preview["documents"][1]["kind"], "site_plan",
        "{ctx}: {preview}"
    );
    assert_eq!(preview["documents"][1]["name"]["en"], "site plan", "{ctx}");

    // The citizen files it: the kind's types and limit hold, the kind is named.
    let rt = citizen.request_type(code).await;
    let mut f = http::Filing::open(&citizen, &rt).await;
    f.property(
        &json!({ "renovation_code": owner.renovation_code }),
        Some(&owner.request_number),
    )
    .await
    .unwrap_or_else(|r| panic!("{ctx}: property: {r}"));
    let card = citizen
        .upload_ok(
            "national_id_card",
            "card.png",
            "image/png",
            estelam_documents::inspect::fixtures::png(320, 200),
        )
        .await;
    let photo = citizen
        .upload(
            "site_plan",
            "plan.png",
            "image/png",
            estelam_documents::inspect::fixtures::png(32, 20),
        )
        .await;
    assert_eq!(photo.status, StatusCode::BAD_REQUEST, "{ctx}: {photo}");
    assert_eq!(
        photo.body["reason"], "FILE_TYPE_NOT_ACCEPTED_FOR_KIND",
        "{ctx}"
    );
    assert!(
        photo.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("site plan") && d.contains("application/pdf")),
        "{ctx}: {photo}"
    );
    let big = citizen
        .upload(
            "site_plan",
            "plan.pdf",
            "application/pdf",
            estelam_documents::inspect::fixtures::pdf("", 8000),
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{ctx}: {big}");
    assert!(
        big.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("4096")),
        "{ctx}: {big}"
    );
    let site_plan = citizen
        .upload_ok(
            "site_plan",
            "plan.pdf",
            "application/pdf",
            estelam_documents::inspect::fixtures::pdf("", 100),
        )
        .await;
    let missing = f.documents(std::slice::from_ref(&card)).await.unwrap_err();
    assert_eq!(missing.body["reason"], "REQUIRED_DOCUMENT_MISSING", "{ctx}");
    assert!(
        missing.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("site plan")),
        "{ctx}: the kind is named: {missing}"
    );
    f.documents(&[card, site_plan])
        .await
        .unwrap_or_else(|r| panic!("{ctx}: documents: {r}"));
    f.applicant(&owner.name, &owner.national_code, &owner.ownership_type)
        .await
        .unwrap_or_else(|r| panic!("{ctx}: applicant: {r}"));
    f.submit()
        .await
        .unwrap_or_else(|r| panic!("{ctx}: submit: {r}"));
    let facts = answer_of(&citizen, &f).await;
    assert_eq!(facts["request_type_code"], code, "{ctx}: {facts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_publish_e_services_that_citizens_complete_on_sqlite() {
    let w = World::start("sqlite", None).await;
    staff_publish_and_citizens_file(&w).await;
    a_new_document_kind_needs_no_release(&w).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_publish_e_services_that_citizens_complete_on_postgresql() {
    let Some(url) = estelam_runtime::testing::postgres_url() else {
        return;
    };
    let w = World::start("postgres", Some(url)).await;
    staff_publish_and_citizens_file(&w).await;
    a_new_document_kind_needs_no_release(&w).await;
    w.stop().await;
}
