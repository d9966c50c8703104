//! Reasons the fees service sends.

catalogue! {
    /// A stored bill was asked for as of an instant other than now; only a preview may be
    /// computed for the past or the future (a stored bill of the past would dodge penalties).
    AS_OF_ONLY_FOR_PREVIEW,
    /// `item_kinds` names a value that is not a bill item kind.
    ITEM_KIND_INVALID,
    /// The request type has no inquiry fee in any tariff that applies to the parcel.
    INQUIRY_FEE_MISSING,
    /// A clerk adjustment of zero rials, which would record nothing.
    AMOUNT_ZERO,
    /// An adjustment's year is neither 0 nor a plausible Jalali year.
    YEAR_INVALID,
    /// The ledger entry an adjustment says it corrects is not in that parcel's ledger.
    ENTRY_UNKNOWN,
    /// A tariff's rules break a rule (the field says which).
    TARIFF_INVALID,
    /// A tariff's land use is not a `LandUse`, or its zone is negative.
    TARIFF_SCOPE_INVALID,
    /// A tariff would take effect before today; stored tariffs never rewrite the past.
    TARIFF_EFFECTIVE_IN_PAST,
    /// PutTariff came without a tariff.
    TARIFF_REQUIRED,
    /// A tariff item or discount names no tariff item kind.
    TARIFF_ITEM_KIND_INVALID,
    /// A tariff item names no basis to compute its amount from.
    TARIFF_BASIS_INVALID,
    /// A Jalali date in a tariff cannot be read or does not exist.
    JALALI_DATE_INVALID,
    /// ChargeAccount or GetAccountStatement came without the authority's account id.
    ACCOUNT_REQUIRED,
    /// ChargeAccount came without the inquiry the fee is for.
    INQUIRY_REQUIRED,
    /// ChargeAccount came without the request type whose fee to charge.
    REQUEST_TYPE_REQUIRED,
    /// Clearance was asked for a parcel that still owes; it is issued once the debt is paid.
    DEBT_OUTSTANDING,
    /// StartPayment came without an idempotency key (or with one over 200 characters).
    IDEMPOTENCY_KEY_REQUIRED,
    /// StartPayment's idempotency key was used before for another bill.
    IDEMPOTENCY_KEY_REUSED,
    /// The payer's return URL has characters a browser may read otherwise (controls, spaces,
    /// backslashes, bidi controls) or is too long.
    RETURN_URL_INVALID,
    /// The payer's return URL leads off the portal: neither a path on it (`/inquiries/…`)
    /// nor an origin in `fees.return_origins` (an open redirect otherwise).
    RETURN_URL_NOT_ALLOWED,
    /// The bill was paid already; nothing is left to pay on it.
    BILL_ALREADY_PAID,
    /// The parcel's ledger changed after the bill was computed; assess again.
    BILL_SUPERSEDED,
    /// The bill's payment window has passed; assess again.
    BILL_EXPIRED,
    /// StartPayment's amount differs from the bill's total.
    AMOUNT_MISMATCH,
    /// A callback names a payment provider this service does not use.
    PROVIDER_UNKNOWN,
    /// A provider callback's signature does not match its fields; it was ignored.
    PSP_SIGNATURE_INVALID,
    /// A provider callback lacks a field or has a malformed one; it was ignored.
    PSP_CALLBACK_MALFORMED,
    /// A provider callback names a token no payment of that provider has.
    PSP_TOKEN_UNKNOWN,
    /// The provider reports taking an amount other than the payment's; nothing was recorded.
    PSP_AMOUNT_MISMATCH,
    /// The sandbox payment page was submitted without choosing pay or cancel.
    CHOICE_REQUIRED,
    /// An adjustment's kind is not an `AdjustmentKind`, or a discount or write-off is not a
    /// credit (a negative amount).
    ADJUSTMENT_KIND_INVALID,
    /// A staff member tried to approve or refuse the adjustment they proposed themselves;
    /// another staff member must decide it.
    ADJUSTMENT_SELF_APPROVAL,
    /// The proposed adjustment was approved or refused already; it is decided once.
    ADJUSTMENT_ALREADY_DECIDED,
    /// A proposal filter names a status that is not an `AdjustmentProposalStatus`.
    ADJUSTMENT_STATUS_INVALID,
    /// PreviewTariff came without the parcel to bill.
    PREVIEW_PARCEL_REQUIRED,
    /// FileDispute names no bill line, or a position that is not a line of the bill, or a
    /// line with nothing to dispute (a credit, a discount, zero).
    DISPUTE_LINES_INVALID,
    /// A bill line is under another dispute already; one dispute per line.
    DISPUTE_ITEM_ALREADY_DISPUTED,
    /// Only an open bill (not paid, superseded or expired) can be disputed.
    DISPUTE_BILL_CLOSED,
    /// A dispute's reason is longer than its limit.
    DISPUTE_REASON_TOO_LONG,
    /// A dispute decision is neither uphold nor dismiss.
    DISPUTE_DECISION_INVALID,
    /// A dispute filter names a status that is not a `DisputeStatus`.
    DISPUTE_STATUS_INVALID,
    /// The dispute's deposit is not held yet (its bill is unpaid); it is decided after.
    DISPUTE_DEPOSIT_MISSING,
    /// The dispute was upheld or dismissed already; it is decided once.
    DISPUTE_ALREADY_DECIDED,
}
