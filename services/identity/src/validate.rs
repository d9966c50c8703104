//! Parsing what people type into checked values, with no I/O. Everything is lenient in
//! form (Persian and Arabic-Indic digits, spaces, Arabic letter variants) and strict in
//! substance, so a person is never refused for how their keyboard writes a digit; the
//! refusals themselves are in `errors.rs`.

use estelam_domain::text::{TextField, clean_text};
use estelam_domain::{CheckCode, CodeKind, NationalCode, normalize_digits};
use estelam_runtime::auth::Role;
use estelam_runtime::error::ServiceError;

use crate::errors::{self, domain_error};

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
        return Err(errors::mobile_required(field));
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
        Err(errors::mobile_invalid(field))
    }
}

/// How a free-text field is named in a refusal: the API path the caller sent is kept as the
/// field violation's field; the Persian and English names come from its last segment.
fn text_field(field: &str) -> TextField {
    let last = field.rsplit(['.', '_']).next().unwrap_or(field);
    match (
        field.ends_with("first_name"),
        field.ends_with("last_name"),
        last,
    ) {
        (true, _, _) => TextField::new("first_name", "نام", "first name"),
        (_, true, _) => TextField::new("last_name", "نام خانوادگی", "last name"),
        (_, _, "fa") => TextField::new("name.fa", "نام فارسی", "Persian name"),
        (_, _, "en") => TextField::new("name.en", "نام انگلیسی", "English name"),
        (_, _, "city") => TextField::new("city", "شهر", "city"),
        (_, _, "address") => TextField::new("address", "نشانی", "address"),
        (_, _, "phone") => TextField::new("phone", "تلفن", "phone"),
        (_, _, "reason") => TextField::new("reason", "علت", "reason"),
        (_, _, "description") => TextField::new("description", "توضیح", "description"),
        (_, _, "number") => TextField::new("registry_number", "شمارهٔ ثبت", "registry number"),
        _ => TextField::new("text", "این بخش", "text"),
    }
}

/// Free text cleaned by the domain crate's one cleaner (Arabic ي/ك/ة as Persian letters,
/// spaces and joiners tidied, NFC), or refused for a control or bidi character, naming
/// `field`.
fn clean(field: &str, input: &str) -> Result<String, ServiceError> {
    clean_text(text_field(field), input).map_err(|e| errors::text_refused(field, &e))
}

/// A person's given or family name, cleaned ([`clean`]): letters, spaces, ZWNJ, hyphen,
/// apostrophe and dot only; 1-50 characters.
pub fn person_name(field: &str, input: &str) -> Result<String, ServiceError> {
    let out = clean(field, input)?;
    if out.is_empty() {
        return Err(errors::name_required(field));
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || c == ' '
            || matches!(c, '\u{200C}' | '-' | '\'' | '.' | 'ـ')
            || ('\u{064B}'..='\u{0652}').contains(&c)
    };
    if out.chars().count() > 50 || !out.chars().all(allowed) {
        return Err(errors::name_invalid(field));
    }
    Ok(out)
}

/// Free text a person must give (a reason for the audit trail): cleaned, 1 to `max` characters.
pub fn required_text(field: &str, input: &str, max: usize) -> Result<String, ServiceError> {
    let text = optional_text(field, input, max)?;
    if text.is_empty() {
        return Err(errors::text_required(field));
    }
    Ok(text)
}

/// Optional free text: cleaned ([`clean`]), at most `max` characters.
pub fn optional_text(field: &str, input: &str, max: usize) -> Result<String, ServiceError> {
    let text = clean(field, input)?;
    if text.chars().count() > max {
        return Err(errors::text_invalid(field, max));
    }
    Ok(text)
}

/// An id the service issued (a UUID), in its canonical form. A malformed one cannot name
/// anything, so it gets the same answer as an unknown one: `not_found()`.
pub fn id(
    field: &str,
    input: &str,
    not_found: fn() -> ServiceError,
) -> Result<String, ServiceError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(errors::id_required(field));
    }
    uuid::Uuid::parse_str(trimmed)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| not_found())
}

/// The roles of a staff account: clerk and admin only (citizens register themselves,
/// authority users belong to an organisation, service accounts have secrets, not
/// passwords), at least one, each once. `None` is a role the caller's contract does not
/// know, refused like any non-staff role.
pub fn staff_roles(roles: &[Option<Role>]) -> Result<Vec<Role>, ServiceError> {
    let mut out = Vec::new();
    for role in roles {
        match role {
            Some(role @ (Role::Clerk | Role::Admin)) if !out.contains(role) => out.push(*role),
            Some(Role::Clerk | Role::Admin) => {}
            _ => return Err(errors::role_not_staff()),
        }
    }
    if out.is_empty() {
        return Err(errors::role_required());
    }
    Ok(out)
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
        assert_eq!(
            person_name("last_name", "\u{200C}كريمي\u{200C}").unwrap(),
            "کریمی"
        );
        let bidi = person_name("first_name", "علی\u{202E}").unwrap_err();
        assert_eq!(bidi.reason, "TEXT_CHARACTERS_REFUSED");
        assert_eq!(bidi.fields[0].field, "first_name");
        assert!(bidi.fields[0].message_fa.contains("«نام»"));
        let nul = required_text("name.fa", "دفتر\0", 200).unwrap_err();
        assert_eq!(nul.fields[0].field, "name.fa");
        assert!(nul.message_en.contains("Persian name"));
        assert!(person_name("first_name", " ").is_err());
        assert!(person_name("first_name", "Ali2").is_err());
        assert!(person_name("first_name", &"ا".repeat(51)).is_err());
    }

    #[test]
    fn staff_take_clerk_and_admin_once_each_and_nothing_else() {
        let roles = [Some(Role::Admin), Some(Role::Clerk), Some(Role::Admin)];
        assert_eq!(staff_roles(&roles).unwrap(), vec![Role::Admin, Role::Clerk]);
        assert_eq!(staff_roles(&[]).unwrap_err().reason, "ROLE_REQUIRED");
        for bad in [Some(Role::Citizen), Some(Role::Service), None] {
            assert_eq!(
                staff_roles(&[Some(Role::Clerk), bad]).unwrap_err().reason,
                "ROLE_NOT_STAFF"
            );
        }
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
        assert_eq!(err.reason, "CHECK_DIGIT_WRONG");
        assert!(err.message_fa.starts_with("کد ملی"));
    }
}
