//! Uploads and downloads (`/api/v1/documents`), streamed through to the documents service:
//! neither direction holds a whole file in the gateway.
//!
//! An upload is `multipart/form-data` with a `kind` field first and then a `file` field.
//! The file's parts become `UploadDocumentRequest` chunks as they arrive (a small channel
//! between the body and the client-streaming call keeps at most a few in memory), and the
//! service checks the kind, the content and the size.

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use estelam_proto::documents::v1 as pb;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::reasons;
use futures::StreamExt as _;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, instant};
use crate::errors;
use crate::extract::Path;
use crate::problem::ApiError;
use crate::state::AppState;

/// Largest chunk message the documents service accepts.
const MAX_CHUNK: usize = 1024 * 1024;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download))
}

/// A stored document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Document {
    /// Stable id (attach it with `PUT /api/v1/inquiries/{id}/documents`).
    pub document_id: String,
    /// Its kind: the code, written with `_` (`national_id_card`, …).
    #[schema(value_type = crate::openapi::formats::DocumentKind)]
    pub kind: String,
    /// The file name as uploaded.
    pub original_filename: String,
    /// The content type found in the content.
    pub content_type: String,
    /// Size of the stored content in bytes (what the SHA-256 covers).
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Image width, when an image.
    pub width_px: i32,
    /// Image height, when an image.
    pub height_px: i32,
    /// Pages, when a PDF.
    pub page_count: i32,
    /// Uploaded (RFC 3339).
    pub created_at: Option<String>,
    /// The inquiry an office uploaded it for, on behalf of its applicant; empty otherwise.
    pub inquiry_id: String,
}

impl From<pb::Document> for Document {
    fn from(d: pb::Document) -> Self {
        Self {
            kind: dto::wire_kind(d.kind, &d.kind_code),
            document_id: d.document_id,
            original_filename: d.original_filename,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            width_px: d.width_px,
            height_px: d.height_px,
            page_count: d.page_count,
            created_at: instant(d.created_at),
            inquiry_id: d.inquiry_id,
        }
    }
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document's kind (`GET /api/v1/document-kinds`: `national_id_card`, …, or a kind
    /// an admin added); before `file`. The kind's accepted types and size limit apply.
    #[schema(value_type = crate::openapi::formats::DocumentKind)]
    kind: String,
    /// Optional, before `file`: an office filing on behalf of an applicant names the
    /// inquiry; the document is then the applicant's, and only that inquiry may attach it.
    #[schema(value_type = crate::openapi::formats::Id, required = false)]
    inquiry_id: Option<String>,
    /// The file: a PDF, JPEG or PNG (what its bytes are, whatever its name says), within
    /// the size limit the 413 names.
    #[schema(value_type = String, format = "document-file", content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

fn multipart_error(err: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        errors::upload_too_large(limit as u64)
    } else {
        errors::multipart_invalid()
    }
}

/// The documents service refuses a file over its size limit with `RESOURCE_EXHAUSTED` (the
/// gRPC status for "too big"), which would map to 429 and tell a browser to retry the same
/// file later; over HTTP it is what it is, 413, with the service's message naming the limit.
fn too_large_is_413(err: ApiError) -> ApiError {
    if err.error().reason == reasons::documents::DOCUMENT_TOO_LARGE {
        err.with_status(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        err
    }
}

/// `Content-Disposition` for a download (RFC 6266): the original name, Persian included, as
/// `filename*=UTF-8''…` (RFC 8187), and a plain-ASCII `filename="…"` for clients that know
/// only that, which keeps the extension and never ends up empty (`document.pdf`).
pub fn content_disposition(original: &str) -> String {
    let (stem, extension) = match original.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (stem, Some(ext))
        }
        _ => (original, None),
    };
    let ascii_stem: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let ascii_stem = if ascii_stem.is_empty() {
        "document".to_owned()
    } else {
        ascii_stem
    };
    let fallback = match extension {
        Some(ext) => format!("{ascii_stem}.{}", ext.to_ascii_lowercase()),
        None => ascii_stem,
    };
    let mut encoded = String::with_capacity(original.len() * 3);
    for byte in original.bytes() {
        // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    if encoded == fallback {
        format!("attachment; filename=\"{fallback}\"")
    } else {
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
    }
}

/// Uploads a document, streamed to the store.
#[utoipa::path(
    post,
    path = "/api/v1/documents",
    tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored document.", body = Document),
        (status = 413, description = "The file is larger than the limit the message names (`DOCUMENT_TOO_LARGE`, or `BODY_TOO_LARGE` for the whole request)."),
    ),
    security(("bearer" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    bearer: Bearer,
    mut multipart: Multipart,
) -> Result<(StatusCode, axum::Json<Document>), ApiError> {
    let limit = state.settings.upload_body_limit_bytes;
    let multipart_error = move |e| multipart_error(e, limit);
    let mut kind = None;
    let mut inquiry_id = String::new();
    let mut field = loop {
        let Some(field) = multipart.next_field().await.map_err(multipart_error)? else {
            return Err(errors::upload_file_missing());
        };
        match field.name() {
            Some("kind") => {
                let text = field.text().await.map_err(multipart_error)?;
                // Kinds are data: the code goes as it is, for the service to check.
                kind = Some(dto::kind_in(&text));
            }
            Some("inquiry_id") => {
                inquiry_id = field.text().await.map_err(multipart_error)?;
            }
            Some("file") => break field,
            _ => {}
        }
    };
    let kind_code = kind.ok_or_else(errors::upload_kind_missing)?;
    let metadata = pb::UploadMetadata {
        kind_code,
        original_filename: field.file_name().unwrap_or_default().to_owned(),
        declared_content_type: field.content_type().unwrap_or_default().to_owned(),
        inquiry_id,
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadDocumentRequest>(4);
    let first = pb::UploadDocumentRequest {
        payload: Some(pb::upload_document_request::Payload::Metadata(metadata)),
    };
    let requests = tokio_stream::wrappers::ReceiverStream::new(rx);
    let mut client = state.backends.documents();
    let call = client.upload_document(outgoing(requests, bearer.token()));
    // Feeds the file's parts to the call as they arrive; stops at the first body error.
    let pump = async move {
        if tx.send(first).await.is_err() {
            return Ok(());
        }
        while let Some(mut chunk) = field.chunk().await.map_err(multipart_error)? {
            while !chunk.is_empty() {
                let part = chunk.split_to(chunk.len().min(MAX_CHUNK));
                let message = pb::UploadDocumentRequest {
                    payload: Some(pb::upload_document_request::Payload::Chunk(part)),
                };
                if tx.send(message).await.is_err() {
                    return Ok(()); // the service answered early (e.g. refused the file)
                }
            }
        }
        Ok::<(), ApiError>(())
    };
    tokio::pin!(call, pump);
    // A body that breaks off must not end the stream cleanly (that would store a truncated
    // file): on a body error the call is dropped, which cancels it.
    let answer = tokio::select! {
        answer = &mut call => answer,
        pumped = &mut pump => {
            pumped?;
            call.await
        }
    };
    let document = answer
        .map_err(|status| too_large_is_413(status.into()))?
        .into_inner()
        .document
        .ok_or_else(|| dto::missing("document"))?;
    Ok((StatusCode::CREATED, axum::Json(document.into())))
}

/// Downloads a document's content (its owner, or staff).
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    params(("id" = crate::openapi::formats::Id, Path, description = "The document id.")),
    responses((status = 200, description = "The content, streamed; `Content-Disposition` carries the original file name as `filename*=UTF-8''…` (RFC 6266) with an ASCII `filename` fallback; the type is what the file's bytes are.", content(
        ("application/pdf"), ("image/jpeg"), ("image/png"), ("application/octet-stream")
    ))),
    security(("bearer" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut stream = state
        .backends
        .documents()
        .download_document(outgoing(
            pb::DownloadDocumentRequest { document_id: id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    // The first message is the metadata; an error before it is the route's error.
    let metadata = match stream.message().await? {
        Some(pb::DownloadDocumentResponse {
            payload: Some(pb::download_document_response::Payload::Metadata(m)),
        }) => m,
        _ => return Err(dto::missing("document metadata")),
    };
    let body = stream.filter_map(|item| async move {
        match item {
            Ok(pb::DownloadDocumentResponse {
                payload: Some(pb::download_document_response::Payload::Chunk(chunk)),
            }) => Some(Ok(chunk)),
            Ok(_) => None,
            Err(status) => Some(Err(std::io::Error::other(status.message().to_owned()))),
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&metadata.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(len) = HeaderValue::from_str(&metadata.size_bytes.to_string()) {
        headers.insert(header::CONTENT_LENGTH, len);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&metadata.original_filename)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_persian_name_is_kept_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("سند مالکیت.pdf"),
            "attachment; filename=\"document.pdf\"; \
             filename*=UTF-8''%D8%B3%D9%86%D8%AF%20%D9%85%D8%A7%D9%84%DA%A9%DB%8C%D8%AA.pdf"
        );
        assert_eq!(
            content_disposition("scan.pdf"),
            "attachment; filename=\"scan.pdf\""
        );
        assert_eq!(
            content_disposition("a\"b.PNG"),
            "attachment; filename=\"ab.png\"; filename*=UTF-8''a%22b.PNG"
        );
    }
}
