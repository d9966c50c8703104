//! The nine steps of a property inquiry, driven the way an applicant's client drives them:
//! [`grpc`] as an authority's software or the portal's backend calls the services, [`http`]
//! as a browser or an integrator calls the gateway. Each step is one method that returns what
//! the call answered, so a test can assert a refusal at the step where it happens; `complete`
//! runs the middle steps (property, letter, documents, applicant) with good inputs.
//!
//! One driver per transport keeps the walk in one place: when a step changes, the end-to-end
//! tests (`inquiry_flow`, `one_trace`, `gateway_routes`, `portal_routes`) and the fault
//! workload change with it.

pub mod grpc;
pub mod http;

/// A fresh idempotency key: every step names the attempt it is, so that a retried call is
/// answered once.
pub fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The letter number every driven inquiry gives (Persian digits, as authorities write it).
pub const LETTER_NUMBER: &str = "۱۲۳/ن/۴۵";
/// A letter date safely in the past.
pub const LETTER_DATE: &str = "1403/05/12";
