//! A 20 MiB upload over gRPC (loopback, TLS-less, with a token, inspected, hashed, staged,
//! fsynced, renamed under its SHA-256 and recorded in SQLite) against writing the same bytes
//! straight to a file on the same disk with an fsync.
//!
//! Run: `cargo bench -p estelam-documents --bench upload` (set `BENCH_ITERATIONS` to change
//! the number of measured runs; default 10, after 2 warm-up runs). Prints a Markdown table.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use estelam_documents::inspect::fixtures;
use estelam_documents::{Documents, migrations};
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::{self, TokenMint, with_token};
use futures::StreamExt;

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let data = Bytes::from(fixtures::pdf("", 20 * MIB));
    let size = data.len();

    // The service, on SQLite, with its store in `dir`.
    let dbs = testing::databases("bench_upload", &migrations()).await?;
    let db = dbs
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no database"))?;
    let mint = TokenMint::new();
    let mut ctx = testing::context(db.db.clone(), &mint);
    let mut settings = (*ctx.settings).clone();
    settings.documents.storage.root = Some(dir.path().join("documents"));
    settings.documents.max_document_bytes = 32 * MIB as u64;
    settings.documents.quota_max_bytes = u64::MAX >> 2;
    settings.documents.quota_max_count = 1_000_000;
    settings.grpc.request_timeout_ms = 120_000;
    ctx.settings = Arc::new(settings);
    let server = testing::spawn_grpc(Documents::open(&ctx).await?.into_server(&ctx)).await;
    let client = DocumentServiceClient::new(server.channel());
    let token = mint.token(&uuid::Uuid::now_v7().to_string(), &[Role::Citizen]);

    let upload = || {
        let (mut client, token, data) = (client.clone(), token.clone(), data.clone());
        async move {
            let first = pb::UploadDocumentRequest {
                payload: Some(pb::upload_document_request::Payload::Metadata(
                    pb::UploadMetadata {
                        kind: pb::DocumentKind::OwnershipDeed as i32,
                        original_filename: "deed.pdf".into(),
                        declared_content_type: "application/pdf".into(),
                        ..Default::default()
                    },
                )),
            };
            let chunks = (0..data.len())
                .step_by(CHUNK)
                .map(move |i| pb::UploadDocumentRequest {
                    payload: Some(pb::upload_document_request::Payload::Chunk(
                        data.slice(i..(i + CHUNK).min(data.len())),
                    )),
                });
            let stream =
                futures::stream::once(async { first }).chain(futures::stream::iter(chunks));
            client
                .upload_document(with_token(stream, &token))
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from)
        }
    };
    let raw_path = dir.path().join("raw.bin");
    let raw_write = || {
        let (path, data) = (raw_path.clone(), data.clone());
        async move {
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut file = std::fs::File::create(&path)?;
                for piece in data.chunks(CHUNK) {
                    file.write_all(piece)?;
                }
                file.sync_all()?;
                Ok(())
            })
            .await?
        }
    };
    // Warm up both, then alternate them so that both see the same background load.
    for _ in 0..2 {
        upload().await?;
        raw_write().await?;
    }
    let (mut grpc, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..iterations {
        grpc.push(timed(upload()).await?);
        raw.push(timed(raw_write()).await?);
    }

    server.stop().await;
    db.cleanup().await;

    let mb = size as f64 / MIB as f64;
    let row = |name: &str, d: &[Duration]| {
        let med = median(d);
        let min = d.iter().min().copied().unwrap_or_default();
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.0} MiB/s |",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            mb / med.as_secs_f64()
        );
    };
    println!(
        "{size} bytes ({mb:.1} MiB), {iterations} runs each, alternating, after 2 warm-up runs each"
    );
    println!();
    println!("| path | median | best | throughput (median) |");
    println!("|---|---|---|---|");
    row(
        "gRPC upload (inspect + SHA-256 + staged write + fsync + rename + SQLite row)",
        &grpc,
    );
    row("raw write + fsync, same bytes, same disk", &raw);
    println!();
    println!(
        "ratio gRPC / raw (medians): {:.2}",
        median(&grpc).as_secs_f64() / median(&raw).as_secs_f64()
    );
    Ok(())
}

async fn timed(
    run: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    run.await?;
    Ok(start.elapsed())
}

fn median(d: &[Duration]) -> Duration {
    let mut sorted = d.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
