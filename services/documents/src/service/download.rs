//! A download: only content that is still what was stored leaves the service. The size is
//! checked before the first byte and the SHA-256 before the last chunk, so a client never
//! receives the whole of damaged content with a successful end.

use bytes::{Bytes, BytesMut};
use estelam_runtime::auth::Caller;
use estelam_runtime::error::ServiceError;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::{Archive, storage_error};
use crate::errors;
use crate::metrics;
use crate::storage::StorageError;
use crate::store::{self, AccessRow, DocumentRow};

/// The audit's action for a download of a document's content.
pub const DOWNLOADED: &str = "document.downloaded";

/// Size of download chunks.
const DOWNLOAD_CHUNK: usize = 64 * 1024;
/// Download chunks queued ahead of a slow client.
const DOWNLOAD_QUEUE: usize = 4;

/// The content of a document, in chunks, ending in an error instead of the last chunk if it
/// turns out to be damaged.
pub type Content = ReceiverStream<Result<Bytes, Status>>;

impl Archive {
    /// A document the caller may read, and its content as it streams from the store.
    pub async fn download(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(DocumentRow, Content), Status> {
        let doc = self.readable(caller, id).await?;
        let (size, mut content) = match self.blobs.open_object(&doc.sha256).await {
            Ok(opened) => opened,
            Err(StorageError::Missing(_)) => {
                tracing::error!(document = %doc.id, sha256 = %doc.sha256, "INTEGRITY: stored content is missing");
                metrics::INTEGRITY_FAILURES
                    .with_label_values(&["download"])
                    .inc();
                return Err(errors::stored_damaged());
            }
            Err(other) => return Err(storage_error(other)),
        };
        if i64::try_from(size).ok() != Some(doc.size_bytes) {
            tracing::error!(document = %doc.id, sha256 = %doc.sha256, expected = doc.size_bytes, actual = size, "INTEGRITY: stored content has the wrong size");
            metrics::INTEGRITY_FAILURES
                .with_label_values(&["download"])
                .inc();
            return Err(errors::stored_damaged());
        }
        self.record_access(caller, &doc).await?;
        let (tx, rx) = mpsc::channel(DOWNLOAD_QUEUE);
        let expected = doc.clone();
        tokio::spawn(async move {
            let mut hasher = Sha256::new();
            let mut buffer = BytesMut::with_capacity(DOWNLOAD_CHUNK);
            // The last full chunk is held back until the hash is checked.
            let mut held: Option<Bytes> = None;
            while let Some(piece) = content.next().await {
                let piece = match piece {
                    Ok(piece) => piece,
                    Err(err) => {
                        let _ = tx.send(Err(storage_error(err))).await;
                        return;
                    }
                };
                hasher.update(&piece);
                buffer.extend_from_slice(&piece);
                while buffer.len() >= DOWNLOAD_CHUNK {
                    let next = buffer.split_to(DOWNLOAD_CHUNK).freeze();
                    if let Some(previous) = held.replace(next)
                        && tx.send(Ok(previous)).await.is_err()
                    {
                        return;
                    }
                }
            }
            let actual = hex::encode(hasher.finalize());
            if actual != expected.sha256 {
                tracing::error!(document = %expected.id, expected = %expected.sha256, %actual, "INTEGRITY: stored content does not match its SHA-256");
                metrics::INTEGRITY_FAILURES
                    .with_label_values(&["download"])
                    .inc();
                let _ = tx.send(Err(errors::stored_damaged())).await;
                return;
            }
            for last in [held, (!buffer.is_empty()).then(|| buffer.freeze())]
                .into_iter()
                .flatten()
            {
                if tx.send(Ok(last)).await.is_err() {
                    return;
                }
            }
        });
        Ok((doc, ReceiverStream::new(rx)))
    }

    /// Records a download by anyone but the document's owner before the first byte leaves:
    /// a staff member's (or an office's, or a service's) read of someone's ID card or deed
    /// is always in the audit, and a download whose record cannot be written does not
    /// happen. The owner's own downloads are not audited.
    async fn record_access(&self, caller: &Caller, doc: &DocumentRow) -> Result<(), Status> {
        if caller.subject == doc.owner_account_id {
            return Ok(());
        }
        let roles: Vec<&str> = caller.roles.iter().map(|r| r.as_str()).collect();
        let row = AccessRow {
            id: uuid::Uuid::now_v7().to_string(),
            at_us: estelam_runtime::db::now_micros(),
            actor_account_id: caller.subject.clone(),
            actor_roles: roles.join(","),
            actor_organization_id: caller.organization.clone().unwrap_or_default(),
            action: DOWNLOADED.to_owned(),
            document_id: doc.id.clone(),
            owner_account_id: doc.owner_account_id.clone(),
            kind: doc.kind.clone(),
            inquiry_id: doc.inquiry_id.clone(),
        };
        store::record_access(&self.db, &row)
            .await
            .map_err(|e| Status::from(ServiceError::from(e)))
    }
}
