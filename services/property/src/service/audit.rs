//! The property service's audit log for the staff desk (`ListAuditRecords`).

use estelam_domain::RenovationCode;
use estelam_domain::text::{TextField, clean_text};
use estelam_proto::common::v1 as cpb;
use estelam_runtime::audit::{AuditQuery, fields};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;

use super::Property;
use crate::errors;
use crate::store::{self, AuditEntry};

impl Property {
    /// One page of the audit log, newest first (the caller is checked by the API: staff).
    pub async fn audit_records(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<cpb::AuditRecord>, String), ServiceError> {
        let rows = store::audit_entries(self.registry.db(), q).await?;
        Ok(q.finish(rows.into_iter().map(record).collect()))
    }
}

/// A filter value cleaned as all free text is; a subject that is a renovation code (any
/// digits, `-` or `/`) is put in its canonical form, so it matches what is stored.
pub fn filter_text(path: &'static str, input: &str) -> Result<String, ServiceError> {
    let cleaned = clean_text(
        TextField::new(path, "فیلتر گزارش رویدادها", "audit filter"),
        input,
    )
    .map_err(errors::text_refused)?;
    if path == fields::SUBJECT
        && let Ok(code) = RenovationCode::parse(&cleaned)
    {
        return Ok(code.to_string());
    }
    Ok(estelam_domain::normalize_digits(&cleaned))
}

fn record(e: AuditEntry) -> cpb::AuditRecord {
    let renovation_code = RenovationCode::parse(&e.subject)
        .map(|c| c.to_string())
        .unwrap_or_default();
    cpb::AuditRecord {
        record_id: e.id,
        at: Some(timestamp(e.at)),
        actor_account_id: e.actor_account_id,
        actor_display_name: e.actor_display_name,
        action: e.action,
        subject: e.subject,
        inquiry_id: String::new(),
        renovation_code,
        outcome: "ok".to_owned(),
        detail: e.detail,
    }
}
