//! `estelam documents verify` as an operator runs it: on the configured store, after the
//! service has written to it.

use std::sync::Arc;

use estelam_documents::inspect::fixtures;
use estelam_documents::{Documents, SERVICE, migrations, verify_command};
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::config::Settings;
use estelam_runtime::host::open_store;
use estelam_runtime::testing::{self, TokenMint, with_token};

#[tokio::test]
async fn verify_passes_a_sound_store_and_fails_a_damaged_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    let mint = TokenMint::new();
    let db = open_store(&settings, SERVICE, &migrations())
        .await
        .expect("store");
    let mut ctx = testing::context(db.clone(), &mint);
    ctx.settings = Arc::new(settings.clone());
    let docs = Documents::open(&ctx).await.expect("open");
    let blobs = docs.blobs().clone();
    let server = testing::spawn_grpc(docs.into_server(&ctx)).await;
    let mut client = DocumentServiceClient::new(server.channel());
    let token = mint.token(&uuid::Uuid::now_v7().to_string(), &[Role::Citizen]);
    let data = fixtures::png(64, 64);
    let messages = vec![
        pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Metadata(
                pb::UploadMetadata {
                    kind: pb::DocumentKind::NationalIdCard as i32,
                    original_filename: "card.png".into(),
                    ..Default::default()
                },
            )),
        },
        pb::UploadDocumentRequest {
            payload: Some(pb::upload_document_request::Payload::Chunk(data.into())),
        },
    ];
    let doc = client
        .upload_document(with_token(tokio_stream::iter(messages), &token))
        .await
        .expect("upload")
        .into_inner()
        .document
        .expect("document");
    server.stop().await;
    db.close().await;

    assert!(
        verify_command(&settings).await.expect("verify runs"),
        "a sound store passes"
    );
    let path = blobs.local_path(&doc.sha256).expect("filesystem");
    assert!(
        path.starts_with(dir.path().join("documents")),
        "content lives under <data_dir>/documents"
    );
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&path, bytes).expect("write");
    assert!(
        !verify_command(&settings).await.expect("verify runs"),
        "a damaged store fails"
    );
}
