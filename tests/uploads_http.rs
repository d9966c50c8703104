//! Uploads and downloads through the gateway over real HTTP, on the whole running system
//! (issue 16, point 7): a file over the limit is 413 with the limit in the message (not 429,
//! which tells a browser to send the same file again later), a phone's photo comes back
//! without its GPS position and with the same pixels, and a Persian file name comes back
//! whole in `Content-Disposition` (RFC 6266 `filename*`), with an ASCII fallback.

use estelam_documents::inspect::fixtures;
use reqwest::StatusCode;

mod support;

use support::nine_steps::http::Applicant;
use support::system::system;

/// A GPS position as a phone's EXIF block carries it.
const GPS: &[u8] = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 32.861200N GPSLongitude 51.552100E";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `%XX` of every byte of `s` that is not an RFC 8187 attr-char, as `filename*` writes it.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_say_the_limit_lose_their_metadata_and_keep_their_persian_names() {
    let s = system().await;
    let citizen = &s.demo.citizens[0];
    let reply = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"national_code": citizen.national_code, "password": citizen.password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::OK);
    let body: serde_json::Value = reply.json().await.expect("JSON");
    let token = body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let applicant = Applicant::new(&s.url, &token);

    // 11 MB against the documents service's 10 MiB: 413, saying the limit.
    let big = fixtures::pdf("", 11_000_000);
    let refused = applicant
        .upload("ownership_deed", "deed.pdf", "application/pdf", big)
        .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE, "{refused}");
    assert_eq!(refused.body["reason"], "DOCUMENT_TOO_LARGE", "{refused}");
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("10.0 MiB"), "the limit is named: {detail}");
    let detail_fa = refused.body["detail_fa"].as_str().unwrap_or_default();
    assert!(detail_fa.contains("10.0"), "and in Persian: {detail_fa}");

    // A photo with a GPS position, under a Persian name.
    let name = "کارت ملی.jpg";
    let photo = fixtures::jpeg_with_metadata(640, 400, GPS);
    let id = applicant
        .upload_ok("national_id_card", name, "image/jpeg", photo.clone())
        .await;
    let response = s
        .http
        .get(s.url(&format!("/api/v1/documents/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ASCII header")
        .to_owned();
    assert!(
        disposition.contains(&format!("filename*=UTF-8''{}", percent(name))),
        "the Persian name comes back: {disposition}"
    );
    assert!(
        disposition.contains("filename=\"document.jpg\""),
        "with an ASCII fallback that keeps the extension: {disposition}"
    );
    let back = response.bytes().await.expect("content").to_vec();
    assert!(!contains(&back, b"GPSLatitude") && !contains(&back, b"Exif"));
    let scan = |d: &[u8]| d[d.windows(2).position(|w| w == [0xFF, 0xDA]).expect("scan")..].to_vec();
    assert_eq!(scan(&back), scan(&photo), "the pixels are the same bytes");
}
