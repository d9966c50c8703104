//! Document downloads by staff are in the audit, over real gRPC on every backend: a clerk's
//! download of a citizen's ID card appears in `ListAuditRecords` (who, which document,
//! whose, when), the owner's own download does not, a citizen may not read the audit, and
//! the filters narrow it by who and by which document.

use estelam_documents::inspect::fixtures;
use estelam_documents::{Documents, migrations};
use estelam_proto::common::v1 as cpb;
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::{self, TokenMint, with_token};
use futures::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

fn user() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn upload(client: &DocumentServiceClient<Channel>, token: &str) -> pb::Document {
    let first = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Metadata(
            pb::UploadMetadata {
                kind: pb::DocumentKind::NationalIdCard as i32,
                original_filename: "card.png".into(),
                declared_content_type: "image/png".into(),
                ..Default::default()
            },
        )),
    };
    let chunk = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Chunk(
            fixtures::png(64, 40).into(),
        )),
    };
    let messages = futures::stream::iter([first, chunk]);
    client
        .clone()
        .upload_document(with_token(messages, token))
        .await
        .expect("uploads")
        .into_inner()
        .document
        .expect("a document")
}

async fn download(client: &DocumentServiceClient<Channel>, token: &str, id: &str) {
    let request = pb::DownloadDocumentRequest {
        document_id: id.into(),
    };
    let mut stream = client
        .clone()
        .download_document(with_token(request, token))
        .await
        .expect("download starts")
        .into_inner();
    while let Some(message) = stream.next().await {
        message.expect("download completes");
    }
}

async fn audit(
    client: &DocumentServiceClient<Channel>,
    token: &str,
    filter: cpb::AuditFilter,
) -> Result<Vec<cpb::AuditRecord>, tonic::Status> {
    let request = pb::ListAuditRecordsRequest {
        filter: Some(filter),
        ..Default::default()
    };
    Ok(client
        .clone()
        .list_audit_records(with_token(request, token))
        .await?
        .into_inner()
        .records)
}

#[tokio::test]
async fn a_staff_download_appears_in_the_audit_and_the_owners_own_does_not() {
    for db in testing::databases("docs_access_audit", &migrations())
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
        let docs = Documents::open(&ctx).await.expect("open");
        let server = testing::spawn_grpc(docs.into_server(&ctx)).await;
        let client = DocumentServiceClient::new(server.channel());

        let (owner, clerk, admin) = (user(), user(), user());
        let owner_token = mint.token(&owner, &[Role::Citizen]);
        let clerk_token = mint.token(&clerk, &[Role::Clerk]);
        let admin_token = mint.token(&admin, &[Role::Admin]);
        let card = upload(&client, &owner_token).await;
        let other = upload(&client, &owner_token).await;

        download(&client, &owner_token, &card.document_id).await;
        assert!(
            audit(&client, &clerk_token, cpb::AuditFilter::default())
                .await
                .expect("a clerk reads the audit")
                .is_empty(),
            "{label}: the owner's own download is not an access to audit"
        );

        download(&client, &clerk_token, &card.document_id).await;
        download(&client, &admin_token, &other.document_id).await;
        let all = audit(&client, &admin_token, cpb::AuditFilter::default())
            .await
            .expect("an admin reads the audit");
        assert_eq!(all.len(), 2, "{label}: {all:?}");
        assert_eq!(all[0].actor_account_id, admin, "{label}: newest first");
        let by_clerk = audit(
            &client,
            &admin_token,
            cpb::AuditFilter {
                actor_account_id: clerk.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("filtered by who");
        assert_eq!(by_clerk.len(), 1, "{label}: {by_clerk:?}");
        let entry = &by_clerk[0];
        assert_eq!(entry.action, "document.downloaded");
        assert_eq!(entry.subject, card.document_id, "{label}: which document");
        assert_eq!(
            entry.actor_display_name, "clerk",
            "{label}: under which role"
        );
        assert!(
            entry.detail.contains(&owner),
            "{label}: whose: {}",
            entry.detail
        );
        assert!(entry.detail.contains("national-id-card"), "{label}");
        assert!(entry.at.is_some(), "{label}: when");
        let of_other = audit(
            &client,
            &clerk_token,
            cpb::AuditFilter {
                subject: other.document_id.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("filtered by document");
        assert_eq!(of_other.len(), 1, "{label}");
        assert_eq!(of_other[0].actor_account_id, admin, "{label}");

        let refused = audit(&client, &owner_token, cpb::AuditFilter::default())
            .await
            .expect_err("a citizen may not read the audit");
        assert_eq!(refused.code(), Code::PermissionDenied, "{label}");

        server.stop().await;
        db.cleanup().await;
    }
}
