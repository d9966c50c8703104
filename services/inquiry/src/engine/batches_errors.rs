//! The refusals of bulk filing, in Persian and English (beside [`crate::errors`], which
//! holds the single inquiry's): what is wrong with a batch request, and why an item of an
//! accepted batch ended refused.

use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::inquiry as r;

/// CreateBatch without the caller's id for the batch.
pub fn client_batch_id_required() -> ServiceError {
    ServiceError::invalid_field(
        "client_batch_id",
        r::CLIENT_BATCH_ID_REQUIRED,
        "شناسهٔ دسته را (شناسه‌ای که سامانهٔ شما برای این دسته می‌سازد، تا ۱۰۰ نویسه) بفرستید؛ با همان شناسه، ارسال دوباره چیزی را دوباره ثبت نمی‌کند.",
        "Send client_batch_id (your system's id for this batch, up to 100 characters); \
         sending the batch again with the same id files nothing twice.",
    )
}

/// CreateBatch with no items.
pub fn items_required() -> ServiceError {
    ServiceError::invalid_field(
        "items",
        r::BATCH_ITEMS_REQUIRED,
        "دست‌کم یک ملک در دسته بفرستید.",
        "Send at least one parcel in the batch.",
    )
}

/// CreateBatch with more items than a batch may hold.
pub fn items_too_many(max: usize) -> ServiceError {
    ServiceError::invalid_field(
        "items",
        r::BATCH_ITEMS_TOO_MANY,
        format!("هر دسته حداکثر {max} ملک دارد؛ فهرست را در چند دسته بفرستید."),
        format!("A batch holds at most {max} parcels; send the list as several batches."),
    )
}

/// A batch item's field that is too long, or an item with too many documents.
pub fn item_invalid(field: String, max: usize) -> ServiceError {
    ServiceError::invalid_field(
        field,
        r::BATCH_ITEM_INVALID,
        format!("این مقدار بیش از اندازه است (حداکثر {max}); آن را کوتاه کنید."),
        format!("This value is too long (at most {max}); shorten it."),
    )
}

/// An item whose inquiry was filed and then rejected at Submit, with the inquiry's reason.
pub fn item_rejected(fa: &str, en: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::BATCH_ITEM_REJECTED,
        format!("استعلام این ملک ثبت و سپس رد شد: {fa}"),
        format!("This parcel's inquiry was filed and then rejected: {en}"),
    )
}

/// An item given up after repeated attempts while a service it needs was unavailable.
pub fn item_unfinished() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unavailable,
        r::BATCH_ITEM_UNFINISHED,
        "ثبت این ملک پس از چند بار تلاش انجام نشد، چون یکی از سامانه‌ها در دسترس نبود. آن را در دسته‌ای تازه دوباره بفرستید.",
        "This parcel could not be filed after repeated attempts while a service was \
         unavailable. Send it again in a new batch.",
    )
}

/// An item whose inquiry waited for its bill and was cancelled, with the canceller's reason.
pub fn item_cancelled(fa: &str, en: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::BATCH_ITEM_CANCELLED,
        format!("استعلام این ملک پیش از پرداخت صورت‌حساب لغو شد: {fa}"),
        format!("This parcel's inquiry was cancelled before its bill was paid: {en}"),
    )
}

/// An item whose inquiry waited for its bill until its time ran out.
pub fn item_expired() -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r::BATCH_ITEM_EXPIRED,
        "صورت‌حساب استعلام این ملک در مهلت پرداخت نشد و استعلام بسته شد؛ آن را در دسته‌ای تازه دوباره بفرستید.",
        "This parcel's bill was not paid in time and its inquiry was closed; send it again \
         in a new batch.",
    )
}
