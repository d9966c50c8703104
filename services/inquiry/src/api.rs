//! The gRPC API: check the caller, translate, delegate to the [`Engine`].

use std::sync::Arc;

use estelam_proto::inquiry::v1 as pb;
use estelam_proto::inquiry::v1::inquiry_service_server::InquiryService;
use estelam_runtime::auth::{Role, caller, optional_caller};
use estelam_runtime::error::{ErrorCode, ServiceError};
use tonic::{Request, Response, Status};

use crate::answer::Facts;
use crate::engine::{Engine, answer_status};
use crate::render::{self, AnswerView, Lang};

/// The tonic service.
#[derive(Clone)]
pub struct Api {
    engine: Arc<Engine>,
}

impl Api {
    /// An API over the orchestrator.
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
        let types = self
            .engine
            .list_request_types(who.as_ref(), request.get_ref().include_inactive)
            .await?;
        ok(pb::ListRequestTypesResponse {
            request_types: types,
        })
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
        use pb::get_inquiry_request::Key;
        let who = caller(&request)?.clone();
        let inq = match &request.get_ref().key {
            Some(Key::InquiryId(id)) => self.engine.load_visible(&who, id).await?,
            Some(Key::InquiryNumber(n)) => self.engine.load_visible_by_number(&who, n).await?,
            None => {
                return Err(ServiceError::invalid_field(
                    "inquiry_id",
                    "REQUIRED",
                    "شناسه یا شمارهٔ استعلام را بفرستید.",
                    "Send the inquiry id or inquiry number.",
                )
                .into());
            }
        };
        ok(pb::GetInquiryResponse {
            inquiry: Some(inq.to_proto()),
        })
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

    async fn get_answer(&self, request: Request<pb::GetAnswerRequest>) -> R<pb::GetAnswerResponse> {
        let who = caller(&request)?.clone();
        let (_, row) = self
            .engine
            .answer_of(&who, &request.get_ref().inquiry_id)
            .await?;
        ok(pb::GetAnswerResponse {
            answer: Some(self.engine.answer_proto(&row, false)?),
        })
    }

    async fn render_answer(
        &self,
        request: Request<pb::RenderAnswerRequest>,
    ) -> R<pb::RenderAnswerResponse> {
        let who = caller(&request)?.clone();
        let req = request.into_inner();
        let (inq, row) = self.engine.answer_of(&who, &req.inquiry_id).await?;
        let lang = Lang::parse(&req.language);
        let format =
            pb::AnswerFormat::try_from(req.format).unwrap_or(pb::AnswerFormat::Unspecified);
        let template = {
            let t = self.engine.get_request_type(&inq.request_type_code).await;
            t.map(|t| t.answer_template)
                .unwrap_or_else(|_| "standard".into())
        };
        let url = self.engine.verification_url(&row.verification_code);
        let facts = Facts::decode(&row.signed_payload).map_err(ServiceError::internal)?;
        let status = answer_status(&row, estelam_runtime::db::now_micros());
        let name = format!("estelam-{}", row.inquiry_number);
        let rendered = tokio::task::spawn_blocking(move || {
            let view = AnswerView {
                facts: &facts,
                verification_code: &row.verification_code,
                verification_url: &url,
                signing_key_id: &row.signing_key_id,
                signature: &row.signature,
                status,
                revoked_reason: row.revoked_reason.as_deref(),
                template: &template,
            };
            match format {
                pb::AnswerFormat::Pdf => {
                    render::pdf(&view, lang).map(|b| (b, "application/pdf", format!("{name}.pdf")))
                }
                _ => render::html(&view, lang).map(|h| {
                    (
                        h.into_bytes(),
                        "text/html; charset=utf-8",
                        format!("{name}.html"),
                    )
                }),
            }
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
        ok(pb::RenderAnswerResponse {
            content: rendered.0,
            content_type: rendered.1.into(),
            filename: rendered.2,
        })
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
        if !who.has_any(&[
            Role::Authority,
            Role::Clerk,
            Role::Admin,
            Role::Service,
            Role::Citizen,
        ]) {
            return Err(ServiceError::new(
                ErrorCode::PermissionDenied,
                "PERMISSION_DENIED",
                "شما اجازهٔ انجام این کار را ندارید.",
                "You are not allowed to do this.",
            )
            .into());
        }
        let entries = self
            .engine
            .bulk_status(&who, &request.get_ref().inquiry_numbers)
            .await?;
        ok(pb::BulkStatusResponse { entries })
    }
}
