//! The documents service's refusals, each in Persian and English and saying what to do.
//!
//! Every one is here, so that a refusal reads the same from every method and a translator
//! finds every sentence in one file. What inspection finds wrong with content arrives as a
//! [`Refusal`] and becomes an error through the `From` impl at the end.

use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::reasons::{self, Reason};
use tonic::{Code, Status};

use crate::inspect::{FileType, Refusal};
use crate::pdf_scan::PdfProblem;

fn type_name_fa(t: FileType) -> &'static str {
    match t {
        FileType::Pdf => "PDF",
        FileType::Jpeg => "JPEG",
        FileType::Png => "PNG",
        FileType::Webp => "WebP",
    }
}

/// The one answer for a document that does not exist or that the caller may not see.
pub fn document_not_found() -> ServiceError {
    ServiceError::not_found("مدرک", "The document")
}

/// The first message of an upload was not the metadata.
pub fn metadata_first() -> ServiceError {
    ServiceError::invalid_field(
        "metadata",
        reasons::documents::UPLOAD_METADATA_FIRST,
        "نخستین پیام بارگذاری باید مشخصات مدرک باشد و فقط یک بار فرستاده شود.",
        "The first upload message must carry the document's metadata, and only the first.",
    )
}

/// A field of the metadata is wrong.
fn bad_field(field: &str, reason: Reason, fa: &str, en: &str) -> ServiceError {
    ServiceError::invalid_field(field, reason, fa, en)
}

/// An upload that does not say what kind of document it is.
pub fn document_kind_required() -> ServiceError {
    bad_field(
        "kind",
        reasons::documents::DOCUMENT_KIND_REQUIRED,
        "نوع مدرک را مشخص کنید (کارت ملی، سند مالکیت، نامهٔ مرجع یا سایر).",
        "Say what the document is (national ID card, ownership deed, authority letter, or other).",
    )
}

/// A list filtered by a kind the contract does not define.
pub fn document_kind_invalid() -> ServiceError {
    bad_field(
        "kind",
        reasons::common::DOCUMENT_KIND_INVALID,
        "نوع مدرک نامعتبر است.",
        "The document kind is not valid.",
    )
}

/// An upload whose filename is empty once cleaned.
pub fn filename_required() -> ServiceError {
    bad_field(
        "original_filename",
        reasons::documents::FILENAME_REQUIRED,
        "نام فایل را بفرستید.",
        "Send the file's name.",
    )
}

/// A filename whose extension is not one of the accepted types'.
pub fn filename_extension_not_allowed() -> ServiceError {
    bad_field(
        "original_filename",
        reasons::documents::FILENAME_EXTENSION_NOT_ALLOWED,
        "پسوند نام فایل باید pdf، jpg، png یا webp باشد.",
        "The filename must end in .pdf, .jpg, .png or .webp.",
    )
}

/// A declared media type the store does not accept.
pub fn content_type_not_allowed() -> ServiceError {
    bad_field(
        "declared_content_type",
        reasons::documents::CONTENT_TYPE_NOT_ALLOWED,
        "فقط فایل‌های PDF، JPEG، PNG و WebP پذیرفته می‌شوند.",
        "Only PDF, JPEG, PNG and WebP files are accepted.",
    )
}

/// An expected hash that is not 64 hexadecimal digits.
pub fn sha256_invalid() -> ServiceError {
    bad_field(
        "expected_sha256",
        reasons::documents::SHA256_INVALID,
        "چکیدهٔ SHA-256 باید ۶۴ رقم هگزادسیمال باشد.",
        "The SHA-256 must be 64 hexadecimal digits.",
    )
}

/// An idempotency key longer than the store keeps.
pub fn client_request_id_too_long() -> ServiceError {
    bad_field(
        "client_request_id",
        reasons::common::CLIENT_REQUEST_ID_TOO_LONG,
        "شناسهٔ درخواست حداکثر ۱۲۸ نویسه باشد.",
        "The client request id may be at most 128 characters.",
    )
}

/// An owner account id that is not a UUID.
pub fn account_id_invalid() -> ServiceError {
    bad_field(
        "owner_account_id",
        reasons::documents::ACCOUNT_ID_INVALID,
        "شناسهٔ حساب مالک معتبر نیست.",
        "The owner's account id is not valid.",
    )
}

/// The document is larger than allowed (while streaming, or as declared).
pub fn too_large(max: u64) -> ServiceError {
    let mib = max as f64 / (1024.0 * 1024.0);
    ServiceError::new(
        ErrorCode::ResourceExhausted,
        reasons::documents::DOCUMENT_TOO_LARGE,
        format!("حجم مدرک بیش از حد مجاز ({mib:.1} مگابایت) است؛ فایل کوچک‌تری بفرستید."),
        format!(
            "The document is larger than the limit of {mib:.1} MiB; please send a smaller file."
        ),
    )
}

/// One chunk message is larger than the protocol allows.
pub fn chunk_too_large() -> ServiceError {
    bad_field(
        "chunk",
        reasons::documents::CHUNK_TOO_LARGE,
        "هر تکهٔ فایل حداکثر یک مگابایت باشد.",
        "Each chunk of the file may be at most 1 MiB.",
    )
}

/// The owner's quota would be passed.
pub fn quota(count: bool, max_count: u64, max_bytes: u64) -> ServiceError {
    if count {
        ServiceError::new(
            ErrorCode::ResourceExhausted,
            reasons::documents::DOCUMENT_QUOTA_COUNT,
            format!(
                "تعداد مدارک این حساب به سقف {max_count} رسیده است؛ برای مدارک بیشتر با شهرداری تماس بگیرید."
            ),
            format!(
                "This account already has the maximum of {max_count} documents; contact the municipality for more."
            ),
        )
    } else {
        let mib = max_bytes / (1024 * 1024);
        ServiceError::new(
            ErrorCode::ResourceExhausted,
            reasons::documents::DOCUMENT_QUOTA_BYTES,
            format!(
                "حجم مدارک این حساب از سقف {mib} مگابایت می‌گذرد؛ فایل کوچک‌تری بفرستید یا با شهرداری تماس بگیرید."
            ),
            format!(
                "This account's documents would exceed the {mib} MiB quota; send a smaller file or contact the municipality."
            ),
        )
    }
}

/// The received size differs from the declared size.
pub fn size_mismatch() -> ServiceError {
    bad_field(
        "declared_size_bytes",
        reasons::documents::SIZE_MISMATCH,
        "حجم دریافت‌شده با حجم اعلام‌شده برابر نیست؛ بارگذاری را دوباره انجام دهید.",
        "The bytes received differ in size from the declared size; please upload again.",
    )
}

/// An error that must travel as `DATA_LOSS` (the shared `ErrorCode` has no such kind):
/// built as a [`ServiceError`] so it carries the same localized details, then re-coded.
fn data_loss(reason: Reason, fa: &str, en: &str) -> Status {
    let status: Status = ServiceError::new(ErrorCode::Internal, reason, fa, en).into();
    Status::with_details(
        Code::DataLoss,
        status.message().to_owned(),
        status.details().to_vec().into(),
    )
}

/// The upload's bytes differ from the hash the uploader sent.
pub fn upload_checksum_mismatch() -> Status {
    data_loss(
        reasons::documents::UPLOAD_CHECKSUM_MISMATCH,
        "فایل در راه آسیب دیده است (چکیدهٔ SHA-256 برابر نیست)؛ دوباره بارگذاری کنید.",
        "The file was damaged in transit (its SHA-256 differs); please upload it again.",
    )
}

/// Stored content failed its integrity check.
pub fn stored_damaged() -> Status {
    data_loss(
        reasons::documents::DOCUMENT_DAMAGED,
        "محتوای این مدرک آسیب دیده است و تحویل داده نمی‌شود؛ موضوع ثبت شد، لطفاً با شهرداری تماس بگیرید.",
        "This document's stored content is damaged and will not be served; the fault was logged, please contact the municipality.",
    )
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        let content = |reason: Reason, fa: String, en: String| {
            ServiceError::invalid_field("chunk", reason, fa, en)
        };
        match r {
            Refusal::Empty => content(
                reasons::documents::DOCUMENT_EMPTY,
                "فایل خالی است؛ فایل مدرک را انتخاب کنید.".into(),
                "The file is empty; please choose the document's file.".into(),
            ),
            Refusal::TypeNotAllowed { .. } => content(
                reasons::documents::FILE_TYPE_NOT_ALLOWED,
                "فقط فایل‌های PDF، JPEG، PNG و WebP پذیرفته می‌شوند.".into(),
                "Only PDF, JPEG, PNG and WebP files are accepted.".into(),
            ),
            Refusal::DeclaredTypeMismatch { detected, declared } => ServiceError::invalid_field(
                "declared_content_type",
                reasons::documents::CONTENT_TYPE_MISMATCH,
                format!(
                    "محتوای فایل {} است اما نوع آن {} اعلام شده؛ فایل درست را بفرستید.",
                    type_name_fa(detected),
                    type_name_fa(declared)
                ),
                format!(
                    "The file's content is {} but it was declared as {}; please send the right file.",
                    type_name_fa(detected),
                    type_name_fa(declared)
                ),
            ),
            Refusal::ExtensionMismatch { detected, extension } => ServiceError::invalid_field(
                "original_filename",
                reasons::documents::EXTENSION_MISMATCH,
                format!(
                    "محتوای فایل {} است اما پسوند نام آن {} است؛ نام یا فایل را درست کنید.",
                    type_name_fa(detected),
                    type_name_fa(extension)
                ),
                format!(
                    "The file's content is {} but its name ends like a {} file; fix the name or the file.",
                    type_name_fa(detected),
                    type_name_fa(extension)
                ),
            ),
            Refusal::MalformedImage => content(
                reasons::documents::IMAGE_MALFORMED,
                "تصویر خراب است یا ابعاد آن خوانده نمی‌شود؛ دوباره اسکن یا عکس‌برداری کنید.".into(),
                "The image is broken or its size cannot be read; please scan or photograph it again.".into(),
            ),
            Refusal::ImageTooLarge { width, height } => content(
                reasons::documents::IMAGE_DIMENSIONS_TOO_LARGE,
                format!("ابعاد تصویر ({width}×{height} پیکسل) بیش از حد مجاز است؛ تصویر را کوچک‌تر کنید."),
                format!("The image's dimensions ({width}×{height} pixels) are too large; please resize it."),
            ),
            Refusal::Polyglot => content(
                reasons::documents::FILE_POLYGLOT,
                "این فایل هم‌زمان تصویر و PDF است و پذیرفته نمی‌شود؛ تصویر را دوباره ذخیره کنید.".into(),
                "This file is both an image and a PDF and is not accepted; please save the image again.".into(),
            ),
            Refusal::ImageDataTooLarge => content(
                reasons::documents::IMAGE_DATA_TOO_LARGE,
                "دادهٔ این تصویر پس از بازشدن بسیار بزرگ‌تر از ابعاد آن است و پذیرفته نمی‌شود؛ تصویر را دوباره ذخیره کنید.".into(),
                "This image's data expands far beyond its dimensions and is not accepted; please save the image again.".into(),
            ),
            Refusal::TrailingData => content(
                reasons::documents::FILE_TRAILING_DATA,
                "پس از پایان این فایل دادهٔ دیگری (مثلاً یک فایل فشرده یا اسکریپت) آمده است و پذیرفته نمی‌شود؛ فایل را دوباره ذخیره یا اسکن کنید.".into(),
                "This file carries other data after its end (such as an archive or a script) and is not accepted; please save or scan it again.".into(),
            ),
            Refusal::Pdf(problem) => {
                let (reason, fa, en) = match problem {
                    PdfProblem::Encrypted => (
                        reasons::documents::PDF_ENCRYPTED,
                        "فایل PDF رمزگذاری شده است؛ نسخهٔ بدون رمز را بفرستید.",
                        "The PDF is encrypted; please send a copy without a password or encryption.",
                    ),
                    PdfProblem::Script => (
                        reasons::documents::PDF_JAVASCRIPT,
                        "فایل PDF دارای کد جاوااسکریپت است و پذیرفته نمی‌شود؛ آن را دوباره به PDF چاپ کنید.",
                        "The PDF contains JavaScript and is not accepted; please print it to PDF again.",
                    ),
                    PdfProblem::Launch => (
                        reasons::documents::PDF_LAUNCH_ACTION,
                        "فایل PDF دارای فرمان اجرای برنامه است و پذیرفته نمی‌شود؛ آن را دوباره به PDF چاپ کنید.",
                        "The PDF contains an action that launches a program and is not accepted; please print it to PDF again.",
                    ),
                    PdfProblem::Uninspectable | PdfProblem::TooComplex => (
                        reasons::documents::PDF_UNINSPECTABLE,
                        "این فایل PDF قابل بررسی نیست؛ آن را دوباره به PDF چاپ یا اسکن کنید.",
                        "This PDF cannot be checked; please print it to PDF again or scan the paper.",
                    ),
                    PdfProblem::Malformed => (
                        reasons::documents::PDF_MALFORMED,
                        "فایل PDF خراب یا ناقص است؛ آن را دوباره بسازید.",
                        "The PDF is broken or incomplete; please create it again.",
                    ),
                };
                content(reason, fa.into(), en.into())
            }
        }
    }
}

/// A `ListAuditRecords` filter value, cleaned as every free text is (the refusal names the
/// filter field in Persian and English).
pub fn audit_filter_text(path: &'static str, input: &str) -> Result<String, ServiceError> {
    use estelam_domain::text::{TextField, clean_text};
    clean_text(
        TextField::new(path, "فیلتر گزارش رویدادها", "audit filter"),
        input,
    )
    .map_err(|e| {
        ServiceError::invalid_field(
            path,
            reasons::common::TEXT_CHARACTERS_REFUSED,
            e.message_fa(),
            e.to_string(),
        )
    })
}

/// The kind names of a document kind, for the refusals that name it.
pub struct KindName<'a> {
    /// In Persian.
    pub fa: &'a str,
    /// In English.
    pub en: &'a str,
}

/// An upload or list naming a kind that does not exist or is not active.
pub fn document_kind_unknown(code: &str) -> ServiceError {
    bad_field(
        "kind_code",
        reasons::documents::DOCUMENT_KIND_UNKNOWN,
        &format!(
            "نوع مدرک «{code}» وجود ندارد یا فعال نیست؛ یکی از انواع فهرست انواع مدرک را انتخاب کنید."
        ),
        &format!(
            "The document kind \"{code}\" does not exist or is not active; choose one from the list of document kinds."
        ),
    )
}

/// The enum and the code of a kind disagree.
pub fn document_kind_mismatch() -> ServiceError {
    bad_field(
        "kind_code",
        reasons::documents::DOCUMENT_KIND_MISMATCH,
        "نوع مدرک و کد آن دو نوع متفاوت را نام می‌برند؛ فقط یکی را بفرستید یا هر دو را یکسان کنید.",
        "The document kind and its code name two different kinds; send only one, or make them agree.",
    )
}

/// A kind's code that breaks the code rule.
pub fn document_kind_code_invalid() -> ServiceError {
    bad_field(
        "kind.code",
        reasons::documents::DOCUMENT_KIND_CODE_INVALID,
        "کد نوع مدرک باید ۲ تا ۶۴ نویسه از حروف کوچک انگلیسی، رقم و خط تیره باشد و با حرف شروع شود.",
        "A document kind's code must be 2–64 lower-case letters, digits and hyphens, starting with a letter.",
    )
}

/// A kind without a Persian name, or with an over-long name.
pub fn document_kind_name_invalid(field: &str) -> ServiceError {
    bad_field(
        field,
        reasons::documents::DOCUMENT_KIND_NAME_INVALID,
        "نام فارسی نوع مدرک را بنویسید (هر نام حداکثر ۲۰۰ نویسه).",
        "Write the document kind's Persian name (each name at most 200 characters).",
    )
}

/// A kind whose accepted media types are empty or unknown.
pub fn document_kind_content_types_invalid() -> ServiceError {
    bad_field(
        "kind.accepted_content_types",
        reasons::documents::DOCUMENT_KIND_CONTENT_TYPES_INVALID,
        "دست‌کم یکی از این نوع‌ها را بپذیرید و جز آن‌ها چیزی ننویسید: application/pdf، image/jpeg، image/png، image/webp.",
        "Accept at least one of these media types and nothing else: application/pdf, image/jpeg, image/png, image/webp.",
    )
}

/// A kind whose size limit is out of range.
pub fn document_kind_size_limit_invalid(max: u64) -> ServiceError {
    bad_field(
        "kind.max_size_bytes",
        reasons::documents::DOCUMENT_KIND_SIZE_LIMIT_INVALID,
        &format!("سقف حجم نوع مدرک باید بین ۱ و {max} بایت باشد."),
        &format!("A document kind's size limit must be between 1 and {max} bytes."),
    )
}

/// A file larger than its kind accepts (`DOCUMENT_TOO_LARGE`, so the gateway answers 413).
pub fn too_large_for_kind(kind: &KindName<'_>, max: u64) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceExhausted,
        reasons::documents::DOCUMENT_TOO_LARGE,
        format!(
            "حجم فایل برای «{}» بیش از سقف {max} بایت است؛ فایل کوچک‌تری بفرستید.",
            kind.fa
        ),
        format!(
            "The file is larger than the {max}-byte limit for a {}; please send a smaller file.",
            kind.en
        ),
    )
}

/// A file of a media type its kind does not accept.
pub fn type_not_accepted_for_kind(kind: &KindName<'_>, accepted: &[String]) -> ServiceError {
    let list = accepted.join(", ");
    bad_field(
        "chunk",
        reasons::documents::FILE_TYPE_NOT_ACCEPTED_FOR_KIND,
        &format!(
            "برای «{}» فقط این نوع فایل‌ها پذیرفته می‌شوند: {list}؛ فایلی از این نوع‌ها بفرستید.",
            kind.fa
        ),
        &format!(
            "A {} is accepted only as {list}; please send a file of one of these types.",
            kind.en
        ),
    )
}

/// A kind's name or reason with refused characters.
pub fn kind_text_refused(e: estelam_domain::text::TextError) -> ServiceError {
    ServiceError::invalid_field(
        e.field().path,
        reasons::common::TEXT_CHARACTERS_REFUSED,
        e.message_fa(),
        e.to_string(),
    )
}
