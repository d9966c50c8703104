//! The staff desk's fees routes through the gateway, on the whole running system, on SQLite
//! and (when configured) PostgreSQL: the demo clerk previews a new tariff version for a demo
//! parcel, the admin publishes it and the parcel's bill under the published tariffs is then
//! the previewed one; the clerk's write-off above the second-approval limit waits, the
//! clerk's own approval is refused with the reason, the admin's approval writes it to the
//! parcel's ledger; a citizen is refused on every one of these routes.

mod support;

use std::time::SystemTime;
use support::on_every_backend;

use estelam::demo::DemoPeople;
use estelam_domain::JalaliDate;
use estelam_runtime::config::Settings;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{accounts, system};

struct World {
    label: &'static str,
    system: estelam::RunningSystem,
    settings: Settings,
    admin: String,
    people: DemoPeople,
    http: reqwest::Client,
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
        } = system::start_with_demo(label, "feesdesk", postgres_url.as_deref(), 50).await;
        Self {
            label,
            system,
            settings,
            admin,
            people,
            http: reqwest::Client::new(),
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.system.gateway_url);
        let request = match method {
            "GET" => self.http.get(&url),
            _ => self.http.post(&url),
        };
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let response = request.bearer_auth(token).send().await.expect("sent");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

/// A draft for this Jalali year from today, for the parcel's land use and zone (the most
/// specific scope, so it is the one that applies), with a renewal levy of `rate_ppm`.
fn draft(land_use: &str, zone: i64, rate_ppm: i64) -> Value {
    let today = JalaliDate::today_in_iran(SystemTime::now()).expect("today");
    json!({
        "jalali_year": today.year(),
        "effective_from_jalali": today.to_string(),
        "land_use": land_use,
        "zone": zone,
        "items": [{
            "kind": "renewal_levy",
            "description": { "fa": "عوارض نوسازی", "en": "Renewal levy" },
            "basis": "assessed_value",
            "rate_ppm": rate_ppm,
        }],
        "penalty": { "monthly_rate_ppm": 15000, "cap_ppm": 500000, "grace_months": 0 },
        "reason": "مصوبهٔ آزمون",
    })
}

fn totals(bill: &Value) -> Vec<(String, i64)> {
    bill["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                format!("{}:{}", l["kind"], l["jalali_year"]),
                l["total_rials"].as_i64().expect("total"),
            )
        })
        .collect()
}

async fn staff_desk(w: &World) {
    let ctx = w.label;
    let clerk_login = &w.people.clerk;
    let clerk = accounts::log_in(
        &w.settings,
        &clerk_login.national_code,
        &clerk_login.password,
    )
    .await;
    // The demo owner whose parcel owes levies since 1402: this year's are on its bill.
    let owner = w
        .people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen who owes");
    let citizen = accounts::log_in(&w.settings, &owner.national_code, &owner.password).await;
    let code = owner.renovation_code.clone();
    let (status, parcel) = w
        .send("GET", &format!("/api/v1/parcels/{code}"), &clerk, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {parcel}");
    let land_use = parcel["land_use"].as_str().expect("land use").to_owned();
    let zone: i64 = code
        .split(['-', '/'])
        .next()
        .and_then(|z| z.parse().ok())
        .expect("zone");

    // A citizen reaches none of the desk's fee routes.
    for (method, path, body) in [
        ("GET", "/api/v1/tariffs".to_owned(), None),
        (
            "POST",
            "/api/v1/tariffs/preview".to_owned(),
            Some(json!({ "tariff": draft(&land_use, zone, 9000), "renovation_code": code })),
        ),
        (
            "POST",
            "/api/v1/tariffs".to_owned(),
            Some(json!({ "tariff": draft(&land_use, zone, 9000), "client_request_id": "c" })),
        ),
        ("GET", format!("/api/v1/parcels/{code}/ledger"), None),
        (
            "POST",
            format!("/api/v1/parcels/{code}/adjustments"),
            Some(json!({ "amount_rials": -1, "reason": "x", "client_request_id": "c" })),
        ),
        ("GET", "/api/v1/adjustments?status=pending".to_owned(), None),
    ] {
        let (status, body) = w.send(method, &path, &citizen, body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{ctx}: {method} {path}: {body}"
        );
    }

    // The clerk previews; the list shows the versions in force.
    let (status, listed) = w
        .send(
            "GET",
            &format!("/api/v1/tariffs?land_use={land_use}"),
            &clerk,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {listed}");
    assert!(
        !listed["tariffs"].as_array().expect("tariffs").is_empty(),
        "{ctx}: the demo tariffs"
    );
    let preview_body = json!({ "tariff": draft(&land_use, zone, 9000), "renovation_code": code });
    let (status, preview) = w
        .send(
            "POST",
            "/api/v1/tariffs/preview",
            &clerk,
            Some(preview_body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {preview}");
    assert_ne!(
        totals(&preview["bill"]),
        totals(&preview["current"]),
        "{ctx}: the draft changes the bill: {preview}"
    );
    let (status, bad) = w
        .send(
            "POST",
            "/api/v1/tariffs/preview",
            &clerk,
            Some(json!({ "tariff": draft("moon_base", zone, 9000), "renovation_code": code })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx}: {bad}");
    assert_eq!(bad["reason"], "TARIFF_SCOPE_INVALID", "{ctx}: {bad}");

    // Only the admin publishes; then the parcel's bill under the published tariffs is the
    // one previewed.
    let publish = json!({ "tariff": draft(&land_use, zone, 9000), "expected_version": 0, "client_request_id": format!("desk-{ctx}") });
    let (status, body) = w
        .send("POST", "/api/v1/tariffs", &clerk, Some(publish.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {body}");
    let (status, published) = w
        .send("POST", "/api/v1/tariffs", &w.admin, Some(publish))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ctx}: {published}");
    assert_eq!(published["version"], 1, "{ctx}: {published}");
    let id = published["tariff_id"].as_str().expect("id");
    let (status, read) = w
        .send("GET", &format!("/api/v1/tariffs/{id}"), &clerk, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {read}");
    assert_eq!(read["items"][0]["rate_ppm"], 9000, "{ctx}: {read}");
    let (status, after) = w
        .send(
            "POST",
            "/api/v1/tariffs/preview",
            &clerk,
            Some(preview_body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {after}");
    assert_eq!(
        totals(&after["current"]),
        totals(&preview["bill"]),
        "{ctx}: the published version bills as previewed"
    );

    // A write-off above the limit waits for a second staff member.
    let ledger = |token: String| {
        let path = format!("/api/v1/parcels/{code}/ledger");
        async move {
            let (status, body) = w.send("GET", &path, &token, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["balance_rials"].as_i64().expect("balance")
        }
    };
    let before = ledger(clerk.clone()).await;
    let (status, outcome) = w
        .send(
            "POST",
            &format!("/api/v1/parcels/{code}/adjustments"),
            &clerk,
            Some(json!({ "kind": "write_off", "amount_rials": -150_000_000, "reason": "حکم کمیسیون ماده ۷۷", "client_request_id": format!("wo-{ctx}") })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ctx}: {outcome}");
    let proposal = outcome["proposal"]["proposal_id"]
        .as_str()
        .expect("a proposal")
        .to_owned();
    assert_eq!(
        ledger(clerk.clone()).await,
        before,
        "{ctx}: nothing changed yet"
    );
    let (status, queue) = w
        .send("GET", "/api/v1/adjustments?status=pending", &w.admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {queue}");
    assert!(
        queue["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .any(|p| p["proposal_id"] == proposal.as_str()),
        "{ctx}: {queue}"
    );
    let decision = format!("/api/v1/adjustments/{proposal}/decision");
    let (status, own) = w
        .send("POST", &decision, &clerk, Some(json!({ "approve": true })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{ctx}: {own}");
    assert_eq!(own["reason"], "ADJUSTMENT_SELF_APPROVAL", "{ctx}: {own}");
    assert_eq!(ledger(clerk.clone()).await, before, "{ctx}");
    let (status, approved) = w
        .send(
            "POST",
            &decision,
            &w.admin,
            Some(json!({ "approve": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {approved}");
    assert_eq!(
        approved["proposal"]["status"], "approved",
        "{ctx}: {approved}"
    );
    assert_eq!(ledger(clerk.clone()).await, before - 150_000_000, "{ctx}");
}

on_every_backend!(tariffs_and_adjustments_on_the_desk => crate::staff_desk);
