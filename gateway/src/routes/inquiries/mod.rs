//! The inquiry flow (`/api/v1/request-types`, `/api/v1/inquiries/…`) and the public answer
//! check (`/api/v1/answers/{verification_code}`), over the inquiry service.
//!
//! [`flow`] starts an inquiry and walks it through its steps to submission, [`payment`]
//! shows its bill and starts paying it, [`answers`] hands out and verifies the signed
//! answer. The JSON shapes are in [`crate::dto::inquiry`].

pub mod answers;
pub mod flow;
pub mod institution;
pub mod payment;
pub mod representation;
pub mod review;

use std::future::Future;

use estelam_proto::inquiry::v1 as pb;
use estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient;
use estelam_runtime::grpc::outgoing;
use tonic::transport::Channel;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, inquiry::Inquiry};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(flow::list_request_types))
        .routes(routes!(flow::create_inquiry, flow::list_inquiries))
        .routes(routes!(flow::get_inquiry))
        .routes(routes!(flow::accept_undertakings))
        .routes(routes!(flow::set_property))
        .routes(routes!(flow::set_letter))
        .routes(routes!(flow::attach_documents))
        .routes(routes!(flow::set_applicant))
        .routes(routes!(flow::submit))
        .routes(routes!(payment::get_bill))
        .routes(routes!(payment::start_payment))
        .routes(routes!(answers::get_answer))
        .routes(routes!(answers::get_answer_html))
        .routes(routes!(answers::get_answer_pdf))
        .routes(routes!(answers::verify_answer))
        .routes(routes!(representation::decide_representation))
        .routes(routes!(review::list_reviews))
        .routes(routes!(review::decide_review))
        .routes(routes!(institution::file_on_behalf))
        .routes(routes!(institution::cancel))
        .routes(routes!(institution::bulk_status))
        .routes(routes!(institution::account_statement))
}

/// An answer of the inquiry service whose whole content, for the HTTP route, is the
/// inquiry it returns: creating, reading and every step change.
trait CarriesInquiry {
    fn into_inquiry(self) -> Option<pb::Inquiry>;
}

macro_rules! carries_inquiry {
    ($($response:ty),* $(,)?) => {
        $(impl CarriesInquiry for $response {
            fn into_inquiry(self) -> Option<pb::Inquiry> {
                self.inquiry
            }
        })*
    };
}

carries_inquiry!(
    pb::CreateInquiryResponse,
    pb::GetInquiryResponse,
    pb::AcceptUndertakingsResponse,
    pb::SetPropertyResponse,
    pb::SetLetterResponse,
    pb::AttachDocumentsResponse,
    pb::SetApplicantResponse,
    pb::DecideRepresentationResponse,
    pb::DecideReviewResponse,
    pb::FileInquiryOnBehalfResponse,
    pb::CancelInquiryResponse,
);

/// Makes one call (`rpc`) of the inquiry service with the caller's token and answers the
/// inquiry it returns. The step routes differ only in the request they build; this is the
/// rest of them, so that every step forwards the token and the trace context and turns a
/// missing inquiry into an internal error the same way.
async fn inquiry_call<Req, Resp, Fut>(
    state: &AppState,
    bearer: &Bearer,
    request: Req,
    rpc: impl FnOnce(InquiryServiceClient<Channel>, tonic::Request<Req>) -> Fut,
) -> Result<axum::Json<Inquiry>, ApiError>
where
    Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    Resp: CarriesInquiry,
{
    let response = rpc(state.backends.inquiry(), outgoing(request, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(
        response
            .into_inquiry()
            .ok_or_else(|| dto::missing("inquiry"))?
            .into(),
    ))
}
