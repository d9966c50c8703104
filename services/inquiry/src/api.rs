//! The gRPC API: authenticate the caller, unwrap the request, delegate to the [`Engine`],
//! wrap the response. No rules live here, so every rule is the same for whichever edge
//! (gateway, an authority's software, another municipal system) calls.

use std::sync::Arc;

use estelam_proto::inquiry::v1 as pb;
use estelam_proto::inquiry::v1::inquiry_service_server::InquiryService;
use estelam_runtime::auth::{caller, optional_caller};
use tonic::{Request, Response, Status};

use crate::engine::Engine;

/// The tonic service over the engine.
#[derive(Clone)]
pub struct Api {
    engine: Arc<Engine>,
}

impl Api {
    /// An API over the engine, which the event consumer and the recovery sweep share.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

type R<T> = Result<Response<T>, Status>;

fn ok<T>(v: T) -> R<T> {
    Ok(Response::new(v))
}

#[tonic::async_trait]
impl InquiryService for Api {
    async fn list_request_types(
        &self,
        request: Request<pb::ListRequestTypesRequest>,
    ) -> R<pb::ListRequestTypesResponse> {
        let who = optional_caller(&request).cloned();
        let request_types = self
            .engine
            .list_request_types(who.as_ref(), request.get_ref().include_inactive)
            .await?;
        ok(pb::ListRequestTypesResponse { request_types })
    }

    async fn get_request_type(
        &self,
        request: Request<pb::GetRequestTypeRequest>,
    ) -> R<pb::GetRequestTypeResponse> {
        let t = self
            .engine
            .get_request_type(&request.get_ref().code)
            .await?;
        ok(pb::GetRequestTypeResponse {
            request_type: Some(t),
        })
    }

    async fn put_request_type(
        &self,
        request: Request<pb::PutRequestTypeRequest>,
    ) -> R<pb::PutRequestTypeResponse> {
        let who = caller(&request)?.clone();
        let t = self
            .engine
            .put_request_type(&who, request.into_inner())
            .await?;
        ok(pb::PutRequestTypeResponse {
            request_type: Some(t),
        })
    }

    async fn preview_request_type(
        &self,
        request: Request<pb::PreviewRequestTypeRequest>,
    ) -> R<pb::PreviewRequestTypeResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .preview_request_type(&who, &request.get_ref().code)
            .await?)
    }

    async fn create_inquiry(
        &self,
        request: Request<pb::CreateInquiryRequest>,
    ) -> R<pb::CreateInquiryResponse> {
        let who = caller(&request)?.clone();
        let req = request.into_inner();
        let inq = self
            .engine
            .create(&who, &req.request_type_code, &req.client_request_id)
            .await?;
        ok(pb::CreateInquiryResponse { inquiry: Some(inq) })
    }

    async fn get_inquiry(
        &self,
        request: Request<pb::GetInquiryRequest>,
    ) -> R<pb::GetInquiryResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .get_inquiry(&who, request.get_ref().key.as_ref())
            .await?;
        ok(pb::GetInquiryResponse { inquiry: Some(inq) })
    }

    async fn list_inquiries(
        &self,
        request: Request<pb::ListInquiriesRequest>,
    ) -> R<pb::ListInquiriesResponse> {
        let who = caller(&request)?.clone();
        ok(self.engine.list(&who, request.into_inner()).await?)
    }

    async fn accept_undertakings(
        &self,
        request: Request<pb::AcceptUndertakingsRequest>,
    ) -> R<pb::AcceptUndertakingsResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .accept_undertakings(&who, request.into_inner())
            .await?;
        ok(pb::AcceptUndertakingsResponse { inquiry: Some(inq) })
    }

    async fn set_property(
        &self,
        request: Request<pb::SetPropertyRequest>,
    ) -> R<pb::SetPropertyResponse> {
        let who = caller(&request)?.clone();
        let inq = self.engine.set_property(&who, request.into_inner()).await?;
        ok(pb::SetPropertyResponse { inquiry: Some(inq) })
    }

    async fn set_letter(&self, request: Request<pb::SetLetterRequest>) -> R<pb::SetLetterResponse> {
        let who = caller(&request)?.clone();
        let inq = self.engine.set_letter(&who, request.into_inner()).await?;
        ok(pb::SetLetterResponse { inquiry: Some(inq) })
    }

    async fn attach_documents(
        &self,
        request: Request<pb::AttachDocumentsRequest>,
    ) -> R<pb::AttachDocumentsResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .attach_documents(&who, request.into_inner())
            .await?;
        ok(pb::AttachDocumentsResponse { inquiry: Some(inq) })
    }

    async fn set_applicant(
        &self,
        request: Request<pb::SetApplicantRequest>,
    ) -> R<pb::SetApplicantResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .set_applicant(&who, request.into_inner())
            .await?;
        ok(pb::SetApplicantResponse { inquiry: Some(inq) })
    }

    async fn submit(&self, request: Request<pb::SubmitRequest>) -> R<pb::SubmitResponse> {
        let who = caller(&request)?.clone();
        ok(self.engine.submit(&who, request.into_inner()).await?)
    }

    async fn get_bill(&self, request: Request<pb::GetBillRequest>) -> R<pb::GetBillResponse> {
        let who = caller(&request)?.clone();
        let bill = self
            .engine
            .get_bill(&who, &request.get_ref().inquiry_id)
            .await?;
        ok(pb::GetBillResponse { bill: Some(bill) })
    }

    async fn start_payment(
        &self,
        request: Request<pb::StartPaymentRequest>,
    ) -> R<pb::StartPaymentResponse> {
        let who = caller(&request)?.clone();
        let payment = self
            .engine
            .start_payment(&who, request.into_inner())
            .await?;
        ok(pb::StartPaymentResponse {
            payment: Some(payment),
        })
    }

    async fn dispute_bill(
        &self,
        request: Request<pb::DisputeBillRequest>,
    ) -> R<pb::DisputeBillResponse> {
        let who = caller(&request)?.clone();
        let dispute = self.engine.dispute_bill(&who, request.into_inner()).await?;
        ok(pb::DisputeBillResponse {
            dispute: Some(dispute),
        })
    }

    async fn get_answer(&self, request: Request<pb::GetAnswerRequest>) -> R<pb::GetAnswerResponse> {
        let who = caller(&request)?.clone();
        let answer = self
            .engine
            .get_answer(&who, &request.get_ref().inquiry_id)
            .await?;
        ok(pb::GetAnswerResponse {
            answer: Some(answer),
        })
    }

    async fn render_answer(
        &self,
        request: Request<pb::RenderAnswerRequest>,
    ) -> R<pb::RenderAnswerResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .render_answer(&who, request.into_inner())
            .await?)
    }

    async fn verify_answer(
        &self,
        request: Request<pb::VerifyAnswerRequest>,
    ) -> R<pb::VerifyAnswerResponse> {
        let who = optional_caller(&request).cloned();
        ok(self
            .engine
            .verify(who.as_ref(), request.into_inner())
            .await?)
    }

    async fn list_answer_signing_keys(
        &self,
        _request: Request<pb::ListAnswerSigningKeysRequest>,
    ) -> R<pb::ListAnswerSigningKeysResponse> {
        ok(pb::ListAnswerSigningKeysResponse {
            keys: self.engine.signing_keys().await?,
        })
    }

    async fn revoke_answer(
        &self,
        request: Request<pb::RevokeAnswerRequest>,
    ) -> R<pb::RevokeAnswerResponse> {
        let who = caller(&request)?.clone();
        let answer = self.engine.revoke(&who, request.into_inner()).await?;
        ok(pb::RevokeAnswerResponse {
            answer: Some(answer),
        })
    }

    async fn cancel_inquiry(
        &self,
        request: Request<pb::CancelInquiryRequest>,
    ) -> R<pb::CancelInquiryResponse> {
        let who = caller(&request)?.clone();
        let inq = self.engine.cancel(&who, request.into_inner()).await?;
        ok(pb::CancelInquiryResponse { inquiry: Some(inq) })
    }

    async fn decide_representation(
        &self,
        request: Request<pb::DecideRepresentationRequest>,
    ) -> R<pb::DecideRepresentationResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .decide_representation(&who, request.into_inner())
            .await?;
        ok(pb::DecideRepresentationResponse { inquiry: Some(inq) })
    }

    async fn list_reviews(
        &self,
        request: Request<pb::ListReviewsRequest>,
    ) -> R<pb::ListReviewsResponse> {
        let who = caller(&request)?.clone();
        ok(self.engine.list_reviews(&who, request.get_ref()).await?)
    }

    async fn decide_review(
        &self,
        request: Request<pb::DecideReviewRequest>,
    ) -> R<pb::DecideReviewResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .decide_review(&who, request.into_inner())
            .await?;
        ok(pb::DecideReviewResponse { inquiry: Some(inq) })
    }

    async fn file_inquiry_on_behalf(
        &self,
        request: Request<pb::FileInquiryOnBehalfRequest>,
    ) -> R<pb::FileInquiryOnBehalfResponse> {
        let who = caller(&request)?.clone();
        let inq = self
            .engine
            .file_on_behalf(&who, request.into_inner())
            .await?;
        ok(pb::FileInquiryOnBehalfResponse { inquiry: Some(inq) })
    }

    async fn bulk_status(
        &self,
        request: Request<pb::BulkStatusRequest>,
    ) -> R<pb::BulkStatusResponse> {
        let who = caller(&request)?.clone();
        let entries = self
            .engine
            .bulk_status(&who, &request.get_ref().inquiry_numbers)
            .await?;
        ok(pb::BulkStatusResponse { entries })
    }

    async fn get_answer_trust_list(
        &self,
        _request: Request<pb::GetAnswerTrustListRequest>,
    ) -> R<pb::GetAnswerTrustListResponse> {
        ok(pb::GetAnswerTrustListResponse {
            trust_list: self.engine.trust_list().await?,
            root_fingerprint: self.engine.trust_root_fingerprint().await?,
        })
    }

    async fn get_answer_status_list(
        &self,
        _request: Request<pb::GetAnswerStatusListRequest>,
    ) -> R<pb::GetAnswerStatusListResponse> {
        ok(pb::GetAnswerStatusListResponse {
            status_list: self.engine.status_list().await?,
        })
    }

    async fn rotate_answer_signing_key(
        &self,
        request: Request<pb::RotateAnswerSigningKeyRequest>,
    ) -> R<pb::RotateAnswerSigningKeyResponse> {
        let who = caller(&request)?.clone();
        ok(pb::RotateAnswerSigningKeyResponse {
            kid: self.engine.rotate_answer_signing_key(&who).await?,
        })
    }

    // ---- webhooks (see crate::webhooks::manage) ----

    async fn create_webhook_endpoint(
        &self,
        request: Request<pb::CreateWebhookEndpointRequest>,
    ) -> R<pb::CreateWebhookEndpointResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .create_webhook_endpoint(&who, request.into_inner())
            .await?)
    }

    async fn list_webhook_endpoints(
        &self,
        request: Request<pb::ListWebhookEndpointsRequest>,
    ) -> R<pb::ListWebhookEndpointsResponse> {
        let who = caller(&request)?.clone();
        let endpoints = self
            .engine
            .list_webhook_endpoints(&who, &request.get_ref().organization_id)
            .await?;
        ok(pb::ListWebhookEndpointsResponse { endpoints })
    }

    async fn set_webhook_endpoint_enabled(
        &self,
        request: Request<pb::SetWebhookEndpointEnabledRequest>,
    ) -> R<pb::SetWebhookEndpointEnabledResponse> {
        let who = caller(&request)?.clone();
        let endpoint = self
            .engine
            .set_webhook_endpoint_enabled(&who, request.get_ref())
            .await?;
        ok(pb::SetWebhookEndpointEnabledResponse {
            endpoint: Some(endpoint),
        })
    }

    async fn delete_webhook_endpoint(
        &self,
        request: Request<pb::DeleteWebhookEndpointRequest>,
    ) -> R<pb::DeleteWebhookEndpointResponse> {
        let who = caller(&request)?.clone();
        self.engine
            .delete_webhook_endpoint(&who, request.get_ref())
            .await?;
        ok(pb::DeleteWebhookEndpointResponse {})
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<pb::RotateWebhookSecretRequest>,
    ) -> R<pb::RotateWebhookSecretResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .rotate_webhook_secret(&who, request.get_ref())
            .await?)
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> R<pb::ListWebhookDeliveriesResponse> {
        let who = caller(&request)?.clone();
        let deliveries = self
            .engine
            .list_webhook_deliveries(&who, request.get_ref())
            .await?;
        ok(pb::ListWebhookDeliveriesResponse { deliveries })
    }

    async fn replay_webhook_deliveries(
        &self,
        request: Request<pb::ReplayWebhookDeliveriesRequest>,
    ) -> R<pb::ReplayWebhookDeliveriesResponse> {
        let who = caller(&request)?.clone();
        let replayed = self
            .engine
            .replay_webhook_deliveries(&who, request.get_ref())
            .await?;
        ok(pb::ReplayWebhookDeliveriesResponse { replayed })
    }

    async fn create_batch(
        &self,
        request: Request<pb::CreateBatchRequest>,
    ) -> R<pb::CreateBatchResponse> {
        let who = caller(&request)?.clone();
        let batch = self.engine.create_batch(&who, request.into_inner()).await?;
        ok(pb::CreateBatchResponse { batch: Some(batch) })
    }

    async fn get_batch(&self, request: Request<pb::GetBatchRequest>) -> R<pb::GetBatchResponse> {
        let who = caller(&request)?.clone();
        let batch = self
            .engine
            .get_batch(&who, &request.get_ref().batch_id)
            .await?;
        ok(pb::GetBatchResponse { batch: Some(batch) })
    }

    async fn list_batch_items(
        &self,
        request: Request<pb::ListBatchItemsRequest>,
    ) -> R<pb::ListBatchItemsResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .list_batch_items(&who, request.into_inner())
            .await?)
    }

    async fn reseal_answer_signing_keys(
        &self,
        request: Request<pb::ResealAnswerSigningKeysRequest>,
    ) -> R<pb::ResealAnswerSigningKeysResponse> {
        let who = caller(&request)?.clone();
        let resealed = self
            .engine
            .reseal_signing_keys(&who, &request.get_ref().new_key_encryption_key)
            .await?;
        ok(pb::ResealAnswerSigningKeysResponse { resealed })
    }

    async fn check_answer_code(
        &self,
        request: Request<pb::CheckAnswerCodeRequest>,
    ) -> R<pb::CheckAnswerCodeResponse> {
        let who = optional_caller(&request).cloned();
        ok(self
            .engine
            .check_answer_code(who.as_ref(), request.into_inner())
            .await?)
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> R<pb::ListAuditRecordsResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .list_audit_records(&who, request.get_ref())
            .await?)
    }

    async fn list_due_inquiries(
        &self,
        request: Request<pb::ListDueInquiriesRequest>,
    ) -> R<pb::ListDueInquiriesResponse> {
        let who = caller(&request)?.clone();
        ok(self
            .engine
            .list_due_inquiries(&who, request.get_ref())
            .await?)
    }

    async fn get_answer_time_statistics(
        &self,
        request: Request<pb::GetAnswerTimeStatisticsRequest>,
    ) -> R<pb::GetAnswerTimeStatisticsResponse> {
        ok(self
            .engine
            .answer_time_statistics(request.get_ref())
            .await?)
    }
}
