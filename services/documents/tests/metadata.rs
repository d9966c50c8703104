//! Issue 16, point 7, over real gRPC on every database backend: a phone's photo keeps its
//! GPS position in its EXIF block, and the store handed it back to everyone who may read
//! the document. JPEG, PNG and WebP are now stored without EXIF, XMP, IPTC or text chunks;
//! the pixel data comes back byte for byte, and the stored hash is of what is kept.

use std::sync::Arc;

use estelam_documents::inspect::fixtures;
use estelam_documents::{Documents, migrations};
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::{self, TokenMint, with_token};
use futures::StreamExt as _;
use sha2::Digest as _;

/// A GPS position as a phone's EXIF block carries it.
const GPS: &[u8] = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 32.861200N GPSLongitude 51.552100E";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes that carry the pixels: a JPEG from its first scan on, a PNG's IDAT chunks, a
/// WebP's VP8L chunk.
fn pixels(name: &str, data: &[u8]) -> Vec<u8> {
    if name.ends_with(".jpg") {
        let sos = data
            .windows(2)
            .position(|w| w == [0xFF, 0xDA])
            .expect("a scan");
        return data[sos..].to_vec();
    }
    let tag: &[u8] = if name.ends_with(".png") {
        b"IDAT"
    } else {
        b"VP8L"
    };
    let at = data.windows(4).position(|w| w == tag).expect("image data");
    data[at..].iter().take(64).copied().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_stored_without_exif_gps_xmp_or_iptc_and_with_the_same_pixels() {
    for db in testing::databases("docs_metadata", &migrations())
        .await
        .expect("databases")
    {
        let label = db.label;
        let mint = TokenMint::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ctx = testing::context(db.db.clone(), &mint);
        let mut settings = (*ctx.settings).clone();
        settings.documents.storage.root = Some(dir.path().join("documents"));
        ctx.settings = Arc::new(settings);
        let docs = Documents::open(&ctx).await.expect("open");
        let server = testing::spawn_grpc(docs.into_server(&ctx)).await;
        let client = DocumentServiceClient::new(server.channel());
        let token = mint.token(&uuid::Uuid::now_v7().to_string(), &[Role::Citizen]);

        for (name, data) in [
            ("card.jpg", fixtures::jpeg_with_metadata(640, 400, GPS)),
            ("card.png", fixtures::png_with_metadata(64, 40, GPS)),
            ("card.webp", fixtures::webp_with_metadata(64, 40, GPS)),
        ] {
            assert!(
                contains(&data, b"GPSLatitude"),
                "the fixture has a position"
            );
            let messages = vec![
                pb::UploadDocumentRequest {
                    payload: Some(pb::upload_document_request::Payload::Metadata(
                        pb::UploadMetadata {
                            kind: pb::DocumentKind::NationalIdCard as i32,
                            original_filename: name.into(),
                            ..Default::default()
                        },
                    )),
                },
                pb::UploadDocumentRequest {
                    payload: Some(pb::upload_document_request::Payload::Chunk(
                        data.clone().into(),
                    )),
                },
            ];
            let doc = client
                .clone()
                .upload_document(with_token(tokio_stream::iter(messages), &token))
                .await
                .unwrap_or_else(|e| panic!("{label}: {name} uploads: {e:?}"))
                .into_inner()
                .document
                .expect("document");
            let mut stream = client
                .clone()
                .download_document(with_token(
                    pb::DownloadDocumentRequest {
                        document_id: doc.document_id.clone(),
                    },
                    &token,
                ))
                .await
                .expect("download")
                .into_inner();
            let mut back = Vec::new();
            while let Some(message) = stream.next().await {
                if let Some(pb::download_document_response::Payload::Chunk(c)) =
                    message.expect("a chunk").payload
                {
                    back.extend_from_slice(&c);
                }
            }
            for gone in [&b"GPSLatitude"[..], b"Exif", b"xmpmeta", b"Owner"] {
                assert!(
                    !contains(&back, gone),
                    "{label}: {name} came back with {:?}",
                    String::from_utf8_lossy(gone)
                );
            }
            assert_eq!(pixels(name, &back), pixels(name, &data), "{label}: {name}");
            assert!(back.len() < data.len(), "{label}: {name}");
            assert_eq!(doc.size_bytes as usize, back.len(), "{label}: {name}");
            assert_eq!(
                doc.sha256,
                hex::encode(sha2::Sha256::digest(&back)),
                "{label}: {name}: the hash is of what is kept"
            );
            assert!(doc.width_px > 0, "{label}: {name} still reads as an image");
        }
        server.stop().await;
        db.cleanup().await;
    }
}
