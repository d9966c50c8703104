//! The OpenAPI 3.1 document: generated from the handlers' `#[utoipa::path]` attributes (see
//! [`crate::routes`]), on a base that names the API, its tags and shared schemas, and then
//! completed so that every operation documents its errors as problem+json and the bearer
//! token scheme is declared.

pub mod formats;

use std::sync::OnceLock;

use utoipa::OpenApi;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Ref, RefOr, ResponseBuilder, header::HeaderBuilder, schema::Type,
};

use crate::problem::{FieldProblem, PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Estelam — municipal e-services API",
        description = "The HTTP/JSON API of Estelam (استعلام), the municipal property-inquiry \
                       service. Errors are RFC 9457 problem details (`application/problem+json`) \
                       with Persian (`title_fa`, `detail_fa`) and English (`title`, `detail`) \
                       messages and per-field `errors`. Send the access token from \
                       `POST /api/v1/auth/login` as `Authorization: Bearer …`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "operations", description = "Health, readiness, metrics and status, for operators."),
        (name = "documentation", description = "This document and its reference page."),
        (name = "auth", description = "Registration, login, tokens and the caller's account."),
        (name = "payments", description = "The sandbox payment provider's pages (development and demos)."),
        (name = "documents", description = "Uploading and downloading documents."),
        (name = "parcels", description = "Parcels and the map's features (OGC API – Features)."),
        (name = "inquiries", description = "Request types, the nine steps of an inquiry, its bill, payment and answer."),
        (name = "notifications", description = "Which events reach a person by SMS or e-mail, and in what language."),
        (name = "clients", description = "Organisations' API clients (OAuth 2.0 client credentials), for admins."),
        (name = "people", description = "Accounts and organisations on the staff desk, for admins: staff accounts and roles, organisations with their users and clients, disabling, password resets."),
        (name = "statistics", description = "How fast the municipality answers: public figures per Jalali month, no login."),
        (name = "audit", description = "Every service's append-only audit trail, for the staff desk."),
        (name = "webhooks", description = "Organisations' webhook endpoints (Standard Webhooks: signed, retried, replayable), their deliveries and replay."),
        (name = "fees", description = "Tariff versions with a bill preview, a parcel's ledger and levy adjustments with a second approver, for municipal staff."),
    ),
    components(schemas(Problem, FieldProblem)),
)]
struct ApiDoc;

/// The document's base, before the routes add their paths.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Name of the shared error response in `components.responses`.
const PROBLEM_RESPONSE: &str = "Problem";

/// Adds the shared problem response to every operation and the bearer scheme.
fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    let retry_after = HeaderBuilder::new()
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer),
        ))
        .description(Some("Seconds to wait before retrying (429, 503, 504)."))
        .build();
    components.responses.insert(
        PROBLEM_RESPONSE.into(),
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "An error, as RFC 9457 problem details in Persian and English; \
                     never internal text.",
                )
                .header("Retry-After", retry_after)
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        ),
    );
    components.security_schemes.insert(
        "bearer".into(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        )),
    );
    for (name, schema) in formats::all() {
        components.schemas.entry(name).or_insert(schema);
    }
    // Bodies that take one of two ways to name something: exactly one, as the handlers
    // refuse both or neither (`LOGIN_IDENTIFIER_REQUIRED`, `PROPERTY_LOCATION_REQUIRED`).
    exactly_one_of(
        components,
        "LoginBody",
        &["national_code", "membership_code"],
    );
    exactly_one_of(
        components,
        "PropertyBody",
        &["renovation_code", "picked_point"],
    );
    let across_fields: [(&str, Rule); 3] = [
        ("NotificationPreferences", formats::email_needs_address),
        ("RepresentationDecisionBody", formats::refusal_needs_reason),
        ("ReplayBody", formats::one_delivery_or_all_dead),
    ];
    for (name, rule) in across_fields {
        if let Some(derived) = components.schemas.remove(name) {
            components.schemas.insert(name.into(), rule(derived));
        }
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
        ];
        for op in operations.into_iter().flatten() {
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| {
                    RefOr::Ref(Ref::new(format!(
                        "#/components/responses/{PROBLEM_RESPONSE}"
                    )))
                });
        }
    }
    doc
}

/// Adds a rule across a body's fields to its derived schema.
type Rule = fn(RefOr<Schema>) -> RefOr<Schema>;

/// Makes the schema `name` require exactly one of `fields` (`allOf` the derived object and a
/// `oneOf` of one `required` each): derived schemas can only say that each is optional.
fn exactly_one_of(components: &mut utoipa::openapi::Components, name: &str, fields: &[&str]) {
    let Some(derived) = components.schemas.remove(name) else {
        return;
    };
    let one_of = fields.iter().fold(OneOfBuilder::new(), |one_of, field| {
        one_of.item(ObjectBuilder::new().required(*field))
    });
    let description = match &derived {
        RefOr::T(Schema::Object(o)) => o.description.clone(),
        _ => None,
    };
    let combined = AllOfBuilder::new()
        .item(derived)
        .item(one_of)
        .description(description);
    components.schemas.insert(name.to_owned(), combined.into());
}

/// The complete document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| complete(crate::routes::all().into_openapi()))
}

/// The complete document as JSON, built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().unwrap_or_else(|_| "{}".into()))
}
