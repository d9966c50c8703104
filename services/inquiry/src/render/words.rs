//! How the answer's values are written for people in each language: labels of the
//! contract's enums, numbers and amounts (Persian digits on Persian pages), areas, dates,
//! the inquiry number without its padding and masked national codes.

use estelam_domain::JalaliDate;

use super::Lang;

/// The text in the page's language.
pub(super) fn t(lang: Lang, fa: &str, en: &str) -> String {
    match lang {
        Lang::Fa => fa.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// A label for a value of one of the contract's enums (`LAND_USE_…`, `BILL_ITEM_KIND_…`).
pub(super) fn enum_label(lang: Lang, value: &str) -> String {
    let (fa, en) = match value {
        "LAND_USE_RESIDENTIAL" => ("مسکونی", "residential"),
        "LAND_USE_COMMERCIAL" => ("تجاری", "commercial"),
        "LAND_USE_OFFICE" => ("اداری", "office"),
        "LAND_USE_INDUSTRIAL" => ("صنعتی", "industrial"),
        "LAND_USE_AGRICULTURAL" => ("کشاورزی", "agricultural"),
        "LAND_USE_PUBLIC" => ("عمومی", "public"),
        "LAND_USE_MIXED" => ("مختلط", "mixed"),
        "OWNERSHIP_TYPE_FULL" => ("شش‌دانگ", "full (six dang)"),
        "OWNERSHIP_TYPE_SHARED" => ("مشاع", "shared"),
        "OWNERSHIP_TYPE_ENDOWMENT" => ("موقوفه", "endowment"),
        "OWNERSHIP_TYPE_STATE" => ("دولتی", "state"),
        "OWNERSHIP_TYPE_LEASEHOLD" => ("اجاره‌ای", "leasehold"),
        "DEBT_STATUS_NONE" => ("بدون بدهی", "no debt"),
        "DEBT_STATUS_CLEARED" => ("بدهی پرداخت و تسویه شد", "debt paid and cleared"),
        "DEBT_STATUS_NOT_CHECKED" => ("بدهی بررسی نمی‌شود", "debt not checked"),
        "BILL_ITEM_KIND_RENEWAL_LEVY" => ("عوارض نوسازی", "renewal levy"),
        "BILL_ITEM_KIND_WASTE_FEE" => ("عوارض پسماند", "waste fee"),
        "BILL_ITEM_KIND_PENALTY" => ("جریمهٔ دیرکرد", "late penalty"),
        "BILL_ITEM_KIND_INQUIRY_FEE" => ("هزینهٔ استعلام", "inquiry fee"),
        "BILL_ITEM_KIND_DISCOUNT" => ("تخفیف", "discount"),
        "BILL_ITEM_KIND_ADJUSTMENT" => ("اصلاحیه", "adjustment"),
        other => (other, other),
    };
    t(lang, fa, en)
}

/// `s` with Persian digits on a Persian page, as is on an English one.
pub(super) fn digits(lang: Lang, s: &str) -> String {
    match lang {
        Lang::Fa => estelam_domain::to_persian_digits(s),
        Lang::En => s.to_owned(),
    }
}

/// An amount with its unit, grouped in thousands.
pub(super) fn rials(lang: Lang, amount: i64) -> String {
    let r = estelam_domain::Rial::new(amount);
    match lang {
        Lang::Fa => format!("{} ریال", r.format_persian()),
        Lang::En => format!("{} rials", r.format_latin()),
    }
}

/// An area stored in dm², in m² with two decimals.
pub(super) fn area(lang: Lang, dm2: i64) -> String {
    let (whole, hundredths) = (dm2 / 100, dm2 % 100);
    match lang {
        // The Persian decimal separator «٫», as in `۲۴۵٫۳۷`.
        Lang::Fa => format!(
            "{} متر مربع",
            digits(lang, &format!("{whole}\u{066B}{hundredths:02}"))
        ),
        Lang::En => format!("{whole}.{hundredths:02} m²"),
    }
}

/// The inquiry number as people say it: the stored code is zero-padded to its fixed
/// length (`0000000175`), which on paper only hides the number (`175`).
pub(super) fn unpadded(number: &str) -> &str {
    let trimmed = number.trim_start_matches('0');
    if trimmed.is_empty() && !number.is_empty() {
        "0"
    } else {
        trimmed
    }
}

/// A national code for paper: the first and last three digits stay (`007****645`), so a
/// reader can match it against the holder's card without the paper disclosing it.
pub(super) fn masked(lang: Lang, code: &str) -> String {
    digits(lang, &crate::answer::mask_code(code))
}

const MONTHS_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

/// The Jalali date at the start of `jalali` (`1403/01/01 12:00`) in words: `۱ فروردین ۱۴۰۳`
/// or `1 Farvardin 1403`; the text as is when it is not a date.
pub(super) fn jalali_long(lang: Lang, jalali: &str) -> String {
    let date = jalali.split_whitespace().next().unwrap_or_default();
    match (JalaliDate::parse(date), lang) {
        (Ok(d), Lang::Fa) => d.display_persian_long(),
        (Ok(d), Lang::En) => format!(
            "{} {} {}",
            d.day(),
            MONTHS_EN[usize::from(d.month().clamp(1, 12) - 1)],
            d.year()
        ),
        (Err(_), _) => digits(lang, jalali),
    }
}

/// An instant as the answer states it: the Jalali date and time in Iran, then the same
/// instant in UTC (`2024-03-20T08:30:00Z` written `2024-03-20 08:30 UTC`).
pub(super) fn instant(lang: Lang, jalali: &str, rfc3339: &str) -> String {
    let utc = rfc3339.trim_end_matches('Z').replacen('T', " ", 1);
    // Whole minutes, as answers are issued, lose their `:00` seconds.
    let utc = match utc.strip_suffix(":00") {
        Some(minutes) if minutes.len() > 13 => minutes.to_owned(),
        _ => utc,
    };
    if utc.is_empty() {
        return digits(lang, jalali);
    }
    match lang {
        Lang::Fa => digits(lang, &format!("{jalali} (UTC {utc})")),
        Lang::En => format!("{jalali} ({utc} UTC)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_their_padding_but_not_their_value() {
        assert_eq!(unpadded("0000000175"), "175");
        assert_eq!(unpadded("1000000000"), "1000000000");
        assert_eq!(unpadded("0000000000"), "0");
    }

    #[test]
    fn dates_and_instants_read_in_the_page_language() {
        assert_eq!(jalali_long(Lang::Fa, "1403/01/01 12:00"), "۱ فروردین ۱۴۰۳");
        assert_eq!(jalali_long(Lang::En, "1403/05/12"), "12 Mordad 1403");
        assert_eq!(
            instant(Lang::Fa, "1403/01/01 12:00", "2024-03-20T08:30:00Z"),
            "۱۴۰۳/۰۱/۰۱ ۱۲:۰۰ (UTC ۲۰۲۴-۰۳-۲۰ ۰۸:۳۰)"
        );
        assert_eq!(
            instant(Lang::En, "1403/01/01 12:00", "2024-03-20T08:30:00Z"),
            "1403/01/01 12:00 (2024-03-20 08:30 UTC)"
        );
        assert_eq!(masked(Lang::Fa, "0076229645"), "۰۰۷****۶۴۵");
    }
}
