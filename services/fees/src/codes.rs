//! The fees enums tied to the protobuf enums of `estelam.fees.v1`: the numbers rows keep, and
//! the domain's enums on the wire.
//!
//! Rows hold an enum as its protobuf number (see the migrations) and the contract is the one
//! source of those numbers, so every constant here *is* its protobuf variant, not a copy of
//! its number. The domain's enums ([`LineKind`], [`ItemKind`], [`Basis`], [`Choice`]) map to
//! theirs by exhaustive matches, so a new Rust variant does not compile without a wire value;
//! the tests below close the other direction: they fail when a protobuf enum gains a value
//! with no Rust counterpart, or when a name here drifts from the protobuf name it stands for.

use estelam_proto::fees::v1 as pb;

use crate::assess::LineKind;
use crate::psp::Choice;
use crate::tariff::{Basis, ItemKind};

/// Declares stored numbers as the protobuf variants they are, and a list of them (name and
/// number) that the tests compare with the protobuf enum.
macro_rules! stored {
    (
        $(#[$list_doc:meta])* $list:ident: pb::$enum:ident {
            $( $(#[$doc:meta])* $name:ident = $variant:ident, )+
        }
    ) => {
        $( $(#[$doc])* pub const $name: i64 = pb::$enum::$variant as i64; )+
        $(#[$list_doc])*
        pub const $list: &[(&str, i64)] = &[$( (stringify!($name), $name) ),+];
    };
}

stored! {
    /// Every stored `BillItemKind` (the `item_kind` of ledger entries and settled items).
    BILL_ITEM_KINDS: pb::BillItemKind {
        /// The yearly renewal levy (عوارض نوسازی).
        ITEM_RENEWAL_LEVY = RenewalLevy,
        /// The yearly waste-collection fee.
        ITEM_WASTE_FEE = WasteFee,
        /// A late penalty, charged to the ledger when the bill carrying it is paid.
        ITEM_PENALTY = Penalty,
        /// A request type's inquiry fee, charged when the bill carrying it is paid.
        ITEM_INQUIRY_FEE = InquiryFee,
        /// An early-payment discount, granted when the bill carrying it is paid.
        ITEM_DISCOUNT = Discount,
        /// A clerk's adjustment.
        ITEM_ADJUSTMENT = Adjustment,
    }
}

stored! {
    /// Every stored `LedgerEntryKind`.
    LEDGER_ENTRY_KINDS: pb::LedgerEntryKind {
        /// Raises what the parcel owes.
        ENTRY_CHARGE = Charge,
        /// A confirmed payment; lowers what the parcel owes.
        ENTRY_PAYMENT = Payment,
        /// A clerk's correction, either sign.
        ENTRY_ADJUSTMENT = Adjustment,
        /// A discount earned; lowers what the parcel owes.
        ENTRY_DISCOUNT = Discount,
        /// A deposit held against disputed items (negative), or its release (positive).
        ENTRY_DEPOSIT = Deposit,
        /// A deposit refunded after an upheld dispute.
        ENTRY_REFUND = Refund,
    }
}

stored! {
    /// Every stored `DisputeStatus`.
    DISPUTE_STATUSES: pb::DisputeStatus {
        /// Filed; its bill is not paid yet.
        DISPUTE_AWAITING_DEPOSIT = AwaitingDeposit,
        /// The deposit is held; waiting for a clerk.
        DISPUTE_DEPOSITED = Deposited,
        /// Upheld: lines written off, deposit refunded.
        DISPUTE_UPHELD = Upheld,
        /// Dismissed: the deposit paid the lines.
        DISPUTE_DISMISSED = Dismissed,
    }
}

stored! {
    /// Every `BillStatus` a caller may see (expired is never stored: see
    /// [`crate::service::effective_bill_status`]).
    BILL_STATUSES: pb::BillStatus {
        /// Payable while the ledger stays at the bill's version and the bill is valid.
        BILL_OPEN = Open,
        /// Settled, by a payment or, for a total of zero, at its creation.
        BILL_PAID = Paid,
        /// The parcel's ledger changed after it was computed; it can no longer be paid.
        BILL_SUPERSEDED = Superseded,
        /// Open but past its validity: penalties have moved on since it was computed.
        BILL_EXPIRED = Expired,
    }
}

stored! {
    /// Every stored `PaymentStatus`.
    PAYMENT_STATUSES: pb::PaymentStatus {
        /// Started; the provider has not said how it ended.
        PAY_PENDING = Pending,
        /// The provider took the money and the bill is settled by it.
        PAY_CONFIRMED = Confirmed,
        /// The payer cancelled or the bank refused.
        PAY_FAILED = Failed,
        /// No callback came and the provider no longer knows the payment.
        PAY_EXPIRED = Expired,
        /// Taken for a bill that was no longer payable, and given back.
        PAY_REVERSED = Reversed,
    }
}

stored! {
    /// Every stored `AdjustmentKind` (unspecified is stored as a correction).
    ADJUSTMENT_KINDS: pb::AdjustmentKind {
        /// A correction of a recorded amount, either sign.
        ADJ_CORRECTION = Correction,
        /// A discount granted: a credit.
        ADJ_DISCOUNT = Discount,
        /// A write-off of debt that will not be collected: a credit.
        ADJ_WRITE_OFF = WriteOff,
    }
}

stored! {
    /// Every stored `AdjustmentProposalStatus`.
    PROPOSAL_STATUSES: pb::AdjustmentProposalStatus {
        /// Waiting for a second staff member.
        PROPOSAL_PENDING = Pending,
        /// Approved and written to the ledger.
        PROPOSAL_APPROVED = Approved,
        /// Refused; the ledger never saw it.
        PROPOSAL_REFUSED = Refused,
    }
}

/// A bill line's kind on the wire.
pub fn bill_item_kind(kind: LineKind) -> pb::BillItemKind {
    match kind {
        LineKind::RenewalLevy => pb::BillItemKind::RenewalLevy,
        LineKind::WasteFee => pb::BillItemKind::WasteFee,
        LineKind::Penalty => pb::BillItemKind::Penalty,
        LineKind::InquiryFee => pb::BillItemKind::InquiryFee,
        LineKind::Discount => pb::BillItemKind::Discount,
        LineKind::Adjustment => pb::BillItemKind::Adjustment,
    }
}

/// A wire bill item kind as a line kind; `None` for UNSPECIFIED.
pub fn line_kind(kind: pb::BillItemKind) -> Option<LineKind> {
    Some(match kind {
        pb::BillItemKind::Unspecified => return None,
        pb::BillItemKind::RenewalLevy => LineKind::RenewalLevy,
        pb::BillItemKind::WasteFee => LineKind::WasteFee,
        pb::BillItemKind::Penalty => LineKind::Penalty,
        pb::BillItemKind::InquiryFee => LineKind::InquiryFee,
        pb::BillItemKind::Discount => LineKind::Discount,
        pb::BillItemKind::Adjustment => LineKind::Adjustment,
    })
}

/// A tariff item's kind on the wire.
pub fn tariff_item_kind(kind: ItemKind) -> pb::TariffItemKind {
    match kind {
        ItemKind::RenewalLevy => pb::TariffItemKind::RenewalLevy,
        ItemKind::WasteFee => pb::TariffItemKind::WasteFee,
        ItemKind::InquiryFee => pb::TariffItemKind::InquiryFee,
    }
}

/// A wire tariff item kind as the domain's; `None` for UNSPECIFIED.
pub fn item_kind(kind: pb::TariffItemKind) -> Option<ItemKind> {
    Some(match kind {
        pb::TariffItemKind::Unspecified => return None,
        pb::TariffItemKind::RenewalLevy => ItemKind::RenewalLevy,
        pb::TariffItemKind::WasteFee => ItemKind::WasteFee,
        pb::TariffItemKind::InquiryFee => ItemKind::InquiryFee,
    })
}

/// A tariff item's basis on the wire.
pub fn tariff_basis(basis: Basis) -> pb::TariffBasis {
    match basis {
        Basis::AssessedValue => pb::TariffBasis::AssessedValue,
        Basis::LandArea => pb::TariffBasis::LandArea,
        Basis::BuiltArea => pb::TariffBasis::BuiltArea,
        Basis::Fixed => pb::TariffBasis::Fixed,
    }
}

/// A wire tariff basis as the domain's; `None` for UNSPECIFIED.
pub fn basis(basis: pb::TariffBasis) -> Option<Basis> {
    Some(match basis {
        pb::TariffBasis::Unspecified => return None,
        pb::TariffBasis::AssessedValue => Basis::AssessedValue,
        pb::TariffBasis::LandArea => Basis::LandArea,
        pb::TariffBasis::BuiltArea => Basis::BuiltArea,
        pb::TariffBasis::Fixed => Basis::Fixed,
    })
}

/// The payer's choice on the sandbox page; `None` for UNSPECIFIED.
pub fn choice(choice: pb::SandboxChoice) -> Option<Choice> {
    match choice {
        pb::SandboxChoice::Unspecified => None,
        pb::SandboxChoice::Pay => Some(Choice::Pay),
        pb::SandboxChoice::Cancel => Some(Choice::Cancel),
    }
}

/// The stored `item_kind` of a levy's ledger entries.
pub fn levy_code(kind: ItemKind) -> i64 {
    bill_item_kind(LineKind::of_levy(kind)) as i64
}

/// The yearly levy a stored `item_kind` charges; `None` for items that are not yearly
/// levies (penalties, fees, discounts, adjustments).
pub fn levy_of(code: i64) -> Option<ItemKind> {
    let kind = pb::BillItemKind::try_from(i32::try_from(code).ok()?).ok()?;
    line_kind(kind)?.levy()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of a protobuf enum but UNSPECIFIED (0): the values of a proto3 enum are
    /// small, and any the contract adds shows up here.
    fn values<E: TryFrom<i32>>() -> Vec<E> {
        (1..1_000).filter_map(|n| E::try_from(n).ok()).collect()
    }

    /// The serde name of a domain enum value, as stored in bill and tariff JSON.
    fn serde_name(value: impl serde::Serialize) -> String {
        match serde_json::to_value(value).expect("a unit variant serialises") {
            serde_json::Value::String(s) => s,
            other => panic!("not a unit variant: {other}"),
        }
    }

    /// Checks a stored list against its protobuf enum: the same set of numbers, and each
    /// constant named `<prefix>_<the protobuf name without its enum prefix>`.
    fn same_as_proto<E: TryFrom<i32> + Copy>(
        list: &[(&str, i64)],
        prefix: &str,
        proto_prefix: &str,
        name_of: impl Fn(E) -> &'static str,
        number_of: impl Fn(E) -> i64,
    ) {
        for value in values::<E>() {
            let proto_name = name_of(value);
            let suffix = proto_name
                .strip_prefix(proto_prefix)
                .unwrap_or_else(|| panic!("{proto_name} lacks {proto_prefix}"));
            let expected = format!("{prefix}{suffix}");
            let found = list.iter().find(|(_, n)| *n == number_of(value));
            assert_eq!(
                found.map(|(name, _)| *name),
                Some(expected.as_str()),
                "{proto_name} needs a constant {expected} in codes.rs"
            );
        }
        assert_eq!(
            list.len(),
            values::<E>().len(),
            "a constant of no proto value"
        );
    }

    #[test]
    fn stored_numbers_cover_the_proto_enums_under_their_names() {
        same_as_proto::<pb::BillItemKind>(
            BILL_ITEM_KINDS,
            "ITEM_",
            "BILL_ITEM_KIND_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::LedgerEntryKind>(
            LEDGER_ENTRY_KINDS,
            "ENTRY_",
            "LEDGER_ENTRY_KIND_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::BillStatus>(
            BILL_STATUSES,
            "BILL_",
            "BILL_STATUS_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::PaymentStatus>(
            PAYMENT_STATUSES,
            "PAY_",
            "PAYMENT_STATUS_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::AdjustmentKind>(
            ADJUSTMENT_KINDS,
            "ADJ_",
            "ADJUSTMENT_KIND_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::AdjustmentProposalStatus>(
            PROPOSAL_STATUSES,
            "PROPOSAL_",
            "ADJUSTMENT_PROPOSAL_STATUS_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
        same_as_proto::<pb::DisputeStatus>(
            DISPUTE_STATUSES,
            "DISPUTE_",
            "DISPUTE_STATUS_",
            |v| v.as_str_name(),
            |v| v as i64,
        );
    }

    #[test]
    fn every_bill_item_kind_has_a_line_kind_of_the_same_name() {
        for wire in values::<pb::BillItemKind>() {
            let kind =
                line_kind(wire).unwrap_or_else(|| panic!("{} has no LineKind", wire.as_str_name()));
            assert_eq!(bill_item_kind(kind), wire, "round trip");
            let name = format!("BILL_ITEM_KIND_{}", serde_name(kind).to_uppercase());
            assert_eq!(
                pb::BillItemKind::from_str_name(&name),
                Some(wire),
                "LineKind::{kind:?} is stored as {name}, the wire says {}",
                wire.as_str_name()
            );
        }
        assert_eq!(line_kind(pb::BillItemKind::Unspecified), None);
    }

    #[test]
    fn every_tariff_item_kind_and_basis_has_a_counterpart_of_the_same_name() {
        for wire in values::<pb::TariffItemKind>() {
            let kind =
                item_kind(wire).unwrap_or_else(|| panic!("{} has no ItemKind", wire.as_str_name()));
            assert_eq!(tariff_item_kind(kind), wire, "round trip");
            let name = format!("TARIFF_ITEM_KIND_{}", serde_name(kind).to_uppercase());
            assert_eq!(pb::TariffItemKind::from_str_name(&name), Some(wire));
        }
        for wire in values::<pb::TariffBasis>() {
            let b = basis(wire).unwrap_or_else(|| panic!("{} has no Basis", wire.as_str_name()));
            assert_eq!(tariff_basis(b), wire, "round trip");
            let name = format!("TARIFF_BASIS_{}", serde_name(b).to_uppercase());
            assert_eq!(pb::TariffBasis::from_str_name(&name), Some(wire));
        }
        assert_eq!(item_kind(pb::TariffItemKind::Unspecified), None);
        assert_eq!(basis(pb::TariffBasis::Unspecified), None);
    }

    #[test]
    fn every_sandbox_choice_has_a_counterpart() {
        for wire in values::<pb::SandboxChoice>() {
            let c = choice(wire).unwrap_or_else(|| panic!("{} has no Choice", wire.as_str_name()));
            let name = format!("SANDBOX_CHOICE_{:?}", c).to_uppercase();
            assert_eq!(pb::SandboxChoice::from_str_name(&name), Some(wire));
        }
    }

    #[test]
    fn levies_are_stored_as_their_bill_item_kinds() {
        for kind in [ItemKind::RenewalLevy, ItemKind::WasteFee] {
            assert_eq!(levy_of(levy_code(kind)), Some(kind));
        }
        assert_eq!(levy_code(ItemKind::RenewalLevy), ITEM_RENEWAL_LEVY);
        assert_eq!(levy_code(ItemKind::WasteFee), ITEM_WASTE_FEE);
        assert_eq!(levy_code(ItemKind::InquiryFee), ITEM_INQUIRY_FEE);
        assert_eq!(levy_of(ITEM_INQUIRY_FEE), None, "not a yearly levy");
        assert_eq!(levy_of(ITEM_PENALTY), None);
        assert_eq!(levy_of(99), None);
    }
}
