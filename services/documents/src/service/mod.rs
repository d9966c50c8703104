//! The documents service's use cases, free of protobuf: [`kinds`] (document kinds as data),
//! [`upload`] (check, inspect, store),
//! [`download`] (serve only intact content), [`lists`] (an owner's documents and quota) and
//! [`verify`] (the store-wide integrity check behind `estelam documents verify`).
//!
//! [`Archive`] holds what they share: the metadata store, the content store and the settings,
//! and decides who may read what.
//!
//! Who may do what:
//! * read a document: its owner, clerks and admins, and services (role `service`; the
//!   inquiry service reads the documents attached to an inquiry and checks that attachment
//!   itself). Anyone else gets the same `NOT_FOUND` as for an id that does not exist.
//! * upload for oneself: anyone logged in; for another owner: clerks, admins and services;
//!   and a user or API client of an organisation for the applicant of an inquiry that
//!   organisation filed on their behalf, naming the inquiry (the document is the
//!   applicant's, names the inquiry and the organisation, and that organisation's users and
//!   clients may read it back; any other organisation is told the inquiry does not exist).
//! * list documents or see the quota of another owner: clerks, admins and services.
//! * list document kinds: anyone signed in; publish one: admins.

pub mod download;
pub mod kinds;
pub mod lists;
pub mod upload;
pub mod verify;

use std::sync::Arc;

use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::config::DocumentsSettings;
use estelam_runtime::db::Database;
use estelam_runtime::error::ServiceError;
use tonic::Status;

use crate::errors;
use crate::inquiries::Inquiries;
use crate::inspect::Limits;
use crate::storage::{Blobs, StorageError};
use crate::store::{self, DocumentRow};

/// Roles that may act on other people's documents.
const STAFF_OR_SERVICE: [Role; 3] = [Role::Clerk, Role::Admin, Role::Service];

/// The documents service: metadata, content and the limits both are held to.
#[derive(Clone)]
pub struct Archive {
    db: Database,
    blobs: Blobs,
    settings: Arc<DocumentsSettings>,
    inquiries: Inquiries,
}

/// For an upload on behalf of an applicant: the inquiry it is for and the organisation
/// that uploaded it; both empty for anyone's own upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnBehalf {
    /// The inquiry the document is uploaded for.
    pub inquiry_id: String,
    /// The uploading organisation.
    pub organization_id: String,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").finish_non_exhaustive()
    }
}

impl Archive {
    /// The service over its store, content store and settings.
    pub fn new(
        db: Database,
        blobs: Blobs,
        settings: DocumentsSettings,
        inquiries: Inquiries,
    ) -> Self {
        Self {
            db,
            blobs,
            settings: Arc::new(settings),
            inquiries,
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_pixels: self.settings.max_image_pixels,
            max_side: self.settings.max_image_side_px,
            max_pdf_inflated: self.settings.max_pdf_inflated_bytes,
        }
    }

    fn max_count(&self) -> i64 {
        i64::try_from(self.settings.quota_max_count).unwrap_or(i64::MAX)
    }

    fn max_bytes(&self) -> i64 {
        i64::try_from(self.settings.quota_max_bytes).unwrap_or(i64::MAX)
    }

    /// Whose documents a request about `named` is about: the caller's own when empty;
    /// another owner's only for staff and services.
    pub fn owner_for(&self, caller: &Caller, named: &str) -> Result<String, ServiceError> {
        if named.is_empty() || named == caller.subject {
            return Ok(caller.subject.clone());
        }
        caller.require_any(&STAFF_OR_SERVICE)?;
        parse_account_id(named)
    }

    /// Whose document an upload naming `inquiry_id` is, and what it records of the office:
    /// the caller must act for the organisation that filed that inquiry (an office's user
    /// or API client); anyone else, and an inquiry that does not exist, get the same
    /// `NOT_FOUND`, so no one learns which inquiries exist.
    pub async fn owner_for_inquiry(
        &self,
        caller: &Caller,
        inquiry_id: &str,
    ) -> Result<(String, OnBehalf), ServiceError> {
        let not_found = || ServiceError::not_found("استعلام", "The inquiry");
        let organization = caller
            .organization
            .as_deref()
            .filter(|o| caller.has(Role::Authority) && !o.is_empty())
            .ok_or_else(not_found)?;
        let filing = self
            .inquiries
            .filing(inquiry_id.trim())
            .await?
            .filter(|f| f.filed_by_organization_id == organization)
            .ok_or_else(not_found)?;
        let owner = parse_account_id(&filing.applicant_account_id)?;
        Ok((
            owner,
            OnBehalf {
                inquiry_id: filing.inquiry_id,
                organization_id: organization.to_owned(),
            },
        ))
    }

    /// Loads a document the caller may read; anything else is the same `NotFound`.
    pub async fn readable(&self, caller: &Caller, id: &str) -> Result<DocumentRow, ServiceError> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(errors::document_not_found());
        }
        match store::get(&self.db, id).await? {
            Some(doc) if may_read(caller, &doc) => Ok(doc),
            _ => Err(errors::document_not_found()),
        }
    }
}

/// True when `caller` may read `doc`: its owner, staff and services, and the users and
/// clients of the organisation that uploaded it on the owner's behalf.
pub fn may_read(caller: &Caller, doc: &DocumentRow) -> bool {
    let uploading_office = !doc.organization_id.is_empty()
        && caller.has(Role::Authority)
        && caller.organization.as_deref() == Some(doc.organization_id.as_str());
    caller.subject == doc.owner_account_id || caller.has_any(&STAFF_OR_SERVICE) || uploading_office
}

fn parse_account_id(id: &str) -> Result<String, ServiceError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| errors::account_id_invalid())
}

/// A content-store failure: the caller sees an internal error, the cause goes to the log.
fn storage_error(err: StorageError) -> Status {
    ServiceError::internal(err).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller {
            subject: subject.into(),
            roles: roles.to_vec(),
            organization: None,
            token_id: String::new(),
            national_code: None,
            session_id: None,
            password_change_required: false,
        }
    }

    fn doc(owner: &str) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::now_v7().to_string(),
            owner_account_id: owner.into(),
            kind: "other".into(),
            original_filename: "a.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 1,
            sha256: String::new(),
            width_px: 0,
            height_px: 0,
            page_count: 1,
            created_at_micros: 0,
            uploaded_by_account_id: owner.into(),
            client_request_id: None,
            inquiry_id: String::new(),
            organization_id: String::new(),
        }
    }

    #[test]
    fn only_the_owner_staff_and_services_read_a_document() {
        let d = doc("owner");
        assert!(may_read(&caller("owner", &[Role::Citizen]), &d));
        assert!(!may_read(&caller("stranger", &[Role::Citizen]), &d));
        for role in STAFF_OR_SERVICE {
            assert!(may_read(&caller("clerk", &[role]), &d), "{role:?}");
        }
    }

    #[test]
    fn the_uploading_office_reads_what_it_uploaded_for_the_owner_and_no_other_office() {
        let mut d = doc("owner");
        d.inquiry_id = "inquiry".into();
        d.organization_id = "office-a".into();
        let office = |org: &str| Caller {
            organization: Some(org.into()),
            ..caller("desk", &[Role::Authority])
        };
        assert!(may_read(&office("office-a"), &d));
        assert!(!may_read(&office("office-b"), &d));
        assert!(may_read(&caller("owner", &[Role::Citizen]), &d));
        assert!(!may_read(&caller("stranger", &[Role::Citizen]), &d));
        // An office's own document, uploaded for nobody, is its uploader's alone.
        assert!(!may_read(&office("office-a"), &doc("owner")));
    }

    #[test]
    fn another_owner_is_named_only_by_staff_and_as_a_uuid() {
        let other = uuid::Uuid::now_v7().to_string();
        assert_eq!(
            parse_account_id(&other.to_uppercase()).expect("a uuid"),
            other
        );
        assert_eq!(
            parse_account_id("nobody").expect_err("not a uuid").reason,
            "ACCOUNT_ID_INVALID"
        );
    }
}
