//! Inquiring authorities (`/api/v1/organizations`), over the identity service: the letter
//! step (step 5) names the authority that asked, so a citizen needs to choose one by name
//! rather than type its id.

use axum::extract::State;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, LocalizedText};
use crate::errors;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_organizations))
}

/// An inquiring authority (notary office, bank, court, registry, …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    /// Stable id; what the letter step's `authority_organization_id` takes.
    pub organization_id: String,
    /// `notary_office`, `bank`, `court`, …
    pub r#type: String,
    /// Name in Persian and English.
    pub name: LocalizedText,
    /// The authority's official number.
    pub registry_number: String,
    /// The city the authority sits in, as it appears on its letters.
    pub city: String,
}

impl From<pb::Organization> for Organization {
    fn from(o: pb::Organization) -> Self {
        Self {
            r#type: dto::enum_name(o.r#type().as_str_name(), "ORGANIZATION_TYPE_"),
            organization_id: o.organization_id,
            name: dto::text(o.name),
            registry_number: o.registry_number,
            city: o.city,
        }
    }
}

/// `?query=&limit=` of the organization list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationsQuery {
    /// Free text matched against names and the registry number.
    #[param(value_type = Option<crate::openapi::formats::SearchText>)]
    pub query: Option<String>,
    /// At most this many (1–100; 50 when absent).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i32>,
}

/// Active organizations, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Organizations {
    /// The organizations.
    pub organizations: Vec<Organization>,
}

/// Lists the active inquiring authorities, to choose the one named in a letter.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "auth",
    params(OrganizationsQuery),
    responses((status = 200, description = "Active organizations, by name.", body = Organizations)),
    security(("bearer" = []))
)]
pub async fn list_organizations(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<OrganizationsQuery>,
) -> Result<axum::Json<Organizations>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(errors::organization_limit_invalid());
    }
    let r = state
        .backends
        .identity()
        .list_organizations(outgoing(
            pb::ListOrganizationsRequest {
                query: q.query.unwrap_or_default(),
                page_size: limit,
                ..Default::default()
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Organizations {
        organizations: r.organizations.into_iter().map(Into::into).collect(),
    }))
}

/// The organization `organization_id` as the caller may see it (any authenticated caller).
pub async fn get_organization(
    state: &AppState,
    bearer: &Bearer,
    organization_id: String,
) -> Result<Organization, ApiError> {
    let r = state
        .backends
        .identity()
        .get_organization(outgoing(
            pb::GetOrganizationRequest { organization_id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(r.organization
        .ok_or_else(|| dto::missing("organization"))?
        .into())
}
