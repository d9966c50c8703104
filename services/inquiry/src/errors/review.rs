//! Refusals of the clerks' review queue (`ListReviews`, `DecideReview`).

use super::*;

/// A clerk's reason for refusing a reviewed applicant, in Persian; shown to the applicant.
pub const REVIEW_REASON_FA: TextField = TextField::new(
    "reason.fa",
    "علت رد (فارسی)",
    "reason for refusing (Persian)",
);
/// The same reason in English.
pub const REVIEW_REASON_EN: TextField = TextField::new(
    "reason.en",
    "علت رد (انگلیسی)",
    "reason for refusing (English)",
);

/// DecideReview on an inquiry that is not in the review queue (already decided, or never
/// queued).
pub fn review_not_pending() -> ServiceError {
    precondition(
        r::REVIEW_NOT_PENDING,
        "این استعلام در صف بررسی کارشناس نیست؛ ممکن است پیش‌تر درباره‌اش تصمیم گرفته شده باشد. صف را دوباره باز کنید.",
        "This inquiry is not in the review queue; it may already have been decided. Reload the queue.",
    )
}

/// A refusal without the reason the applicant will read.
pub fn review_reason_required() -> ServiceError {
    invalid(
        "reason",
        reasons::common::REASON_REQUIRED,
        "علت رد را (به فارسی یا انگلیسی) بنویسید؛ به متقاضی نشان داده می‌شود.",
        "Give the reason for refusing (in Persian or English); the applicant is shown it.",
    )
}
