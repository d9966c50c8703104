//! An owner's documents, newest first, and how much of their quota they use; and the
//! document access audit, for the staff desk.

use estelam_proto::common::v1 as cpb;
use estelam_runtime::audit::AuditQuery;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};
use estelam_runtime::time::timestamp;

use super::Archive;
use crate::store::{self, AccessRow, DocumentRow};

/// Page sizes of `ListDocuments`.
const PAGE_SIZES: PageSizes = PageSizes {
    default: 20,
    max: 100,
};

/// An owner's use of their quota, and the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Documents the owner has.
    pub used_count: i64,
    /// Most documents an owner may have.
    pub max_count: i64,
    /// Bytes the owner's documents take.
    pub used_bytes: i64,
    /// Most bytes an owner's documents may take.
    pub max_bytes: i64,
    /// Largest single document.
    pub max_document_bytes: i64,
}

impl Archive {
    /// One page of an owner's documents (of one `kind` if given), newest first. The owner
    /// comes from [`Archive::owner_for`].
    pub async fn list(
        &self,
        owner: &str,
        kind: Option<&str>,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<DocumentRow>, String), ServiceError> {
        let filter = format!("owner:{owner}/kind:{}", kind.unwrap_or_default());
        let paging = Paging::parse(page_size, page_token, filter, PAGE_SIZES)?;
        let rows = store::list(&self.db, owner, kind, paging.after(), paging.fetch_limit()).await?;
        Ok(paging.finish(rows, |r| r.id.clone()))
    }

    /// An owner's quota use and the limits.
    pub async fn quota(&self, owner: &str) -> Result<Quota, ServiceError> {
        let (used_count, used_bytes) = store::usage(&self.db, owner).await?;
        Ok(Quota {
            used_count,
            max_count: self.max_count(),
            used_bytes,
            max_bytes: self.max_bytes(),
            max_document_bytes: i64::try_from(self.settings.max_document_bytes).unwrap_or(i64::MAX),
        })
    }
}

impl Archive {
    /// One page of the document access audit (who downloaded whose document), newest first.
    /// Clerks and admins only: it names people and their documents.
    pub async fn access_audit(
        &self,
        caller: &Caller,
        q: &AuditQuery,
    ) -> Result<(Vec<cpb::AuditRecord>, String), ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let rows = store::list_access(&self.db, q).await?;
        let records = rows.into_iter().map(access_record).collect();
        Ok(q.finish(records))
    }
}

/// A read of a document as the desk lists it: the subject is the document, the detail says
/// whose it is and what kind, and under which roles and organisation it was read.
fn access_record(row: AccessRow) -> cpb::AuditRecord {
    let detail = json_object(&[
        ("owner_account_id", &row.owner_account_id),
        ("kind", &row.kind),
        ("actor_roles", &row.actor_roles),
        ("actor_organization_id", &row.actor_organization_id),
    ]);
    cpb::AuditRecord {
        record_id: row.id,
        at: Some(timestamp(row.at_us)),
        actor_account_id: row.actor_account_id,
        actor_display_name: row.actor_roles,
        action: row.action,
        subject: row.document_id,
        inquiry_id: row.inquiry_id,
        renovation_code: String::new(),
        outcome: "ok".to_owned(),
        detail,
    }
}

/// A flat JSON object of strings (this crate has no JSON library; the values are ids and
/// names, escaped all the same).
fn json_object(pairs: &[(&str, &String)]) -> String {
    let quoted = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let fields: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", quoted(k), quoted(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::json_object;

    #[test]
    fn the_detail_is_json_whatever_the_values() {
        let odd = "a\"b\\c\u{1}".to_owned();
        assert_eq!(
            json_object(&[("k", &odd), ("kind", &"other".to_owned())]),
            r#"{"k":"a\"b\\c\u0001","kind":"other"}"#
        );
    }
}
