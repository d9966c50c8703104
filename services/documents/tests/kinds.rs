//! Document kinds as data over real gRPC, on every database backend: the five seeded kinds,
//! a kind an admin adds (and the audit it leaves), uploads held to that kind's media types
//! and size limit, and who may change kinds.

use bytes::Bytes;
use estelam_documents::inspect::fixtures;
use estelam_documents::{Documents, migrations, store};
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing::{self, TokenMint, with_token};
use futures::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

fn upload_messages(
    meta: pb::UploadMetadata,
    data: Vec<u8>,
) -> impl futures::Stream<Item = pb::UploadDocumentRequest> + Send + 'static {
    let first = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Metadata(meta)),
    };
    let chunks: Vec<Bytes> = data.chunks(64 * 1024).map(Bytes::copy_from_slice).collect();
    futures::stream::once(async move { first }).chain(futures::stream::iter(
        chunks.into_iter().map(|c| pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Chunk(c)),
        }),
    ))
}

async fn upload(
    client: &DocumentServiceClient<Channel>,
    token: &str,
    meta: pb::UploadMetadata,
    data: Vec<u8>,
) -> Result<pb::Document, tonic::Status> {
    let mut client = client.clone();
    Ok(client
        .upload_document(with_token(upload_messages(meta, data), token))
        .await?
        .into_inner()
        .document
        .expect("a document"))
}

fn by_code(code: &str, filename: &str) -> pb::UploadMetadata {
    pb::UploadMetadata {
        kind_code: code.into(),
        original_filename: filename.into(),
        ..Default::default()
    }
}

fn site_plan(max_size_bytes: i64, active: bool) -> pb::DocumentKindInfo {
    pb::DocumentKindInfo {
        code: "site-plan".into(),
        name: Some(LocalizedText {
            fa: "نقشهٔ تفکيکي".into(),
            en: "site plan".into(),
        }),
        accepted_content_types: vec!["application/pdf".into()],
        max_size_bytes,
        active,
        ..Default::default()
    }
}

async fn put(
    client: &DocumentServiceClient<Channel>,
    token: &str,
    kind: pb::DocumentKindInfo,
    expected_version: i64,
) -> Result<pb::DocumentKindInfo, tonic::Status> {
    let mut client = client.clone();
    let request = pb::PutDocumentKindRequest {
        kind: Some(kind),
        expected_version,
        reason: "issue 20".into(),
    };
    Ok(client
        .put_document_kind(with_token(request, token))
        .await?
        .into_inner()
        .kind
        .expect("a kind"))
}

async fn kinds(
    client: &DocumentServiceClient<Channel>,
    token: &str,
    include_inactive: bool,
) -> Vec<pb::DocumentKindInfo> {
    let mut client = client.clone();
    client
        .list_document_kinds(with_token(
            pb::ListDocumentKindsRequest { include_inactive },
            token,
        ))
        .await
        .expect("kinds listed")
        .into_inner()
        .kinds
}

#[tokio::test]
async fn kinds_are_data_that_admins_add_and_uploads_obey_on_every_backend() {
    for db in testing::databases("documents_kinds", &migrations())
        .await
        .expect("databases")
    {
        let label = db.label;
        let mint = TokenMint::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ctx = testing::context(db.db.clone(), &mint);
        let mut settings = (*ctx.settings).clone();
        settings.documents.storage.root = Some(dir.path().join("documents"));
        ctx.settings = std::sync::Arc::new(settings);
        let server =
            testing::spawn_grpc(Documents::open(&ctx).await.expect("open").into_server(&ctx)).await;
        let client = DocumentServiceClient::new(server.channel());
        let citizen_id = uuid::Uuid::now_v7().to_string();
        let citizen = mint.token(&citizen_id, &[Role::Citizen]);
        let admin = mint.token(&uuid::Uuid::now_v7().to_string(), &[Role::Admin]);
        let clerk = mint.token(&uuid::Uuid::now_v7().to_string(), &[Role::Clerk]);

        // The five kinds the contract's enum names are there, with stable codes and names.
        let seeded = kinds(&client, &citizen, false).await;
        let codes: Vec<&str> = seeded.iter().map(|k| k.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "authority-letter",
                "national-id-card",
                "other",
                "ownership-deed",
                "power-of-attorney"
            ],
            "{label}"
        );
        let card = &seeded[1];
        assert_eq!(
            card.kind,
            pb::DocumentKind::NationalIdCard as i32,
            "{label}"
        );
        assert_eq!(card.name.as_ref().expect("name").fa, "کارت ملی", "{label}");
        assert_eq!(card.accepted_content_types.len(), 4, "{label}");

        // An existing caller that names the enum keeps working, and learns the code.
        let by_enum = upload(
            &client,
            &citizen,
            pb::UploadMetadata {
                kind: pb::DocumentKind::NationalIdCard as i32,
                original_filename: "card.png".into(),
                ..Default::default()
            },
            fixtures::png(40, 30),
        )
        .await
        .expect("an enum upload");
        assert_eq!(by_enum.kind_code, "national-id-card", "{label}");

        // A kind nobody added is refused by name, and so is an enum that disagrees.
        let unknown = upload(
            &client,
            &citizen,
            by_code("site-plan", "p.pdf"),
            fixtures::pdf("", 0),
        )
        .await
        .expect_err("no such kind yet");
        assert_eq!(reason(&unknown), "DOCUMENT_KIND_UNKNOWN", "{label}");
        assert!(
            unknown.message().contains("site-plan"),
            "{label}: {}",
            unknown.message()
        );
        let both = pb::UploadMetadata {
            kind: pb::DocumentKind::OwnershipDeed as i32,
            ..by_code("national-id-card", "p.pdf")
        };
        let mismatch = upload(&client, &citizen, both, fixtures::pdf("", 0))
            .await
            .expect_err("two kinds named");
        assert_eq!(reason(&mismatch), "DOCUMENT_KIND_MISMATCH", "{label}");

        // Neither a citizen nor a clerk may add a kind.
        for token in [&citizen, &clerk] {
            let refused = put(&client, token, site_plan(4096, true), 0)
                .await
                .expect_err("not an admin");
            assert_eq!(refused.code(), Code::PermissionDenied, "{label}");
        }
        // A limit above the service's own is refused, saying the range.
        let too_big = put(&client, &admin, site_plan(i64::MAX, true), 0)
            .await
            .expect_err("over the service's limit");
        assert_eq!(
            reason(&too_big),
            "DOCUMENT_KIND_SIZE_LIMIT_INVALID",
            "{label}"
        );

        // An admin adds one: PDF only, 4 KiB at most; its name is cleaned.
        let added = put(&client, &admin, site_plan(4096, true), 0)
            .await
            .expect("an admin adds a kind");
        assert_eq!(added.version, 1, "{label}");
        assert_eq!(
            added.kind, 0,
            "{label}: a kind added as data has no enum value"
        );
        assert_eq!(
            added.name.as_ref().expect("name").fa,
            "نقشهٔ تفکیکی",
            "{label}"
        );
        // A retry of the same put answers with the stored kind, not a conflict.
        let again = put(&client, &admin, site_plan(4096, true), 0)
            .await
            .expect("a retry");
        assert_eq!(again.version, 1, "{label}");
        assert!(
            kinds(&client, &citizen, false)
                .await
                .iter()
                .any(|k| k.code == "site-plan"),
            "{label}: a citizen sees the new kind"
        );

        // Uploads of it are held to its types and its limit, with the kind and limit named.
        let photo = upload(
            &client,
            &citizen,
            by_code("site-plan", "plan.png"),
            fixtures::png(40, 30),
        )
        .await
        .expect_err("a photo of a PDF-only kind");
        assert_eq!(reason(&photo), "FILE_TYPE_NOT_ACCEPTED_FOR_KIND", "{label}");
        let err = ServiceError::from_status(&photo);
        assert!(
            err.message_en.contains("site plan"),
            "{label}: {}",
            err.message_en
        );
        assert!(
            err.message_en.contains("application/pdf"),
            "{label}: {}",
            err.message_en
        );
        let big = upload(
            &client,
            &citizen,
            by_code("site-plan", "plan.pdf"),
            fixtures::pdf("", 8000),
        )
        .await
        .expect_err("over the kind's limit");
        assert_eq!(big.code(), Code::ResourceExhausted, "{label}");
        assert_eq!(reason(&big), "DOCUMENT_TOO_LARGE", "{label}");
        let err = ServiceError::from_status(&big);
        assert!(
            err.message_en.contains("4096"),
            "{label}: {}",
            err.message_en
        );
        assert!(
            err.message_fa.contains("نقشهٔ تفکیکی"),
            "{label}: {}",
            err.message_fa
        );
        let plan = upload(
            &client,
            &citizen,
            by_code("site-plan", "plan.pdf"),
            fixtures::pdf("", 100),
        )
        .await
        .expect("a small PDF of the new kind");
        assert_eq!(plan.kind_code, "site-plan", "{label}");
        assert_eq!(plan.kind, 0, "{label}");

        // A list filtered by the new kind's code finds that document only.
        let mut c = client.clone();
        let listed = c
            .list_documents(with_token(
                pb::ListDocumentsRequest {
                    kind_code: "site-plan".into(),
                    ..Default::default()
                },
                &citizen,
            ))
            .await
            .expect("listed")
            .into_inner()
            .documents;
        assert_eq!(listed.len(), 1, "{label}");
        assert_eq!(listed[0].document_id, plan.document_id, "{label}");

        // A stale version is a conflict; the right one retires the kind, and new uploads of
        // it are refused while the old document stays.
        let stale = put(&client, &admin, site_plan(4096, false), 0)
            .await
            .expect_err("stale version");
        assert_eq!(reason(&stale), "VERSION_CONFLICT", "{label}");
        let retired = put(&client, &admin, site_plan(4096, false), 1)
            .await
            .expect("retired");
        assert_eq!(retired.version, 2, "{label}");
        assert!(
            !kinds(&client, &citizen, false)
                .await
                .iter()
                .any(|k| k.code == "site-plan"),
            "{label}: an inactive kind is not offered"
        );
        assert!(
            kinds(&client, &admin, true)
                .await
                .iter()
                .any(|k| k.code == "site-plan" && !k.active),
            "{label}: staff still see it"
        );
        let late = upload(
            &client,
            &citizen,
            by_code("site-plan", "plan.pdf"),
            fixtures::pdf("", 100),
        )
        .await
        .expect_err("a retired kind");
        assert_eq!(reason(&late), "DOCUMENT_KIND_UNKNOWN", "{label}");

        // Each published version is in the append-only audit.
        assert_eq!(
            store::kind_audit_count(&db.db, "site-plan")
                .await
                .expect("audit"),
            2,
            "{label}"
        );

        server.stop().await;
        db.cleanup().await;
    }
}
