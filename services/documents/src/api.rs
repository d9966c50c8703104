//! The gRPC handlers: check the caller, translate protobuf into the service's types,
//! delegate to the [`Archive`], translate the answer. Who may do what is decided in
//! [`crate::service`].

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
use crate::service::upload::UploadMetadata;
use crate::store::DocumentRow;

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

/// The stored name of a wire kind; `None` for unspecified and for numbers the contract does
/// not define.
fn kind_name(kind: i32) -> Option<&'static str> {
    match pb::DocumentKind::try_from(kind).ok()? {
        pb::DocumentKind::NationalIdCard => Some("national_id_card"),
        pb::DocumentKind::OwnershipDeed => Some("ownership_deed"),
        pb::DocumentKind::AuthorityLetter => Some("authority_letter"),
        pb::DocumentKind::Other => Some("other"),
        pb::DocumentKind::PowerOfAttorney => Some("power_of_attorney"),
        pb::DocumentKind::Unspecified => None,
    }
}

fn kind_value(name: &str) -> pb::DocumentKind {
    match name {
        "national_id_card" => pb::DocumentKind::NationalIdCard,
        "ownership_deed" => pb::DocumentKind::OwnershipDeed,
        "authority_letter" => pb::DocumentKind::AuthorityLetter,
        "other" => pb::DocumentKind::Other,
        "power_of_attorney" => pb::DocumentKind::PowerOfAttorney,
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
        created_at: Some(timestamp(doc.created_at_micros)),
        uploaded_by_account_id: doc.uploaded_by_account_id.clone(),
        inquiry_id: doc.inquiry_id.clone(),
        organization_id: doc.organization_id.clone(),
    }
}

fn upload_metadata(meta: pb::UploadMetadata) -> UploadMetadata {
    UploadMetadata {
        owner_account_id: meta.owner_account_id,
        kind: kind_name(meta.kind),
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
        let kind = match req.kind {
            0 => None,
            k => Some(kind_name(k).ok_or_else(errors::document_kind_invalid)?),
        };
        let (rows, next_page_token) = self
            .service
            .list(&owner, kind, req.page_size, &req.page_token)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in [
            pb::DocumentKind::NationalIdCard,
            pb::DocumentKind::OwnershipDeed,
            pb::DocumentKind::AuthorityLetter,
            pb::DocumentKind::Other,
            pb::DocumentKind::PowerOfAttorney,
        ] {
            assert_eq!(kind_value(kind_name(k as i32).expect("named")), k);
        }
        assert_eq!(kind_name(0), None);
        assert_eq!(kind_name(99), None);
    }
}
