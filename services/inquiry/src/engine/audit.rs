//! The inquiry service's audit trail for the staff desk (`ListAuditRecords`): every state
//! change of every inquiry (the rows its timeline is read from) and every check of an
//! answer's verification code, both append-only in the database itself.

use estelam_domain::RenovationCode;
use estelam_domain::text::{TextField, clean_text};
use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::audit::{AuditQuery, fields};
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;

use super::Engine;
use crate::errors;
use crate::model::Change;
use crate::store::{self, AuditRow};

impl Engine {
    /// One page of the audit trail, newest first. Clerks and admins only.
    pub async fn list_audit_records(
        &self,
        caller: &Caller,
        req: &pb::ListAuditRecordsRequest,
    ) -> Result<pb::ListAuditRecordsResponse, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let q = AuditQuery::parse(
            req.filter.as_ref(),
            req.page_size,
            &req.page_token,
            filter_text,
        )?;
        let mut conn = self.conn().await?;
        let rows = store::list_audit(&mut conn, &q).await?;
        let (records, next_page_token) = q.finish(rows.into_iter().map(record).collect());
        Ok(pb::ListAuditRecordsResponse {
            records,
            next_page_token,
        })
    }
}

/// A filter value cleaned as all free text is; a subject that is a renovation code (any
/// digits, `-` or `/`) is put in its canonical form, so it matches what is stored.
fn filter_text(path: &'static str, input: &str) -> Result<String, ServiceError> {
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

fn record(row: AuditRow) -> cpb::AuditRecord {
    // A state change names who made it; a verification's checker has no name here.
    let actor_display_name = serde_json::from_str::<Change>(&row.detail)
        .map(|c| c.changed.name)
        .unwrap_or_default();
    cpb::AuditRecord {
        record_id: row.record_id,
        at: Some(timestamp(row.at_us)),
        actor_account_id: row.actor,
        actor_display_name,
        action: row.action,
        subject: row.subject,
        inquiry_id: row.inquiry_id,
        renovation_code: row.renovation_code,
        outcome: row.outcome,
        detail: row.detail,
    }
}
