//! The statutory clock over HTTP: what is near or past its deadline, for the clerk desk
//! (`GET /api/v1/desk/deadlines`, clerks and admins), and how fast the municipality answers,
//! for everyone (`GET /api/v1/statistics/answer-times`, no login): per Jalali month, the
//! inquiries answered, the median and 95th-percentile time to answer (nearest rank) and the
//! share answered within the legal ten days. The rule is the inquiry service's
//! (`services/inquiry/src/clock.rs`).

use axum::extract::State;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::inquiry::{Inquiries, Inquiry};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(due_inquiries))
        .routes(routes!(answer_times))
}

/// Filters of `GET /api/v1/desk/deadlines`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlinesQuery {
    /// Also the inquiries with more than two days left (`true`); by default only those near
    /// or past their deadline.
    #[serde(default)]
    pub include_on_time: Option<bool>,
    /// Page size (default 50, at most 200).
    #[serde(default)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    pub page_token: Option<String>,
}

/// The submitted inquiries not yet answered whose statutory deadline is near (two days or
/// less) or past, earliest deadline first (clerks and admins).
#[utoipa::path(
    get,
    path = "/api/v1/desk/deadlines",
    tag = "inquiries",
    params(DeadlinesQuery),
    responses((status = 200, description = "Inquiries by deadline, earliest first; each has `answer_due_at` and `deadline_standing`.", body = Inquiries)),
    security(("bearer" = []))
)]
pub async fn due_inquiries(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<DeadlinesQuery>,
) -> Result<axum::Json<Inquiries>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_due_inquiries(outgoing(
            pb::ListDueInquiriesRequest {
                include_on_time: q.include_on_time.unwrap_or(false),
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Inquiries {
        inquiries: r.inquiries.into_iter().map(Inquiry::from).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// Filters of `GET /api/v1/statistics/answer-times`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswerTimesQuery {
    /// The Jalali year, `1000` to `1899`, e.g. `1405` (any digits); the current year in Iran
    /// when absent or empty.
    #[serde(default)]
    #[param(pattern = "^([1۱١][0-8۰-۸٠-٨][0-9۰-۹٠-٩]{2})?$", example = "1405")]
    pub jalali_year: Option<String>,
}

/// One Jalali month's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthAnswerTimes {
    /// The Jalali year.
    pub jalali_year: i32,
    /// The Jalali month, 1 (Farvardin) to 12 (Esfand).
    pub jalali_month: i32,
    /// Inquiries answered in the month (issue time in Iran).
    pub answered: i64,
    /// Of them, answered within the legal limit.
    pub answered_within_limit: i64,
    /// `answered_within_limit / answered`, 0 to 1.
    pub share_within_limit: f64,
    /// Median time from Submit to the answer, in seconds (nearest rank: the time at rank
    /// ⌈n/2⌉ of the times sorted ascending).
    pub median_seconds: i64,
    /// 95th percentile of the time to answer, in seconds (nearest rank: rank ⌈0.95·n⌉).
    pub p95_seconds: i64,
}

/// The public figures of one Jalali year.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerTimes {
    /// The year.
    pub jalali_year: i32,
    /// The legal limit in calendar days (10), counted from Submit.
    pub legal_limit_days: i32,
    /// Every month with an answer issued, oldest first.
    pub months: Vec<MonthAnswerTimes>,
}

/// How fast the municipality answers inquiries, per Jalali month (public, no login).
#[utoipa::path(
    get,
    path = "/api/v1/statistics/answer-times",
    tag = "statistics",
    params(AnswerTimesQuery),
    responses((status = 200, description = "The figures of the year, per month.", body = AnswerTimes)),
    security(())
)]
pub async fn answer_times(
    State(state): State<AppState>,
    Query(q): Query<AnswerTimesQuery>,
) -> Result<axum::Json<AnswerTimes>, ApiError> {
    // Exactly what the document's pattern says: four digits (any script), 1000 to 1899.
    let jalali_year = match q.jalali_year.as_deref() {
        None | Some("") => 0,
        Some(y) => {
            let digits = latin_digits(y);
            match digits.parse::<i32>() {
                Ok(year) if digits.len() == 4 && (1000..=1899).contains(&year) => year,
                _ => {
                    return Err(crate::errors::query_parameter_invalid(
                        "jalali_year",
                        "a Jalali year such as 1405",
                    ));
                }
            }
        }
    };
    let r = state
        .backends
        .inquiry()
        .get_answer_time_statistics(outgoing(
            pb::GetAnswerTimeStatisticsRequest { jalali_year },
            None,
        ))
        .await?
        .into_inner();
    let seconds = |d: Option<prost_types::Duration>| d.map_or(0, |d| d.seconds);
    Ok(axum::Json(AnswerTimes {
        jalali_year: r.jalali_year,
        legal_limit_days: r.legal_limit_days,
        months: r
            .months
            .into_iter()
            .map(|m| MonthAnswerTimes {
                jalali_year: m.jalali_year,
                jalali_month: m.jalali_month,
                answered: m.answered,
                answered_within_limit: m.answered_within_limit,
                share_within_limit: if m.answered > 0 {
                    m.answered_within_limit as f64 / m.answered as f64
                } else {
                    0.0
                },
                median_seconds: seconds(m.median_time_to_answer),
                p95_seconds: seconds(m.p95_time_to_answer),
            })
            .collect(),
    }))
}

/// Persian (۰–۹) and Arabic-Indic (٠–٩) digits as Latin ones.
fn latin_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from_u32(c as u32 - 0x06F0 + u32::from(b'0')).unwrap_or(c),
            '٠'..='٩' => char::from_u32(c as u32 - 0x0660 + u32::from(b'0')).unwrap_or(c),
            c => c,
        })
        .collect()
}
