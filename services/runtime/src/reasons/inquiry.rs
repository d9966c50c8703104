//! Reasons the inquiry service sends. Reasons it shares with another service (the request
//! number's verdicts, the map point, a required revocation reason, …) are in
//! [`super::common`].

catalogue! {
    /// GetInquiry named neither an inquiry id nor an inquiry number.
    INQUIRY_KEY_REQUIRED,
    /// An inquiry number whose form or check digit is wrong.
    INQUIRY_NUMBER_INVALID,
    /// BulkStatus asked about more inquiry numbers than one call may.
    INQUIRY_NUMBERS_TOO_MANY,
    /// A step or Submit on an inquiry that is submitted or finished.
    INQUIRY_NOT_EDITABLE,
    /// A step taken before the steps it depends on.
    STEP_OUT_OF_ORDER,
    /// The letter step on a request type that has no letter.
    LETTER_NOT_REQUIRED,
    /// A request type that may not be filed in the caller's role.
    REQUEST_TYPE_NOT_ALLOWED,
    /// PutRequestType sent no request type.
    REQUEST_TYPE_DEFINITION_REQUIRED,
    /// PutRequestType would create a request type whose code is taken.
    REQUEST_TYPE_EXISTS,
    /// A request type code other than lower-case letters, digits and dashes.
    REQUEST_TYPE_CODE_INVALID,
    /// A request type open to a role other than citizen or authority.
    REQUEST_TYPE_ROLE_INVALID,
    /// A name left empty: the applicant's full name, or a request type's Persian name.
    NAME_REQUIRED,
    /// An undertaking without a code or with a version below 1.
    UNDERTAKING_INVALID,
    /// An undertaking without its Persian text.
    UNDERTAKING_TEXT_REQUIRED,
    /// An undertaking's text changed under the same text version.
    UNDERTAKING_CHANGED_WITHOUT_VERSION,
    /// AcceptUndertakings named a text that is not a current one of the request type.
    UNDERTAKING_VERSION_UNKNOWN,
    /// AcceptUndertakings left out one of the request type's undertakings.
    UNDERTAKING_NOT_ACCEPTED,
    /// A request type charging an unknown fee item.
    FEE_ITEM_INVALID,
    /// A request type with an unknown inquiry fee settlement.
    FEE_SETTLEMENT_INVALID,
    /// A request type whose answers would be valid for less than a day or more than ten
    /// years.
    ANSWER_VALIDITY_INVALID,
    /// An inquiry fee settled on the authority's account for a type with no letter naming
    /// the authority.
    ON_ACCOUNT_NEEDS_LETTER,
    /// An active request type with a fee item (the inquiry fee, a levy) that no tariff of
    /// the current Jalali year prices.
    REQUEST_TYPE_TARIFF_MISSING,
    /// A request type asking for a document kind that does not exist.
    REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN,
    /// A request type's answer statements: too many, too long, or one without Persian.
    REQUEST_TYPE_ANSWER_STATEMENTS_INVALID,
    /// A request type's answer title in English only.
    REQUEST_TYPE_ANSWER_TITLE_PERSIAN_MISSING,
    /// A request type whose active window ends before it starts.
    REQUEST_TYPE_ACTIVE_WINDOW_INVALID,
    /// A new inquiry of a request type outside its active window.
    REQUEST_TYPE_OUTSIDE_ACTIVE_WINDOW,
    /// A membership code whose form or check digit is wrong.
    MEMBERSHIP_CODE_INVALID,
    /// The national code and membership code given for on-behalf filing do not belong to
    /// one citizen.
    CONSENT_NOT_VERIFIED,
    /// The applicant's national code differs from the citizen who consented to the filing.
    CONSENTING_APPLICANT_MISMATCH,
    /// No parcel has the renovation code given.
    PARCEL_NOT_FOUND,
    /// The property step named neither a renovation code nor a map point.
    PROPERTY_REQUIRED,
    /// A request number whose form or check digit is wrong.
    REQUEST_NUMBER_INVALID,
    /// The letter step without a letter number (or one longer than 64 characters).
    LETTER_NUMBER_REQUIRED,
    /// A letter date that is not a Jalali date.
    LETTER_DATE_INVALID,
    /// A letter dated after today.
    LETTER_DATE_IN_FUTURE,
    /// The letter step named no inquiring authority and the inquiry was not filed by one.
    AUTHORITY_REQUIRED,
    /// The inquiring authority named is not a registered, active organisation.
    AUTHORITY_NOT_FOUND,
    /// More documents attached than one inquiry may hold.
    DOCUMENTS_TOO_MANY,
    /// An attached document that is not among the applicant's uploads.
    DOCUMENT_NOT_FOUND,
    /// A document the request type requires was not attached.
    REQUIRED_DOCUMENT_MISSING,
    /// The declared ownership type differs from the parcel's record, at a representative's
    /// applicant step (anyone else's waits for a clerk's review instead).
    OWNERSHIP_TYPE_MISMATCH,
    /// The applicant's name differs from the owner's on record, at a representative's
    /// applicant step (anyone else's waits for a clerk's review instead).
    APPLICANT_NAME_MISMATCH,
    /// No owner of the parcel has the applicant's national code.
    APPLICANT_NOT_OWNER,
    /// The parcel named at the property step is no longer on record at Submit.
    PARCEL_GONE,
    /// GetBill on an inquiry that was not charged (not submitted, or nothing owed).
    BILL_MISSING,
    /// StartPayment on an inquiry that is not waiting for a payment.
    INQUIRY_NOT_AWAITING_PAYMENT,
    /// The answer of an inquiry asked for before it was issued.
    ANSWER_NOT_ISSUED,
    /// A verification code whose form or check digit is wrong.
    VERIFICATION_CODE_INVALID,
    /// CheckAnswerCode was given text that is not an answer's QR code (no `EQ1:` prefix,
    /// damaged, or too long to be one).
    ANSWER_CODE_UNREADABLE,
    /// A citizen named someone else as the applicant of their own inquiry: a citizen files
    /// only as themselves (acting for an owner is representation, not a typed national code).
    APPLICANT_NOT_CALLER,
    /// A citizen's token carries no national code (`nc`), so who the applicant is cannot be
    /// known from identity; the form is never trusted instead.
    CALLER_NATIONAL_CODE_ABSENT,
    /// An authority user named an organisation other than their own as the inquiring
    /// authority (its account would be charged for an inquiry it never made).
    AUTHORITY_NOT_OWN_ORGANIZATION,
    /// A representative named no power of attorney at the applicant step.
    POWER_OF_ATTORNEY_REQUIRED,
    /// The document named as the power of attorney is of another kind.
    POWER_OF_ATTORNEY_KIND_WRONG,
    /// A representative named themselves as the owner: they file as themselves instead.
    REPRESENTATIVE_IS_OWNER,
    /// Someone other than a citizen claimed to act as an owner's representative (offices
    /// file for a citizen with the citizen's consent instead).
    REPRESENTATIVE_ROLE_NOT_ALLOWED,
    /// A step or Submit while a clerk has still to approve the representation.
    REPRESENTATION_PENDING,
    /// DecideRepresentation on an inquiry that is not waiting for that decision.
    REPRESENTATION_NOT_PENDING,
    /// A step or Submit while a clerk has still to review the applicant's name or
    /// ownership-type mismatch.
    REVIEW_PENDING,
    /// DecideReview on an inquiry that is not in the clerks' review queue.
    REVIEW_NOT_PENDING,
    /// A webhook endpoint URL that is not an absolute http(s) URL with a host, or carries
    /// credentials or a fragment.
    WEBHOOK_URL_INVALID,
    /// A plain-http webhook URL where the deployment takes https only.
    WEBHOOK_URL_NOT_HTTPS,
    /// A webhook URL on a loopback, private, link-local or other internal address the
    /// deployment does not allow (requests from inside the municipality's network).
    WEBHOOK_URL_ADDRESS_REFUSED,
    /// A webhook subscription naming an event type that does not exist.
    WEBHOOK_EVENT_TYPE_UNKNOWN,
    /// A webhook subscription naming no event type.
    WEBHOOK_EVENT_TYPES_REQUIRED,
    /// An organisation already has as many webhook endpoints as it may.
    WEBHOOK_ENDPOINTS_TOO_MANY,
    /// A webhook secret rotation asking for a longer overlap than allowed.
    WEBHOOK_OVERLAP_TOO_LONG,
    /// An admin's webhook call that names no organisation.
    WEBHOOK_ORGANIZATION_REQUIRED,
    /// A webhook delivery list filtered by a state that does not exist.
    WEBHOOK_DELIVERY_STATE_UNKNOWN,
    /// A replay naming both or neither of one delivery and all dead ones.
    WEBHOOK_REPLAY_TARGET_REQUIRED,
    /// A replay of a delivery that is still pending, or not the endpoint's.
    WEBHOOK_DELIVERY_NOT_REPLAYABLE,

    /// Answer-time statistics asked for a Jalali year outside the calendar's range.
    STATISTICS_YEAR_INVALID,

    /// CreateBatch without the caller's own id for the batch (its retry key).
    CLIENT_BATCH_ID_REQUIRED,
    /// CreateBatch with no items.
    BATCH_ITEMS_REQUIRED,
    /// CreateBatch with more items than one batch may hold.
    BATCH_ITEMS_TOO_MANY,
    /// A batch item with a field longer than allowed or too many documents.
    BATCH_ITEM_INVALID,
    /// A batch item's inquiry was filed and then rejected at Submit (the applicant no
    /// longer owns the parcel, …); the message says why.
    BATCH_ITEM_REJECTED,
    /// A batch item that could not be filed after repeated attempts while a service it
    /// needs was unavailable.
    BATCH_ITEM_UNFINISHED,
    /// A batch item's inquiry, waiting for its bill, was cancelled before it was paid.
    BATCH_ITEM_CANCELLED,
    /// A batch item's inquiry, waiting for its bill, ran out of time unpaid.
    BATCH_ITEM_EXPIRED,
}
