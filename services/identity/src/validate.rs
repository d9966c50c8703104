//! Parsing what callers send into checked values, with Persian and English messages that
//! say what to do. No I/O.

use estelam_domain::{CheckCode, CodeKind, DomainError, NationalCode, normalize_digits};
use estelam_runtime::error::ServiceError;

/// A domain parse failure as a field violation, keeping the domain's bilingual messages.
pub fn domain_error(field: &str, err: &DomainError) -> ServiceError {
    let reason = match err {
        DomainError::Empty { .. } => "REQUIRED",
        DomainError::BadCheckDigit { .. } => "BAD_CHECK_DIGIT",
        DomainError::WrongLength { .. } => "WRONG_LENGTH",
        DomainError::NonDigit { .. } => "NOT_DIGITS",
        _ => "INVALID",
    };
    ServiceError::invalid_field(field, reason, err.message_fa(), err.to_string())
}

/// A national code in any digit set, 8-9 digit input left-padded.
pub fn national_code(field: &str, input: &str) -> Result<NationalCode, ServiceError> {
    NationalCode::parse(input).map_err(|e| domain_error(field, &e))
}

/// A membership code in any digit set, with its check digit verified.
pub fn membership_code(field: &str, input: &str) -> Result<CheckCode, ServiceError> {
    CheckCode::parse(CodeKind::Membership, input).map_err(|e| domain_error(field, &e))
}

/// An Iranian mobile number, `09…`, `+989…`, `00989…` or `989…`, any digit set, spaces and
/// dashes allowed; returned in the canonical form `09XXXXXXXXX`.
pub fn mobile(field: &str, input: &str) -> Result<String, ServiceError> {
    let digits: String = normalize_digits(input)
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')' | '\u{200E}' | '\u{200F}')))
        .collect();
    if digits.is_empty() {
        return Err(ServiceError::invalid_field(
            field,
            "REQUIRED",
            "شمارهٔ تلفن همراه را وارد کنید.",
            "Enter the mobile number.",
        ));
    }
    let national = if let Some(rest) = digits
        .strip_prefix("+98")
        .or_else(|| digits.strip_prefix("0098"))
    {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest.to_owned()
    } else if digits.len() == 12 && digits.starts_with("98") {
        digits[2..].to_owned()
    } else {
        digits.clone()
    };
    if national.len() == 10
        && national.starts_with('9')
        && national.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(format!("0{national}"))
    } else {
        Err(ServiceError::invalid_field(
            field,
            "MOBILE_INVALID",
            "شمارهٔ تلفن همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود، مانند ۰۹۱۲۱۲۳۴۵۶۷.",
            "The mobile number must have 11 digits and start with 09, like 09121234567.",
        ))
    }
}

/// A person's given or family name: trimmed, inner spaces collapsed, Arabic ي/ك written as
/// Persian ی/ک; letters, spaces, ZWNJ, hyphen, apostrophe and dot only; 1-50 characters.
pub fn person_name(field: &str, input: &str) -> Result<String, ServiceError> {
    let mut out = String::new();
    let mut space = false;
    for c in input.trim().chars() {
        let c = match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            other => other,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    if out.is_empty() {
        return Err(ServiceError::invalid_field(
            field,
            "REQUIRED",
            "نام را وارد کنید.",
            "Enter the name.",
        ));
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || c == ' '
            || matches!(c, '\u{200C}' | '-' | '\'' | '.' | 'ـ')
            || ('\u{064B}'..='\u{0652}').contains(&c)
    };
    if out.chars().count() > 50 || !out.chars().all(allowed) {
        return Err(ServiceError::invalid_field(
            field,
            "NAME_INVALID",
            "نام باید حداکثر ۵۰ حرف باشد و فقط حروف، فاصله و خط تیره داشته باشد.",
            "A name has at most 50 characters: letters, spaces and hyphens only.",
        ));
    }
    Ok(out)
}

/// Free text a person must give (a reason for the audit trail): trimmed, 1 to `max` characters.
pub fn required_text(field: &str, input: &str, max: usize) -> Result<String, ServiceError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid_field(
            field,
            "REQUIRED",
            "این بخش را پر کنید.",
            "This field is required.",
        ));
    }
    optional_text(field, text, max)
}

/// Optional free text: trimmed, at most `max` characters, no control characters.
pub fn optional_text(field: &str, input: &str, max: usize) -> Result<String, ServiceError> {
    let text = input.trim();
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(ServiceError::invalid_field(
            field,
            "TEXT_INVALID",
            format!("این بخش حداکثر {max} نویسه و بدون نویسه‌های کنترلی است."),
            format!("This field takes at most {max} characters and no control characters."),
        ));
    }
    Ok(text.to_owned())
}

/// An id the service issued (UUID); a malformed one is simply not found.
pub fn id(field: &str, input: &str, what_fa: &str, what_en: &str) -> Result<String, ServiceError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid_field(
            field,
            "REQUIRED",
            "شناسه را وارد کنید.",
            "The id is required.",
        ));
    }
    match uuid::Uuid::parse_str(trimmed) {
        Ok(u) => Ok(u.hyphenated().to_string()),
        Err(_) => Err(ServiceError::not_found(what_fa, what_en)),
    }
}

/// Default and largest page sizes of list calls.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Larger requested page sizes are capped to this.
pub const MAX_PAGE_SIZE: i64 = 500;

/// The page size to use for a requested one (0 means the default; negative is refused).
pub fn page_size(requested: i32) -> Result<i64, ServiceError> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err(ServiceError::invalid_field(
            "page_size",
            "PAGE_SIZE_NEGATIVE",
            "اندازهٔ صفحه نمی‌تواند منفی باشد.",
            "The page size cannot be negative.",
        )),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// A page token: the sort key of the last item of the previous page, base64url-encoded so
/// callers treat it as opaque.
pub fn encode_page_token(last_key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last_key)
}

/// The sort key in a page token; empty for the first page.
pub fn decode_page_token(token: &str) -> Result<String, ServiceError> {
    use base64::Engine as _;
    if token.is_empty() {
        return Ok(String::new());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ServiceError::invalid_field(
                "page_token",
                "PAGE_TOKEN_INVALID",
                "نشانهٔ صفحه نامعتبر است؛ از صفحهٔ اول شروع کنید.",
                "The page token is not valid; start again from the first page.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_in_every_form_and_digit_set_become_canonical() {
        for input in [
            "09121234567",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "+989121234567",
            "00989121234567",
            "989121234567",
            "0912 123-4567",
        ] {
            assert_eq!(mobile("mobile", input).unwrap(), "09121234567", "{input}");
        }
        for bad in [
            "",
            "0812123456",
            "0912123456",
            "091212345678",
            "09121234abc",
            "+18005551234",
        ] {
            assert!(mobile("mobile", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_tidied_and_digits_refused() {
        assert_eq!(
            person_name("first_name", "  علي   رضا ").unwrap(),
            "علی رضا"
        );
        assert_eq!(
            person_name("last_name", "حسین\u{200C}زاده").unwrap(),
            "حسین\u{200C}زاده"
        );
        assert_eq!(
            person_name("last_name", "O'Neil-Smith").unwrap(),
            "O'Neil-Smith"
        );
        assert!(person_name("first_name", " ").is_err());
        assert!(person_name("first_name", "Ali2").is_err());
        assert!(person_name("first_name", &"ا".repeat(51)).is_err());
    }

    #[test]
    fn national_codes_keep_the_domain_messages() {
        assert_eq!(
            national_code("national_code", "۰۰۷۶۲۲۹۶۴۵")
                .unwrap()
                .as_str(),
            "0076229645"
        );
        let err = national_code("national_code", "0076229646").unwrap_err();
        assert_eq!(err.fields[0].field, "national_code");
        assert!(err.message_fa.starts_with("کد ملی"));
    }

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        let t = encode_page_token("0190-abc");
        assert_eq!(decode_page_token(&t).unwrap(), "0190-abc");
        assert_eq!(decode_page_token("").unwrap(), "");
        assert!(decode_page_token("%%%").is_err());
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(10_000).unwrap(), MAX_PAGE_SIZE);
        assert!(page_size(-1).is_err());
    }
}
