//! The fees audit log for the staff desk (`ListAuditRecords`): tariff changes, clerks'
//! adjustments and every payment callback, accepted or refused.

use estelam_domain::RenovationCode;
use estelam_domain::text::TextField;
use estelam_proto::common::v1 as cpb;
use estelam_runtime::audit::{AuditQuery, fields};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;

use super::Fees;
use crate::errors;
use crate::store::audit::{self as audit_log, Audit};

impl Fees {
    /// One page of the audit log, newest first (the caller is checked by the API: staff).
    pub async fn audit_records(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<cpb::AuditRecord>, String), ServiceError> {
        let mut conn = self.conn().await?;
        let rows = audit_log::audit_page(&mut conn, q).await?;
        Ok(q.finish(rows.into_iter().map(record).collect()))
    }
}

/// A filter value cleaned as all free text is; a subject that is a renovation code (any
/// digits, `-` or `/`) is put in its canonical form, so it matches what is stored.
pub fn filter_text(path: &'static str, input: &str) -> Result<String, ServiceError> {
    let field = TextField::new(path, "فیلتر گزارش رویدادها", "audit filter");
    let cleaned = errors::clean(field, path, input)?;
    if path == fields::SUBJECT
        && let Ok(code) = RenovationCode::parse(&cleaned)
    {
        return Ok(code.to_string());
    }
    Ok(estelam_domain::normalize_digits(&cleaned))
}

fn record((id, a): (String, Audit)) -> cpb::AuditRecord {
    let renovation_code = RenovationCode::parse(&a.subject)
        .map(|c| c.to_string())
        .unwrap_or_default();
    cpb::AuditRecord {
        record_id: id,
        at: Some(timestamp(a.at_us)),
        actor_account_id: a.actor_id,
        actor_display_name: String::new(),
        action: a.action,
        subject: a.subject,
        inquiry_id: String::new(),
        renovation_code,
        outcome: a.outcome,
        detail: a.detail,
    }
}
