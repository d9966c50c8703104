//! The gRPC handlers: check the caller, translate, delegate to inspection, storage and SQL.
//!
//! Who may do what:
//! * read a document (`DownloadDocument`, `GetDocumentInfo`): its owner, clerks and admins,
//!   and services (role `service`; the inquiry service reads the documents attached to an
//!   inquiry and checks that attachment itself). Anyone else gets the same `NOT_FOUND` as
//!   for an id that does not exist.
//! * upload for oneself: anyone logged in; for another owner: clerks, admins and services.
//! * list documents or see the quota of another owner: clerks, admins and services.

use std::sync::Arc;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_server::DocumentService;
use estelam_runtime::auth::{self, Caller, Role};
use estelam_runtime::config::DocumentsSettings;
use estelam_runtime::db::{self, Database};
use estelam_runtime::error::ServiceError;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::errors;
use crate::inspect::{Claims, FileType, Inspection, Inspector, Limits};
use crate::names;
use crate::storage::{Blobs, StorageError};
use crate::store::{self, DocumentRow};

/// Largest chunk message accepted (the contract says at most 1 MiB).
pub const MAX_CHUNK: usize = 1024 * 1024;
/// Size of download chunks.
const DOWNLOAD_CHUNK: usize = 64 * 1024;
/// Download chunks queued ahead of a slow client.
const DOWNLOAD_QUEUE: usize = 4;
/// Default and largest list page.
const PAGE_DEFAULT: i64 = 20;
const PAGE_MAX: i64 = 100;

/// The document service.
#[derive(Clone)]
pub struct Api {
    db: Database,
    blobs: Blobs,
    settings: Arc<DocumentsSettings>,
}

impl Api {
    /// The service over its store, content store and settings.
    pub fn new(db: Database, blobs: Blobs, settings: DocumentsSettings) -> Self {
        Self {
            db,
            blobs,
            settings: Arc::new(settings),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_pixels: self.settings.max_image_pixels,
            max_side: self.settings.max_image_side_px,
            max_pdf_inflated: self.settings.max_pdf_inflated_bytes,
        }
    }

    fn max_count(&self) -> i64 {
        i64::try_from(self.settings.quota_max_count).unwrap_or(i64::MAX)
    }

    fn max_bytes(&self) -> i64 {
        i64::try_from(self.settings.quota_max_bytes).unwrap_or(i64::MAX)
    }

    /// Loads a document the caller may read; anything else is the same `NotFound`.
    async fn readable(&self, caller: &Caller, id: &str) -> Result<DocumentRow, ServiceError> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(errors::document_not_found());
        }
        match store::get(&self.db, id).await? {
            Some(doc) if may_read(caller, &doc) => Ok(doc),
            _ => Err(errors::document_not_found()),
        }
    }

    /// Whose documents a request about `named` is about: the caller's own when empty;
    /// another owner's only for staff and services.
    fn owner_for(&self, caller: &Caller, named: &str) -> Result<String, ServiceError> {
        if named.is_empty() || named == caller.subject {
            return Ok(caller.subject.clone());
        }
        caller.require_any(&[Role::Clerk, Role::Admin, Role::Service])?;
        parse_account_id(named)
    }

    /// Validates the metadata message and decides what the upload is.
    async fn plan(&self, caller: &Caller, meta: pb::UploadMetadata) -> Result<Plan, ServiceError> {
        let owner = self.owner_for(caller, &meta.owner_account_id)?;
        let kind = kind_name(meta.kind).ok_or_else(|| {
            errors::bad_field(
                "kind",
                "DOCUMENT_KIND_REQUIRED",
                "نوع مدرک را مشخص کنید (کارت ملی، سند مالکیت، نامهٔ مرجع یا سایر).",
                "Say what the document is (national ID card, ownership deed, authority letter, or other).",
            )
        })?;
        let filename = names::clean_filename(&meta.original_filename).ok_or_else(|| {
            errors::bad_field(
                "original_filename",
                "FILENAME_REQUIRED",
                "نام فایل را بفرستید.",
                "Send the file's name.",
            )
        })?;
        let extension = names::extension(&filename)
            .and_then(FileType::from_extension)
            .ok_or_else(|| {
                errors::bad_field(
                    "original_filename",
                    "FILENAME_EXTENSION_NOT_ALLOWED",
                    "پسوند نام فایل باید pdf، jpg، png یا webp باشد.",
                    "The filename must end in .pdf, .jpg, .png or .webp.",
                )
            })?;
        let declared_raw = meta.declared_content_type.trim();
        let declared = if declared_raw.is_empty()
            || declared_raw.eq_ignore_ascii_case("application/octet-stream")
        {
            None
        } else {
            Some(FileType::from_mime(declared_raw).ok_or_else(|| {
                errors::bad_field(
                    "declared_content_type",
                    "CONTENT_TYPE_NOT_ALLOWED",
                    "فقط فایل‌های PDF، JPEG، PNG و WebP پذیرفته می‌شوند.",
                    "Only PDF, JPEG, PNG and WebP files are accepted.",
                )
            })?)
        };
        let expected_sha256 = meta.expected_sha256.trim().to_ascii_lowercase();
        if !expected_sha256.is_empty()
            && (expected_sha256.len() != 64 || hex::decode(&expected_sha256).is_err())
        {
            return Err(errors::bad_field(
                "expected_sha256",
                "SHA256_INVALID",
                "چکیدهٔ SHA-256 باید ۶۴ رقم هگزادسیمال باشد.",
                "The SHA-256 must be 64 hexadecimal digits.",
            ));
        }
        if meta.declared_size_bytes < 0 {
            return Err(errors::size_mismatch());
        }
        let declared_size = meta.declared_size_bytes as u64;
        if declared_size > self.settings.max_document_bytes {
            return Err(errors::too_large(self.settings.max_document_bytes));
        }
        let client_request_id = meta.client_request_id.trim().to_owned();
        if client_request_id.len() > 128 {
            return Err(errors::bad_field(
                "client_request_id",
                "CLIENT_REQUEST_ID_TOO_LONG",
                "شناسهٔ درخواست حداکثر ۱۲۸ نویسه باشد.",
                "The client request id may be at most 128 characters.",
            ));
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
            return Err(errors::quota(
                true,
                self.settings.quota_max_count,
                self.settings.quota_max_bytes,
            ));
        }
        if bytes.saturating_add(declared_size as i64) > self.max_bytes() {
            return Err(errors::quota(
                false,
                self.settings.quota_max_count,
                self.settings.quota_max_bytes,
            ));
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
        }))
    }

    /// Streams the content in, inspecting and hashing it, then records it.
    async fn receive(
        &self,
        upload: Upload,
        stream: &mut Streaming<pb::UploadDocumentRequest>,
    ) -> Result<DocumentRow, Status> {
        let max = self.settings.max_document_bytes;
        let mut inspector = Inspector::new(self.limits(), upload.claims);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut staging = self.blobs.stage().await.map_err(storage_error)?;
        while let Some(message) = stream.message().await? {
            let chunk = match message.payload {
                Some(pb::upload_document_request::Payload::Chunk(chunk)) => chunk,
                Some(pb::upload_document_request::Payload::Metadata(_)) => {
                    return Err(errors::metadata_first().into());
                }
                None => continue,
            };
            if chunk.len() > MAX_CHUNK {
                return Err(errors::chunk_too_large().into());
            }
            size += chunk.len() as u64;
            if size > max {
                return Err(errors::too_large(max).into());
            }
            if upload.declared_size > 0 && size > upload.declared_size {
                return Err(errors::size_mismatch().into());
            }
            inspector.feed(&chunk).map_err(ServiceError::from)?;
            hasher.update(&chunk);
            staging.write(chunk).await.map_err(storage_error)?;
        }
        if upload.declared_size > 0 && size != upload.declared_size {
            return Err(errors::size_mismatch().into());
        }
        let inspection = inspector.finish().map_err(ServiceError::from)?;
        let sha256 = hex::encode(hasher.finalize());
        if !upload.expected_sha256.is_empty() && upload.expected_sha256 != sha256 {
            return Err(errors::upload_checksum_mismatch());
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
            let by_count = count >= self.max_count();
            return Err(errors::quota(
                by_count,
                self.settings.quota_max_count,
                self.settings.quota_max_bytes,
            )
            .into());
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

/// True when `caller` may read `doc`.
pub fn may_read(caller: &Caller, doc: &DocumentRow) -> bool {
    caller.subject == doc.owner_account_id
        || caller.has_any(&[Role::Clerk, Role::Admin, Role::Service])
}

fn parse_account_id(id: &str) -> Result<String, ServiceError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| {
            errors::bad_field(
                "owner_account_id",
                "ACCOUNT_ID_INVALID",
                "شناسهٔ حساب مالک معتبر نیست.",
                "The owner's account id is not valid.",
            )
        })
}

enum Plan {
    /// An idempotent retry: the document exists.
    Done(DocumentRow),
    /// Receive the content.
    Receive(Upload),
}

struct Upload {
    owner: String,
    uploader: String,
    kind: &'static str,
    filename: String,
    claims: Claims,
    declared_size: u64,
    expected_sha256: String,
    client_request_id: Option<String>,
}

impl Upload {
    fn into_row(self, inspection: &Inspection, size: u64, sha256: String) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::now_v7().to_string(),
            owner_account_id: self.owner,
            kind: self.kind.to_owned(),
            original_filename: self.filename,
            content_type: inspection.file_type.mime().to_owned(),
            size_bytes: size as i64,
            sha256,
            width_px: i64::from(inspection.width),
            height_px: i64::from(inspection.height),
            page_count: i64::from(inspection.pages),
            created_at_micros: db::now_micros(),
            uploaded_by_account_id: self.uploader,
            client_request_id: self.client_request_id,
        }
    }
}

fn kind_name(kind: i32) -> Option<&'static str> {
    match pb::DocumentKind::try_from(kind).ok()? {
        pb::DocumentKind::NationalIdCard => Some("national_id_card"),
        pb::DocumentKind::OwnershipDeed => Some("ownership_deed"),
        pb::DocumentKind::AuthorityLetter => Some("authority_letter"),
        pb::DocumentKind::Other => Some("other"),
        pb::DocumentKind::Unspecified => None,
    }
}

fn kind_value(name: &str) -> pb::DocumentKind {
    match name {
        "national_id_card" => pb::DocumentKind::NationalIdCard,
        "ownership_deed" => pb::DocumentKind::OwnershipDeed,
        "authority_letter" => pb::DocumentKind::AuthorityLetter,
        "other" => pb::DocumentKind::Other,
        _ => pb::DocumentKind::Unspecified,
    }
}

/// The wire form of a row.
pub fn to_proto(doc: &DocumentRow) -> pb::Document {
    pb::Document {
        document_id: doc.id.clone(),
        owner_account_id: doc.owner_account_id.clone(),
        kind: kind_value(&doc.kind) as i32,
        original_filename: doc.original_filename.clone(),
        content_type: doc.content_type.clone(),
        size_bytes: doc.size_bytes,
        sha256: doc.sha256.clone(),
        width_px: i32::try_from(doc.width_px).unwrap_or(i32::MAX),
        height_px: i32::try_from(doc.height_px).unwrap_or(i32::MAX),
        page_count: i32::try_from(doc.page_count).unwrap_or(i32::MAX),
        created_at: Some(prost_types::Timestamp {
            seconds: doc.created_at_micros.div_euclid(1_000_000),
            nanos: (doc.created_at_micros.rem_euclid(1_000_000) * 1000) as i32,
        }),
        uploaded_by_account_id: doc.uploaded_by_account_id.clone(),
    }
}

fn storage_error(err: StorageError) -> Status {
    ServiceError::internal(err).into()
}

fn page_token(id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{id}"))
}

fn parse_page_token(token: &str) -> Result<Option<String>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || {
        errors::bad_field(
            "page_token",
            "PAGE_TOKEN_INVALID",
            "نشانهٔ صفحه نامعتبر است؛ فهرست را از ابتدا بخواهید.",
            "The page token is not valid; request the list from the start.",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let id = text.strip_prefix("v1:").ok_or_else(bad)?;
    uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(Some(id.to_owned()))
}

#[tonic::async_trait]
impl DocumentService for Api {
    async fn upload_document(
        &self,
        request: Request<Streaming<pb::UploadDocumentRequest>>,
    ) -> Result<Response<pb::UploadDocumentResponse>, Status> {
        let caller = auth::caller(&request)?.clone();
        let mut stream = request.into_inner();
        let meta = match stream.message().await?.and_then(|m| m.payload) {
            Some(pb::upload_document_request::Payload::Metadata(meta)) => meta,
            _ => return Err(errors::metadata_first().into()),
        };
        let outcome = match self.plan(&caller, meta).await {
            Ok(Plan::Done(existing)) => Ok(existing),
            Ok(Plan::Receive(upload)) => self.receive(upload, &mut stream).await,
            Err(err) => Err(err.into()),
        };
        let label = if outcome.is_ok() { "stored" } else { "refused" };
        crate::metrics::UPLOADS.with_label_values(&[label]).inc();
        let doc = outcome?;
        Ok(Response::new(pb::UploadDocumentResponse {
            document: Some(to_proto(&doc)),
        }))
    }

    type DownloadDocumentStream = ReceiverStream<Result<pb::DownloadDocumentResponse, Status>>;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Result<Response<Self::DownloadDocumentStream>, Status> {
        let caller = auth::caller(&request)?.clone();
        let doc = self
            .readable(&caller, &request.get_ref().document_id)
            .await?;
        let (size, mut content) = match self.blobs.open_object(&doc.sha256).await {
            Ok(opened) => opened,
            Err(StorageError::Missing(_)) => {
                tracing::error!(document = %doc.id, sha256 = %doc.sha256, "INTEGRITY: stored content is missing");
                crate::metrics::INTEGRITY_FAILURES
                    .with_label_values(&["download"])
                    .inc();
                return Err(errors::stored_damaged());
            }
            Err(other) => return Err(storage_error(other)),
        };
        if size != doc.size_bytes as u64 {
            tracing::error!(document = %doc.id, sha256 = %doc.sha256, expected = doc.size_bytes, actual = size, "INTEGRITY: stored content has the wrong size");
            crate::metrics::INTEGRITY_FAILURES
                .with_label_values(&["download"])
                .inc();
            return Err(errors::stored_damaged());
        }
        let (tx, rx) = mpsc::channel(DOWNLOAD_QUEUE);
        let metadata = pb::DownloadDocumentResponse {
            payload: Some(pb::download_document_response::Payload::Metadata(to_proto(
                &doc,
            ))),
        };
        tokio::spawn(async move {
            if tx.send(Ok(metadata)).await.is_err() {
                return;
            }
            let chunk = |b: Bytes| {
                Ok(pb::DownloadDocumentResponse {
                    payload: Some(pb::download_document_response::Payload::Chunk(b)),
                })
            };
            let mut hasher = Sha256::new();
            let mut buffer = BytesMut::with_capacity(DOWNLOAD_CHUNK);
            // The last full chunk is held back until the hash is checked, so a client never
            // receives the whole of damaged content with a successful end.
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
                        && tx.send(chunk(previous)).await.is_err()
                    {
                        return;
                    }
                }
            }
            let actual = hex::encode(hasher.finalize());
            if actual != doc.sha256 {
                tracing::error!(document = %doc.id, expected = %doc.sha256, %actual, "INTEGRITY: stored content does not match its SHA-256");
                crate::metrics::INTEGRITY_FAILURES
                    .with_label_values(&["download"])
                    .inc();
                let _ = tx.send(Err(errors::stored_damaged())).await;
                return;
            }
            for last in [held, (!buffer.is_empty()).then(|| buffer.freeze())]
                .into_iter()
                .flatten()
            {
                if tx.send(chunk(last)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn get_document_info(
        &self,
        request: Request<pb::GetDocumentInfoRequest>,
    ) -> Result<Response<pb::GetDocumentInfoResponse>, Status> {
        let caller = auth::caller(&request)?;
        let doc = self
            .readable(caller, &request.get_ref().document_id)
            .await?;
        Ok(Response::new(pb::GetDocumentInfoResponse {
            document: Some(to_proto(&doc)),
        }))
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Result<Response<pb::ListDocumentsResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.get_ref();
        let owner = self.owner_for(caller, &req.owner_account_id)?;
        let kind = match req.kind {
            0 => None,
            k => Some(kind_name(k).ok_or_else(|| {
                errors::bad_field(
                    "kind",
                    "DOCUMENT_KIND_INVALID",
                    "نوع مدرک نامعتبر است.",
                    "The document kind is not valid.",
                )
            })?),
        };
        let size = match i64::from(req.page_size) {
            n if n <= 0 => PAGE_DEFAULT,
            n => n.min(PAGE_MAX),
        };
        let after = parse_page_token(&req.page_token)?;
        let mut rows = store::list(&self.db, &owner, kind, after.as_deref(), size + 1)
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = if rows.len() as i64 > size {
            rows.truncate(size as usize);
            rows.last().map(|r| page_token(&r.id)).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: rows.iter().map(to_proto).collect(),
            next_page_token,
        }))
    }

    async fn get_quota(
        &self,
        request: Request<pb::GetQuotaRequest>,
    ) -> Result<Response<pb::GetQuotaResponse>, Status> {
        let caller = auth::caller(&request)?;
        let owner = self.owner_for(caller, &request.get_ref().owner_account_id)?;
        let (used_count, used_bytes) = store::usage(&self.db, &owner)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::GetQuotaResponse {
            used_count,
            max_count: self.max_count(),
            used_bytes,
            max_bytes: self.max_bytes(),
            max_document_bytes: i64::try_from(self.settings.max_document_bytes).unwrap_or(i64::MAX),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(parse_page_token(&page_token(&id)).expect("valid"), Some(id));
        assert!(parse_page_token("not-a-token").is_err());
        assert_eq!(parse_page_token("").expect("empty"), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            pb::DocumentKind::NationalIdCard,
            pb::DocumentKind::OwnershipDeed,
            pb::DocumentKind::AuthorityLetter,
            pb::DocumentKind::Other,
        ] {
            assert_eq!(kind_value(kind_name(k as i32).expect("named")), k);
        }
        assert_eq!(kind_name(0), None);
        assert_eq!(kind_name(99), None);
    }
}
