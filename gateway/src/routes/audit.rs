//! The audit trail on the staff desk: `GET /api/v1/audit?source=…` reads one service's
//! append-only audit (each service keeps its own and checks who may read it: clerks and
//! admins; identity's authentication trail, admins), narrowed by who, what, when and which
//! parcel or inquiry, newest first, in one shape whichever service keeps it.

use axum::extract::State;
use estelam_proto::common::v1 as cpb;
use estelam_proto::identity::v1 as idpb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{enum_name, instant};
use crate::errors;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Filters of `GET /api/v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Whose trail: `documents` (who downloaded whose document), `inquiry` (every state
    /// change of every inquiry, every check of a verification code), `property` (request
    /// numbers, imports), `fees` (tariffs, adjustments, payment callbacks) or `identity`
    /// (logins and account changes; admins only). `inquiry` when absent.
    #[serde(default)]
    pub source: Option<String>,
    /// Only what this account did (for `identity`: what happened to this account).
    #[serde(default)]
    pub actor: Option<String>,
    /// Only this action, e.g. `document.downloaded`, `inquiry.state_changed`,
    /// `answer.verified`, `request_number.issued` (for `identity`: an event kind such as
    /// `login_failed`).
    #[serde(default)]
    pub action: Option<String>,
    /// Only entries about this: an inquiry id or number, a renovation code (any digits,
    /// `-` or `/`), a document id, a request number, a payment…
    #[serde(default)]
    pub subject: Option<String>,
    /// Only entries at or after this instant (RFC 3339).
    #[serde(default)]
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only entries before this instant (RFC 3339).
    #[serde(default)]
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    pub page_token: Option<String>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    /// The service that keeps it.
    pub source: String,
    /// Its id in that service.
    pub record_id: String,
    /// When (RFC 3339).
    pub at: Option<String>,
    /// Who acted: an account id, or empty for the system or an anonymous caller.
    pub actor_account_id: String,
    /// Their name or roles at the time, when known.
    pub actor_display_name: String,
    /// What happened, e.g. `document.downloaded`.
    pub action: String,
    /// What it happened to.
    pub subject: String,
    /// The inquiry concerned, if any.
    pub inquiry_id: String,
    /// The parcel concerned, if known.
    pub renovation_code: String,
    /// How it ended, when that varies.
    pub outcome: String,
    /// Further facts (JSON text).
    pub detail: String,
}

/// A page of audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecords {
    /// Newest first.
    pub records: Vec<AuditRecord>,
    /// Pass as `page_token` for the next page; empty on the last.
    pub next_page_token: String,
}

/// The audit trail of one service, newest first (clerks and admins; `identity`, admins).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of the audit trail.", body = AuditRecords)),
    security(("bearer" = []))
)]
pub async fn list_audit(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<AuditRecords>, ApiError> {
    let filter = cpb::AuditFilter {
        actor_account_id: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        subject: q.subject.clone().unwrap_or_default(),
        since: rfc3339("since", q.since.as_deref())?,
        until: rfc3339("until", q.until.as_deref())?,
    };
    let page_size = q.page_size.unwrap_or_default();
    let page_token = q.page_token.clone().unwrap_or_default();
    let source = match q.source.as_deref().map(str::trim) {
        None | Some("") => "inquiry".to_owned(),
        Some(s) => s.to_ascii_lowercase(),
    };
    let token = bearer.token();
    macro_rules! list {
        ($client:expr, $pkg:ident) => {{
            let r = $client
                .list_audit_records(outgoing(
                    estelam_proto::$pkg::v1::ListAuditRecordsRequest {
                        filter: Some(filter),
                        page_size,
                        page_token,
                    },
                    token,
                ))
                .await?
                .into_inner();
            (r.records, r.next_page_token)
        }};
    }
    let (records, next_page_token) = match source.as_str() {
        "documents" => list!(state.backends.documents(), documents),
        "inquiry" => list!(state.backends.inquiry(), inquiry),
        "property" => list!(state.backends.property(), property),
        "fees" => list!(state.backends.fees(), fees),
        "identity" => identity(&state, token, &q, filter, page_size, page_token).await?,
        _ => {
            return Err(errors::query_parameter_invalid(
                "source",
                "one of documents, inquiry, property, fees, identity",
            ));
        }
    };
    Ok(axum::Json(AuditRecords {
        records: records
            .into_iter()
            .map(|r| AuditRecord {
                source: source.clone(),
                record_id: r.record_id,
                at: instant(r.at),
                actor_account_id: r.actor_account_id,
                actor_display_name: r.actor_display_name,
                action: r.action,
                subject: r.subject,
                inquiry_id: r.inquiry_id,
                renovation_code: r.renovation_code,
                outcome: r.outcome,
                detail: r.detail,
            })
            .collect(),
        next_page_token,
    }))
}

/// Identity keeps its own trail of logins and account changes (`ListAuditEvents`, admins);
/// it is shown in the same shape. Its filter is by the account concerned, given as `actor`
/// or `subject`, and by kind, given as `action`.
async fn identity(
    state: &AppState,
    token: Option<&str>,
    q: &AuditQuery,
    filter: cpb::AuditFilter,
    page_size: i32,
    page_token: String,
) -> Result<(Vec<cpb::AuditRecord>, String), ApiError> {
    let kinds = match q.action.as_deref().map(str::trim) {
        None | Some("") => vec![],
        Some(a) => {
            let name = format!("AUDIT_EVENT_KIND_{}", a.to_ascii_uppercase());
            match idpb::AuditEventKind::from_str_name(&name) {
                Some(k) => vec![k as i32],
                None => return Err(errors::enum_value_unknown("action")),
            }
        }
    };
    let account_id = if filter.actor_account_id.is_empty() {
        filter.subject
    } else {
        filter.actor_account_id
    };
    let r = state
        .backends
        .identity()
        .list_audit_events(outgoing(
            idpb::ListAuditEventsRequest {
                account_id,
                kinds,
                since: filter.since,
                until: filter.until,
                page_size,
                page_token,
            },
            token,
        ))
        .await?
        .into_inner();
    let records = r
        .events
        .into_iter()
        .map(|e| {
            let kind = idpb::AuditEventKind::try_from(e.kind)
                .map(|k| enum_name(k.as_str_name(), "AUDIT_EVENT_KIND_"))
                .unwrap_or_default();
            let actor = if e.actor_account_id.is_empty() {
                e.account_id.clone()
            } else {
                e.actor_account_id
            };
            cpb::AuditRecord {
                record_id: e.audit_event_id,
                at: e.occurred_at,
                actor_account_id: actor,
                actor_display_name: String::new(),
                action: kind,
                subject: if e.account_id.is_empty() {
                    e.presented_identifier
                } else {
                    e.account_id
                },
                inquiry_id: String::new(),
                renovation_code: String::new(),
                outcome: String::new(),
                detail: e.detail,
            }
        })
        .collect();
    Ok((records, r.next_page_token))
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
