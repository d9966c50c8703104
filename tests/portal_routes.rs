//! The routes the portal's newcomer, clerk and authority pages use, over the whole running
//! system (`estelam::start` on OS-chosen ports, a temporary data directory, the demo city and
//! demo people), through real HTTP: the demo newcomer registers and walks the nine steps to a
//! paid debt and an answer that verifies offline with the published key; a clerk issues
//! request numbers and revokes the answer; an authority user's `/me` names their office.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::nine_steps::http::{Applicant, Application, Filing};
use support::system::{System, system};

/// A one-page PDF, as a scanner gives.
fn scan() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

fn rid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "portal-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl System {
    async fn send(&self, req: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let response = req.send().await.expect("sent");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            assert!(
                !body["detail_fa"].as_str().unwrap_or("").is_empty()
                    && !body["detail"].as_str().unwrap_or("").is_empty(),
                "an error says what to do in Persian and English: {status} {body}"
            );
        }
        (status, body)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path)), token).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).json(&body), token)
            .await
    }

    async fn login(&self, national_code: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"national_code": national_code, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["tokens"]["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

#[tokio::test]
async fn the_newcomer_registers_pays_and_gets_an_answer_that_verifies_offline_until_a_clerk_revokes_it()
 {
    let s = system().await;
    let n = s
        .demo
        .newcomer
        .clone()
        .expect("the demo city has a newcomer");
    assert!(n.has_debt);

    // The newcomer's parcel is where demo.json says: picking that point finds it.
    let (status, body) = s
        .post(
            "/api/v1/auth/register",
            None,
            json!({"national_code": n.national_code, "first_name": n.first_name,
                   "last_name": n.last_name, "mobile": n.mobile,
                   "password": "the newcomer's own passphrase"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = s
        .login(&n.national_code, "the newcomer's own passphrase")
        .await;
    let (status, picked) = s
        .get(
            &format!("/api/v1/parcels/at?lat={}&lon={}", n.lat, n.lon),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{picked}");
    assert_eq!(picked["renovation_code"], n.renovation_code.as_str());

    // A clerk issues a second request number for the same parcel; a citizen may not.
    let clerk = s
        .login(&s.demo.clerk.national_code, &s.demo.clerk.password)
        .await;
    let path = format!("/api/v1/parcels/{}/request-numbers", n.renovation_code);
    let (status, number) = s
        .post(&path, Some(&clerk), json!({"client_request_id": rid()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{number}");
    assert_eq!(number["renovation_code"], n.renovation_code.as_str());
    assert!(
        number["number"]
            .as_str()
            .is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()) && x != n.request_number),
        "{number}"
    );
    let (status, refused) = s
        .post(&path, Some(&token), json!({"client_request_id": rid()}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // The nine steps over HTTP, as the portal makes them.
    let applicant = Applicant::new(&s.url, &token);
    let transfer = applicant.request_type("property-transfer").await;
    let mut filing = Filing::open(&applicant, &transfer).await;
    let (status, orgs) = s.get("/api/v1/organizations", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{orgs}");
    let office = orgs["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|o| o["organization_id"] == s.demo.authority.organization_id.as_str())
        .unwrap_or_else(|| panic!("the demo notary office is listed: {orgs}"))
        .clone();
    assert_eq!(office["type"], "notary_office");
    let documents = vec![
        applicant
            .upload_ok("national_id_card", "scan.pdf", "application/pdf", scan())
            .await,
        applicant
            .upload_ok("ownership_deed", "scan.pdf", "application/pdf", scan())
            .await,
    ];
    filing
        .complete(&Application {
            location: json!({"picked_point": {"lat": n.lat, "lon": n.lon}}),
            request_number: n.request_number.clone(),
            letter: (
                "1403/12/345".into(),
                "1403/12/01".into(),
                office["organization_id"].as_str().expect("id").to_owned(),
            ),
            documents,
            full_name: n.name.clone(),
            national_code: n.national_code.clone(),
            ownership_type: n.ownership_type.clone(),
        })
        .await;
    let submitted = filing
        .submit()
        .await
        .unwrap_or_else(|r| panic!("submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "the parcel owes levies"
    );
    // Paid at the sandbox bank's page, as a browser would; the bank sends the payer back
    // to the portal's page of the inquiry, and the answer follows the payment.
    let back = filing.pay_and_wait().await;
    let id = filing.id.clone();
    assert!(
        back.contains(&format!("/inquiries/{id}?")) && back.contains("status=confirmed"),
        "back to the portal's inquiry page: {back}"
    );
    let issued = filing.inquiry.clone();
    let step = |name: &str| format!("/api/v1/inquiries/{id}/{name}");

    // The answer names the owner and carries what an offline check needs.
    let (status, answer) = s.get(&step("answer"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let facts = &answer["facts"];
    assert_eq!(facts["ownership_type"], "full");
    assert_eq!(facts["debt_status"], "cleared");
    let owners = facts["owners"].as_array().expect("owners");
    assert_eq!(owners.len(), 1, "{answer}");
    assert_eq!(owners[0]["national_code"], n.national_code.as_str());
    assert_eq!(owners[0]["share_numerator"], 6);
    let payload = BASE64
        .decode(answer["signed_payload"].as_str().expect("payload"))
        .expect("base64 payload");
    let signature = BASE64
        .decode(answer["signature"].as_str().expect("signature"))
        .expect("base64 signature");
    let text = String::from_utf8(payload.clone()).expect("canonical JSON is UTF-8");
    assert!(text.contains(&n.national_code) && text.contains(estelam_inquiry::answer::FORMAT));
    let (status, keys) = s.get("/api/v1/answer-signing-keys", None).await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    let key = keys["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == answer["signing_key_id"])
        .unwrap_or_else(|| panic!("the signing key is published: {keys}"));
    let raw: [u8; 32] = BASE64
        .decode(key["public_key"].as_str().expect("key"))
        .expect("base64 key")
        .try_into()
        .expect("32 bytes");
    let key = VerifyingKey::from_bytes(&raw).expect("an Ed25519 key");
    let signature = Signature::from_slice(&signature).expect("64 bytes");
    key.verify(&payload, &signature)
        .expect("the answer verifies offline");
    let mut forged = payload.clone();
    let last = forged.len() - 2;
    forged[last] ^= 1;
    assert!(key.verify(&forged, &signature).is_err());

    // A clerk revokes it; everyone who verifies it learns so, and a citizen cannot.
    let revoke = step("answer/revoke");
    let (status, refused) = s
        .post(
            &revoke,
            Some(&token),
            json!({"expected_version": issued["version"], "client_request_id": rid(),
                   "reason": "issued on a wrong deed"}),
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status} {refused}"
    );
    let (status, revoked) = s
        .post(
            &revoke,
            Some(&clerk),
            json!({"expected_version": issued["version"], "client_request_id": rid(),
                   "reason": "issued on a wrong deed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    let code = answer["verification_code"].as_str().expect("code");
    let (status, verified) = s.get(&format!("/api/v1/answers/{code}"), None).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["result"], "revoked", "{verified}");
}

#[tokio::test]
async fn me_names_an_authority_users_office_and_only_theirs() {
    let s = system().await;
    let a = &s.demo.authority;
    let token = s.login(&a.national_code, &a.password).await;
    let (status, me) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me["organization"]["organization_id"],
        a.organization_id.as_str()
    );
    assert_eq!(me["organization"]["name"]["fa"], a.organization.as_str());
    assert_eq!(me["organization"]["type"], "notary_office");

    let c = &s.demo.citizens[0];
    let token = s.login(&c.national_code, &c.password).await;
    let (status, me) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert!(me.get("organization").is_none(), "{me}");

    // The authorities list is for accounts, and its bounds are checked.
    let (status, _) = s.get("/api/v1/organizations", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, problem) = s.get("/api/v1/organizations?limit=0", Some(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "limit", "{problem}");
}
