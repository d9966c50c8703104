//! Reasons the documents service sends.

catalogue! {
    /// The first message of an upload was not the metadata, or metadata came twice.
    UPLOAD_METADATA_FIRST,
    /// The upload does not say what kind of document it is.
    DOCUMENT_KIND_REQUIRED,
    /// The upload has no usable filename.
    FILENAME_REQUIRED,
    /// The filename does not end in .pdf, .jpg, .png or .webp.
    FILENAME_EXTENSION_NOT_ALLOWED,
    /// The declared media type is not one the store accepts.
    CONTENT_TYPE_NOT_ALLOWED,
    /// The expected SHA-256 is not 64 hexadecimal digits.
    SHA256_INVALID,
    /// The owner account id is not a UUID.
    ACCOUNT_ID_INVALID,
    /// The document is larger than the service accepts (the message names the limit; HTTP
    /// 413 at the gateway).
    DOCUMENT_TOO_LARGE,
    /// One chunk message is larger than the contract's 1 MiB.
    CHUNK_TOO_LARGE,
    /// The bytes received differ in number from the declared size.
    SIZE_MISMATCH,
    /// The bytes received differ from the SHA-256 the uploader sent (sent as DATA_LOSS).
    UPLOAD_CHECKSUM_MISMATCH,
    /// The owner already has as many documents as the quota allows.
    DOCUMENT_QUOTA_COUNT,
    /// The owner's documents would pass the quota's bytes.
    DOCUMENT_QUOTA_BYTES,
    /// The stored content is missing or fails its hash (sent as DATA_LOSS).
    DOCUMENT_DAMAGED,
    /// The upload carried no bytes.
    DOCUMENT_EMPTY,
    /// The content is not a PDF, JPEG, PNG or WebP.
    FILE_TYPE_NOT_ALLOWED,
    /// The content is of another type than the declared media type.
    CONTENT_TYPE_MISMATCH,
    /// The content is of another type than the filename's extension says.
    EXTENSION_MISMATCH,
    /// An image whose header is broken or whose size cannot be read.
    IMAGE_MALFORMED,
    /// An image with more pixels or a longer side than allowed (a pixel flood).
    IMAGE_DIMENSIONS_TOO_LARGE,
    /// An image whose compressed data inflates far beyond its pixels (a zlib bomb).
    IMAGE_DATA_TOO_LARGE,
    /// A file that is an image and a PDF at once.
    FILE_POLYGLOT,
    /// Bytes after the format's own end: another file riding along.
    FILE_TRAILING_DATA,
    /// An encrypted PDF, which cannot be inspected.
    PDF_ENCRYPTED,
    /// A PDF carrying JavaScript.
    PDF_JAVASCRIPT,
    /// A PDF carrying a launch action.
    PDF_LAUNCH_ACTION,
    /// A PDF whose object streams cannot be inspected, or would inflate past the budget.
    PDF_UNINSPECTABLE,
    /// A broken or incomplete PDF.
    PDF_MALFORMED,
    /// The upload or list names a document kind that does not exist or is not active.
    DOCUMENT_KIND_UNKNOWN,
    /// The enum and the code of a kind name two different kinds.
    DOCUMENT_KIND_MISMATCH,
    /// A kind's code is not 2–64 lower-case letters, digits and hyphens starting with a letter.
    DOCUMENT_KIND_CODE_INVALID,
    /// A kind without a Persian name, or with a name longer than 200 characters.
    DOCUMENT_KIND_NAME_INVALID,
    /// A kind's accepted media types are empty or name one the inspection does not recognise.
    DOCUMENT_KIND_CONTENT_TYPES_INVALID,
    /// A kind's size limit is below 1 byte or above the service's own limit.
    DOCUMENT_KIND_SIZE_LIMIT_INVALID,
    /// The file is of a media type its document kind does not accept.
    FILE_TYPE_NOT_ACCEPTED_FOR_KIND,
}
