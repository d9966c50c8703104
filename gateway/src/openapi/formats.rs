//! Named schemas for the values with a fixed shape that requests carry — national codes,
//! renovation codes, Jalali dates, the check-digit codes, ids, mobiles, names, free text —
//! so that the document says exactly what each field accepts and a client generated from
//! it (or Schemathesis) sends what the services take.
//!
//! Each is a marker type with a hand-written [`ToSchema`]: a DTO field names it with
//! `#[schema(value_type = NationalCode)]`, a path or query parameter with
//! `("id" = Id, Path, …)`, and the document gets one `components.schemas` entry that every
//! use references. The patterns follow the domain crate's parsers (`estelam_domain`), the one
//! place those shapes are defined; where a rule is beyond a regular expression (a check
//! digit, a date that exists), the schema also names a custom `format`
//! (`national-code`, `jalali-date`, `membership-code`, …) that the description spells out,
//! and `gateway/ci/schemathesis_hooks.py` generates values for. Every schema carries an
//! example that the services accept (`tests/openapi_contract.rs` sends them).
//!
//! Patterns are written for every JSON Schema engine an integrator may use (ECMA-262 without
//! flags, Python `re`, Rust `regex`): plain classes and `\uXXXX` escapes only.

use std::borrow::Cow;

use serde_json::json;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOfBuilder,
    Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// One decimal digit as the parsers read it: ASCII, Persian (۰–۹) or Arabic-Indic (٠–٩).
const DIGIT: &str = "[0-9\\u06F0-\\u06F9\\u0660-\\u0669]";

/// The characters `estelam_domain::clean_text` refuses in any free text: C0 controls but tab,
/// line feed and carriage return, DEL and the C1 controls, the bidi embeddings, overrides
/// and isolates.
const REFUSED: &str =
    "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069";

/// What cleaning leaves nothing of: whitespace, the invisible marks it drops and the joiners
/// it trims (a text of only these is empty, which a required text refuses).
const BLANK: &str = "\\s\\u061C\\u200B-\\u200F\\u2060\\uFEFF";

/// A string schema with a pattern, an optional custom format, length bounds, a description
/// and one example.
fn string(
    pattern: String,
    format: Option<&str>,
    lengths: (Option<usize>, Option<usize>),
    description: &str,
    example: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .format(format.map(|f| SchemaFormat::Custom(f.to_owned())))
        .min_length(lengths.0)
        .max_length(lengths.1)
        .description(Some(description))
        .examples([json!(example)])
        .into()
}

/// Declares a marker type whose schema is `$body`, named after the type in the document.
macro_rules! named_schema {
    ($(#[$doc:meta])* $name:ident => $body:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $body
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

named_schema!(
    /// An Iranian national code (کد ملی): `estelam_domain::NationalCode`.
    NationalCode => string(
        format!("^{DIGIT}{{10}}$"),
        Some("national-code"),
        (Some(10), Some(10)),
        "An Iranian national code (کد ملی): ten digits (ASCII, Persian or Arabic-Indic), the \
         last a check digit — s = Σ d[i]·(10−i) for i = 0..8, r = s mod 11, valid when \
         d[9] = r for r < 2 and d[9] = 11 − r otherwise; ten equal digits are not a code. \
         Format `national-code` names the check digit.",
        "1273849507",
    )
);

named_schema!(
    /// A renovation code (کد نوسازی): `estelam_domain::RenovationCode`.
    RenovationCode => string(
        format!("^{DIGIT}{{1,5}}([-/]{DIGIT}{{1,5}}){{5}}$"),
        None,
        (Some(11), Some(35)),
        "A parcel's renovation code (کد نوسازی): six numbers of at most five digits, \
         zone-district-block-parcel-building-unit, joined by `-` or `/`; answers give it \
         canonical (`-`, no leading zeros).",
        "3-12-405-7-0-0",
    )
);

named_schema!(
    /// A Jalali (Solar Hijri) date: `estelam_domain::JalaliDate`.
    JalaliDate => string(
        "^1[0-9]{3}[-/](0?[1-9]|1[0-2])[-/](0?[1-9]|[12][0-9]|3[01])$".to_owned(),
        Some("jalali-date"),
        (Some(8), Some(10)),
        "A date of the Jalali (Solar Hijri) calendar, `YYYY/MM/DD` (or with `-`, month and \
         day of one or two digits), years 1000–1999. Format `jalali-date`: the day exists — \
         months 1–6 have 31 days, 7–11 have 30, Esfand (12) 29, or 30 in a leap year.",
        "1403/05/12",
    )
);

/// A code with a Damm check digit of `len` digits (`estelam_domain::CheckCode`).
fn check_code(name: &str, format: &str, len: usize, example: &str) -> RefOr<Schema> {
    string(
        format!("^{DIGIT}{{{len}}}$"),
        Some(format),
        (Some(len), Some(len)),
        &format!(
            "A {name}: {len} digits (ASCII, Persian or Arabic-Indic), the last a Damm check \
             digit (format `{format}`), so a mistyped or swapped digit is caught before any \
             lookup."
        ),
        example,
    )
}

named_schema!(
    /// A membership code (کد عضویت), given at registration.
    MembershipCode => check_code("membership code (کد عضویت)", "membership-code", 10, "5729184300")
);

named_schema!(
    /// A request number (شماره درخواست) the municipality issued for a parcel.
    RequestNumber => check_code(
        "request number (شماره درخواست) the municipality issued for the parcel",
        "request-number",
        10,
        "0000000013",
    )
);

named_schema!(
    /// The verification code (کد تصدیق) printed on an answer.
    VerificationCode => check_code(
        "verification code (کد تصدیق) printed on an answer",
        "verification-code",
        12,
        "482915730267",
    )
);

named_schema!(
    /// An inquiry number (شماره استعلام); printed without its leading zeros.
    InquiryNumber => string(
        format!("^{DIGIT}{{1,10}}$"),
        Some("inquiry-number"),
        (Some(1), Some(10)),
        "An inquiry number (شماره استعلام): up to ten digits, the last a Damm check digit \
         (format `inquiry-number`); answers print it without the zeros that pad it to ten, \
         and either form is accepted.",
        "1403000176",
    )
);

named_schema!(
    /// An id the system issued (a UUID).
    Id => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .description(Some(
            "An id the system issued (a UUID). A well-formed id that names nothing the caller \
             may see is answered 404, like a missing one.",
        ))
        .examples([json!("0190c5e2-5a1b-7c3d-9e4f-0a1b2c3d4e5f")])
        .into()
);

named_schema!(
    /// An Iranian mobile number.
    Mobile => string(
        "^(0|\\+98|0098|98)?9[0-9]{9}$".to_owned(),
        None,
        (Some(10), Some(14)),
        "An Iranian mobile number: `09` and nine digits (also `+989…`, `00989…`, `989…`); \
         stored and shown as `09…`.",
        "09123456789",
    )
);

named_schema!(
    /// A person's given or family name.
    PersonName => string(
        format!(
            "^[ \\u200C]*{NAME_CHAR}[ \\u200C{NAME_CLASS}]{{0,49}}$",
        ),
        None,
        (None, None),
        "A given or family name as the registry writes it: letters (Persian, Arabic or \
         Latin), spaces, the zero-width non-joiner (نیم‌فاصله), `-`, `'`, `.`, tatweel and \
         Arabic diacritics; 1–50 characters. Arabic ي, ك and ة are stored as Persian ی, ک \
         and ه.",
        "مریم",
    )
);

/// The letters and marks of a name, inside a character class: Latin, the Arabic letters
/// with tatweel and the diacritics (harakat), and the Persian letters پ چ ژ ک گ ی.
const NAME_CLASS: &str =
    "A-Za-z\\u0621-\\u063A\\u0640-\\u0652\\u067E\\u0686\\u0698\\u06A9\\u06AF\\u06CC'.\\-";

/// One character of a name that is not a space or a joiner.
const NAME_CHAR: &str =
    "[A-Za-z\\u0621-\\u063A\\u0640-\\u0652\\u067E\\u0686\\u0698\\u06A9\\u06AF\\u06CC'.\\-]";

/// Free text of at most `max` characters that is cleaned before it is stored
/// (`estelam_domain::clean_text`); `required` when it may not be empty once cleaned.
pub fn text(max: usize, required: bool, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(text_pattern(required)))
        .min_length(required.then_some(1))
        .max_length(Some(max))
        .description(Some(format!(
            "{description} Free text, cleaned before it is stored: Arabic letter variants \
             become Persian, spaces collapse, control characters and bidi overrides \
             (U+202A–U+202E, U+2066–U+2069) are refused."
        )))
        .into()
}

/// The pattern of free text: no refused character, and when `required`, something left
/// once cleaned.
pub fn text_pattern(required: bool) -> String {
    if required {
        format!("^[^{REFUSED}]*[^{REFUSED}{BLANK}][^{REFUSED}]*$")
    } else {
        format!("^[^{REFUSED}]*$")
    }
}

/// The API's names of a proto enum's values (its value names lower-cased without `prefix`,
/// as [`crate::dto::enum_name`] writes them), `…_UNSPECIFIED` left out: the enum's values in
/// the document are read off the proto, the one place they are defined.
fn proto_enum<E: TryFrom<i32>>(prefix: &str, name: impl Fn(E) -> &'static str) -> Vec<String> {
    (1..64)
        .filter_map(|n| E::try_from(n).ok())
        .map(|e| crate::dto::enum_name(name(e), prefix))
        .collect()
}

/// A string schema that is one of `values`.
fn one_of(values: Vec<String>, description: &str) -> RefOr<Schema> {
    let example = values.first().cloned().unwrap_or_default();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .examples([json!(example)])
        .into()
}

named_schema!(
    /// The ownership type (نوع مالکیت) an applicant states.
    OwnershipType => one_of(
        proto_enum("OWNERSHIP_TYPE_", |e: estelam_proto::property::v1::OwnershipType| e.as_str_name()),
        "How the applicant holds the parcel (نوع مالکیت): `full` (شش‌دانگ), `shared` (مشاع), \
         `endowment` (موقوفه), `state`, `leasehold`.",
    )
);

named_schema!(
    /// What an uploaded document is.
    DocumentKind => string(
        "^[a-z][a-z0-9_-]{1,63}$".to_owned(),
        Some("document-kind"),
        (Some(2), Some(64)),
        "What a document is. Document kinds are data (`GET /api/v1/document-kinds` lists \
         them; admins add kinds without a release), named by code, written with `_` for \
         `-` as the first five always were: `national_id_card`, `ownership_deed`, \
         `authority_letter`, `power_of_attorney`, `other`; `-` is read as well. A kind \
         that does not exist or is not active is refused 400 `DOCUMENT_KIND_UNKNOWN`. \
         Format `document-kind` names that the kind must be one of the listed.",
        "national_id_card",
    )
);

named_schema!(
    /// Where an inquiry stands.
    InquiryState => one_of(
        proto_enum("INQUIRY_STATE_", |e: estelam_proto::inquiry::v1::InquiryState| e.as_str_name()),
        "Where an inquiry stands, from `draft` through the steps to `issued` (or `rejected`, \
         `cancelled`, `expired`).",
    )
);

named_schema!(
    /// A new password.
    Password => string(
        "^[^\\u0000-\\u001F\\u007F-\\u009F]{8,64}$".to_owned(),
        Some("new-password"),
        (Some(8), Some(64)),
        "A new password: 8 to 64 characters (Persian digits count as their ASCII ones), no \
         control characters; a common password, or one equal to the national code or the \
         mobile number, is refused (`PASSWORD_TOO_COMMON`, `PASSWORD_PERSONAL`): format \
         `new-password`.",
        "a long enough passphrase",
    )
);

named_schema!(
    /// The code sent by SMS to confirm a mobile number.
    MobileCode => string(
        format!("^{DIGIT}{{6}}$"),
        None,
        (Some(6), Some(6)),
        "The six-digit code sent by SMS, in any digit set.",
        "123456",
    )
);

named_schema!(
    /// An idempotency key.
    ClientRequestId => ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(128))
        .description(Some(
            "Idempotency key of the caller's choosing (a UUID is a good one), at most 128 \
             characters: a retry with the same key changes nothing twice and gets the first \
             answer. Empty: not retried safely.",
        ))
        .examples([json!("0190c5e2-6b2a-7d4e-8f10-1a2b3c4d5e6f")])
        .into()
);

named_schema!(
    /// A request type's code.
    RequestTypeCode => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A request type's code, as `GET /api/v1/request-types` lists them (request types \
             are data: new ones appear without a new release). An unknown code is 404 \
             `REQUEST_TYPE_NOT_FOUND`; empty, a citizen files the default type.",
        ))
        .examples([json!("clearance")])
        .into()
);

named_schema!(
    /// An authority's letter number.
    LetterNumber => text(64, true, "The authority's letter number, as written on the letter (1–64 characters).")
);

named_schema!(
    /// A person's full name as the deed has it.
    FullName => text(
        100,
        true,
        "A person's full name, as on the deed; compared with the parcel's owners letter by \
         letter after folding Arabic and Persian letter variants.",
    )
);

named_schema!(
    /// The language of a rendered page.
    Language => one_of(
        vec!["fa".to_owned(), "en".to_owned()],
        "`fa` (Persian, the default) or `en` (English).",
    )
);

named_schema!(
    /// A reason or note that must be given.
    Reason => text(500, true, "Why, for the audit trail and the people it is shown to (1–500 characters).")
);

named_schema!(
    /// A reason or note that may be left empty.
    OptionalReason => text(500, false, "Why or what for (at most 500 characters; may be empty).")
);

named_schema!(
    /// A batch item's outcome.
    BatchOutcome => one_of(
        proto_enum("BATCH_ITEM_OUTCOME_", |e: estelam_proto::inquiry::v1::BatchItemOutcome| e.as_str_name()),
        "A batch item's outcome: `pending` (not filed yet), `issued`, `awaiting_payment`, \
         `refused` (with the reason).",
    )
);

/// The channels per kind of notice: one optional list per kind the proto names, each of the
/// channels it names (`NotificationPreferences.channels`).
pub fn notice_channels() -> Schema {
    use estelam_proto::notifications::v1::{Channel, NoticeKind};
    let channels = proto_enum("CHANNEL_", |c: Channel| c.as_str_name());
    let list = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(channels)),
        )
        .build();
    proto_enum("NOTICE_KIND_", |k: NoticeKind| k.as_str_name())
        .into_iter()
        .fold(ObjectBuilder::new().schema_type(Type::Object), |o, kind| {
            o.property(kind, list.clone())
        })
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(
            "Channels per kind of event. A kind left out keeps the default (SMS); an empty list \
             means none; `email` needs an `email` address.",
        ))
        .into()
}

named_schema!(
    /// An e-mail address, or empty for none.
    Email => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            "^([^@\\s<>,;\"\\u0000-\\u001F\\u007F-\\u009F]+@[^@\\s<>,;\".\\u0000-\\u001F\\u007F-\\u009F]([^@\\s<>,;\"\\u0000-\\u001F\\u007F-\\u009F]*\\.)+[^@\\s<>,;\".\\u0000-\\u001F\\u007F-\\u009F]+)?$",
        ))
        .max_length(Some(254))
        .description(Some(
            "An e-mail address (stored in lower case), or empty for none: one `@`, a domain \
             with a dot inside, no spaces or `<>,;\"`.",
        ))
        .examples([json!("maryam@example.ir")])
        .into()
);

/// `NotificationPreferences` (`derived`) with the rule the service keeps across its fields:
/// a kind may choose `email` only when there is an address (`EMAIL_MISSING`).
pub fn email_needs_address(derived: RefOr<Schema>) -> RefOr<Schema> {
    use estelam_proto::notifications::v1::NoticeKind;
    let with_address = ObjectBuilder::new()
        .required("email")
        .property("email", ObjectBuilder::new().min_length(Some(1)));
    let sms_only = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["sms"]))
        .build();
    let no_email = proto_enum("NOTICE_KIND_", |k: NoticeKind| k.as_str_name())
        .into_iter()
        .fold(ObjectBuilder::new(), |o, kind| {
            o.property(kind, ArrayBuilder::new().items(sms_only.clone()))
        });
    let without_email = ObjectBuilder::new().property("channels", no_email);
    let description = match &derived {
        RefOr::T(Schema::Object(o)) => o.description.clone(),
        _ => None,
    };
    AllOfBuilder::new()
        .item(derived)
        .item(AnyOfBuilder::new().item(with_address).item(without_email))
        .description(description)
        .into()
}

named_schema!(
    /// Where a webhook endpoint receives deliveries.
    WebhookUrl => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uri".to_owned())))
        .pattern(Some(
            "^https://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}(:[1-9][0-9]{0,3})?(/([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*)*$",
        ))
        .max_length(Some(2000))
        .description(Some(
            "Where deliveries are POSTed: an https URL on a public host name (no user, no \
             fragment). An address in a loopback or private range is refused \
             (`WEBHOOK_URL_ADDRESS_REFUSED`) unless the operator allows it.",
        ))
        .examples([json!("https://hooks.example.ir/estelam")])
        .into()
);

named_schema!(
    /// What the payer chose on the sandbox bank's page.
    PspChoice => one_of(
        vec!["pay".to_owned(), "cancel".to_owned()],
        "`pay` or `cancel`, as the sandbox bank's page offers.",
    )
);

named_schema!(
    /// The map's feature collections.
    CollectionId => one_of(vec!["parcels".to_owned(), "labels".to_owned()], "`parcels` or `labels` (the street names and block numbers).")
);

named_schema!(
    /// Where a list goes on.
    PageToken => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("page-token".to_owned())))
        .max_length(Some(500))
        .description(Some(
            "Opaque (format `page-token`): exactly the `next_page_token` (or the `next` \
             link's) of the previous page, or empty for the first page. Any other value is \
             refused (`PAGE_TOKEN_INVALID`); a token is not a cursor a client can build.",
        ))
        .examples([json!("")])
        .into()
);

/// Every named schema of this module, to put in `components.schemas`: utoipa adds the ones a
/// body references, but not one that only a path or query parameter references.
pub fn all() -> Vec<(String, RefOr<Schema>)> {
    fn named<T: ToSchema>() -> (String, RefOr<Schema>) {
        (T::name().into_owned(), T::schema())
    }
    vec![
        named::<NationalCode>(),
        named::<RenovationCode>(),
        named::<JalaliDate>(),
        named::<MembershipCode>(),
        named::<RequestNumber>(),
        named::<VerificationCode>(),
        named::<InquiryNumber>(),
        named::<Id>(),
        named::<Mobile>(),
        named::<PersonName>(),
        named::<Password>(),
        named::<MobileCode>(),
        named::<OwnershipType>(),
        named::<DocumentKind>(),
        named::<InquiryState>(),
        named::<ClientRequestId>(),
        named::<RequestTypeCode>(),
        named::<LetterNumber>(),
        named::<FullName>(),
        named::<Language>(),
        named::<Reason>(),
        named::<OptionalReason>(),
        named::<BatchOutcome>(),
        named::<Email>(),
        named::<WebhookUrl>(),
        named::<PspChoice>(),
        named::<CollectionId>(),
        named::<PageToken>(),
        named::<Bbox>(),
        named::<SearchText>(),
        named::<Description>(),
        named::<TextFilter>(),
        named::<ClientBatchId>(),
        named::<crate::routes::webhooks::DeliveryState>(),
    ]
}

named_schema!(
    /// A box on the map.
    Bbox => string(
        "^-?[0-9]{1,3}(\\.[0-9]+)?(,-?[0-9]{1,3}(\\.[0-9]+)?){3}$".to_owned(),
        Some("bbox"),
        (Some(7), Some(200)),
        "A box on the map, `minLon,minLat,maxLon,maxLat` in degrees (WGS 84): four numbers, \
         each minimum not above its maximum, latitudes within ±90 (format `bbox`).",
        "51.54,32.85,51.56,32.87",
    )
);

named_schema!(
    /// An office's own id for a batch.
    ClientBatchId => text(
        100,
        true,
        "Your system's id for the batch (1–100 characters): sending the same batch again with \
         the same id files nothing twice.",
    )
);

/// `RepresentationDecisionBody` (`derived`) with its rule across fields: a refusal gives its
/// reason (`REASON_REQUIRED`).
pub fn refusal_needs_reason(derived: RefOr<Schema>) -> RefOr<Schema> {
    let approves = ObjectBuilder::new().property(
        "approve",
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true])),
    );
    let with_reason = ObjectBuilder::new().required("reason").property(
        "reason",
        text(500, true, "Why the power of attorney is refused."),
    );
    AllOfBuilder::new()
        .item(derived)
        .item(AnyOfBuilder::new().item(approves).item(with_reason))
        .into()
}

/// `ReplayBody` (`derived`) with its rule across fields: one delivery's id, or `all_dead`,
/// not both (`WEBHOOK_REPLAY_TARGET_REQUIRED`).
pub fn one_delivery_or_all_dead(derived: RefOr<Schema>) -> RefOr<Schema> {
    let flag = |on: bool| {
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([on]))
    };
    let one = ObjectBuilder::new()
        .required("delivery_id")
        .property(
            "delivery_id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
        )
        .property("all_dead", flag(false));
    let all = ObjectBuilder::new()
        .required("all_dead")
        .property("all_dead", flag(true))
        .property(
            "delivery_id",
            AnyOfBuilder::new()
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(0)),
                )
                .item(ObjectBuilder::new().schema_type(Type::Null)),
        );
    AllOfBuilder::new()
        .item(derived)
        .item(OneOfBuilder::new().item(one).item(all))
        .into()
}

named_schema!(
    /// Free text to search by.
    SearchText => text(100, false, "What to look for (at most 100 characters).")
);

named_schema!(
    /// What something is for.
    Description => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(text_pattern(false)))
        .description(Some(
            "What it is for, for the people who manage it (may be empty). Free text, cleaned \
             before it is stored; control characters and bidi overrides are refused.",
        ))
        .into()
);

/// `schema`, or the empty string that a filter or an optional id takes as "none".
fn or_empty(schema: RefOr<Schema>) -> Schema {
    OneOfBuilder::new()
        .item(schema)
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

/// A state to filter by, or empty for all.
pub fn inquiry_state_filter() -> Schema {
    or_empty(Ref::from_schema_name("InquiryState").into())
}

/// A parcel to filter by, or empty for all.
pub fn renovation_code_filter() -> Schema {
    or_empty(Ref::from_schema_name("RenovationCode").into())
}

/// An id, or empty for none.
pub fn id_filter() -> Schema {
    or_empty(Ref::from_schema_name("Id").into())
}

named_schema!(
    /// Free text to filter by.
    TextFilter => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(text_pattern(false)))
        .description(Some(
            "Text to filter by, compared after the same cleaning as what is stored; empty for \
             no filter. Control characters and bidi overrides are refused.",
        ))
        .into()
);

/// An RFC 3339 instant to filter by, or empty for none.
pub fn instant_filter() -> Schema {
    or_empty(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into(),
    )
}

/// An id that may be left out: absent, `null` or empty.
pub fn optional_id() -> Schema {
    OneOfBuilder::new()
        .item(Ref::from_schema_name("Id"))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}
