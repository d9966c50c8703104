//! The document store over real gRPC, on every database backend, with the filesystem store.

use std::time::Duration;

use bytes::Bytes;
use estelam_documents::inspect::{FileType, fixtures, strip_metadata};
use estelam_documents::service::verify;
use estelam_documents::{Blobs, Documents, migrations};
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing::{
    self, SpawnedServer, TestDatabase, TokenMint, eventually, with_token,
};
use futures::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::transport::Channel;

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// One running service on one backend, with its own document directory.
struct App {
    label: &'static str,
    db: TestDatabase,
    server: SpawnedServer,
    blobs: Blobs,
    gauge: std::sync::Arc<estelam_documents::BufferGauge>,
    client: DocumentServiceClient<Channel>,
    mint: TokenMint,
    _dir: tempfile::TempDir,
}

impl App {
    fn token(&self, subject: &str, role: Role) -> String {
        self.mint.token(subject, &[role])
    }

    async fn stop(self) {
        self.server.stop().await;
        self.db.cleanup().await;
    }

    /// Files left in the staging directory.
    fn staging_files(&self) -> Vec<String> {
        let dir = self.blobs.local_staging_dir().expect("filesystem store");
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (polling, with a deadline) until no staging file is left; fails naming the
    /// files still there.
    async fn staging_drains(&self) {
        eventually(
            &format!("{}: the staging directory to drain", self.label),
            Duration::from_secs(10),
            async || {
                let left = self.staging_files();
                if left.is_empty() { Ok(()) } else { Err(left) }
            },
        )
        .await;
    }

    async fn objects(&self) -> Vec<(String, u64)> {
        self.blobs.list_objects().await.expect("listing")
    }
}

/// The service on every available backend, configured by `tune`.
async fn apps(tag: &str, tune: impl Fn(&mut estelam_runtime::config::Settings)) -> Vec<App> {
    let mut out = Vec::new();
    for db in testing::databases(tag, &migrations())
        .await
        .expect("databases")
    {
        let mint = TokenMint::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ctx = testing::context(db.db.clone(), &mint);
        let mut settings = (*ctx.settings).clone();
        settings.documents.storage.root = Some(dir.path().join("documents"));
        tune(&mut settings);
        ctx.settings = std::sync::Arc::new(settings);
        let docs = Documents::open(&ctx).await.expect("open");
        let blobs = docs.blobs().clone();
        let gauge = blobs.gauge();
        let server = testing::spawn_grpc(docs.into_server(&ctx)).await;
        let client =
            DocumentServiceClient::new(server.channel()).max_decoding_message_size(4 * MIB);
        out.push(App {
            label: db.label,
            db,
            server,
            blobs,
            gauge,
            client,
            mint,
            _dir: dir,
        });
    }
    out
}

fn user() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn meta(kind: pb::DocumentKind, filename: &str, content_type: &str) -> pb::UploadMetadata {
    pb::UploadMetadata {
        kind: kind as i32,
        original_filename: filename.into(),
        declared_content_type: content_type.into(),
        ..Default::default()
    }
}

fn messages(
    meta: pb::UploadMetadata,
    data: Vec<u8>,
) -> impl futures::Stream<Item = pb::UploadDocumentRequest> + Send + 'static {
    let data = Bytes::from(data);
    let chunks: Vec<Bytes> = (0..data.len())
        .step_by(CHUNK)
        .map(|i| data.slice(i..(i + CHUNK).min(data.len())))
        .collect();
    let first = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Metadata(meta)),
    };
    futures::stream::once(async move { first }).chain(futures::stream::iter(
        chunks.into_iter().map(|c| pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Chunk(c)),
        }),
    ))
}

async fn upload(
    app: &App,
    token: &str,
    meta: pb::UploadMetadata,
    data: Vec<u8>,
) -> Result<pb::Document, tonic::Status> {
    let mut client = app.client.clone();
    let response = client
        .upload_document(with_token(messages(meta, data), token))
        .await?;
    Ok(response.into_inner().document.expect("a document"))
}

/// Downloads a document: its metadata and content, or the status the stream ended with
/// (with how many content bytes had arrived by then).
async fn download(
    app: &App,
    token: &str,
    id: &str,
) -> Result<(pb::Document, Vec<u8>), (tonic::Status, usize)> {
    let mut client = app.client.clone();
    let request = pb::DownloadDocumentRequest {
        document_id: id.into(),
    };
    let mut stream = client
        .download_document(with_token(request, token))
        .await
        .map_err(|s| (s, 0))?
        .into_inner();
    let mut meta = None;
    let mut content = Vec::new();
    while let Some(message) = stream.message().await.map_err(|s| (s, content.len()))? {
        match message.payload {
            Some(pb::download_document_response::Payload::Metadata(m)) => meta = Some(m),
            Some(pb::download_document_response::Payload::Chunk(c)) => {
                content.extend_from_slice(&c)
            }
            None => {}
        }
    }
    Ok((meta.expect("metadata first"), content))
}

async fn info(app: &App, token: &str, id: &str) -> Result<pb::Document, tonic::Status> {
    let mut client = app.client.clone();
    let request = pb::GetDocumentInfoRequest {
        document_id: id.into(),
    };
    Ok(client
        .get_document_info(with_token(request, token))
        .await?
        .into_inner()
        .document
        .expect("document"))
}

async fn list(app: &App, token: &str, owner: &str) -> Result<Vec<pb::Document>, tonic::Status> {
    let mut client = app.client.clone();
    let request = pb::ListDocumentsRequest {
        owner_account_id: owner.into(),
        ..Default::default()
    };
    Ok(client
        .list_documents(with_token(request, token))
        .await?
        .into_inner()
        .documents)
}

fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

#[tokio::test]
async fn every_accepted_type_goes_in_and_comes_back_intact() {
    for app in apps("docs_roundtrip", |_| {}).await {
        let owner = user();
        let token = app.token(&owner, Role::Citizen);
        let cases = [
            (
                fixtures::pdf("", 200_000),
                "../../etc/سند مالکیت.pdf",
                "application/pdf",
                pb::DocumentKind::OwnershipDeed,
            ),
            (
                fixtures::png(640, 400),
                "C:\\scans\\card.PNG",
                "image/png",
                pb::DocumentKind::NationalIdCard,
            ),
            (
                fixtures::jpeg(1200, 800, 20_000),
                "کارت\u{202E}ملی.jpeg",
                "image/jpeg",
                pb::DocumentKind::NationalIdCard,
            ),
            (
                fixtures::webp(300, 200),
                "letter.webp",
                "",
                pb::DocumentKind::AuthorityLetter,
            ),
        ];
        for (data, name, declared, kind) in cases {
            let doc = upload(&app, &token, meta(kind, name, declared), data.clone())
                .await
                .unwrap_or_else(|s| panic!("{}: {name}: {s:?}", app.label));
            assert_eq!(doc.owner_account_id, owner);
            assert_eq!(doc.uploaded_by_account_id, owner);
            // Images are stored without their metadata (the JPEG fixture's APP1 goes).
            let kept = match FileType::from_extension(name.rsplit('.').next().unwrap_or("")) {
                Some(file_type) => strip_metadata(file_type, &data).expect("strips"),
                None => data.clone(),
            };
            let data = kept;
            assert_eq!(doc.size_bytes as usize, data.len());
            assert_eq!(doc.sha256, sha256_hex(&data));
            assert_eq!(doc.kind, kind as i32);
            assert!(
                !doc.original_filename.contains(['/', '\\', '\u{202E}']),
                "{}",
                doc.original_filename
            );
            let (meta, content) = download(&app, &token, &doc.document_id)
                .await
                .expect("download");
            assert_eq!(meta, doc);
            assert!(content == data, "{}: content of {name} differs", app.label);
            assert_eq!(
                info(&app, &token, &doc.document_id).await.expect("info"),
                doc
            );
        }
        let docs = list(&app, &token, "").await.expect("list");
        assert_eq!(docs.len(), 4);
        assert_eq!(docs[0].content_type, "image/webp", "newest first");
        assert_eq!((docs[0].width_px, docs[0].height_px), (300, 200));
        assert_eq!(docs[3].original_filename, "سند مالکیت.pdf");
        assert_eq!(docs[3].page_count, 1);
        assert_eq!(docs[1].original_filename, "کارتملی.jpeg");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_pdf_renamed_jpg_and_a_mislabelled_type_are_refused() {
    for app in apps("docs_mismatch", |_| {}).await {
        let token = app.token(&user(), Role::Citizen);
        let pdf = fixtures::pdf("", 1000);
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::NationalIdCard, "card.jpg", "image/jpeg"),
            pdf.clone(),
        )
        .await
        .expect_err("a PDF named .jpg");
        assert_eq!(status.code(), Code::InvalidArgument, "{}", app.label);
        assert!(
            ["EXTENSION_MISMATCH", "CONTENT_TYPE_MISMATCH"].contains(&reason(&status).as_str())
        );
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::NationalIdCard, "card.jpg", ""),
            pdf.clone(),
        )
        .await
        .expect_err("a PDF named .jpg, no declared type");
        assert_eq!(reason(&status), "EXTENSION_MISMATCH");
        let err = ServiceError::from_status(&status);
        assert!(
            err.message_fa.contains("PDF") && err.message_en.contains("PDF"),
            "{err:?}"
        );
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::Other, "deed.pdf", "image/png"),
            pdf.clone(),
        )
        .await
        .expect_err("declared as PNG");
        assert_eq!(reason(&status), "CONTENT_TYPE_MISMATCH");
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::Other, "deed.exe", ""),
            pdf,
        )
        .await
        .expect_err("an extension that is not allowed");
        assert_eq!(reason(&status), "FILENAME_EXTENSION_NOT_ALLOWED");
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::Other, "x.png", ""),
            b"GIF89a and then some bytes".to_vec(),
        )
        .await
        .expect_err("a GIF");
        assert_eq!(reason(&status), "FILE_TYPE_NOT_ALLOWED");
        assert!(app.objects().await.is_empty());
        app.staging_drains().await;
        app.stop().await;
    }
}

#[tokio::test]
async fn a_pixel_flood_and_unsafe_pdfs_are_refused() {
    for app in apps("docs_unsafe", |_| {}).await {
        let token = app.token(&user(), Role::Citizen);
        let status = upload(
            &app,
            &token,
            meta(pb::DocumentKind::NationalIdCard, "card.png", "image/png"),
            fixtures::png(100_000, 100_000),
        )
        .await
        .expect_err("pixel flood");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason(&status), "IMAGE_DIMENSIONS_TOO_LARGE");
        for (extra, expected) in [
            (
                "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
                "PDF_JAVASCRIPT",
            ),
            (
                "/OpenAction << /S /J#61vaScript /J#53 (x) >>",
                "PDF_JAVASCRIPT",
            ),
            (
                "/OpenAction << /S /Launch /F (cmd.exe) >>",
                "PDF_LAUNCH_ACTION",
            ),
            ("/Encrypt 7 0 R", "PDF_ENCRYPTED"),
        ] {
            let status = upload(
                &app,
                &token,
                meta(
                    pb::DocumentKind::OwnershipDeed,
                    "deed.pdf",
                    "application/pdf",
                ),
                fixtures::pdf(extra, 150_000),
            )
            .await
            .expect_err("unsafe PDF");
            assert_eq!(reason(&status), expected, "{}: {extra}", app.label);
        }
        assert!(app.objects().await.is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn an_oversized_upload_is_refused_while_streaming_without_buffering_it() {
    for app in apps("docs_oversize", |_| {}).await {
        let token = app.token(&user(), Role::Citizen);
        let big = fixtures::pdf("", 11 * MIB);
        app.gauge.reset_peak();
        let status = upload(
            &app,
            &token,
            meta(
                pb::DocumentKind::OwnershipDeed,
                "deed.pdf",
                "application/pdf",
            ),
            big,
        )
        .await
        .expect_err("11 MiB is over the 10 MiB limit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{}", app.label);
        assert_eq!(reason(&status), "DOCUMENT_TOO_LARGE");
        // The server held at most a few parts of the upload at any time: never the file.
        let peak = app.gauge.peak();
        assert!(peak > 0, "the gauge measured the upload");
        assert!(
            peak <= 2 * MIB as u64,
            "{}: peak buffered {peak} bytes",
            app.label
        );
        // And a size declared up front is refused before any content.
        let mut m = meta(
            pb::DocumentKind::OwnershipDeed,
            "deed.pdf",
            "application/pdf",
        );
        m.declared_size_bytes = 11 * MIB as i64;
        let status = upload(&app, &token, m, fixtures::pdf("", 10))
            .await
            .expect_err("declared too large");
        assert_eq!(reason(&status), "DOCUMENT_TOO_LARGE");
        assert!(app.objects().await.is_empty());
        app.staging_drains().await;
        assert_eq!(app.gauge.current(), 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_upload_cut_off_midway_leaves_nothing() {
    for app in apps("docs_cutoff", |_| {}).await {
        let owner = user();
        let token = app.token(&owner, Role::Citizen);
        let data = Bytes::from(fixtures::pdf("", 4 * MIB));
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadDocumentRequest>(4);
        let mut client = app.client.clone();
        let request = with_token(ReceiverStream::new(rx), &token);
        let call = tokio::spawn(async move { client.upload_document(request).await });
        let first = meta(
            pb::DocumentKind::OwnershipDeed,
            "deed.pdf",
            "application/pdf",
        );
        tx.send(pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Metadata(first)),
        })
        .await
        .expect("send");
        // Half the file, then wait until the server has demonstrably written some of it.
        for i in (0..data.len() / 2).step_by(CHUNK) {
            let chunk = data.slice(i..i + CHUNK);
            tx.send(pb::UploadDocumentRequest {
                payload: Some(pb::upload_document_request::Payload::Chunk(chunk)),
            })
            .await
            .expect("send");
        }
        eventually(
            &format!("{}: the server to stage part of the upload", app.label),
            Duration::from_secs(10),
            async || !app.staging_files().is_empty(),
        )
        .await;
        // The client goes away mid-upload: the call is dropped, the stream reset.
        call.abort();
        let _ = call.await;
        drop(tx);
        app.staging_drains().await;
        assert!(app.objects().await.is_empty(), "{}", app.label);
        assert!(list(&app, &token, "").await.expect("list").is_empty());
        let mut client = app.client.clone();
        let quota = client
            .get_quota(with_token(pb::GetQuotaRequest::default(), &token))
            .await
            .expect("quota")
            .into_inner();
        assert_eq!((quota.used_count, quota.used_bytes), (0, 0));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_flipped_byte_is_caught_on_read_and_by_the_scrub() {
    for app in apps("docs_bitrot", |_| {}).await {
        let token = app.token(&user(), Role::Citizen);
        let data = fixtures::pdf("", 300_000);
        let doc = upload(
            &app,
            &token,
            meta(
                pb::DocumentKind::OwnershipDeed,
                "deed.pdf",
                "application/pdf",
            ),
            data.clone(),
        )
        .await
        .expect("upload");
        let clean = verify::scrub(&app.db.db, &app.blobs, &verify::Quiet)
            .await
            .expect("scrub");
        assert!(clean.is_clean() && clean.objects_checked == 1, "{clean:?}");
        let path = app.blobs.local_path(&doc.sha256).expect("filesystem");
        let mut bytes = std::fs::read(&path).expect("object on disk");
        bytes[150_000] ^= 0x01;
        std::fs::write(&path, &bytes).expect("flip a byte");

        let (status, received) = download(&app, &token, &doc.document_id)
            .await
            .expect_err("damage is caught");
        assert_eq!(status.code(), Code::DataLoss, "{}: {status:?}", app.label);
        assert_eq!(reason(&status), "DOCUMENT_DAMAGED");
        assert!(
            received < data.len(),
            "the damaged file was not delivered whole"
        );

        let report = verify::scrub(&app.db.db, &app.blobs, &verify::Quiet)
            .await
            .expect("scrub");
        assert!(!report.is_clean());
        assert_eq!(report.damaged.len(), 1);
        assert_eq!(report.damaged[0].sha256, doc.sha256);
        assert_eq!(report.damaged[0].documents, vec![doc.document_id.clone()]);

        // Uploading the same bytes again repairs the object (they were hashed on arrival).
        upload(
            &app,
            &token,
            meta(
                pb::DocumentKind::OwnershipDeed,
                "deed.pdf",
                "application/pdf",
            ),
            data.clone(),
        )
        .await
        .expect("upload");
        let (_, content) = download(&app, &token, &doc.document_id)
            .await
            .expect("repaired");
        assert!(content == data);
        app.stop().await;
    }
}

#[tokio::test]
async fn another_user_cannot_read_or_learn_of_a_document() {
    for app in apps("docs_access", |_| {}).await {
        let (a, b) = (user(), user());
        let token_a = app.token(&a, Role::Citizen);
        let token_b = app.token(&b, Role::Citizen);
        let doc = upload(
            &app,
            &token_a,
            meta(pb::DocumentKind::NationalIdCard, "card.png", "image/png"),
            fixtures::png(10, 10),
        )
        .await
        .expect("upload");
        let random = uuid::Uuid::now_v7().to_string();

        let theirs = info(&app, &token_b, &doc.document_id)
            .await
            .expect_err("not B's");
        let nothing = info(&app, &token_b, &random)
            .await
            .expect_err("does not exist");
        let garbage = info(&app, &token_b, "../../etc/passwd")
            .await
            .expect_err("not an id");
        for status in [&theirs, &nothing, &garbage] {
            assert_eq!(status.code(), Code::NotFound, "{}", app.label);
            assert_eq!(status.message(), nothing.message());
            assert_eq!(
                status.details(),
                nothing.details(),
                "the answers are indistinguishable"
            );
        }
        let (theirs, _) = download(&app, &token_b, &doc.document_id)
            .await
            .expect_err("not B's");
        let (nothing, _) = download(&app, &token_b, &random)
            .await
            .expect_err("does not exist");
        assert_eq!(
            (theirs.code(), theirs.details()),
            (Code::NotFound, nothing.details())
        );
        assert!(list(&app, &token_b, "").await.expect("own list").is_empty());
        assert_eq!(
            list(&app, &token_b, &a)
                .await
                .expect_err("someone else's list")
                .code(),
            Code::PermissionDenied
        );
        let authority = app.token(&user(), Role::Authority);
        assert_eq!(
            info(&app, &authority, &doc.document_id)
                .await
                .expect_err("authority")
                .code(),
            Code::NotFound
        );

        // The owner, clerks and the inquiry service may read it.
        for reader in [
            token_a.clone(),
            app.token(&user(), Role::Clerk),
            app.token(&user(), Role::Service),
        ] {
            let seen = info(&app, &reader, &doc.document_id)
                .await
                .expect("may read");
            assert_eq!(
                (seen.owner_account_id.as_str(), seen.kind),
                (a.as_str(), pb::DocumentKind::NationalIdCard as i32)
            );
            download(&app, &reader, &doc.document_id)
                .await
                .expect("may download");
        }
        // No token at all: log in first.
        let mut client = app.client.clone();
        let anonymous = client
            .get_document_info(pb::GetDocumentInfoRequest {
                document_id: doc.document_id.clone(),
            })
            .await
            .expect_err("anonymous");
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_same_file_twice_is_stored_once() {
    for app in apps("docs_dedupe", |_| {}).await {
        let (a, b) = (user(), user());
        let data = fixtures::jpeg(800, 600, 50_000);
        let first = upload(
            &app,
            &app.token(&a, Role::Citizen),
            meta(pb::DocumentKind::NationalIdCard, "a.jpg", "image/jpeg"),
            data.clone(),
        )
        .await
        .expect("first");
        let second = upload(
            &app,
            &app.token(&a, Role::Citizen),
            meta(pb::DocumentKind::Other, "again.jpg", "image/jpeg"),
            data.clone(),
        )
        .await
        .expect("second");
        let third = upload(
            &app,
            &app.token(&b, Role::Citizen),
            meta(pb::DocumentKind::Other, "b.jpg", "image/jpg"),
            data.clone(),
        )
        .await
        .expect("third");
        assert_ne!(first.document_id, second.document_id);
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(
            app.objects().await,
            vec![(first.sha256.clone(), first.size_bytes as u64)],
            "{}",
            app.label
        );
        assert_eq!(
            estelam_documents::store::count_by_hash(&app.db.db, &first.sha256)
                .await
                .expect("count"),
            3
        );
        // Each owner still sees only their own.
        assert_eq!(
            list(&app, &app.token(&b, Role::Citizen), "")
                .await
                .expect("list")
                .len(),
            1
        );
        let (_, content) = download(&app, &app.token(&b, Role::Citizen), &third.document_id)
            .await
            .expect("download");
        // What is kept: the photo without its metadata segment.
        assert!(content == strip_metadata(FileType::Jpeg, &data).expect("strips"));
        app.stop().await;
    }
}

#[tokio::test]
async fn quotas_on_behalf_uploads_idempotency_and_checksums() {
    let tune = |s: &mut estelam_runtime::config::Settings| {
        s.documents.quota_max_count = 2;
        s.documents.quota_max_bytes = 10 * MIB as u64;
    };
    for app in apps("docs_rules", tune).await {
        let owner = user();
        let citizen = app.token(&owner, Role::Citizen);
        let clerk_id = user();
        let clerk = app.token(&clerk_id, Role::Clerk);

        // A citizen may not upload for someone else; a clerk may.
        let mut on_behalf = meta(
            pb::DocumentKind::OwnershipDeed,
            "deed.pdf",
            "application/pdf",
        );
        on_behalf.owner_account_id = owner.clone();
        let status = upload(
            &app,
            &app.token(&user(), Role::Citizen),
            on_behalf.clone(),
            fixtures::pdf("", 10),
        )
        .await
        .expect_err("citizen");
        assert_eq!(status.code(), Code::PermissionDenied);
        on_behalf.client_request_id = "retry-1".into();
        let doc = upload(&app, &clerk, on_behalf.clone(), fixtures::pdf("", 10))
            .await
            .expect("clerk for owner");
        assert_eq!(
            (
                doc.owner_account_id.as_str(),
                doc.uploaded_by_account_id.as_str()
            ),
            (owner.as_str(), clerk_id.as_str())
        );
        info(&app, &citizen, &doc.document_id)
            .await
            .expect("the owner reads what the clerk uploaded");

        // A retry with the same key returns the first document and takes no quota.
        let again = upload(&app, &clerk, on_behalf, fixtures::pdf("", 10))
            .await
            .expect("retry");
        assert_eq!(again.document_id, doc.document_id);

        // A checksum that does not match the bytes is data loss in transit.
        let mut m = meta(pb::DocumentKind::Other, "x.png", "image/png");
        m.expected_sha256 = "0".repeat(64);
        let status = upload(&app, &citizen, m, fixtures::png(5, 5))
            .await
            .expect_err("checksum");
        assert_eq!(status.code(), Code::DataLoss);
        let mut m = meta(pb::DocumentKind::Other, "x.png", "image/png");
        m.expected_sha256 = sha256_hex(&fixtures::png(5, 5)).to_uppercase();
        upload(&app, &citizen, m, fixtures::png(5, 5))
            .await
            .expect("checksum matches");

        // The quota (two documents) is now used up.
        let status = upload(
            &app,
            &citizen,
            meta(pb::DocumentKind::Other, "y.webp", "image/webp"),
            fixtures::webp(9, 9),
        )
        .await
        .expect_err("quota");
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(reason(&status), "DOCUMENT_QUOTA_COUNT");
        assert!(ServiceError::from_status(&status).message_fa.contains('2'));
        let mut client = app.client.clone();
        let quota = client
            .get_quota(with_token(pb::GetQuotaRequest::default(), &citizen))
            .await
            .expect("quota")
            .into_inner();
        assert_eq!(
            (quota.used_count, quota.max_count, quota.max_document_bytes),
            (2, 2, 10 * MIB as i64)
        );
        let request = pb::GetQuotaRequest {
            owner_account_id: owner.clone(),
        };
        assert_eq!(
            client
                .get_quota(with_token(request, &clerk))
                .await
                .expect("clerk")
                .into_inner()
                .used_count,
            2
        );
        assert_eq!(app.objects().await.len(), 2);
        app.stop().await;
    }
}

#[tokio::test]
async fn lists_page_newest_first() {
    for app in apps("docs_paging", |_| {}).await {
        let owner = user();
        let token = app.token(&owner, Role::Citizen);
        let mut ids = Vec::new();
        for n in 1..=5u32 {
            ids.push(
                upload(
                    &app,
                    &token,
                    meta(pb::DocumentKind::Other, "p.png", "image/png"),
                    fixtures::png(n, n),
                )
                .await
                .expect("upload")
                .document_id,
            );
        }
        ids.reverse();
        let mut client = app.client.clone();
        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListDocumentsRequest {
                page_size: 2,
                page_token: page_token.clone(),
                ..Default::default()
            };
            let page = client
                .list_documents(with_token(request, &token))
                .await
                .expect("page")
                .into_inner();
            seen.extend(page.documents.into_iter().map(|d| d.document_id));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(seen, ids, "{}", app.label);
        let request = pb::ListDocumentsRequest {
            page_token: "garbage".into(),
            ..Default::default()
        };
        assert_eq!(
            client
                .list_documents(with_token(request, &token))
                .await
                .expect_err("bad token")
                .code(),
            Code::InvalidArgument
        );
        app.stop().await;
    }
}
