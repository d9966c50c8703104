//! Who may see an inquiry, who may act on it, and whose account pays its fee: the
//! per-object checks every read and write makes after loading the inquiry, as plain rules
//! with no I/O.
//!
//! An inquiry a caller may not see is answered NotFound, never PermissionDenied, so that
//! nobody learns which inquiry numbers exist.

use estelam_runtime::auth::{Caller, Role};

use crate::model::Inquiry;
use crate::request_types::{FeeSettlement, RequestTypeDef};

/// Whether `caller` may see `inq`: citizens their own, authority users their
/// organisation's and those whose letter names their organisation, staff and services all
/// (clerks look after every inquiry, and service accounts are the municipality's own
/// systems).
pub fn may_see(caller: &Caller, inq: &Inquiry) -> bool {
    caller.is_staff()
        || caller.has(Role::Service)
        || may_act(caller, inq)
        || names_callers_organization(caller, inq)
}

/// Whether `caller` may take the steps of `inq`: the applicant, the citizen who filed it, or
/// a user of the filing organisation. Staff see inquiries but do not fill them in for
/// anyone, and an office a citizen's letter names reads that inquiry but does not fill it
/// in either.
pub fn may_act(caller: &Caller, inq: &Inquiry) -> bool {
    let own = caller.has(Role::Citizen)
        && (inq.applicant_account_id == caller.subject
            || inq.filed_by_account_id == caller.subject);
    let org = caller.has(Role::Authority)
        && !inq.filed_by_organization_id.is_empty()
        && caller.organization.as_deref() == Some(inq.filed_by_organization_id.as_str());
    own || org
}

/// Whether `caller` is a user of the organisation `inq`'s letter names: the answer is
/// addressed to that office, so the office may follow the inquiry (read only).
fn names_callers_organization(caller: &Caller, inq: &Inquiry) -> bool {
    let named = inq.letter_organization_id();
    caller.has(Role::Authority)
        && !named.is_empty()
        && caller.organization.as_deref() == Some(named)
}

/// The organisation account an inquiry fee of `def` is charged to, if any: the filing
/// organisation's, for types settled on account. `None` puts the fee on the applicant's
/// bill — for types settled on the bill, and for an inquiry a citizen filed themselves,
/// whatever office their letter names (naming an office is not acting for it, so it never
/// makes that office pay).
pub fn fee_payer<'a>(inq: &'a Inquiry, def: &RequestTypeDef) -> Option<&'a str> {
    (def.inquiry_fee_settlement == FeeSettlement::OnAccount
        && !inq.filed_by_organization_id.is_empty())
    .then_some(inq.filed_by_organization_id.as_str())
}
