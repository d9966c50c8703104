//! Who may see an inquiry and who may act on it: the per-object checks every read and
//! write makes after loading the inquiry, as plain rules with no I/O.
//!
//! An inquiry a caller may not see is answered NotFound, never PermissionDenied, so that
//! nobody learns which inquiry numbers exist.

use estelam_runtime::auth::{Caller, Role};

use crate::model::Inquiry;

/// Whether `caller` may see `inq`: citizens their own, authority users their
/// organisation's, staff and services all (clerks look after every inquiry, and service
/// accounts are the municipality's own systems).
pub fn may_see(caller: &Caller, inq: &Inquiry) -> bool {
    caller.is_staff() || caller.has(Role::Service) || may_act(caller, inq)
}

/// Whether `caller` may take the steps of `inq`: the applicant, the citizen who filed it, or
/// a user of the filing organisation. Staff see inquiries but do not fill them in for
/// anyone.
pub fn may_act(caller: &Caller, inq: &Inquiry) -> bool {
    let own = caller.has(Role::Citizen)
        && (inq.applicant_account_id == caller.subject
            || inq.filed_by_account_id == caller.subject);
    let org = caller.has(Role::Authority)
        && !inq.filed_by_organization_id.is_empty()
        && caller.organization.as_deref() == Some(inq.filed_by_organization_id.as_str());
    own || org
}
