//! SQL, nothing else: one file per aggregate (request types, inquiries, idempotency
//! records, the clerks' review queue, an inquiry's append-only step history, debt clearances, batches, answers, signing keys, the verification audit, webhook
//! endpoints and deliveries), in portable
//! SQL over sqlx `Any` so one store serves SQLite and PostgreSQL.
//!
//! Functions take a connection rather than the pool, so the engine decides what runs in
//! one transaction; they return `sqlx::Error`, which the engine's `?` turns into an
//! internal `ServiceError` whose cause goes to the log only.

mod answers;
mod batches;
mod certificate;
mod clock;
mod debt_cleared;
mod idempotency;
mod inquiries;
mod inquiry_events;
mod inquiry_write;
mod request_types;
mod reviews;
mod signing_keys;
mod verification_audit;
pub mod webhooks;

pub use answers::{
    AnswerRow, answer, answer_by_code, has_valid_answer, insert_answer, revoke_answer,
};
pub use batches::{
    BatchRow, Counts, ItemRow, batch, batch_by_client_id, claim_items, counts, finish_batch,
    follow_item, insert_batch, insert_item, items, lock_batch, release_item, settle_item,
};
pub use certificate::{install_trust_root, status_bits, status_slot, trust_root};
pub use clock::{answer_times, due_inquiries};
pub use debt_cleared::{DebtClearedRecord, debt_cleared, record_debt_cleared, waiting_but_cleared};
pub use idempotency::{idempotent_response, record_response};
pub use inquiries::{
    ListFilter, StepLoad, expired_unfinished, inquiry, inquiry_by_number, inquiry_ids_in_state,
    insert_inquiry, list_inquiries, load_for_step, lock_inquiry, lock_inquiry_at, next_counter,
    update_inquiry,
};
pub use inquiry_events::{AuditRow, append_history, list_audit, load_history};
pub use inquiry_write::{Recorded, update_inquiry_recorded};
pub use request_types::{put_request_type, request_type, request_type_version, request_types};
pub use reviews::review_queue;
pub use signing_keys::{install_signing_key, reseal_all, seal_plaintext_keys, signing_keys};
pub use verification_audit::{audit_verification, verification_count};

use base64::engine::general_purpose::STANDARD as B64;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// A stored JSON document (an inquiry, a request type) that no longer parses: a decode
/// error like any other column that does not read back.
fn json_err(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// These tables keep bytes (signatures, recorded responses) as base64 text; a value that
/// does not decode is a corrupt row.
fn b64_decode(s: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    B64.decode(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn b64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    B64.encode(bytes)
}
