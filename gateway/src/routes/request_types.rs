//! The e-service editor on the staff desk (`/api/v1/request-types/{code}…`), over the
//! inquiry service: read one request type, publish a new version of it (admins; the
//! first version creates it), and preview the wizard a citizen will see, with this
//! year's prices. The list is the inquiry flow's `GET /api/v1/request-types`, which staff
//! ask with `include_inactive=true`.
//!
//! The inquiry service decides who may and checks everything (a fee item no tariff of the
//! year prices, an unknown document kind, …), so the gateway only translates: an enum name
//! it does not know is passed on as a value no enum has, for the service to refuse in
//! Persian and English naming the item — after it has checked the caller.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::common::v1 as common;
use estelam_proto::fees::v1::{BillItemKind, TariffBasis};
use estelam_proto::identity::v1::Role;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::inquiry::RequestType;
use crate::dto::{self, LocalizedText, enum_name, text};
use crate::errors;
use crate::extract::{Json, Path};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_request_type, publish_request_type))
        .routes(routes!(preview_request_type))
}

/// A value no proto enum has: what an unknown name becomes, for the service to refuse.
const UNKNOWN_ENUM: i32 = -1;

/// `national_id_card` with prefix `DOCUMENT_KIND_` → its number, or [`UNKNOWN_ENUM`].
fn number(value: &str, prefix: &str, from: impl Fn(&str) -> Option<i32>) -> i32 {
    from(&format!("{prefix}{}", value.trim().to_ascii_uppercase())).unwrap_or(UNKNOWN_ENUM)
}

/// Persian and English text, as an admin writes it; nothing else (an unknown key is
/// refused).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EServiceText {
    /// In Persian, the text of record.
    #[serde(default)]
    pub fa: String,
    /// In English.
    #[serde(default)]
    pub en: String,
}

impl From<EServiceText> for common::LocalizedText {
    fn from(t: EServiceText) -> Self {
        Self { fa: t.fa, en: t.en }
    }
}

/// One undertaking's text version. A changed text needs a new `version`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndertakingDraft {
    /// The undertaking's code, the same across its text versions.
    pub code: String,
    /// The text version, from 1.
    pub version: i32,
    /// The short title beside the checkbox.
    #[serde(default)]
    pub title: EServiceText,
    /// The full text the applicant accepts.
    pub text: EServiceText,
}

/// A request type version as an admin publishes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestTypeDraft {
    /// The name citizens choose it by.
    pub name: EServiceText,
    /// What it is for.
    #[serde(default)]
    pub description: EServiceText,
    /// Who may file it: `citizen`, `authority`.
    pub allowed_roles: Vec<String>,
    /// The undertakings to accept (step 3).
    #[serde(default)]
    pub undertakings: Vec<UndertakingDraft>,
    /// Documents to attach, by kind (`GET /api/v1/document-kinds`): `national_id_card`,
    /// `ownership_deed`, …, or any kind an admin added. An unknown or inactive kind is
    /// refused `REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN`.
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::formats::DocumentKind>)]
    pub required_documents: Vec<String>,
    /// Whether the authority's letter step applies.
    #[serde(default)]
    pub letter_required: bool,
    /// Whether the request number is checked with the municipality's records.
    #[serde(default)]
    pub check_request_number: bool,
    /// Whether the applicant must be an owner on record.
    #[serde(default)]
    pub check_ownership: bool,
    /// Whether the parcel's debt must be paid before the answer.
    #[serde(default)]
    pub check_debt: bool,
    /// Bill items charged: `renewal_levy`, `waste_fee`, `penalty`, `adjustment`,
    /// `discount`, `inquiry_fee`. Those a tariff prices need one for the current Jalali
    /// year before the type can be active.
    #[serde(default)]
    pub fee_items: Vec<String>,
    /// Who pays the inquiry fee: `on_bill` (the default) or `on_account` (the inquiring
    /// authority's account; needs the letter).
    #[serde(default)]
    pub inquiry_fee_settlement: String,
    /// The answer's layout: `standard` (the default) or `clearance`.
    #[serde(default)]
    pub answer_template: String,
    /// The title printed on the answer; empty for the layout's own.
    #[serde(default)]
    pub answer_title: EServiceText,
    /// Plain-language sentences printed on the answer, in order.
    #[serde(default)]
    pub answer_statements: Vec<EServiceText>,
    /// Days an answer stays valid (1–3650).
    pub answer_validity_days: i32,
    /// Whether a repeat within an earlier answer's validity is free of the inquiry fee.
    #[serde(default)]
    pub repeat_free_within_validity: bool,
    /// Whether citizens may file it.
    #[serde(default)]
    pub active: bool,
    /// RFC 3339: filing opens then; absent for now.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub active_from: Option<String>,
    /// RFC 3339: filing closes then; absent for never.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub active_until: Option<String>,
}

fn instant(field: &str, value: Option<String>) -> Result<Option<prost_types::Timestamp>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<prost_types::Timestamp>()
            .map(Some)
            .map_err(|_| errors::instant_invalid(field)),
    }
}

impl RequestTypeDraft {
    fn into_proto(self, code: String) -> Result<pb::RequestType, ApiError> {
        Ok(pb::RequestType {
            active_from: instant("request_type.active_from", self.active_from)?,
            active_until: instant("request_type.active_until", self.active_until)?,
            code,
            name: Some(self.name.into()),
            description: Some(self.description.into()),
            allowed_roles: self
                .allowed_roles
                .iter()
                .map(|r| number(r, "ROLE_", |n| Role::from_str_name(n).map(|v| v as i32)))
                .collect(),
            undertakings: self
                .undertakings
                .into_iter()
                .map(|u| pb::Undertaking {
                    code: u.code,
                    version: u.version,
                    title: Some(u.title.into()),
                    text: Some(u.text.into()),
                    ..Default::default()
                })
                .collect(),
            // Kinds are data: sent by code, for the inquiry service to check with documents.
            required_document_codes: self
                .required_documents
                .iter()
                .map(|k| crate::dto::kind_in(k))
                .collect(),
            letter_required: self.letter_required,
            check_request_number: self.check_request_number,
            check_ownership: self.check_ownership,
            check_debt: self.check_debt,
            fee_items: self
                .fee_items
                .iter()
                .map(|k| {
                    number(k, "BILL_ITEM_KIND_", |n| {
                        BillItemKind::from_str_name(n).map(|v| v as i32)
                    })
                })
                .collect(),
            inquiry_fee_settlement: if self.inquiry_fee_settlement.trim().is_empty() {
                0
            } else {
                number(
                    &self.inquiry_fee_settlement,
                    "INQUIRY_FEE_SETTLEMENT_",
                    |n| pb::InquiryFeeSettlement::from_str_name(n).map(|v| v as i32),
                )
            },
            answer_template: self.answer_template,
            answer_title: Some(self.answer_title.into()),
            answer_statements: self.answer_statements.into_iter().map(Into::into).collect(),
            answer_validity_days: self.answer_validity_days,
            repeat_free_within_validity: self.repeat_free_within_validity,
            active: self.active,
            ..Default::default()
        })
    }
}

/// The body of `PUT /api/v1/request-types/{code}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequestTypeBody {
    /// The new version.
    pub request_type: RequestTypeDraft,
    /// The version being replaced, as last read; 0 to create the type. Someone else's
    /// version published since is a 409: read again, then publish.
    #[serde(default)]
    pub expected_version: i64,
    /// Why (kept with the version).
    #[serde(default)]
    pub reason: String,
    /// Idempotency key: a retry with the same key publishes nothing twice.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
}

/// One request type's current version (anyone: the portal shows a type before login).
#[utoipa::path(
    get,
    path = "/api/v1/request-types/{code}",
    tag = "inquiries",
    params(("code" = crate::openapi::formats::RequestTypeCode, Path, description = "The request type's code.")),
    responses((status = 200, description = "The request type's current version.", body = RequestType)),
    security((), ("bearer" = []))
)]
pub async fn get_request_type(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(code): Path<String>,
) -> Result<axum::Json<RequestType>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_request_type(outgoing(pb::GetRequestTypeRequest { code }, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.request_type
            .ok_or_else(|| dto::missing("request_type"))?
            .into(),
    ))
}

/// Publishes a new version of a request type (admins), or creates it with
/// `expected_version` 0. Inquiries already started keep the version they started on.
#[utoipa::path(
    put,
    path = "/api/v1/request-types/{code}",
    tag = "inquiries",
    params(("code" = crate::openapi::formats::RequestTypeCode, Path, description = "The request type's code: lower-case letters, digits and dashes.")),
    request_body = PublishRequestTypeBody,
    responses(
        (status = 201, description = "The request type, created.", body = RequestType),
        (status = 200, description = "The new version.", body = RequestType),
    ),
    security(("bearer" = []))
)]
pub async fn publish_request_type(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(code): Path<String>,
    Json(b): Json<PublishRequestTypeBody>,
) -> Result<(StatusCode, axum::Json<RequestType>), ApiError> {
    let created = b.expected_version == 0;
    let r = state
        .backends
        .inquiry()
        .put_request_type(outgoing(
            pb::PutRequestTypeRequest {
                request_type: Some(b.request_type.into_proto(code)?),
                expected_version: b.expected_version,
                reason: b.reason,
                client_request_id: b.client_request_id,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(
            r.request_type
                .ok_or_else(|| dto::missing("request_type"))?
                .into(),
        ),
    ))
}

/// One step of the wizard.
#[derive(Debug, Serialize, ToSchema)]
pub struct WizardStep {
    /// `undertakings`, `property`, `letter`, `documents`, `applicant`, `payment`, `answer`.
    pub step: String,
    /// Its title.
    pub title: LocalizedText,
    /// What the citizen does or is checked for there.
    pub detail: LocalizedText,
}

/// A document to attach.
#[derive(Debug, Serialize, ToSchema)]
pub struct WizardDocument {
    /// Its kind: the code, written with `_` (`national_id_card`, …).
    #[schema(value_type = crate::openapi::formats::DocumentKind)]
    pub kind: String,
    /// Its name, as the documents service names the kind.
    pub name: LocalizedText,
}

/// A fee line, as this year's tariffs price it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WizardFeeLine {
    /// `inquiry_fee`, `renewal_levy`, …
    pub kind: String,
    /// Its name.
    pub name: LocalizedText,
    /// Whether a tariff of the year prices it now.
    pub priced: bool,
    /// `fixed`, `assessed_value`, `land_area`, `built_area`; empty when not priced.
    pub basis: String,
    /// For `assessed_value`: parts per million of the value.
    pub rate_ppm: i64,
    /// For `fixed`: rials; per m² for the area bases.
    pub amount_rials: i64,
    /// The tariff version that prices it.
    pub tariff_id: String,
    /// `on_bill` or `on_account`.
    pub settlement: String,
}

/// The wizard a citizen will see for a request type's current version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestTypePreview {
    /// The version previewed.
    pub request_type: RequestType,
    /// The steps, in order.
    pub steps: Vec<WizardStep>,
    /// The documents to attach.
    pub documents: Vec<WizardDocument>,
    /// The checks that apply, in words.
    pub checks: Vec<LocalizedText>,
    /// The fee lines.
    pub fee_lines: Vec<WizardFeeLine>,
    /// The Jalali year whose tariffs priced them.
    pub jalali_year: i32,
    /// The title the answer will carry.
    pub answer_title: LocalizedText,
    /// The statements the answer will carry.
    pub answer_statements: Vec<LocalizedText>,
    /// Whether a citizen can file it now.
    pub open_now: bool,
}

impl From<pb::PreviewRequestTypeResponse> for RequestTypePreview {
    fn from(p: pb::PreviewRequestTypeResponse) -> Self {
        Self {
            request_type: p.request_type.unwrap_or_default().into(),
            steps: p
                .steps
                .into_iter()
                .map(|s| WizardStep {
                    step: s.step,
                    title: text(s.title),
                    detail: text(s.detail),
                })
                .collect(),
            documents: p
                .documents
                .into_iter()
                .map(|d| WizardDocument {
                    kind: crate::dto::wire_kind(d.kind, &d.kind_code),
                    name: text(d.name),
                })
                .collect(),
            checks: p.checks.into_iter().map(Into::into).collect(),
            fee_lines: p
                .fee_lines
                .into_iter()
                .map(|l| WizardFeeLine {
                    kind: BillItemKind::try_from(l.kind)
                        .map(|k| enum_name(k.as_str_name(), "BILL_ITEM_KIND_"))
                        .unwrap_or_default(),
                    name: text(l.name),
                    priced: l.priced,
                    basis: match TariffBasis::try_from(l.basis) {
                        Ok(TariffBasis::Unspecified) | Err(_) => String::new(),
                        Ok(b) => enum_name(b.as_str_name(), "TARIFF_BASIS_"),
                    },
                    rate_ppm: l.rate_ppm,
                    amount_rials: l.amount_rials,
                    tariff_id: l.tariff_id,
                    settlement: pb::InquiryFeeSettlement::try_from(l.settlement)
                        .map(|s| enum_name(s.as_str_name(), "INQUIRY_FEE_SETTLEMENT_"))
                        .unwrap_or_default(),
                })
                .collect(),
            jalali_year: p.jalali_year,
            answer_title: text(p.answer_title),
            answer_statements: p.answer_statements.into_iter().map(Into::into).collect(),
            open_now: p.open_now,
        }
    }
}

/// The wizard a citizen will see for a request type (staff): its steps, documents,
/// checks, fee lines priced by this year's tariffs, and the answer's words.
#[utoipa::path(
    get,
    path = "/api/v1/request-types/{code}/preview",
    tag = "inquiries",
    params(("code" = crate::openapi::formats::RequestTypeCode, Path, description = "The request type's code.")),
    responses((status = 200, description = "The wizard.", body = RequestTypePreview)),
    security(("bearer" = []))
)]
pub async fn preview_request_type(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(code): Path<String>,
) -> Result<axum::Json<RequestTypePreview>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .preview_request_type(outgoing(
            pb::PreviewRequestTypeRequest { code },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(r.into()))
}
