//! The gateway's business routes over the whole running system (`estelam::start` on
//! ephemeral ports, a temporary data directory), through real HTTP: accounts, the inquiry
//! flow as far as the services allow, documents, problem+json on bad input for every
//! route group, and per-object privacy.

use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::nine_steps::http::{Applicant, Filing};
use support::system::{System, system};

/// A valid national code from nine digits (the tenth is the check digit).
fn national_code(seed: u32) -> String {
    let body = format!("{:09}", 100_000_000 + seed * 7919 % 800_000_000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    let check = if r < 2 { r } else { 11 - r };
    format!("{body}{check}")
}

struct Citizen {
    token: String,
    refresh_token: String,
    national_code: String,
}

impl System {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.expect("sent")).await
    }

    async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let req = self.http.put(self.url(path)).json(&body).bearer_auth(token);
        answer(req.send().await.expect("sent")).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.expect("sent")).await
    }

    async fn citizen(&self, seed: u32) -> Citizen {
        let code = national_code(seed);
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"national_code": code, "first_name": "مریم", "last_name": "احمدی",
                       "mobile": format!("0912{:07}", seed), "password": "a long enough passphrase"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(
            !body["membership_code"].as_str().unwrap_or("").is_empty(),
            "{body}"
        );
        assert_eq!(body["account"]["national_code"], code.as_str(), "{body}");
        assert_eq!(body["account"]["roles"], json!(["citizen"]), "{body}");
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"national_code": code, "password": "a long enough passphrase"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Citizen {
            token: body["tokens"]["access_token"]
                .as_str()
                .expect("token")
                .into(),
            refresh_token: body["tokens"]["refresh_token"]
                .as_str()
                .expect("refresh")
                .into(),
            national_code: code,
        }
    }
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let problem = response.headers().get("content-type").is_some_and(|v| {
        v.to_str()
            .unwrap_or("")
            .starts_with("application/problem+json")
    });
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "an error must be problem+json: {status} {body}");
        assert!(
            body["type"]
                .as_str()
                .unwrap_or("")
                .starts_with("urn:estelam:problem:")
        );
        assert!(
            !body["detail_fa"].as_str().unwrap_or("").is_empty(),
            "{body}"
        );
    }
    (status, body)
}

fn rid() -> String {
    uuid_like()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[tokio::test]
async fn register_login_me_refresh_logout() {
    let s = system().await;
    let c = s.citizen(1).await;
    let (status, me) = s.get("/api/v1/me", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["account"]["national_code"], c.national_code.as_str());

    let (status, body) = s
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": c.refresh_token}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refreshed = body["tokens"]["refresh_token"]
        .as_str()
        .expect("new")
        .to_owned();
    assert_ne!(refreshed, c.refresh_token);

    let (status, _) = s
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refreshed}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refreshed}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Without a token, /me is a 401 problem.
    let (status, _) = s.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn auth_routes_answer_bad_input_with_problems_naming_the_field() {
    let s = system().await;
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            None,
            json!({"national_code": "1234567890", "first_name": "a", "last_name": "b",
                   "mobile": "09121234567", "password": "a long enough passphrase"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "national_code", "{body}");

    let (status, body) = s
        .post(
            "/api/v1/auth/login",
            None,
            json!({"national_code": "0076229645"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "password", "{body}");

    let (status, body) = s
        .post("/api/v1/auth/login", None, json!({"password": "x"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, body) = s
        .post(
            "/api/v1/auth/login",
            None,
            json!({"national_code": national_code(99), "password": "wrong password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn an_inquiry_through_http_as_far_as_the_services_go_and_only_its_owner_sees_it() {
    let s = system().await;
    let c = s.citizen(2).await;
    let other = s.citizen(3).await;

    let (status, types) = s.get("/api/v1/request-types", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{types}");
    let types = types["request_types"].as_array().expect("list").clone();
    assert!(!types.is_empty());
    let t = &types[0];

    // The steps go through the one HTTP driver of the nine steps; what it cannot say (a
    // stale version, someone else's view) is sent by hand.
    let applicant = Applicant::new(&s.url, &c.token);
    let mut filing = Filing::create(&applicant, t)
        .await
        .unwrap_or_else(|r| panic!("create: {r}"));
    let created = filing.inquiry.clone();
    assert_eq!(created["state"], "draft");
    let id = filing.id.clone();

    let (status, got) = s
        .get(&format!("/api/v1/inquiries/{id}"), Some(&c.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["inquiry_number"], created["inquiry_number"]);

    // Another citizen cannot tell it exists.
    let (status, body) = s
        .get(&format!("/api/v1/inquiries/{id}"), Some(&other.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, list) = s.get("/api/v1/inquiries", Some(&other.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list["inquiries"].as_array().expect("list").is_empty(),
        "{list}"
    );
    let (status, list) = s.get("/api/v1/inquiries", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["inquiries"].as_array().expect("list").len(),
        1,
        "{list}"
    );

    let ids: Vec<Value> = t["undertakings"]
        .as_array()
        .expect("undertakings")
        .iter()
        .map(|u| u["undertaking_version_id"].clone())
        .collect();
    let accepted = filing
        .accept_undertakings()
        .await
        .unwrap_or_else(|r| panic!("undertakings: {r}"));
    assert_eq!(accepted["state"], "undertakings_accepted");

    // A stale version is a conflict, as a problem.
    let (status, body) = s
        .put(
            &format!("/api/v1/inquiries/{id}/undertakings"),
            &c.token,
            json!({"expected_version": created["version"], "client_request_id": rid(),
                   "undertaking_version_ids": ids}),
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::OK,
        "{status} {body}"
    );

    // Two documents, uploaded and attached; the file comes back as it went.
    let jpeg = jpeg(64, 48);
    let mut documents = vec![];
    for kind in ["national_id_card", "ownership_deed"] {
        let uploaded = applicant
            .upload(kind, "scan.jpg", "image/jpeg", jpeg.clone())
            .await;
        let (status, doc) = (uploaded.status, uploaded.body);
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["kind"], kind);
        assert_eq!(doc["size_bytes"], jpeg.len());
        documents.push(doc["document_id"].as_str().expect("id").to_owned());
    }
    let response = s
        .http
        .get(s.url(&format!("/api/v1/documents/{}", documents[0])))
        .bearer_auth(&c.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        jpeg.as_slice()
    );
    // Someone else's document does not exist for them.
    let (status, _) = s
        .get(
            &format!("/api/v1/documents/{}", documents[0]),
            Some(&other.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A parcel of the demo city; every request type needs a request number from a clerk,
    // which no account of this test can issue, so the step stops there, as a problem.
    let (_, features) = s
        .get(
            "/api/v1/collections/parcels/items?bbox=51.5,32.8,51.6,32.9&limit=1",
            Some(&c.token),
        )
        .await;
    let code = features["features"][0]["properties"]["renovation_code"]
        .as_str()
        .unwrap_or_else(|| panic!("a demo parcel: {features}"))
        .to_owned();
    let refused = filing
        .property(&json!({"renovation_code": code}), None)
        .await
        .expect_err("no request number, no property");
    assert!(refused.status.is_client_error(), "{refused}");
}

fn encode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' => c.to_string(),
            other => format!("%{:02X}", other as u32),
        })
        .collect()
}

#[tokio::test]
async fn parcels_by_box_by_code_and_by_point_over_the_demo_city() {
    let s = system().await;
    let c = s.citizen(5).await;
    let t = Some(c.token.as_str());
    // The property service answers only callers with an account.
    let (status, _) = s
        .get(
            "/api/v1/collections/parcels/items?bbox=51.5,32.8,51.6,32.9",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = s
        .http
        .get(s.url("/api/v1/collections/parcels/items?bbox=51.5,32.8,51.6,32.9&limit=3"))
        .bearer_auth(&c.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "application/geo+json"
    );
    let page: Value = response.json().await.expect("json");
    assert_eq!(page["type"], "FeatureCollection", "{page}");
    let features = page["features"].as_array().expect("features");
    assert_eq!(features.len(), 3, "{page}");
    let links = page["links"].as_array().expect("links");
    let next = links
        .iter()
        .find(|l| l["rel"] == "next")
        .and_then(|l| l["href"].as_str())
        .expect("a next link while more parcels remain");
    let (status, second) = s.get(next, t).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let first_ids: Vec<&Value> = features.iter().map(|f| &f["id"]).collect();
    for f in second["features"].as_array().expect("features") {
        assert!(!first_ids.contains(&&f["id"]), "pages overlap: {f}");
    }

    let code = features[0]["properties"]["renovation_code"]
        .as_str()
        .expect("code");
    let (status, parcel) = s.get(&format!("/api/v1/parcels/{}", encode(code)), t).await;
    assert_eq!(status, StatusCode::OK, "{parcel}");
    assert_eq!(parcel["renovation_code"], code);
    assert!(parcel["geometry"].is_object(), "{parcel}");
    let (lat, lon) = (
        parcel["label_point"]["lat"].as_f64().expect("lat"),
        parcel["label_point"]["lon"].as_f64().expect("lon"),
    );
    let (status, at) = s
        .get(&format!("/api/v1/parcels/at?lat={lat}&lon={lon}"), t)
        .await;
    assert_eq!(status, StatusCode::OK, "{at}");
    assert_eq!(at["renovation_code"], code);

    let (status, _) = s.get("/api/v1/parcels/9-9-9-9-9999", t).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/parcels/at?lat=10&lon=10", t).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn business_routes_answer_bad_input_with_problems() {
    let s = system().await;
    let c = s.citizen(4).await;
    // inquiries: a mistyped field, an unknown enum value, no token.
    let (status, body) = s
        .post(
            "/api/v1/inquiries",
            Some(&c.token),
            json!({"request_type_code": 5, "client_request_id": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "request_type_code");
    let (status, body) = s
        .put(
            "/api/v1/inquiries/nope/applicant",
            &c.token,
            json!({"expected_version": 1, "client_request_id": "x", "full_name": "a",
                   "national_code": "0076229645", "ownership_type": "stolen"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "ownership_type");
    let (status, _) = s.get("/api/v1/inquiries", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s
        .get("/api/v1/inquiries?state=flying", Some(&c.token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/inquiries/unknown-id", Some(&c.token)).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST);
    // documents: no kind, an unknown kind.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("a.jpg"),
    );
    let response = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&c.token)
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "kind");
    // parcels: a bad bounding box, a point off the globe.
    let (status, body) = s
        .get(
            "/api/v1/collections/parcels/items?bbox=1,2,3",
            Some(c.token.as_str()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "bbox");
    let (status, body) = s
        .get("/api/v1/parcels/at?lat=100&lon=51", Some(c.token.as_str()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s
        .get("/api/v1/parcels/at?lat=x&lon=51", Some(c.token.as_str()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "lat");
    // answers: an unknown code is not valid.
    let (status, body) = s.get("/api/v1/answers/NO-SUCH-CODE", None).await;
    assert!(
        status == StatusCode::OK && body["result"] == "unknown"
            || status == StatusCode::NOT_FOUND
            || status == StatusCode::BAD_REQUEST,
        "{status} {body}"
    );
    // sandbox PSP: an unknown choice.
    let response = s
        .http
        .post(s.url("/psp/pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=abc&choice=steal")
        .send()
        .await
        .expect("sent");
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "choice");
    // An unknown sandbox token.
    let (status, _) = s.get("/psp/pay?token=unknown", None).await;
    assert!(status.is_client_error(), "{status}");
}

/// A baseline JPEG header of `width` × `height`, then a scan and EOI.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    out.extend_from_slice(&[0x00, 0x00, 0x00, 0xFF, 0xD9]);
    out
}

/// The portal's "cancel this request": a draft started by mistake is cancelled by its owner
/// (another citizen cannot even see it), stays in the list as cancelled with the history
/// saying so, and a cancelled inquiry takes no further step.
#[tokio::test]
async fn a_draft_is_cancelled_by_its_owner_and_then_takes_no_step() {
    let s = system().await;
    let c = s.citizen(41).await;
    let other = s.citizen(42).await;
    let (status, types) = s.get("/api/v1/request-types", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{types}");
    let t = types["request_types"][0].clone();
    let applicant = Applicant::new(&s.url, &c.token);
    let filing = Filing::create(&applicant, &t)
        .await
        .unwrap_or_else(|r| panic!("create: {r}"));
    let id = filing.id.clone();
    let version = filing.inquiry["version"].as_i64().expect("version");
    let path = format!("/api/v1/inquiries/{id}/cancel");

    let (status, body) = s
        .post(
            &path,
            Some(&other.token),
            json!({"expected_version": version, "client_request_id": rid()}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s
        .post(
            &path,
            None,
            json!({"expected_version": version, "client_request_id": rid()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let (status, cancelled) = s
        .post(
            &path,
            Some(&c.token),
            json!({"expected_version": version, "client_request_id": rid()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let history = cancelled["history"].as_array().expect("history");
    assert_eq!(
        history.last().map(|h| h["to_state"].clone()),
        Some(json!("cancelled")),
        "{cancelled}"
    );

    let (status, list) = s.get("/api/v1/inquiries", Some(&c.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["inquiries"][0]["state"], "cancelled", "{list}");

    // Nothing moves it on: neither a step nor a second cancel.
    let next_version = cancelled["version"].as_i64().expect("version");
    let (status, body) = s
        .put(
            &format!("/api/v1/inquiries/{id}/undertakings"),
            &c.token,
            json!({"expected_version": next_version, "client_request_id": rid(),
                   "undertaking_version_ids": []}),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    let (status, body) = s
        .post(
            &path,
            Some(&c.token),
            json!({"expected_version": next_version, "client_request_id": rid()}),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");
}

/// The map's ways to find a home: "your properties" (the property service's record of what
/// the logged-in person owns), a search by the address as the person knows it, by renovation
/// code or by registry plate; and the OGC API – Features metadata a GIS client reads first,
/// without a token.
#[tokio::test]
async fn a_person_finds_their_parcel_by_address_and_in_their_own_list_and_gis_clients_find_the_layer()
 {
    let s = system().await;
    let who = s.demo.citizens[0].clone();
    let (status, login) = s
        .post(
            "/api/v1/auth/login",
            None,
            json!({"national_code": who.national_code, "password": who.password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["tokens"]["access_token"].as_str().expect("token");
    let t = Some(token);

    let (status, mine) = s.get("/api/v1/me/parcels", t).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let codes: Vec<&str> = mine["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .filter_map(|p| p["renovation_code"].as_str())
        .collect();
    assert!(codes.contains(&who.renovation_code.as_str()), "{mine}");
    // Someone who owns nothing is told so, not refused.
    let stranger = s.citizen(43).await;
    let (status, none) = s.get("/api/v1/me/parcels", Some(&stranger.token)).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["parcels"], json!([]), "{none}");
    let (status, _) = s.get("/api/v1/me/parcels", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The address as the person would type it: street, alley and plate, Persian digits.
    let (status, parcel) = s
        .get(
            &format!("/api/v1/parcels/{}", encode(&who.renovation_code)),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parcel}");
    let address = parcel["address"].as_str().expect("address").to_owned();
    let part = |marker: &str| {
        address
            .split('،')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(marker))
            .map(|rest| rest.trim().to_owned())
    };
    let street = part("خیابان ").unwrap_or_else(|| panic!("a street in {address}"));
    // The alley when the address names one ("کوچهٔ ۳", stored composed as "کوچۀ").
    let alley = address
        .split('،')
        .map(str::trim)
        .find(|p| p.starts_with("کوچ"))
        .and_then(|p| p.split(' ').next_back())
        .map(|n| format!(" کوچه {n}"))
        .unwrap_or_default();
    let plate = part("پلاک ").unwrap_or_else(|| panic!("a plate in {address}"));
    let typed = estelam_domain::to_persian_digits(&format!("خيابان {street}{alley} پلاک {plate}"));
    let (status, found) = s
        .get(
            &format!("/api/v1/parcels/search?q={}", query_text(&typed)),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["matched_by"], "address", "{found}");
    let found_codes: Vec<&str> = found["parcels"]
        .as_array()
        .expect("parcels")
        .iter()
        .filter_map(|p| p["renovation_code"].as_str())
        .collect();
    assert!(
        found_codes.contains(&who.renovation_code.as_str()),
        "{typed} → {found}"
    );
    assert!(
        found["parcels"][0]["label_point"]["lat"].is_f64(),
        "a result says where to fly: {found}"
    );

    let (status, by_code) = s
        .get(
            &format!(
                "/api/v1/parcels/search?q={}",
                query_text(&who.renovation_code)
            ),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_code}");
    assert_eq!(by_code["matched_by"], "renovation_code");
    assert_eq!(
        by_code["parcels"][0]["renovation_code"],
        who.renovation_code
    );
    let plate = &parcel["registry_plate"];
    let (status, by_plate) = s
        .get(
            &format!(
                "/api/v1/parcels/search?q={}/{}",
                plate["main"].as_str().expect("main"),
                plate["sub"].as_str().expect("sub")
            ),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_plate}");
    assert_eq!(by_plate["matched_by"], "registry_plate");
    assert!(
        by_plate["parcels"]
            .as_array()
            .expect("parcels")
            .iter()
            .any(|p| p["renovation_code"] == who.renovation_code.as_str()),
        "{by_plate}"
    );
    // Nothing to look for is a problem naming the field; an unknown street finds nothing.
    let (status, body) = s.get("/api/v1/parcels/search?q=%20", t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "query", "{body}");
    let (status, body) = s
        .get(
            &format!("/api/v1/parcels/search?q={}", query_text("خیابان ناموجود")),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["parcels"], json!([]));

    // OGC API – Features: landing page → conformance and collections → the items.
    let (status, landing) = s.get("/api/v1", None).await;
    assert_eq!(status, StatusCode::OK, "{landing}");
    let href = |doc: &Value, rel: &str| {
        doc["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == rel))
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("a {rel} link: {doc}"))
    };
    let (status, conformance) = s.get(&href(&landing, "conformance"), None).await;
    assert_eq!(status, StatusCode::OK, "{conformance}");
    assert!(
        conformance["conformsTo"]
            .as_array()
            .expect("classes")
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.ends_with("/conf/core"))),
        "{conformance}"
    );
    let (status, collections) = s.get(&href(&landing, "data"), None).await;
    assert_eq!(status, StatusCode::OK, "{collections}");
    let parcels = &collections["collections"][0];
    assert_eq!(parcels["id"], "parcels", "{collections}");
    let (status, items) = s
        .get(
            &format!(
                "{}?bbox=51.5,32.8,51.6,32.9&limit=1",
                href(parcels, "items")
            ),
            t,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{items}");
    assert_eq!(items["type"], "FeatureCollection");
    let (status, body) = s.get("/api/v1/collections/roads", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The city's label layer: the demo city's street names along their lines and block
    // numbers at their points, what the map draws with no tile server.
    let labels = &collections["collections"][1];
    assert_eq!(labels["id"], "labels", "{collections}");
    let (status, body) = s.get(&href(labels, "self"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items_url = format!("{}?bbox=51.545,32.855,51.555,32.865", href(labels, "items"));
    let (status, items) = s.get(&items_url, t).await;
    assert_eq!(status, StatusCode::OK, "{items}");
    let features = items["features"].as_array().expect("the labels");
    assert!(
        features.iter().any(|f| f["properties"]["kind"] == "street"
            && f["geometry"]["type"] == "LineString"
            && f["properties"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("خیابان "))),
        "{items}"
    );
    assert!(
        features
            .iter()
            .any(|f| f["properties"]["kind"] == "block" && f["geometry"]["type"] == "Point"),
        "{items}"
    );
    let (status, body) = s.get(&items_url, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = s
        .get("/api/v1/collections/labels/items?bbox=1,2,3", t)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// Text for a URL's query: UTF-8, percent-encoded byte by byte.
fn query_text(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
