//! An owner's documents, newest first, and how much of their quota they use.

use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};

use super::Archive;
use crate::store::{self, DocumentRow};

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
