//! Hostile uploads: polyglots, bombs, floods, lies about the type and names that try to be
//! paths. Each is refused with a problem, and a refused upload leaves nothing stored.

use reqwest::StatusCode;
use serde_json::Value;

use crate::rules::Who::{self, OtherCitizen};
use crate::world::{World, channel};

/// Uploads `bytes` as `name` declared `mime`, as `who`.
async fn upload(
    world: &World,
    who: Who,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("kind", "ownership_deed")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .expect("mime"),
        );
    let response = world
        .http
        .post(format!("{}/api/v1/documents", world.system.gateway_url))
        .bearer_auth(world.token(who).expect("token"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "{name}: an error is problem+json: {status} {body}");
    }
    (status, body)
}

/// How many documents, bytes and stored files `who` has.
async fn stored(world: &World, who: Who) -> (i64, i64, usize) {
    let quota = estelam_proto::documents::v1::document_service_client::DocumentServiceClient::new(
        channel(&world.settings.endpoints.documents, &world.settings),
    )
    .get_quota(estelam_runtime::grpc::outgoing(
        estelam_proto::documents::v1::GetQuotaRequest::default(),
        world.token(who),
    ))
    .await
    .expect("quota")
    .into_inner();
    let files = walk(&world.settings.data_dir.join("documents"));
    (quota.used_count, quota.used_bytes, files)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                let path = e.path();
                if path.is_dir() { walk(&path) } else { 1 }
            })
            .sum()
    })
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).expect("in memory");
    z.finish().expect("in memory")
}

pub async fn upload_attacks_are_refused(world: &World) {
    use estelam_documents::inspect::fixtures;
    let who = OtherCitizen;
    let before = stored(world, who).await;
    let script = b"<script>fetch('/api/v1/me')</script>".to_vec();
    // A ZIP archive's end-of-central-directory record: what a ZIP reader looks for.
    let zip_end = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let mut zip = b"PK\x03\x04\x14\0\0\0\0\0".to_vec();
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(b"a.html");
    zip.extend_from_slice(&script);
    zip.extend_from_slice(&zip_end);
    // A PDF whose one stream inflates to 16 MiB of zeros, past the inflation budget.
    let bomb = deflate(&vec![0u8; 16 << 20]);
    let mut pdf_bomb = format!(
        "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
         3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n\
         4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    pdf_bomb.extend_from_slice(&bomb);
    pdf_bomb.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    // A 64×64 PNG (4 KiB of pixels) whose image data inflates to 16 MiB.
    let mut png_bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    fixtures::png_chunk(&mut png_bomb, b"IHDR", &ihdr);
    fixtures::png_chunk(&mut png_bomb, b"IDAT", &deflate(&vec![0u8; 16 << 20]));
    fixtures::png_chunk(&mut png_bomb, b"IEND", &[]);
    let oversized = fixtures::pdf(
        "",
        usize::try_from(world.settings.documents.max_document_bytes).expect("fits") + 1024,
    );

    let attacks: Vec<(&str, &str, &str, Vec<u8>)> = vec![
        (
            "PDF+ZIP polyglot",
            "deed.pdf",
            "application/pdf",
            [fixtures::pdf("", 0), zip.clone()].concat(),
        ),
        (
            "JPEG with a script appended",
            "card.jpg",
            "image/jpeg",
            [fixtures::jpeg(64, 48, 0), script.clone()].concat(),
        ),
        (
            "JPEG+ZIP polyglot",
            "card.jpg",
            "image/jpeg",
            [fixtures::jpeg(64, 48, 0), zip.clone()].concat(),
        ),
        (
            "image that is also a PDF",
            "card.jpg",
            "image/jpeg",
            [
                fixtures::jpeg(64, 48, 0)[..20].to_vec(),
                b"%PDF-1.7\n".to_vec(),
                fixtures::jpeg(64, 48, 0)[20..].to_vec(),
            ]
            .concat(),
        ),
        ("oversized", "deed.pdf", "application/pdf", oversized),
        (
            "pixel flood",
            "card.png",
            "image/png",
            fixtures::png(60_000, 60_000),
        ),
        ("PDF deflate bomb", "deed.pdf", "application/pdf", pdf_bomb),
        ("PNG zlib bomb", "card.png", "image/png", png_bomb),
        (
            "PDF declared as JPEG",
            "deed.jpg",
            "image/jpeg",
            fixtures::pdf("", 0),
        ),
        (
            "PDF named .png",
            "deed.png",
            "application/pdf",
            fixtures::pdf("", 0),
        ),
        (
            "HTML declared as PDF",
            "deed.pdf",
            "application/pdf",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "PDF with JavaScript",
            "deed.pdf",
            "application/pdf",
            fixtures::pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 0),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, name, mime, bytes) in attacks {
        let (status, body) = upload(world, who, name, mime, bytes).await;
        if !status.is_client_error() {
            wrong.push(format!("{what}: {status} {body}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: uploads that must be refused were not:\n{}",
        world.label,
        wrong.join("\n")
    );
    // A refused upload's staging file is deleted by a task of its own after the refusal is
    // answered, so on a busy machine the last one may still be there for a moment.
    estelam_runtime::testing::eventually(
        &format!("{}: a refused upload stored nothing", world.label),
        std::time::Duration::from_secs(30),
        async || {
            let now = stored(world, who).await;
            if now == before { Ok(()) } else { Err(now) }
        },
    )
    .await;

    // Names: never a path, never an invisible character in what is shown.
    for name in [
        "../../../../etc/passwd.jpg",
        "..\\..\\windows\\win.ini.jpg",
        "/absolute/card.jpg",
        "card\u{0}.jpg",
        "ca\r\nrd\u{7}.jpg",
        "\u{202E}gpj.exe.jpg",
    ] {
        let (status, body) =
            upload(world, who, name, "image/jpeg", fixtures::jpeg(32, 24, 0)).await;
        if status.is_client_error() {
            continue;
        }
        assert_eq!(status, StatusCode::CREATED, "{name:?}: {body}");
        let shown = body["original_filename"].as_str().unwrap_or_default();
        assert!(
            !shown.contains(['/', '\\'])
                && !shown.starts_with('.')
                && !shown.chars().any(|c| c.is_control() || c == '\u{202E}'),
            "{}: {name:?} is shown as {shown:?}",
            world.label
        );
    }
    let data_dir = world.settings.data_dir.canonicalize().expect("data dir");
    for escaped in ["etc/passwd.jpg", "windows/win.ini.jpg", "absolute/card.jpg"] {
        assert!(
            !data_dir.join(escaped).exists() && !data_dir.join("..").join(escaped).exists(),
            "{}: an upload's name became a path: {escaped}",
            world.label
        );
    }
}
