//! Listing an audit trail, the same way in every service (`ListAuditRecords`).
//!
//! Each service keeps its own append-only audit tables (the database refuses UPDATE and
//! DELETE on them); the staff desk reads them all in one shape, `common.v1.AuditRecord`,
//! narrowed by one filter, `common.v1.AuditFilter`: who, what, when, and which parcel or
//! inquiry. This module checks that filter and makes the keyset paging key, so the four
//! services that list a trail do not each decide it differently.

use estelam_proto::common::v1 as cpb;

use crate::error::ServiceError;
use crate::paging::{PageSizes, Paging};
use crate::time;

/// Page sizes of every audit list.
pub const PAGE_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 500,
};

/// The filter's field paths, as refusals name them.
pub mod fields {
    /// `filter.actor_account_id`.
    pub const ACTOR: &str = "filter.actor_account_id";
    /// `filter.action`.
    pub const ACTION: &str = "filter.action";
    /// `filter.subject`.
    pub const SUBJECT: &str = "filter.subject";
}

/// An audit list's filter, checked and cleaned: empty strings match everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only what this account did.
    pub actor: String,
    /// Only this action.
    pub action: String,
    /// Only entries about this subject (each service says what it matches).
    pub subject: String,
    /// At or after, µs since the epoch (`i64::MIN` for no bound).
    pub since_us: i64,
    /// Before, µs since the epoch (`i64::MAX` for no bound).
    pub until_us: i64,
    /// The page asked for.
    pub paging: Paging,
}

impl AuditQuery {
    /// Checks a `ListAuditRecords` request. `clean` is the service's free-text rule
    /// (`estelam_domain::clean_text` with its refusal), called with the field's path; it may
    /// also put a subject in canonical form (a renovation code, a number in Latin digits).
    pub fn parse(
        filter: Option<&cpb::AuditFilter>,
        page_size: i32,
        page_token: &str,
        clean: impl Fn(&'static str, &str) -> Result<String, ServiceError>,
    ) -> Result<Self, ServiceError> {
        let f = filter.cloned().unwrap_or_default();
        let actor = clean(fields::ACTOR, &f.actor_account_id)?;
        let action = clean(fields::ACTION, &f.action)?;
        let subject = clean(fields::SUBJECT, &f.subject)?;
        let since_us = match &f.since {
            Some(t) => time::micros_of_field(t, "filter.since")?,
            None => i64::MIN,
        };
        let until_us = match &f.until {
            Some(t) => time::micros_of_field(t, "filter.until")?,
            None => i64::MAX,
        };
        let fingerprint =
            format!("{actor}\u{1f}{action}\u{1f}{subject}\u{1f}{since_us}\u{1f}{until_us}");
        let paging = Paging::parse(page_size, page_token, fingerprint, PAGE_SIZES)?;
        Ok(Self {
            actor,
            action,
            subject,
            since_us,
            until_us,
            paging,
        })
    }

    /// Where the page starts: strictly older than `(at_us, record_id)`; the first page
    /// starts after everything (`i64::MAX`, "").
    pub fn cursor(&self) -> (i64, String) {
        self.paging
            .after()
            .and_then(|k| k.split_once(':'))
            .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
            .unwrap_or((i64::MAX, String::new()))
    }

    /// Cuts the rows the store returned (`paging.fetch_limit()` of them, newest first) to a
    /// page and makes the next page's token.
    pub fn finish(&self, rows: Vec<cpb::AuditRecord>) -> (Vec<cpb::AuditRecord>, String) {
        self.paging.finish(rows, |r| {
            let at = r.at.as_ref().and_then(time::micros).unwrap_or(0);
            format!("{at}:{}", r.record_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(_: &'static str, s: &str) -> Result<String, ServiceError> {
        Ok(s.trim().to_owned())
    }

    fn record(at_us: i64, id: &str) -> cpb::AuditRecord {
        cpb::AuditRecord {
            record_id: id.into(),
            at: Some(time::timestamp(at_us)),
            ..Default::default()
        }
    }

    #[test]
    fn pages_resume_after_the_last_entry_and_only_for_the_same_filter() {
        let filter = cpb::AuditFilter {
            action: "document.downloaded".into(),
            ..Default::default()
        };
        let q = AuditQuery::parse(Some(&filter), 2, "", plain).expect("query");
        assert_eq!(q.cursor(), (i64::MAX, String::new()));
        let (page, next) = q.finish(vec![record(30, "c"), record(20, "b"), record(10, "a")]);
        assert_eq!(page.len(), 2);
        let again = AuditQuery::parse(Some(&filter), 2, &next, plain).expect("next page");
        assert_eq!(again.cursor(), (20, "b".to_owned()));
        assert!(AuditQuery::parse(None, 2, &next, plain).is_err());
    }

    #[test]
    fn no_bounds_mean_everything() {
        let q = AuditQuery::parse(None, 0, "", plain).expect("query");
        assert_eq!((q.since_us, q.until_us), (i64::MIN, i64::MAX));
        assert_eq!(q.paging.size(), 50);
    }
}
