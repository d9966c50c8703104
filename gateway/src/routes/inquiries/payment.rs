//! The inquiry's bill and paying it (step 8 of the nine): the browser goes to the payment's
//! `redirect_url`, and the payment provider's confirmation clears the debt through the fees
//! service's event, after which the inquiry service issues the answer.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;

use crate::bearer::Bearer;
use crate::dto::inquiry::PaymentBody;
use crate::dto::{self, Bill, Payment};
use crate::extract::{Json, Path};
use crate::problem::ApiError;
use crate::state::AppState;

/// The inquiry's itemised bill.
#[utoipa::path(
    get,
    path = "/api/v1/inquiries/{id}/bill",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    responses((status = 200, description = "The bill.", body = Bill)),
    security(("bearer" = []))
)]
pub async fn get_bill(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Bill>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_bill(outgoing(
            pb::GetBillRequest { inquiry_id: id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.bill.ok_or_else(|| dto::missing("bill"))?.into(),
    ))
}

/// Step 8: starts paying the bill; send the browser to the payment's `redirect_url`.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/payments",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = PaymentBody,
    responses((status = 201, description = "The payment, pending.", body = Payment)),
    security(("bearer" = []))
)]
pub async fn start_payment(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<PaymentBody>,
) -> Result<(StatusCode, axum::Json<Payment>), ApiError> {
    let r = state
        .backends
        .inquiry()
        .start_payment(outgoing(
            pb::StartPaymentRequest {
                inquiry_id: id,
                expected_version: b.expected_version,
                client_request_id: b.client_request_id,
                return_url: b.return_url,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(r.payment.ok_or_else(|| dto::missing("payment"))?.into()),
    ))
}
