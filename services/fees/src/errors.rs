//! The fees service's refusals, each in Persian and English and saying what to do next, with
//! its reason from the catalogue (`estelam_runtime::reasons`). Service code calls these
//! instead of writing messages inline, so one refusal reads the same wherever it is made.

use estelam_domain::DomainError;
use estelam_domain::text::{TextError, TextField, clean_text};
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons;

use crate::assess::AssessError;
use crate::tariff::TariffProblem;

/// A clerk's reason for an adjustment, kept in the ledger and shown on the parcel's account.
pub const ADJUSTMENT_REASON: TextField =
    TextField::new("reason", "علت اصلاح", "reason for the adjustment");
/// An admin's reason for a new tariff version, kept in its history.
pub const TARIFF_REASON: TextField =
    TextField::new("tariff.reason", "علت تعرفه", "reason for the tariff");
/// A tariff item's or discount's description, printed on every bill line it makes.
pub const LINE_DESCRIPTION: TextField =
    TextField::new("description", "شرح ردیف", "line description");

/// `input` cleaned by the domain crate's one cleaner, or refused for a control or bidi
/// character with TEXT_CHARACTERS_REFUSED naming `path` (the caller's field, which may be an
/// indexed path like `tariff.items[2].description.fa`).
pub fn clean(field: TextField, path: &str, input: &str) -> Result<String, ServiceError> {
    clean_text(field, input).map_err(|e: TextError| {
        ServiceError::invalid_field(
            path,
            reasons::common::TEXT_CHARACTERS_REFUSED,
            e.message_fa(),
            e.to_string(),
        )
    })
}

fn precondition(reason: reasons::Reason, fa: String, en: String) -> ServiceError {
    ServiceError::new(ErrorCode::FailedPrecondition, reason, fa, en)
}

// ---- what a request names ----

/// A renovation code that cannot be read, in the request field `field`.
pub fn renovation_code_invalid(field: &str, e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::common::RENOVATION_CODE_INVALID,
        e.message_fa(),
        e.to_string(),
    )
}

/// A Jalali date that cannot be read, in the request field `field`.
pub fn jalali_date_invalid(field: &str, e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::fees::JALALI_DATE_INVALID,
        e.message_fa(),
        e.to_string(),
    )
}

/// A page token whose key this service cannot have written (it decoded, so it was forged
/// or corrupted rather than issued for other filters).
pub fn page_token_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "page_token",
        reasons::common::PAGE_TOKEN_INVALID,
        "نشانهٔ صفحه نامعتبر است؛ از صفحهٔ اول آغاز کنید.",
        "The page token is invalid; start again from the first page.",
    )
}

/// The parcel registry has no such parcel.
pub fn parcel_not_found() -> ServiceError {
    ServiceError::not_found("ملک", "The parcel")
}

/// No stored bill has that id.
pub fn bill_not_found() -> ServiceError {
    ServiceError::not_found("صورت‌حساب", "The bill")
}

/// No payment has that id (or the sandbox bank has no such token).
pub fn payment_not_found() -> ServiceError {
    ServiceError::not_found("پرداخت", "The payment")
}

/// No tariff version has that id.
pub fn tariff_not_found() -> ServiceError {
    ServiceError::not_found("تعرفه", "The tariff")
}

/// The sandbox PSP's calls reach a deployment that does not run the sandbox.
pub fn sandbox_not_found() -> ServiceError {
    ServiceError::not_found("درگاه آزمایشی", "The sandbox payment provider")
}

// ---- assessment and clearance ----

/// A stored bill asked for as of another instant than now.
pub fn as_of_only_for_preview() -> ServiceError {
    ServiceError::invalid_field(
        "as_of",
        reasons::fees::AS_OF_ONLY_FOR_PREVIEW,
        "صورت‌حساب ذخیره‌شده فقط برای اکنون صادر می‌شود؛ برای تاریخ دیگر پیش‌نمایش بخواهید.",
        "A stored bill is always as of now; ask for a preview for another instant.",
    )
}

/// `item_kinds` names no bill item kind.
pub fn item_kind_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "item_kinds",
        reasons::fees::ITEM_KIND_INVALID,
        "نوع قلم نادرست است.",
        "Unknown bill item kind.",
    )
}

/// An amount that does not fit in 64 bits: a defect or absurd data, never the caller's to
/// fix, so it is logged and reported as internal.
pub fn computation(e: DomainError) -> ServiceError {
    ServiceError::internal(anyhow::anyhow!("amount computation failed: {e}"))
}

/// Why a bill (or an authority's inquiry fee) could not be computed.
pub fn assessment(e: AssessError) -> ServiceError {
    match e {
        AssessError::NoInquiryFee(code) => ServiceError::invalid_field(
            "request_type_code",
            reasons::fees::INQUIRY_FEE_MISSING,
            format!(
                "برای نوع درخواست «{code}» هزینهٔ استعلامی تعریف نشده است؛ با شهرداری تماس بگیرید."
            ),
            format!(
                "No inquiry fee is defined for request type \"{code}\"; contact the municipality."
            ),
        ),
        AssessError::Domain(e) => computation(e),
    }
}

/// Clearance asked for a parcel that owes `owed` rials.
pub fn debt_outstanding(owed: i64) -> ServiceError {
    precondition(
        reasons::fees::DEBT_OUTSTANDING,
        format!("این ملک {owed} ریال بدهی دارد؛ پس از پرداخت، مفاصاحساب صادر می‌شود."),
        format!("The parcel owes {owed} rials; clearance is issued once it is paid."),
    )
}

// ---- the ledger ----

/// An adjustment without a reason.
pub fn adjustment_reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::common::REASON_REQUIRED,
        "دلیل اصلاحیه را بنویسید.",
        "Give the reason for the adjustment.",
    )
}

/// An adjustment of nothing.
pub fn adjustment_amount_zero() -> ServiceError {
    ServiceError::invalid_field(
        "amount_rials",
        reasons::fees::AMOUNT_ZERO,
        "مبلغ اصلاحیه نمی‌تواند صفر باشد.",
        "The adjustment amount cannot be zero.",
    )
}

/// An adjustment's year that is neither 0 nor a Jalali year.
pub fn adjustment_year_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "jalali_year",
        reasons::fees::YEAR_INVALID,
        "سال باید سالی شمسی مانند ۱۴۰۴ یا صفر باشد.",
        "The year must be a Jalali year such as 1404, or 0.",
    )
}

/// The entry an adjustment corrects is not in the parcel's ledger.
pub fn corrected_entry_unknown() -> ServiceError {
    ServiceError::invalid_field(
        "corrects_ledger_entry_id",
        reasons::fees::ENTRY_UNKNOWN,
        "ردیفی که اصلاح می‌شود در دفتر این ملک نیست.",
        "The entry being corrected is not in this parcel's ledger.",
    )
}

/// An adjustment of a kind the contract does not know, or a discount or write-off that is
/// not a credit.
pub fn adjustment_kind_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "kind",
        reasons::fees::ADJUSTMENT_KIND_INVALID,
        "نوع اصلاحیه نادرست است؛ تخفیف و بخشودگی با مبلغ منفی (بستانکار) ثبت می‌شوند.",
        "The adjustment kind is not valid; a discount or write-off is a credit, entered as a \
         negative amount.",
    )
}

/// A proposal filter naming no proposal status.
pub fn adjustment_status_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "status",
        reasons::fees::ADJUSTMENT_STATUS_INVALID,
        "وضعیت پیشنهاد اصلاحیه نادرست است.",
        "The proposal status is not valid.",
    )
}

/// No proposed adjustment has that id.
pub fn proposal_not_found() -> ServiceError {
    ServiceError::not_found("پیشنهاد اصلاحیه", "The proposed adjustment")
}

/// The proposer deciding their own proposal: the second approver must be someone else.
pub fn adjustment_self_approval() -> ServiceError {
    precondition(
        reasons::fees::ADJUSTMENT_SELF_APPROVAL,
        "پیشنهاددهندهٔ اصلاحیه نمی‌تواند خودش آن را تأیید یا رد کند؛ کارمند دیگری باید تصمیم بگیرد."
            .into(),
        "The proposer of an adjustment cannot approve or refuse it; another staff member must \
         decide it."
            .into(),
    )
}

/// A proposal decided already.
pub fn adjustment_already_decided() -> ServiceError {
    precondition(
        reasons::fees::ADJUSTMENT_ALREADY_DECIDED,
        "دربارهٔ این اصلاحیه پیش‌تر تصمیم گرفته شده است.".into(),
        "This adjustment was already approved or refused.".into(),
    )
}

/// A refusal without a reason.
pub fn decision_reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::common::REASON_REQUIRED,
        "دلیل رد اصلاحیه را بنویسید؛ پیشنهاددهنده آن را می‌بیند.",
        "Give the reason for refusing the adjustment; its proposer sees it.",
    )
}

// ---- disputes ----

/// An applicant's objection, kept on the dispute and shown to the clerk who decides it.
pub const DISPUTE_REASON: TextField =
    TextField::new("reason", "علت اعتراض", "reason for the objection");
/// A clerk's reason for deciding a dispute, shown to the applicant.
pub const DISPUTE_DECISION_REASON: TextField =
    TextField::new("reason", "علت رأی", "reason for the decision");

/// No dispute has that id (or the caller may not see it).
pub fn dispute_not_found() -> ServiceError {
    ServiceError::not_found("اعتراض", "The objection")
}

/// A dispute without a reason.
pub fn dispute_reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت اعتراض به این اقلام را بنویسید.",
        "Give the reason for objecting to these items.",
    )
}

/// A dispute's reason over `max` characters.
pub fn dispute_reason_too_long(max: usize) -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::fees::DISPUTE_REASON_TOO_LONG,
        format!("علت اعتراض حداکثر {max} نویسه است؛ کوتاه‌ترش کنید."),
        format!("The reason may be at most {max} characters; shorten it."),
    )
}

/// FileDispute naming no line, or a line that is not there or has nothing to dispute.
pub fn dispute_lines_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "line_indexes",
        reasons::fees::DISPUTE_LINES_INVALID,
        "دست‌کم یک ردیف از صورت‌حساب را که مبلغی دارد برای اعتراض برگزینید.",
        "Choose at least one line of the bill that has an amount to object to.",
    )
}

/// A line under another dispute.
pub fn dispute_item_already_disputed() -> ServiceError {
    precondition(
        reasons::fees::DISPUTE_ITEM_ALREADY_DISPUTED,
        "به یکی از این ردیف‌ها پیش‌تر اعتراض شده است؛ ردیف‌های دیگری برگزینید یا نتیجهٔ همان اعتراض را ببینید."
            .into(),
        "One of these lines is already under an objection; choose other lines or follow that          objection."
            .into(),
    )
}

/// Disputing a bill that is paid, superseded or expired.
pub fn dispute_bill_closed() -> ServiceError {
    precondition(
        reasons::fees::DISPUTE_BILL_CLOSED,
        "فقط به صورت‌حسابی که هنوز پرداخت نشده و معتبر است می‌توان اعتراض کرد.".into(),
        "Only a bill that is still open and unpaid can be objected to.".into(),
    )
}

/// A decision that is neither uphold nor dismiss.
pub fn dispute_decision_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "decision",
        reasons::fees::DISPUTE_DECISION_INVALID,
        "رأی را مشخص کنید: پذیرش اعتراض یا رد آن.",
        "Choose the decision: uphold the objection or dismiss it.",
    )
}

/// A list filter naming no dispute status.
pub fn dispute_status_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "status",
        reasons::fees::DISPUTE_STATUS_INVALID,
        "وضعیت اعتراض نادرست است.",
        "The objection status is not valid.",
    )
}

/// Deciding a dispute whose deposit is not held yet.
pub fn dispute_deposit_missing() -> ServiceError {
    precondition(
        reasons::fees::DISPUTE_DEPOSIT_MISSING,
        "سپردهٔ این اعتراض هنوز پرداخت نشده است؛ پس از پرداخت صورت‌حساب رأی بدهید.".into(),
        "The deposit for this objection is not paid yet; decide it once the bill is paid.".into(),
    )
}

/// A dispute decided already.
pub fn dispute_already_decided() -> ServiceError {
    precondition(
        reasons::fees::DISPUTE_ALREADY_DECIDED,
        "دربارهٔ این اعتراض پیش‌تر رأی داده شده است.".into(),
        "This objection has already been decided.".into(),
    )
}

/// A decision without a reason.
pub fn dispute_decision_reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت رأی را بنویسید؛ معترض آن را می‌بیند.",
        "Give the reason for the decision; the applicant sees it.",
    )
}

// ---- tariffs ----

/// PreviewTariff without a parcel.
pub fn preview_parcel_required() -> ServiceError {
    ServiceError::invalid_field(
        "renovation_code",
        reasons::fees::PREVIEW_PARCEL_REQUIRED,
        "کد نوسازی ملکی را که صورت‌حسابش را می‌خواهید ببینید بنویسید.",
        "Give the renovation code of the parcel whose bill to preview.",
    )
}

/// PutTariff without a tariff.
pub fn tariff_required() -> ServiceError {
    ServiceError::invalid_field(
        "tariff",
        reasons::fees::TARIFF_REQUIRED,
        "تعرفه را بفرستید.",
        "Send the tariff.",
    )
}

/// A tariff whose rules break a rule of [`crate::tariff::validate`].
pub fn tariff_invalid(p: TariffProblem) -> ServiceError {
    ServiceError::invalid_field(p.field, reasons::fees::TARIFF_INVALID, p.fa, p.en)
}

/// A tariff change without a reason.
pub fn tariff_reason_required() -> ServiceError {
    ServiceError::invalid_field(
        "tariff.reason",
        reasons::common::REASON_REQUIRED,
        "دلیل تغییر تعرفه را بنویسید.",
        "Give the reason for the tariff change.",
    )
}

/// A tariff for no land use the property service's contract knows (`LandUse`).
pub fn tariff_scope_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "tariff.land_use",
        reasons::fees::TARIFF_SCOPE_INVALID,
        "کاربری نادرست است؛ یکی از کاربری‌های ثبت املاک را برگزینید یا همه را.",
        "The land use is not valid; choose one the property records use, or all.",
    )
}

/// A tariff zone no renovation code can name (zones are 1 to 99,999; 0 for all zones).
pub fn tariff_zone_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "tariff.zone",
        reasons::fees::TARIFF_SCOPE_INVALID,
        "منطقه باید عددی از ۱ تا ۹۹۹۹۹ باشد، یا ۰ برای همهٔ مناطق.",
        "The zone must be a number from 1 to 99,999, or 0 for all zones.",
    )
}

/// A tariff that would apply before today.
pub fn tariff_effective_in_past() -> ServiceError {
    ServiceError::invalid_field(
        "tariff.effective_from_jalali",
        reasons::fees::TARIFF_EFFECTIVE_IN_PAST,
        "تاریخ اجرای تعرفه نمی‌تواند گذشته باشد.",
        "A tariff cannot take effect in the past.",
    )
}

/// A tariff item or discount with no item kind, in the request field `field`.
pub fn tariff_item_kind_invalid(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::fees::TARIFF_ITEM_KIND_INVALID,
        "نوع قلم تعرفه را مشخص کنید.",
        "Choose the tariff item's kind.",
    )
}

/// A tariff item with no basis, in the request field `field`.
pub fn tariff_basis_invalid(field: &str) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reasons::fees::TARIFF_BASIS_INVALID,
        "مبنای محاسبهٔ قلم را مشخص کنید.",
        "Choose what the item is computed from.",
    )
}

// ---- authority accounts ----

/// ChargeAccount or GetAccountStatement without the authority's account.
pub fn account_required() -> ServiceError {
    ServiceError::invalid_field(
        "account_id",
        reasons::fees::ACCOUNT_REQUIRED,
        "شناسهٔ حساب مرجع استعلام را وارد کنید.",
        "Give the inquiring authority's account id.",
    )
}

/// ChargeAccount without the inquiry.
pub fn inquiry_required() -> ServiceError {
    ServiceError::invalid_field(
        "inquiry_id",
        reasons::fees::INQUIRY_REQUIRED,
        "شناسهٔ استعلام را وارد کنید.",
        "Give the inquiry id the fee is for.",
    )
}

/// ChargeAccount without the request type.
pub fn request_type_required() -> ServiceError {
    ServiceError::invalid_field(
        "request_type_code",
        reasons::fees::REQUEST_TYPE_REQUIRED,
        "نوع درخواست را وارد کنید.",
        "Give the request type whose inquiry fee to charge.",
    )
}

// ---- payments ----

/// StartPayment without a usable idempotency key.
pub fn idempotency_key_required() -> ServiceError {
    ServiceError::invalid_field(
        "idempotency_key",
        reasons::fees::IDEMPOTENCY_KEY_REQUIRED,
        "شناسهٔ یکتایی درخواست (idempotency_key) را بفرستید.",
        "Send an idempotency key (1 to 200 characters).",
    )
}

/// StartPayment's key already started paying another bill.
pub fn idempotency_key_reused() -> ServiceError {
    ServiceError::invalid_field(
        "idempotency_key",
        reasons::fees::IDEMPOTENCY_KEY_REUSED,
        "این شناسهٔ یکتایی برای صورت‌حساب دیگری به کار رفته است.",
        "This idempotency key was used for another bill.",
    )
}

/// A return URL with characters a browser may read otherwise, or too long.
pub fn return_url_invalid() -> ServiceError {
    ServiceError::invalid_field(
        "return_url",
        reasons::fees::RETURN_URL_INVALID,
        "نشانی بازگشت نباید فاصله، نویسهٔ کنترلی، بک‌اسلش یا نویسهٔ جهت‌نما داشته باشد و باید \
         کوتاه‌تر از ۲۰۰۰ نویسه باشد. مسیری در درگاه بفرستید، مانند /inquiries/…، یا آن را خالی بگذارید.",
        "The return URL must have no spaces, control characters, backslashes or bidi \
         controls and be under 2000 characters. Send a path on the portal, such as \
         /inquiries/…, or leave it out.",
    )
}

/// A return URL that leads off the portal: refused so the bank is no open redirect.
pub fn return_url_not_allowed() -> ServiceError {
    ServiceError::invalid_field(
        "return_url",
        reasons::fees::RETURN_URL_NOT_ALLOWED,
        "پس از پرداخت فقط می‌توان به درگاه شهرداری بازگشت: مسیری در درگاه بفرستید که با یک / \
         آغاز شود (مانند /inquiries/…، نه //)، یا آن را خالی بگذارید تا به صفحهٔ استعلام بازگردید.",
        "After paying, the payer returns only to the municipality's portal: send a path on \
         it that starts with a single / (such as /inquiries/…, not //), or leave it out to \
         return to the inquiry's page.",
    )
}

/// Paying a bill that is paid.
pub fn bill_already_paid() -> ServiceError {
    precondition(
        reasons::fees::BILL_ALREADY_PAID,
        "این صورت‌حساب پیش‌تر پرداخت شده است.".into(),
        "This bill has already been paid.".into(),
    )
}

/// Paying a bill computed against a ledger that has changed since.
pub fn bill_superseded() -> ServiceError {
    precondition(
        reasons::fees::BILL_SUPERSEDED,
        "بدهی این ملک تغییر کرده است؛ دوباره صورت‌حساب بگیرید.".into(),
        "The parcel's debt has changed; assess it again.".into(),
    )
}

/// Paying a bill past its validity.
pub fn bill_expired() -> ServiceError {
    precondition(
        reasons::fees::BILL_EXPIRED,
        "مهلت پرداخت این صورت‌حساب گذشته است؛ دوباره صورت‌حساب بگیرید.".into(),
        "This bill is no longer payable; assess the parcel again.".into(),
    )
}

/// Paying other than a bill's total.
pub fn amount_mismatch(total: i64) -> ServiceError {
    ServiceError::invalid_field(
        "amount_rials",
        reasons::fees::AMOUNT_MISMATCH,
        format!("مبلغ باید دقیقاً برابر مبلغ صورت‌حساب ({total} ریال) باشد."),
        format!("The amount must equal the bill's total ({total} rials) exactly."),
    )
}

/// A callback from a provider this service does not use.
pub fn provider_unknown() -> ServiceError {
    ServiceError::invalid_field(
        "provider",
        reasons::fees::PROVIDER_UNKNOWN,
        "درگاه پرداخت ناشناخته است.",
        "Unknown payment provider.",
    )
}

/// A callback with a bad signature (`signature`) or a bad field (`fields`), ignored. One
/// message serves both: the person reading it can do nothing different either way, and the
/// reason tells programs which check failed.
pub fn psp_callback_invalid(field: &str, reason: reasons::Reason) -> ServiceError {
    ServiceError::invalid_field(
        field,
        reason,
        "پاسخ درگاه پرداخت معتبر نیست و نادیده گرفته شد.",
        "The payment provider's callback is not valid and was ignored.",
    )
}

/// A callback for a token no payment of the provider has.
pub fn psp_token_unknown() -> ServiceError {
    ServiceError::invalid_field(
        "fields.token",
        reasons::fees::PSP_TOKEN_UNKNOWN,
        "این پرداخت شناخته نشد.",
        "No payment has this provider token.",
    )
}

/// A provider that took another amount than the payment's.
pub fn psp_amount_mismatch() -> ServiceError {
    ServiceError::invalid_field(
        "fields.amount",
        reasons::fees::PSP_AMOUNT_MISMATCH,
        "مبلغ پرداخت‌شده با مبلغ صورت‌حساب برابر نیست؛ پرداخت ثبت نشد.",
        "The amount paid differs from the bill's; the payment was not recorded.",
    )
}

/// The sandbox page submitted without a choice.
pub fn choice_required() -> ServiceError {
    ServiceError::invalid_field(
        "choice",
        reasons::fees::CHOICE_REQUIRED,
        "پرداخت یا انصراف را انتخاب کنید.",
        "Choose pay or cancel.",
    )
}

// ---- why a payment ended unpaid (stored on the payment, shown to the payer) ----

/// The payer cancelled or the bank refused.
pub const PAYMENT_FAILED: (&str, &str) = (
    "پرداخت لغو شد یا ناموفق بود.",
    "The payment was cancelled or failed.",
);

/// No callback came and the provider no longer knows the payment.
pub const PAYMENT_EXPIRED: (&str, &str) = (
    "پرداخت انجام نشد و مهلت آن گذشت.",
    "The payment was not made in time.",
);

/// The bill was no longer payable when the money arrived, so it is given back.
pub const PAYMENT_REVERSED: (&str, &str) = (
    "این صورت‌حساب پیش‌تر تسویه شده یا تغییر کرده بود؛ مبلغ به حساب شما بازگردانده می‌شود.",
    "The bill had already been settled or had changed; the amount is being returned to you.",
);
