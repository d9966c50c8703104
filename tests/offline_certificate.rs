//! The offline-verifiable certificate (issue 18) end to end, on SQLite and PostgreSQL: an
//! issued answer's PDF and HTML copy carry the signed answer in their QR code; the
//! `estelam verify` binary reads it back from the PDF (rasterised), the HTML's SVG and the
//! text, and checks it offline against the trust list and status list the gateway
//! publishes — valid; altered when a fact is edited; expired past its validity; unknown key
//! against another deployment's trust list; still valid after an admin rotates the
//! signing key; revoked once a clerk revokes it, offline from a fresh status list (which
//! carries its `ttl`) and online from the gateway. The public API
//! (`POST /api/v1/answer-codes/check`) gives the same verdicts on the same codes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use estelam_inquiry::answer::KeyPair;
use estelam_inquiry::certificate::cwt;
use estelam_inquiry::certificate::trust_list::{self, TrustedKey};
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::eventually;

mod support;

use support::nine_steps::grpc::{
    self, Application, DocumentsClient, Filing, InquiryClient, Letter, Once, PropertyClient,
};
use support::{accounts, system};

fn channel(endpoint: &str, settings: &Settings) -> tonic::transport::Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

/// Runs `estelam verify ARGS…`; returns the exit code and what it printed.
fn verify(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_estelam"))
        .arg("verify")
        .args(args)
        .output()
        .expect("estelam verify runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// The QR text with one digit of the renovation code changed inside the signed structure.
fn with_renovation_code_edited(text: &str, renovation_code: &str) -> String {
    use std::io::{Read, Write};
    let compressed = base45::decode(&text[cwt::PREFIX.len()..]).expect("Base45");
    let mut cose = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_end(&mut cose)
        .expect("zlib");
    let code = renovation_code.as_bytes();
    let at = cose
        .windows(code.len())
        .position(|w| w == code)
        .expect("the renovation code is in the signed claims");
    cose[at] = if cose[at] == b'9' { b'8' } else { b'9' };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&cose).expect("deflate");
    format!(
        "{}{}",
        cwt::PREFIX,
        base45::encode(z.finish().expect("deflate"))
    )
}

/// `POST /api/v1/answer-codes/check` without a login; returns the status and the body.
async fn check_code(
    http: &reqwest::Client,
    base: &str,
    qr_text: &str,
    at: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut body = serde_json::json!({ "qr_text": qr_text });
    if let Some(at) = at {
        body["at"] = serde_json::json!(at);
    }
    let r = http
        .post(format!("{base}/api/v1/answer-codes/check"))
        .json(&body)
        .send()
        .await
        .expect("the gateway answers");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON body"))
}

/// The API's verdict on `qr_text`, asserting it answered 200.
async fn verdict_of(
    http: &reqwest::Client,
    base: &str,
    qr_text: &str,
    at: Option<&str>,
) -> serde_json::Value {
    let (status, body) = check_code(http, base, qr_text, at).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The payload of a compact JWS, as JSON.
fn jws_payload(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.trim().split('.').nth(1).expect("a compact JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

async fn certificate_checks(label: &str, postgres_url: Option<String>) {
    let files = tempfile::tempdir().expect("temp dir");
    let system::Started {
        system,
        settings,
        admin,
        people,
        postgres,
        data: _data,
    } = system::start_with_demo(label, "cert", postgres_url.as_deref(), 100).await;
    let base = system.gateway_url.clone();
    let owner = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a demo citizen whose parcel owes nothing");
    let token = accounts::log_in(&settings, &owner.national_code, &owner.password).await;
    let clerk = accounts::log_in(
        &settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, &settings));
    let documents = DocumentsClient::new(channel(&settings.endpoints.documents, &settings));
    let property = PropertyClient::new(channel(&settings.endpoints.property, &settings));
    let number =
        grpc::issue_request_number(&Once, &property, &clerk, &owner.renovation_code, "cert")
            .await
            .expect("the clerk issues a request number");
    let documents = grpc::card_and_deed(&documents, &token).await;
    // The owner's own clearance: no letter and no inquiry fee, so nothing to pay and the
    // answer is issued within Submit.
    let request_type = grpc::request_type(&Once, &inquiry, &token, "clearance")
        .await
        .expect("the request type");
    let mut filing = Filing::open(&Once, &inquiry, &token, &request_type)
        .await
        .expect("open");
    filing
        .complete(&Application {
            renovation_code: owner.renovation_code.clone(),
            request_number: number,
            letter: Letter::from_authority(&people.authority.organization_id),
            documents,
            full_name: owner.name.clone(),
            national_code: owner.national_code.clone(),
            ownership_type: ppb::OwnershipType::Full,
        })
        .await
        .expect("steps 4 to 6");
    filing.submit().await.expect("submit");
    let id = filing.inquiry.inquiry_id.clone();
    eventually(
        "the answer to be issued",
        Duration::from_secs(60),
        async || {
            let now = grpc::get_inquiry(&inquiry, &token, &id)
                .await
                .expect("inquiry");
            if now.state == pb::InquiryState::Issued as i32 {
                Ok(())
            } else {
                Err(now.state)
            }
        },
    )
    .await;

    let render = |format: pb::AnswerFormat| {
        let mut client = inquiry.clone();
        let (id, token) = (id.clone(), token.clone());
        async move {
            client
                .render_answer(outgoing(
                    pb::RenderAnswerRequest {
                        inquiry_id: id,
                        format: format as i32,
                        language: "fa".into(),
                    },
                    Some(&token),
                ))
                .await
                .expect("the printed answer")
                .into_inner()
                .content
        }
    };
    let pdf = files.path().join("answer.pdf");
    let html = files.path().join("answer.html");
    std::fs::write(&pdf, render(pb::AnswerFormat::Pdf).await).expect("write");
    std::fs::write(&html, render(pb::AnswerFormat::Html).await).expect("write");

    let http = reqwest::Client::new();
    let fetch = |route: &'static str| {
        let (http, url) = (http.clone(), format!("{base}{route}"));
        async move {
            let r = http.get(&url).send().await.expect("the gateway answers");
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.text().await.expect("body")
        }
    };
    let trust = files.path().join("trust-list.jwt");
    let status = files.path().join("status-list.jwt");
    std::fs::write(&trust, fetch("/api/v1/answer-trust-list").await).expect("write");
    std::fs::write(&status, fetch("/api/v1/answer-status-list").await).expect("write");
    let offline = ["--trust-list", path(&trust), "--status-list", path(&status)];

    // The offline verification page: served whole, nothing loaded from elsewhere, the
    // current trust list and the root's fingerprint inside, and its inline program allowed
    // by the page's own policy (by hash), never by 'unsafe-inline'.
    let page = http
        .get(format!("{base}/verify/offline"))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(page.status(), 200, "{label}: the offline page is served");
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header(&page, "content-type").starts_with("text/html"));
    let csp = header(&page, "content-security-policy");
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{label}: {csp}"
    );
    assert!(header(&page, "permissions-policy").contains("camera=(self)"));
    let root = {
        let r = http
            .get(format!("{base}/api/v1/answer-trust-list"))
            .send()
            .await
            .expect("the gateway answers");
        header(&r, "x-estelam-root-fingerprint")
    };
    let body = page.text().await.expect("body");
    let trust_list = std::fs::read_to_string(&trust).expect("read");
    // The list is signed anew on each request (its `iat`), so the page's copy is compared by
    // the keys it vouches for, not byte for byte.
    let embedded = body
        .split("\"trust_list\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{label}: the page embeds a trust list"));
    let keys = |token: &str| {
        trust_list::read(token, None)
            .unwrap_or_else(|e| panic!("{label}: a signed trust list: {e:?}"))
            .keys
            .into_iter()
            .map(|k| (k.kid, k.public))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(embedded),
        keys(trust_list.trim()),
        "{label}: the page embeds the trust list"
    );
    assert!(
        !root.is_empty() && body.contains(&root),
        "{label}: and the root's fingerprint"
    );
    for outside in ["src=", "href=", "<link", "@import", " url(", ":url("] {
        assert!(
            !body.contains(outside),
            "{label}: the page is self-contained ({outside})"
        );
    }
    let download = http
        .get(format!("{base}/verify/offline?download=1"))
        .send()
        .await
        .expect("the gateway answers");
    assert!(
        header(&download, "content-disposition").starts_with("attachment;"),
        "{label}: the page can be saved as a file"
    );

    // The QR code on the PDF, read from the rasterised page, verifies offline.
    let (code, out) = verify(&[&[path(&pdf)][..], &offline].concat());
    assert_eq!(code, 0, "{label}: the PDF's QR code is valid:\n{out}");
    assert!(out.contains(&owner.renovation_code), "{label}: {out}");
    assert!(out.contains("verdict: valid"), "{label}: {out}");
    // So does the HTML copy's, and the text it carries.
    let (code, out) = verify(&[&[path(&html)][..], &offline].concat());
    assert_eq!(code, 0, "{label}: the HTML copy's QR code is valid:\n{out}");
    let text = estelam::verify::qr_text_in(&std::fs::read(&html).expect("read"))
        .expect("the HTML copy's QR code decodes");
    assert!(text.len() <= 600, "{label}: {} characters", text.len());
    let claims = cwt::open(&text).expect("an answer's code").claims;
    assert!(
        claims.status_uri.starts_with(&base),
        "{label}: the status list's address is the configured public one: {}",
        claims.status_uri
    );

    // A fact edited in the code: altered.
    let edited = with_renovation_code_edited(&text, &owner.renovation_code);
    let (code, out) = verify(&[&[edited.as_str()][..], &offline].concat());
    assert_eq!(code, 10, "{label}: an edited code is altered:\n{out}");
    // Checked after its validity: expired.
    let (code, out) = verify(&[&[text.as_str(), "--at", "4102444800"][..], &offline].concat());
    assert_eq!(code, 12, "{label}: past its validity it is expired:\n{out}");
    // Against another deployment's trust list: unknown key.
    let foreign = files.path().join("foreign-trust-list.jwt");
    std::fs::write(
        &foreign,
        trust_list::sign(
            &[TrustedKey::of(&KeyPair::generate(0))],
            &KeyPair::generate(0),
            0,
        ),
    )
    .expect("write");
    let (code, out) = verify(&[text.as_str(), "--trust-list", path(&foreign)]);
    assert_eq!(
        code, 13,
        "{label}: a key not in the trust list is unknown:\n{out}"
    );
    // The same verdicts through the public API, from the inquiry service's one check.
    let valid = verdict_of(&http, &base, &text, None).await;
    assert_eq!(valid["verdict"], "valid", "{label}: {valid}");
    assert_eq!(
        valid["claims"]["renovation_code"], owner.renovation_code,
        "{label}: the signed facts come back: {valid}"
    );
    assert_eq!(
        valid["claims"]["verification_code"],
        claims.verification_code
    );
    assert!(
        valid["message"]["fa"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
            && valid["message"]["en"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
        "{label}: the verdict in Persian and English: {valid}"
    );
    let altered = verdict_of(&http, &base, &edited, None).await;
    assert_eq!(altered["verdict"], "altered", "{label}: {altered}");
    assert!(
        altered["claims"].is_null(),
        "{label}: nothing of an altered code is vouched for: {altered}"
    );
    let expired = verdict_of(&http, &base, &text, Some("2100-01-01T00:00:00Z")).await;
    assert_eq!(expired["verdict"], "expired", "{label}: {expired}");
    let foreign_code = cwt::seal(&claims, &KeyPair::generate(0)).expect("seal");
    let unknown = verdict_of(&http, &base, &foreign_code, None).await;
    assert_eq!(unknown["verdict"], "unknown_key", "{label}: {unknown}");
    let (refused, problem) = check_code(&http, &base, "EQ1:not base45 at all!", None).await;
    assert_eq!(
        refused, 400,
        "{label}: unreadable text is refused: {problem}"
    );
    assert!(
        problem["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{label}: as problem+json: {problem}"
    );

    // A trust list under a root other than the pinned one is refused outright.
    let pinned = trust_list::read(&std::fs::read_to_string(&trust).expect("read"), None)
        .expect("the published trust list reads")
        .root_fingerprint;
    let (code, _) = verify(&[
        text.as_str(),
        "--trust-list",
        path(&foreign),
        "--root-fingerprint",
        &pinned,
    ]);
    assert_eq!(
        code, 1,
        "{label}: the foreign list is not under the pinned root"
    );

    // An admin rotates the answer-signing key: the old answer stays valid under the new
    // trust list, which lists both keys with the old one's period closed.
    let rotated = http
        .post(format!("{base}/api/v1/admin/answer-signing-key/rotate"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("rotate");
    assert!(
        rotated.status().is_success(),
        "{label}: {}",
        rotated.status()
    );
    let refused = http
        .post(format!("{base}/api/v1/admin/answer-signing-key/rotate"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("rotate");
    assert_eq!(
        refused.status(),
        403,
        "{label}: a citizen may not rotate keys"
    );
    let new_trust = fetch("/api/v1/answer-trust-list").await;
    let list = trust_list::read(&new_trust, Some(&pinned)).expect("same root after rotation");
    assert_eq!(list.keys.len(), 2, "{label}: both keys are listed");
    assert!(list.keys.iter().any(|k| k.not_after.is_some()), "{label}");
    std::fs::write(&trust, new_trust).expect("write");
    std::fs::write(&status, fetch("/api/v1/answer-status-list").await).expect("write");
    let (code, out) = verify(
        &[
            &[text.as_str(), "--root-fingerprint", &pinned][..],
            &offline,
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{label}: valid after rotation:\n{out}");

    // A clerk revokes it: the next status list says so, offline and online.
    let version = grpc::get_inquiry(&inquiry, &token, &id)
        .await
        .expect("inquiry")
        .version;
    inquiry
        .clone()
        .revoke_answer(outgoing(
            pb::RevokeAnswerRequest {
                inquiry_id: id.clone(),
                expected_version: version,
                client_request_id: uuid::Uuid::now_v7().to_string(),
                reason: "صادر شده به اشتباه".into(),
            },
            Some(&clerk),
        ))
        .await
        .expect("the clerk revokes the answer");
    // The status list is rebuilt on every request, so the revocation is in the very next
    // one; it says for how long a verifier may cache it (`ttl`, seconds), and the HTTP
    // cache lifetime is no longer than that.
    let served = http
        .get(format!("{base}/api/v1/answer-status-list"))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(
        header(&served, "cache-control"),
        "public, max-age=60",
        "{label}: cached no longer than its ttl"
    );
    let served = served.text().await.expect("body");
    let ttl = jws_payload(&served)["ttl"].as_i64();
    assert!(
        ttl.is_some_and(|t| (1..=60).contains(&t)),
        "{label}: the status list carries a ttl of at most a minute: {ttl:?}"
    );
    std::fs::write(&status, served).expect("write");
    let (code, out) = verify(&[&[text.as_str()][..], &offline].concat());
    assert_eq!(code, 11, "{label}: revoked offline:\n{out}");
    let revoked = verdict_of(&http, &base, &text, None).await;
    assert_eq!(revoked["verdict"], "revoked", "{label}: {revoked}");
    assert_eq!(
        revoked["revocation_reason"], "صادر شده به اشتباه",
        "{label}: the clerk's reason is told: {revoked}"
    );
    assert!(
        revoked["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("صادر شده به اشتباه")),
        "{label}: {revoked}"
    );
    let (code, out) = verify(&[path(&pdf), "--online", &base]);
    assert_eq!(code, 11, "{label}: revoked online:\n{out}");

    system::stop(system, postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_answer_verifies_offline_on_sqlite() {
    Box::pin(certificate_checks("sqlite", None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_answer_verifies_offline_on_postgresql() {
    let Some(url) = estelam_runtime::testing::postgres_url() else {
        return;
    };
    Box::pin(certificate_checks("postgres", Some(url))).await;
}
