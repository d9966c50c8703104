//! Document kinds (`/api/v1/document-kinds`), over the documents service, which owns them
//! as data: anyone signed in lists them (the portal labels documents with their names, the
//! e-service editor offers them), and admins add a kind or publish a new version of one —
//! usable at once, by its code, with no release.
//!
//! On HTTP a kind's code is written with `_` for `-` (`national_id_card`), as the first
//! five kinds always were; either spelling is read (see [`crate::dto::kind_in`]).

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::common::v1 as common;
use estelam_proto::documents::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, LocalizedText, instant, text};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::routes::request_types::EServiceText;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_document_kinds))
        .routes(routes!(put_document_kind))
}

/// A media type a kind may accept: what the documents service recognises in a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MediaType {
    /// A PDF.
    #[serde(rename = "application/pdf")]
    Pdf,
    /// A JPEG photo or scan.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// A PNG image.
    #[serde(rename = "image/png")]
    Png,
    /// A WebP image.
    #[serde(rename = "image/webp")]
    Webp,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pdf, Self::Jpeg, Self::Png, Self::Webp]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A document kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentKindInfo {
    /// Its code, with `_` for `-`: what uploads and e-services name it by.
    #[schema(value_type = crate::openapi::formats::DocumentKind)]
    pub code: String,
    /// Its name, Persian and English.
    pub name: LocalizedText,
    /// The media types accepted for it.
    pub accepted_content_types: Vec<MediaType>,
    /// The largest file accepted for it, in bytes.
    pub max_size_bytes: i64,
    /// Whether uploads of it are accepted and e-services may require it.
    pub active: bool,
    /// The version, from 1; name it as `expected_version` to publish the next.
    pub version: i64,
    /// When this version was made (RFC 3339).
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<pb::DocumentKindInfo> for DocumentKindInfo {
    fn from(k: pb::DocumentKindInfo) -> Self {
        Self {
            code: dto::kind_out(&k.code),
            name: text(k.name),
            accepted_content_types: k
                .accepted_content_types
                .iter()
                .filter_map(|t| MediaType::parse(t))
                .collect(),
            max_size_bytes: k.max_size_bytes,
            active: k.active,
            version: k.version,
            updated_at: instant(k.updated_at),
        }
    }
}

/// The kinds.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentKinds {
    /// Ordered by code.
    pub kinds: Vec<DocumentKindInfo>,
}

/// `?include_inactive=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentKindsQuery {
    /// Also the kinds no longer accepted (for the staff desk).
    pub include_inactive: Option<bool>,
}

/// The body of `PUT /api/v1/document-kinds/{code}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutDocumentKindBody {
    /// Its name: Persian required, each at most 200 characters.
    pub name: EServiceText,
    /// The media types accepted for it; at least one.
    #[schema(min_items = 1)]
    pub accepted_content_types: Vec<MediaType>,
    /// The largest file accepted for it, in bytes: at least 1, at most the documents
    /// service's own limit (10 MiB unless configured otherwise); above it the answer is
    /// 400 `DOCUMENT_KIND_SIZE_LIMIT_INVALID` naming the limit.
    #[schema(minimum = 1)]
    pub max_size_bytes: i64,
    /// Whether uploads of it are accepted and e-services may require it.
    #[serde(default = "yes")]
    pub active: bool,
    /// The version being replaced, as last read; 0 to create the kind. Another version
    /// published since is a 409 (read again, then publish), unless it is exactly this one.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub expected_version: i64,
    /// Why, kept in the kinds' audit.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub reason: String,
}

fn yes() -> bool {
    true
}

/// Lists the document kinds (anyone signed in).
#[utoipa::path(
    get,
    path = "/api/v1/document-kinds",
    tag = "documents",
    params(DocumentKindsQuery),
    responses((status = 200, description = "The kinds, ordered by code.", body = DocumentKinds)),
    security(("bearer" = []))
)]
pub async fn list_document_kinds(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<DocumentKindsQuery>,
) -> Result<axum::Json<DocumentKinds>, ApiError> {
    let r = state
        .backends
        .documents()
        .list_document_kinds(outgoing(
            pb::ListDocumentKindsRequest {
                include_inactive: q.include_inactive.unwrap_or(false),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DocumentKinds {
        kinds: r.kinds.into_iter().map(Into::into).collect(),
    }))
}

/// Adds a document kind (`expected_version` 0) or publishes its next version (admins;
/// audited). A new kind is usable at once: uploads name it as `kind`, e-services require it.
#[utoipa::path(
    put,
    path = "/api/v1/document-kinds/{code}",
    tag = "documents",
    params(("code" = crate::openapi::formats::DocumentKind, Path, description = "The kind's code: a lower-case letter, then 1–63 lower-case letters, digits, `-` or `_` (read as `-`).")),
    request_body = PutDocumentKindBody,
    responses(
        (status = 201, description = "The kind, created.", body = DocumentKindInfo),
        (status = 200, description = "The new version.", body = DocumentKindInfo),
    ),
    security(("bearer" = []))
)]
pub async fn put_document_kind(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(code): Path<String>,
    Json(b): Json<PutDocumentKindBody>,
) -> Result<(StatusCode, axum::Json<DocumentKindInfo>), ApiError> {
    let created = b.expected_version == 0;
    let r = state
        .backends
        .documents()
        .put_document_kind(outgoing(
            pb::PutDocumentKindRequest {
                kind: Some(pb::DocumentKindInfo {
                    code: dto::kind_in(&code),
                    name: Some(common::LocalizedText::from(b.name)),
                    accepted_content_types: b
                        .accepted_content_types
                        .iter()
                        .map(|m| m.as_str().to_owned())
                        .collect(),
                    max_size_bytes: b.max_size_bytes,
                    active: b.active,
                    ..Default::default()
                }),
                expected_version: b.expected_version,
                reason: b.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let kind: DocumentKindInfo = r.kind.ok_or_else(|| dto::missing("kind"))?.into();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(kind)))
}
