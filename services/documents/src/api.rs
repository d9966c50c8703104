//! The gRPC handlers: check the caller, translate protobuf into the service's types,
//! delegate to the [`Archive`], translate the answer. Who may do what is decided in
//! [`crate::service`].

use estelam_proto::common::v1::LocalizedText;
use estelam_proto::documents::v1 as pb;
use estelam_proto::documents::v1::document_service_server::DocumentService;
use estelam_runtime::audit::AuditQuery;
use estelam_runtime::auth;
use estelam_runtime::time::timestamp;
use futures::StreamExt;
use futures::stream::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use crate::errors;
use crate::service::Archive;
use crate::service::kinds::{KindDraft, named_code};
use crate::service::upload::UploadMetadata;
use crate::store::{DocumentRow, KindRow};

/// The document service's gRPC handlers.
#[derive(Clone, Debug)]
pub struct Api {
    service: Archive,
}

impl Api {
    /// Handlers over the service.
    pub fn new(service: Archive) -> Self {
        Self { service }
    }
}

/// The enum value of a stored kind code; unspecified for kinds added as data.
fn kind_value(code: &str) -> pb::DocumentKind {
    pb::DocumentKind::from_code(code).unwrap_or(pb::DocumentKind::Unspecified)
}

/// The wire form of a kind.
pub fn kind_to_proto(k: &KindRow) -> pb::DocumentKindInfo {
    pb::DocumentKindInfo {
        code: k.code.clone(),
        name: Some(LocalizedText {
            fa: k.name_fa.clone(),
            en: k.name_en.clone(),
        }),
        accepted_content_types: k.accepted_content_types.clone(),
        max_size_bytes: k.max_size_bytes,
        active: k.active,
        kind: k.enum_value,
        version: k.version,
        updated_at: Some(timestamp(k.updated_at_micros)),
        updated_by_account_id: k.updated_by_account_id.clone(),
    }
}

/// The wire form of a row.
pub fn to_proto(doc: &DocumentRow) -> pb::Document {
    pb::Document {
        document_id: doc.id.clone(),
        owner_account_id: doc.owner_account_id.clone(),
        kind: kind_value(&doc.kind) as i32,
        kind_code: doc.kind.clone(),
        original_filename: doc.original_filename.clone(),
        content_type: doc.content_type.clone(),
        size_bytes: doc.size_bytes,
        sha256: doc.sha256.clone(),
        width_px: i32::try_from(doc.width_px).unwrap_or(i32::MAX),
        height_px: i32::try_from(doc.height_px).unwrap_or(i32::MAX),
        page_count: i32::try_from(doc.page_count).unwrap_or(i32::MAX),
        created_at: Some(timestamp(doc.created_at_micros)),
        uploaded_by_account_id: doc.uploaded_by_account_id.clone(),
        inquiry_id: doc.inquiry_id.clone(),
        organization_id: doc.organization_id.clone(),
    }
}

fn upload_metadata(meta: pb::UploadMetadata) -> UploadMetadata {
    UploadMetadata {
        owner_account_id: meta.owner_account_id,
        kind: meta.kind,
        kind_code: meta.kind_code,
        original_filename: meta.original_filename,
        declared_content_type: meta.declared_content_type,
        expected_sha256: meta.expected_sha256,
        declared_size_bytes: meta.declared_size_bytes,
        client_request_id: meta.client_request_id,
        inquiry_id: meta.inquiry_id,
    }
}

fn download_chunk(chunk: bytes::Bytes) -> pb::DownloadDocumentResponse {
    pb::DownloadDocumentResponse {
        payload: Some(pb::download_document_response::Payload::Chunk(chunk)),
    }
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
        // Every later message is a chunk; metadata again is refused, an empty one skipped.
        let chunks = stream.filter_map(|message| async move {
            match message {
                Ok(m) => match m.payload {
                    Some(pb::upload_document_request::Payload::Chunk(chunk)) => Some(Ok(chunk)),
                    Some(pb::upload_document_request::Payload::Metadata(_)) => {
                        Some(Err(errors::metadata_first().into()))
                    }
                    None => None,
                },
                Err(status) => Some(Err(status)),
            }
        });
        let doc = self
            .service
            .upload(&caller, upload_metadata(meta), chunks)
            .await?;
        Ok(Response::new(pb::UploadDocumentResponse {
            document: Some(to_proto(&doc)),
        }))
    }

    type DownloadDocumentStream = BoxStream<'static, Result<pb::DownloadDocumentResponse, Status>>;

    async fn download_document(
        &self,
        request: Request<pb::DownloadDocumentRequest>,
    ) -> Result<Response<Self::DownloadDocumentStream>, Status> {
        let caller = auth::caller(&request)?.clone();
        let (doc, content) = self
            .service
            .download(&caller, &request.get_ref().document_id)
            .await?;
        let metadata = pb::DownloadDocumentResponse {
            payload: Some(pb::download_document_response::Payload::Metadata(to_proto(
                &doc,
            ))),
        };
        let stream = futures::stream::once(async move { Ok(metadata) })
            .chain(content.map(|chunk| chunk.map(download_chunk)));
        Ok(Response::new(stream.boxed()))
    }

    async fn get_document_info(
        &self,
        request: Request<pb::GetDocumentInfoRequest>,
    ) -> Result<Response<pb::GetDocumentInfoResponse>, Status> {
        let caller = auth::caller(&request)?;
        let doc = self
            .service
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
        let owner = self.service.owner_for(caller, &req.owner_account_id)?;
        let kind = match named_code(req.kind, &req.kind_code)? {
            None => None,
            Some(code) => Some(self.service.any_kind(&code).await?.code),
        };
        let (rows, next_page_token) = self
            .service
            .list(&owner, kind.as_deref(), req.page_size, &req.page_token)
            .await?;
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
        let owner = self
            .service
            .owner_for(caller, &request.get_ref().owner_account_id)?;
        let quota = self.service.quota(&owner).await?;
        Ok(Response::new(pb::GetQuotaResponse {
            used_count: quota.used_count,
            max_count: quota.max_count,
            used_bytes: quota.used_bytes,
            max_bytes: quota.max_bytes,
            max_document_bytes: quota.max_document_bytes,
        }))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.get_ref();
        let q = AuditQuery::parse(
            req.filter.as_ref(),
            req.page_size,
            &req.page_token,
            errors::audit_filter_text,
        )?;
        let (records, next_page_token) = self.service.access_audit(caller, &q).await?;
        Ok(Response::new(pb::ListAuditRecordsResponse {
            records,
            next_page_token,
        }))
    }

    async fn list_document_kinds(
        &self,
        request: Request<pb::ListDocumentKindsRequest>,
    ) -> Result<Response<pb::ListDocumentKindsResponse>, Status> {
        auth::caller(&request)?;
        let kinds = self
            .service
            .kinds(request.get_ref().include_inactive)
            .await?;
        Ok(Response::new(pb::ListDocumentKindsResponse {
            kinds: kinds.iter().map(kind_to_proto).collect(),
        }))
    }

    async fn put_document_kind(
        &self,
        request: Request<pb::PutDocumentKindRequest>,
    ) -> Result<Response<pb::PutDocumentKindResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.get_ref();
        let kind = req.kind.clone().unwrap_or_default();
        let name = kind.name.unwrap_or_default();
        let draft = KindDraft {
            code: kind.code,
            name_fa: name.fa,
            name_en: name.en,
            accepted_content_types: kind.accepted_content_types,
            max_size_bytes: kind.max_size_bytes,
            active: kind.active,
        };
        let row = self
            .service
            .put_kind(caller, &draft, req.expected_version, &req.reason)
            .await?;
        Ok(Response::new(pb::PutDocumentKindResponse {
            kind: Some(kind_to_proto(&row)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_kind_has_a_code_that_maps_back() {
        for k in [
            pb::DocumentKind::NationalIdCard,
            pb::DocumentKind::OwnershipDeed,
            pb::DocumentKind::AuthorityLetter,
            pb::DocumentKind::Other,
            pb::DocumentKind::PowerOfAttorney,
        ] {
            assert_eq!(kind_value(k.code().expect("a code")), k);
        }
        assert_eq!(kind_value("site-plan"), pb::DocumentKind::Unspecified);
        assert_eq!(pb::DocumentKind::code_of(99), None);
    }
}
