//! Tariffs on the staff desk (`/api/v1/tariffs…`), over the fees service: list the versions
//! by Jalali year, land use and zone, read one, preview the bill a draft would give a
//! parcel, and publish a draft as a new version (published versions never change).
//!
//! The fees service decides who may (staff read and preview, admins publish) and checks
//! every figure, so the gateway only translates: an enum name it does not know is passed on
//! as a value no enum has, and the service refuses it in Persian and English naming the
//! field — after it has checked the caller, so a citizen learns only that it may not.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::common::v1 as common;
use estelam_proto::fees::v1 as pb;
use estelam_proto::property::v1::LandUse;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, AuditStamp, Bill, enum_name, instant, stamp};
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tariffs, publish_tariff))
        .routes(routes!(get_tariff))
        .routes(routes!(preview_tariff))
}

/// A value no proto enum has: what an unknown name becomes, for the service to refuse.
const UNKNOWN_ENUM: i32 = -1;

/// `residential` → the enum's number; empty or `all` → 0 where 0 means "all".
fn lenient(value: &str, prefix: &str, from: impl Fn(&str) -> Option<i32>) -> i32 {
    let v = value.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("all") {
        return 0;
    }
    from(&format!("{prefix}{}", v.to_ascii_uppercase())).unwrap_or(UNKNOWN_ENUM)
}

fn land_use_number(value: &str) -> i32 {
    lenient(value, "LAND_USE_", |n| {
        LandUse::from_str_name(n).map(|v| v as i32)
    })
}

fn land_use_name(n: i32) -> String {
    match LandUse::try_from(n) {
        Ok(LandUse::Unspecified) | Err(_) => "all".to_owned(),
        Ok(v) => enum_name(v.as_str_name(), "LAND_USE_"),
    }
}

fn item_kind_number(value: &str) -> i32 {
    lenient(value, "TARIFF_ITEM_KIND_", |n| {
        pb::TariffItemKind::from_str_name(n).map(|v| v as i32)
    })
}

fn item_kind_name(n: i32) -> String {
    pb::TariffItemKind::try_from(n)
        .map(|v| enum_name(v.as_str_name(), "TARIFF_ITEM_KIND_"))
        .unwrap_or_default()
}

/// One levy of a tariff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffItemBody {
    /// `renewal_levy`, `waste_fee` or `inquiry_fee`.
    pub kind: String,
    /// The name printed on bills.
    pub description: TariffText,
    /// `assessed_value` (rate_ppm of the assessed value), `land_area` or `built_area`
    /// (amount_rials per m²) or `fixed` (amount_rials).
    pub basis: String,
    /// Parts per million of the assessed value (5 per thousand is 5000).
    #[serde(default)]
    pub rate_ppm: i64,
    /// Rials: flat, or per m².
    #[serde(default)]
    pub amount_rials: i64,
    /// For an inquiry fee: the request type it applies to.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::RequestTypeCode)]
    pub request_type_code: String,
}

/// Persian and English text, read and written; nothing else (an unknown key is refused).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffText {
    /// In Persian.
    #[serde(default)]
    pub fa: String,
    /// In English.
    #[serde(default)]
    pub en: String,
}

impl From<TariffText> for Option<common::LocalizedText> {
    fn from(t: TariffText) -> Self {
        Some(common::LocalizedText { fa: t.fa, en: t.en })
    }
}

impl From<Option<common::LocalizedText>> for TariffText {
    fn from(t: Option<common::LocalizedText>) -> Self {
        let t = t.unwrap_or_default();
        Self { fa: t.fa, en: t.en }
    }
}

/// The late-payment penalty rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRuleBody {
    /// Per whole month late, parts per million of the line's base (1.5% is 15000).
    #[serde(default)]
    pub monthly_rate_ppm: i64,
    /// Most a line's penalty reaches, parts per million of its base.
    #[serde(default)]
    pub cap_ppm: i64,
    /// Months after the levy's year before penalties start.
    #[serde(default)]
    pub grace_months: i32,
}

/// A discount rule (for example for early payment).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRuleBody {
    /// The name printed on bills.
    pub description: TariffText,
    /// The levy it reduces: `renewal_levy`, `waste_fee`.
    pub applies_to: String,
    /// Parts per million of that levy's base.
    pub rate_ppm: i64,
    /// Last Jalali day (`1404/03/31`) a payment earns it.
    pub valid_until_jalali: String,
}

/// A draft tariff version: what a new version is published from, or previewed with.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffDraft {
    /// The Jalali year whose levies it defines, e.g. 1405.
    pub jalali_year: i32,
    /// The Jalali day it applies from (`1405/03/01`); today or later.
    pub effective_from_jalali: String,
    /// `residential`, `commercial`, `office`, `industrial`, `agricultural`, `public`,
    /// `mixed`, or `all` (the default).
    #[serde(default)]
    pub land_use: String,
    /// The zone (the first part of the renovation code); 0 (the default) for all.
    #[serde(default)]
    pub zone: i32,
    /// Its levies.
    #[serde(default)]
    pub items: Vec<TariffItemBody>,
    /// Its late-payment penalty.
    #[serde(default)]
    pub penalty: PenaltyRuleBody,
    /// Its discounts.
    #[serde(default)]
    pub discounts: Vec<DiscountRuleBody>,
    /// Why (a council resolution, say): required to publish, kept with the version.
    #[serde(default)]
    pub reason: String,
}

impl From<TariffDraft> for pb::Tariff {
    fn from(t: TariffDraft) -> Self {
        pb::Tariff {
            jalali_year: t.jalali_year,
            effective_from_jalali: t.effective_from_jalali,
            land_use: land_use_number(&t.land_use),
            zone: t.zone,
            items: t
                .items
                .into_iter()
                .map(|i| pb::TariffItem {
                    kind: item_kind_number(&i.kind),
                    description: i.description.into(),
                    basis: lenient(&i.basis, "TARIFF_BASIS_", |n| {
                        pb::TariffBasis::from_str_name(n).map(|v| v as i32)
                    }),
                    rate_ppm: i.rate_ppm,
                    amount_rials: i.amount_rials,
                    request_type_code: i.request_type_code,
                })
                .collect(),
            penalty: Some(pb::PenaltyRule {
                monthly_rate_ppm: t.penalty.monthly_rate_ppm,
                cap_ppm: t.penalty.cap_ppm,
                grace_months: t.penalty.grace_months,
            }),
            discounts: t
                .discounts
                .into_iter()
                .map(|d| pb::DiscountRule {
                    description: d.description.into(),
                    applies_to: item_kind_number(&d.applies_to),
                    rate_ppm: d.rate_ppm,
                    valid_until_jalali: d.valid_until_jalali,
                })
                .collect(),
            reason: t.reason,
            ..Default::default()
        }
    }
}

/// A published tariff version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tariff {
    /// The version's id.
    pub tariff_id: String,
    /// The Jalali year whose levies it defines.
    pub jalali_year: i32,
    /// The Jalali day it applies from.
    pub effective_from_jalali: String,
    /// The same, as an instant (start of that day in Iran, RFC 3339).
    pub effective_from: Option<String>,
    /// The land use it covers, or `all`.
    pub land_use: String,
    /// The zone it covers; 0 for all.
    pub zone: i32,
    /// Its version for (year, land use, zone): 1, 2, …
    pub version: i64,
    /// Its levies.
    pub items: Vec<TariffItemBody>,
    /// Its late-payment penalty.
    pub penalty: PenaltyRuleBody,
    /// Its discounts.
    pub discounts: Vec<DiscountRuleBody>,
    /// Why it was published.
    pub reason: String,
    /// Who published it and when.
    pub changed: Option<AuditStamp>,
}

impl From<pb::Tariff> for Tariff {
    fn from(t: pb::Tariff) -> Self {
        let penalty = t.penalty.unwrap_or_default();
        Self {
            land_use: land_use_name(t.land_use),
            items: t
                .items
                .into_iter()
                .map(|i| TariffItemBody {
                    kind: item_kind_name(i.kind),
                    basis: pb::TariffBasis::try_from(i.basis)
                        .map(|v| enum_name(v.as_str_name(), "TARIFF_BASIS_"))
                        .unwrap_or_default(),
                    description: i.description.into(),
                    rate_ppm: i.rate_ppm,
                    amount_rials: i.amount_rials,
                    request_type_code: i.request_type_code,
                })
                .collect(),
            discounts: t
                .discounts
                .into_iter()
                .map(|d| DiscountRuleBody {
                    applies_to: item_kind_name(d.applies_to),
                    description: d.description.into(),
                    rate_ppm: d.rate_ppm,
                    valid_until_jalali: d.valid_until_jalali,
                })
                .collect(),
            penalty: PenaltyRuleBody {
                monthly_rate_ppm: penalty.monthly_rate_ppm,
                cap_ppm: penalty.cap_ppm,
                grace_months: penalty.grace_months,
            },
            tariff_id: t.tariff_id,
            jalali_year: t.jalali_year,
            effective_from_jalali: t.effective_from_jalali,
            effective_from: instant(t.effective_from),
            zone: t.zone,
            version: t.version,
            reason: t.reason,
            changed: stamp(t.changed),
        }
    }
}

/// `?jalali_year=&land_use=&zone=&include_history=&page_size=&page_token=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TariffsQuery {
    /// Only this Jalali year.
    pub jalali_year: Option<i32>,
    /// Only this land use (`residential`, …); absent or `all` for every one.
    pub land_use: Option<String>,
    /// Only this zone.
    pub zone: Option<i32>,
    /// Also the versions later ones replaced.
    pub include_history: Option<bool>,
    /// Page size (the service's default when absent).
    pub page_size: Option<i32>,
    /// From a previous page's `next_page_token`.
    pub page_token: Option<String>,
}

/// A page of tariff versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tariffs {
    /// By year (newest first), land use, zone, then version.
    pub tariffs: Vec<Tariff>,
    /// The next page's token; empty on the last page.
    pub next_page_token: String,
}

/// Lists tariff versions (staff): the current one of each year, land use and zone, or
/// every version with `include_history`.
#[utoipa::path(
    get,
    path = "/api/v1/tariffs",
    tag = "fees",
    params(TariffsQuery),
    responses((status = 200, description = "A page of tariff versions.", body = Tariffs)),
    security(("bearer" = []))
)]
pub async fn list_tariffs(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<TariffsQuery>,
) -> Result<axum::Json<Tariffs>, ApiError> {
    let r = state
        .backends
        .fees()
        .list_tariffs(outgoing(
            pb::ListTariffsRequest {
                jalali_year: q.jalali_year.unwrap_or_default(),
                land_use: land_use_number(q.land_use.as_deref().unwrap_or_default()),
                zone: q.zone.unwrap_or_default(),
                include_history: q.include_history.unwrap_or_default(),
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Tariffs {
        tariffs: r.tariffs.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// One tariff version (staff).
#[utoipa::path(
    get,
    path = "/api/v1/tariffs/{tariff_id}",
    tag = "fees",
    params(("tariff_id" = String, Path, description = "The version's id.")),
    responses((status = 200, description = "The tariff version.", body = Tariff)),
    security(("bearer" = []))
)]
pub async fn get_tariff(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(tariff_id): Path<String>,
) -> Result<axum::Json<Tariff>, ApiError> {
    let r = state
        .backends
        .fees()
        .get_tariff(outgoing(pb::GetTariffRequest { tariff_id }, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.tariff.ok_or_else(|| dto::missing("tariff"))?.into(),
    ))
}

/// The body of `POST /api/v1/tariffs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishTariffBody {
    /// The new version.
    pub tariff: TariffDraft,
    /// The latest version of the same (year, land use, zone) the admin saw; 0 when none.
    /// Someone else's version published since is a 409: read again, then publish.
    #[serde(default)]
    pub expected_version: i64,
    /// Idempotency key: a retry with the same key returns the same version.
    #[schema(value_type = crate::openapi::formats::ClientRequestId)]
    pub client_request_id: String,
}

/// Publishes a new tariff version (admins). It applies from its effective day; versions
/// already published never change.
#[utoipa::path(
    post,
    path = "/api/v1/tariffs",
    tag = "fees",
    request_body = PublishTariffBody,
    responses((status = 201, description = "The published version.", body = Tariff)),
    security(("bearer" = []))
)]
pub async fn publish_tariff(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(b): Json<PublishTariffBody>,
) -> Result<(StatusCode, axum::Json<Tariff>), ApiError> {
    let r = state
        .backends
        .fees()
        .put_tariff(outgoing(
            pb::PutTariffRequest {
                tariff: Some(b.tariff.into()),
                expected_version: b.expected_version,
                client_request_id: b.client_request_id,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let tariff = r.tariff.ok_or_else(|| dto::missing("tariff"))?;
    Ok((StatusCode::CREATED, axum::Json(tariff.into())))
}

/// The body of `POST /api/v1/tariffs/preview`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewTariffBody {
    /// The draft version.
    pub tariff: TariffDraft,
    /// The parcel to bill, any separator and digits.
    #[schema(value_type = crate::openapi::formats::RenovationCode)]
    pub renovation_code: String,
    /// A request type whose inquiry fee to include; absent for none.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::RequestTypeCode)]
    pub request_type_code: String,
}

/// What a draft would bill a parcel, beside what it is billed now.
#[derive(Debug, Serialize, ToSchema)]
pub struct TariffPreview {
    /// The bill with the draft published (stored nowhere).
    pub bill: Bill,
    /// The bill under the versions published now, as of the same day.
    pub current: Bill,
    /// The parcel's ledger balance before either bill.
    pub balance_rials: i64,
}

/// Previews the bill a draft tariff would give a parcel (staff), item by item, before it
/// is published; stores nothing.
#[utoipa::path(
    post,
    path = "/api/v1/tariffs/preview",
    tag = "fees",
    request_body = PreviewTariffBody,
    responses((status = 200, description = "The bill with the draft, and without.", body = TariffPreview)),
    security(("bearer" = []))
)]
pub async fn preview_tariff(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(b): Json<PreviewTariffBody>,
) -> Result<axum::Json<TariffPreview>, ApiError> {
    let r = state
        .backends
        .fees()
        .preview_tariff(outgoing(
            pb::PreviewTariffRequest {
                tariff: Some(b.tariff.into()),
                renovation_code: b.renovation_code,
                request_type_code: b.request_type_code,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(TariffPreview {
        bill: r.bill.ok_or_else(|| dto::missing("bill"))?.into(),
        current: r.current.ok_or_else(|| dto::missing("current"))?.into(),
        balance_rials: r.balance_rials,
    }))
}
