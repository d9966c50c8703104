//! An upload: the metadata is checked first (and a retry of an upload that succeeded is
//! answered at once), then the content streams through inspection and hashing into a
//! staging object (an image is held until its metadata is stripped: EXIF, XMP, IPTC and
//! text go, the pixels stay byte for byte, and the stored hash is of what is kept), and
//! finally quota, row and content are committed together.

use bytes::Bytes;
use estelam_runtime::auth::Caller;
use estelam_runtime::db;
use estelam_runtime::error::ServiceError;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tonic::Status;

use super::kinds::{kind_name, named_code};
use super::{Archive, OnBehalf, storage_error};
use crate::errors;
use crate::inspect::{Claims, FileType, Inspection, Inspector, strip_metadata};
use crate::metrics;
use crate::names;
use crate::store::{self, DocumentRow, KindRow};

/// Largest chunk message accepted (the contract says at most 1 MiB).
pub const MAX_CHUNK: usize = 1024 * 1024;

/// What the uploader says about the document before sending it, unchecked.
#[derive(Debug, Clone, Default)]
pub struct UploadMetadata {
    /// Whose document it is; empty for the uploader's own.
    pub owner_account_id: String,
    /// The kind as the contract's enum number; 0 when not set.
    pub kind: i32,
    /// The kind's code; empty when not set (the enum wins when both are set, and they
    /// must agree).
    pub kind_code: String,
    /// The filename as the uploader's machine knew it.
    pub original_filename: String,
    /// The media type the uploader declares; may be empty.
    pub declared_content_type: String,
    /// The hash the uploader computed, hex; may be empty.
    pub expected_sha256: String,
    /// The size the uploader declares; 0 when unknown.
    pub declared_size_bytes: i64,
    /// The uploader's idempotency key; may be empty.
    pub client_request_id: String,
    /// The inquiry an office uploads for, filing on behalf of its applicant; may be empty.
    pub inquiry_id: String,
}

/// What to do with an upload once its metadata is checked.
enum Plan {
    /// An idempotent retry: the document exists.
    Done(DocumentRow),
    /// Receive the content.
    Receive(Upload),
}

/// An upload whose metadata passed, waiting for its content.
struct Upload {
    owner: String,
    uploader: String,
    kind: KindRow,
    filename: String,
    claims: Claims,
    declared_size: u64,
    expected_sha256: String,
    client_request_id: Option<String>,
    on_behalf: OnBehalf,
}

impl Archive {
    /// Stores a document: `chunks` is the content as it arrives (an error in it, from the
    /// transport or a second metadata message, ends the upload). Counts the outcome.
    pub async fn upload(
        &self,
        caller: &Caller,
        metadata: UploadMetadata,
        chunks: impl Stream<Item = Result<Bytes, Status>> + Send,
    ) -> Result<DocumentRow, Status> {
        let outcome = match self.plan(caller, metadata).await {
            Ok(Plan::Done(existing)) => Ok(existing),
            Ok(Plan::Receive(upload)) => self.receive(upload, chunks).await,
            Err(err) => Err(err.into()),
        };
        let label = if outcome.is_ok() { "stored" } else { "refused" };
        metrics::UPLOADS.with_label_values(&[label]).inc();
        outcome
    }

    /// Validates the metadata and decides what the upload is.
    async fn plan(&self, caller: &Caller, meta: UploadMetadata) -> Result<Plan, ServiceError> {
        let (owner, on_behalf) = if meta.inquiry_id.trim().is_empty() {
            (
                self.owner_for(caller, &meta.owner_account_id)?,
                OnBehalf::default(),
            )
        } else {
            self.owner_for_inquiry(caller, &meta.inquiry_id).await?
        };
        let code =
            named_code(meta.kind, &meta.kind_code)?.ok_or_else(errors::document_kind_required)?;
        let kind = self.active_kind(&code).await?;
        let filename =
            names::clean_filename(&meta.original_filename).ok_or_else(errors::filename_required)?;
        let extension = names::extension(&filename)
            .and_then(FileType::from_extension)
            .ok_or_else(errors::filename_extension_not_allowed)?;
        let declared_raw = meta.declared_content_type.trim();
        let declared = if declared_raw.is_empty()
            || declared_raw.eq_ignore_ascii_case("application/octet-stream")
        {
            None
        } else {
            Some(FileType::from_mime(declared_raw).ok_or_else(errors::content_type_not_allowed)?)
        };
        // What the file claims to be must be a type its kind accepts; the content is
        // checked again once inspected.
        for claimed in std::iter::once(extension).chain(declared) {
            if !accepts(&kind, claimed) {
                return Err(errors::type_not_accepted_for_kind(
                    &kind_name(&kind),
                    &kind.accepted_content_types,
                ));
            }
        }
        let expected_sha256 = meta.expected_sha256.trim().to_ascii_lowercase();
        if !expected_sha256.is_empty()
            && (expected_sha256.len() != 64 || hex::decode(&expected_sha256).is_err())
        {
            return Err(errors::sha256_invalid());
        }
        let declared_size =
            u64::try_from(meta.declared_size_bytes).map_err(|_| errors::size_mismatch())?;
        if declared_size > self.settings.max_document_bytes {
            return Err(errors::too_large(self.settings.max_document_bytes));
        }
        if declared_size > kind_limit(&kind) {
            return Err(errors::too_large_for_kind(
                &kind_name(&kind),
                kind_limit(&kind),
            ));
        }
        let client_request_id = meta.client_request_id.trim().to_owned();
        if client_request_id.len() > 128 {
            return Err(errors::client_request_id_too_long());
        }
        // A retry of an upload that succeeded returns the first document.
        if !client_request_id.is_empty()
            && let Some(existing) =
                store::by_request(&self.db, &caller.subject, &client_request_id).await?
        {
            return Ok(Plan::Done(existing));
        }
        // Fail fast on a full quota, before any content; the binding check is at the end.
        let (count, bytes) = store::usage(&self.db, &owner).await?;
        if count >= self.max_count() {
            return Err(self.quota_refusal(true));
        }
        let declared_bytes = i64::try_from(declared_size).unwrap_or(i64::MAX);
        if bytes.saturating_add(declared_bytes) > self.max_bytes() {
            return Err(self.quota_refusal(false));
        }
        Ok(Plan::Receive(Upload {
            owner,
            uploader: caller.subject.clone(),
            kind,
            filename,
            claims: Claims {
                declared,
                extension: Some(extension),
            },
            declared_size,
            expected_sha256,
            client_request_id: (!client_request_id.is_empty()).then_some(client_request_id),
            on_behalf,
        }))
    }

    fn quota_refusal(&self, by_count: bool) -> ServiceError {
        errors::quota(
            by_count,
            self.settings.quota_max_count,
            self.settings.quota_max_bytes,
        )
    }

    /// Streams the content in, inspecting and hashing it, then records it.
    async fn receive(
        &self,
        upload: Upload,
        chunks: impl Stream<Item = Result<Bytes, Status>> + Send,
    ) -> Result<DocumentRow, Status> {
        let mut chunks = std::pin::pin!(chunks);
        let max = self.settings.max_document_bytes;
        let kind_max = kind_limit(&upload.kind);
        let mut inspector = Inspector::new(self.limits(), upload.claims);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        // An image is held in memory (at most `max_document_bytes`) until its metadata is
        // stripped, since what is stored, and hashed, is what is kept; the extension names
        // the type, and the inspection refuses content of any other.
        let image = upload
            .claims
            .extension
            .filter(|t| matches!(t, FileType::Jpeg | FileType::Png | FileType::Webp));
        let mut held = Vec::new();
        let mut staging = self.blobs.stage().await.map_err(storage_error)?;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if chunk.len() > MAX_CHUNK {
                return Err(errors::chunk_too_large().into());
            }
            size += chunk.len() as u64;
            if size > max {
                return Err(errors::too_large(max).into());
            }
            if size > kind_max {
                return Err(errors::too_large_for_kind(&kind_name(&upload.kind), kind_max).into());
            }
            if upload.declared_size > 0 && size > upload.declared_size {
                return Err(errors::size_mismatch().into());
            }
            inspector.feed(&chunk).map_err(ServiceError::from)?;
            hasher.update(&chunk);
            if image.is_some() {
                held.extend_from_slice(&chunk);
            } else {
                staging.write(chunk).await.map_err(storage_error)?;
            }
        }
        if upload.declared_size > 0 && size != upload.declared_size {
            return Err(errors::size_mismatch().into());
        }
        let mut inspection = inspector.finish().map_err(ServiceError::from)?;
        if !accepts(&upload.kind, inspection.file_type) {
            return Err(errors::type_not_accepted_for_kind(
                &kind_name(&upload.kind),
                &upload.kind.accepted_content_types,
            )
            .into());
        }
        let mut sha256 = hex::encode(hasher.finalize());
        // The uploader's checksum is of what was sent.
        if !upload.expected_sha256.is_empty() && upload.expected_sha256 != sha256 {
            return Err(errors::upload_checksum_mismatch());
        }
        if image.is_some() {
            let kept = strip_metadata(inspection.file_type, &held).map_err(ServiceError::from)?;
            drop(held);
            // What is stored must pass the same checks as what was sent.
            let mut again = Inspector::new(self.limits(), upload.claims);
            again.feed(&kept).map_err(ServiceError::from)?;
            inspection = again.finish().map_err(ServiceError::from)?;
            sha256 = hex::encode(Sha256::digest(&kept));
            size = kept.len() as u64;
            staging
                .write(Bytes::from(kept))
                .await
                .map_err(storage_error)?;
        }
        let staged = staging.finish().await.map_err(storage_error)?;
        let row = upload.into_row(&inspection, size, sha256);

        // Quota, row and content go together: the object is moved into place inside the
        // transaction, so a failure anywhere before commit leaves no row; a failed commit
        // after the move leaves at most an unreferenced object, which the scrub reports.
        let mut tx = self.db.begin().await.map_err(ServiceError::from)?;
        if !store::take_quota(
            &mut tx,
            &row.owner_account_id,
            row.size_bytes,
            self.max_count(),
            self.max_bytes(),
        )
        .await
        .map_err(ServiceError::from)?
        {
            let (count, _) = store::usage(&self.db, &row.owner_account_id)
                .await
                .map_err(ServiceError::from)?;
            return Err(self.quota_refusal(count >= self.max_count()).into());
        }
        if let Err(err) = store::insert(&mut tx, &row).await {
            drop(tx);
            if db::is_unique_violation(&err)
                && let Some(request) = &row.client_request_id
                && let Some(first) =
                    store::by_request(&self.db, &row.uploaded_by_account_id, request)
                        .await
                        .map_err(ServiceError::from)?
            {
                return Ok(first);
            }
            return Err(ServiceError::from(err).into());
        }
        self.blobs
            .publish(staged, &row.sha256)
            .await
            .map_err(storage_error)?;
        tx.commit().await.map_err(ServiceError::from)?;
        tracing::info!(document = %row.id, owner = %row.owner_account_id, kind = %row.kind, size = row.size_bytes, sha256 = %row.sha256, "document stored");
        Ok(row)
    }
}

impl Upload {
    fn into_row(self, inspection: &Inspection, size: u64, sha256: String) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::now_v7().to_string(),
            owner_account_id: self.owner,
            kind: self.kind.code,
            original_filename: self.filename,
            content_type: inspection.file_type.mime().to_owned(),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256,
            width_px: i64::from(inspection.width),
            height_px: i64::from(inspection.height),
            page_count: i64::from(inspection.pages),
            created_at_micros: db::now_micros(),
            uploaded_by_account_id: self.uploader,
            client_request_id: self.client_request_id,
            inquiry_id: self.on_behalf.inquiry_id,
            organization_id: self.on_behalf.organization_id,
        }
    }
}

/// Whether a kind accepts files of this type.
fn accepts(kind: &KindRow, file_type: FileType) -> bool {
    kind.accepted_content_types
        .iter()
        .any(|t| t == file_type.mime())
}

/// A kind's size limit in bytes (never negative: the store checks it on every put).
fn kind_limit(kind: &KindRow) -> u64 {
    u64::try_from(kind.max_size_bytes).unwrap_or(0)
}
