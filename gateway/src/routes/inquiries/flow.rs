//! Starting an inquiry and walking it through its steps to submission (steps 3 to 7 of the
//! nine): each route forwards the caller's token, and the inquiry service checks the step
//! against the inquiry's state and the request type's rules.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::common::v1 as common;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1::OwnershipType;
use estelam_runtime::grpc::outgoing;

use super::inquiry_call;
use crate::bearer::Bearer;
use crate::dto;
use crate::dto::inquiry::{
    ApplicantBody, CreateInquiryBody, DocumentsBody, Inquiries, Inquiry, LetterBody,
    ListInquiriesQuery, PropertyBody, RequestTypes, SubmitBody, Submitted, UndertakingsBody,
};
use crate::errors;
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// `?include_inactive=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestTypesQuery {
    /// Staff: also the inactive types and those outside their active window (the
    /// e-service editor's list). Refused (403) for anyone else.
    pub include_inactive: Option<bool>,
}

/// The kinds of request a citizen can file, with their undertakings and documents; staff
/// ask for every one with `include_inactive=true`.
#[utoipa::path(
    get,
    path = "/api/v1/request-types",
    tag = "inquiries",
    params(RequestTypesQuery),
    responses((status = 200, description = "The request types.", body = RequestTypes)),
    security((), ("bearer" = []))
)]
pub async fn list_request_types(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<RequestTypesQuery>,
) -> Result<axum::Json<RequestTypes>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_request_types(outgoing(
            pb::ListRequestTypesRequest {
                include_inactive: q.include_inactive.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(RequestTypes {
        request_types: r.request_types.into_iter().map(Into::into).collect(),
    }))
}

/// Starts a new inquiry (a draft) of a request type.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries",
    tag = "inquiries",
    request_body = CreateInquiryBody,
    responses((status = 201, description = "The new inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn create_inquiry(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<CreateInquiryBody>,
) -> Result<(StatusCode, axum::Json<Inquiry>), ApiError> {
    let created = inquiry_call(
        &state,
        &bearer,
        pb::CreateInquiryRequest {
            request_type_code: body.request_type_code,
            client_request_id: body.client_request_id,
        },
        |mut client, request| async move { client.create_inquiry(request).await },
    )
    .await?;
    Ok((StatusCode::CREATED, created))
}

/// The caller's inquiries (a clerk's: everyone's; an office's: those it filed and those a
/// citizen's letter addresses to it), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/inquiries",
    tag = "inquiries",
    params(ListInquiriesQuery),
    responses((status = 200, description = "A page of inquiries.", body = Inquiries)),
    security(("bearer" = []))
)]
pub async fn list_inquiries(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<ListInquiriesQuery>,
) -> Result<axum::Json<Inquiries>, ApiError> {
    let states = match q.state.as_deref() {
        Some(s) if !s.is_empty() => vec![dto::parse_enum("state", s, "INQUIRY_STATE_", |n| {
            pb::InquiryState::from_str_name(n).map(|v| v as i32)
        })?],
        _ => vec![],
    };
    let r = state
        .backends
        .inquiry()
        .list_inquiries(outgoing(
            pb::ListInquiriesRequest {
                states,
                request_type_code: q.request_type_code.unwrap_or_default(),
                renovation_code: q.renovation_code.unwrap_or_default(),
                letter_organization_id: q.letter_organization_id.unwrap_or_default(),
                letter_number: q.letter_number.unwrap_or_default(),
                created_after: rfc3339("created_after", q.created_after.as_deref())?,
                created_before: rfc3339("created_before", q.created_before.as_deref())?,
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
                ..Default::default()
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Inquiries {
        inquiries: r.inquiries.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// An RFC 3339 instant of the query string, or a 400 naming `field`.
fn rfc3339(field: &str, value: Option<&str>) -> Result<Option<prost_types::Timestamp>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<prost_types::Timestamp>()
            .map(Some)
            .map_err(|_| errors::query_parameter_invalid(field, "not an RFC 3339 date-time")),
    }
}

/// One inquiry (only its applicant, its filer, the office its letter names and clerks see
/// it; others get 404).
#[utoipa::path(
    get,
    path = "/api/v1/inquiries/{id}",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    responses((status = 200, description = "The inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn get_inquiry(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::GetInquiryRequest {
            key: Some(pb::get_inquiry_request::Key::InquiryId(id)),
        },
        |mut client, request| async move { client.get_inquiry(request).await },
    )
    .await
}

/// Step 3: accepts the request type's undertakings.
///
/// Every version the request type lists must be accepted; the versions are kept, so a later
/// change of wording does not rewrite what was agreed.
#[utoipa::path(
    put,
    path = "/api/v1/inquiries/{id}/undertakings",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = UndertakingsBody,
    responses((status = 200, description = "The updated inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn accept_undertakings(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<UndertakingsBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::AcceptUndertakingsRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            undertaking_version_ids: b.undertaking_version_ids,
        },
        |mut client, request| async move { client.accept_undertakings(request).await },
    )
    .await
}

/// Step 4: names the property.
///
/// By renovation code or by a point on the map, with the request number the municipality
/// issued for it; the service checks both against its records.
#[utoipa::path(
    put,
    path = "/api/v1/inquiries/{id}/property",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = PropertyBody,
    responses((status = 200, description = "The updated inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn set_property(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<PropertyBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    use pb::set_property_request::Location;
    let location = match (b.renovation_code, b.picked_point) {
        (Some(code), None) if !code.trim().is_empty() => Location::RenovationCode(code),
        (None, Some(p)) => Location::PickedPoint(common::GeoPoint {
            lat: p.lat,
            lon: p.lon,
        }),
        _ => return Err(errors::property_location_required()),
    };
    inquiry_call(
        &state,
        &bearer,
        pb::SetPropertyRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            location: Some(location),
            request_number: b.request_number,
        },
        |mut client, request| async move { client.set_property(request).await },
    )
    .await
}

/// Step 5: records the authority's letter (number, Jalali date, authority).
#[utoipa::path(
    put,
    path = "/api/v1/inquiries/{id}/letter",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = LetterBody,
    responses((status = 200, description = "The updated inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn set_letter(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<LetterBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::SetLetterRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            letter_number: b.letter_number,
            letter_date_jalali: b.letter_date_jalali,
            authority_organization_id: b.authority_organization_id,
        },
        |mut client, request| async move { client.set_letter(request).await },
    )
    .await
}

/// Step 5: attaches uploaded documents.
///
/// Upload each with `POST /api/v1/documents` first; the request type says which kinds it
/// needs.
#[utoipa::path(
    put,
    path = "/api/v1/inquiries/{id}/documents",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = DocumentsBody,
    responses((status = 200, description = "The updated inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn attach_documents(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<DocumentsBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    inquiry_call(
        &state,
        &bearer,
        pb::AttachDocumentsRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            document_ids: b.document_ids,
        },
        |mut client, request| async move { client.attach_documents(request).await },
    )
    .await
}

/// Step 6: the applicant and how they own the property.
///
/// Checked against the parcel's owners as the property service records them.
#[utoipa::path(
    put,
    path = "/api/v1/inquiries/{id}/applicant",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = ApplicantBody,
    responses((status = 200, description = "The updated inquiry.", body = Inquiry)),
    security(("bearer" = []))
)]
pub async fn set_applicant(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<ApplicantBody>,
) -> Result<axum::Json<Inquiry>, ApiError> {
    let ownership_type = dto::parse_enum(
        "ownership_type",
        &b.ownership_type,
        "OWNERSHIP_TYPE_",
        |n| OwnershipType::from_str_name(n).map(|v| v as i32),
    )?;
    inquiry_call(
        &state,
        &bearer,
        pb::SetApplicantRequest {
            inquiry_id: id,
            expected_version: b.expected_version,
            client_request_id: b.client_request_id,
            full_name: b.full_name,
            national_code: b.national_code,
            ownership_type,
            representation: b.representation.map(Into::into),
        },
        |mut client, request| async move { client.set_applicant(request).await },
    )
    .await
}

/// Step 7: submits the inquiry; it is assessed and billed.
///
/// When nothing is owed the answer is issued at once, and the inquiry comes back issued.
#[utoipa::path(
    post,
    path = "/api/v1/inquiries/{id}/submit",
    tag = "inquiries",
    params(("id" = crate::openapi::formats::Id, Path, description = "The inquiry id.")),
    request_body = SubmitBody,
    responses((status = 200, description = "The inquiry and its bill.", body = Submitted)),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(b): Json<SubmitBody>,
) -> Result<axum::Json<Submitted>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .submit(outgoing(
            pb::SubmitRequest {
                inquiry_id: id,
                expected_version: b.expected_version,
                client_request_id: b.client_request_id,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Submitted {
        inquiry: r.inquiry.ok_or_else(|| dto::missing("inquiry"))?.into(),
        bill: r.bill.map(Into::into),
    }))
}
