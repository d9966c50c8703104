//! The answer as people read it: an official-looking certificate, as a printable,
//! phone-friendly HTML page and as a PDF with correctly shaped Persian (typst, with the
//! Vazirmatn font shipped in `fonts/`).
//!
//! * [`page`](self::page): what the certificate says in one language: letterhead (the
//!   municipality's name and emblem from the settings), title by request type, the
//!   plain-language statement of the outcome, the facts, owners with masked national
//!   codes, levies paid, the signature block and how to verify;
//! * [`words`](self::words): how values are written (Persian digits on Persian pages, dates
//!   in words, the inquiry number without padding);
//! * [`html`](self::html) and [`pdf`](self::pdf): two layouts of the same page.
//!
//! The QR code's content is whatever the caller puts in [`AnswerView::qr_payload`]; the
//! layout only draws it.

mod html;
mod page;
mod pdf;
mod words;

use std::path::Path;

use anyhow::Context as _;
use estelam_proto::inquiry::v1 as pb;

use crate::answer::Facts;
use crate::request_types::Text;

pub use html::html;
pub use page::answer_title;
pub use pdf::{VAZIRMATN_BOLD, VAZIRMATN_REGULAR, pdf};

/// The emblem printed when the settings name none: a neutral mark drawn for Estelam
/// (`assets/emblem.svg`), not any authority's trademark.
pub static DEFAULT_EMBLEM_SVG: &str = include_str!("../../assets/emblem.svg");

/// Which language the page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Persian, right to left (the default).
    Fa,
    /// English, left to right.
    En,
}

impl Lang {
    /// `"en"` is English; anything else Persian.
    pub fn parse(s: &str) -> Self {
        if s.trim().eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Fa
        }
    }
}

/// The head of every certificate: who issues it, from the settings.
#[derive(Debug, Clone)]
pub struct Letterhead {
    /// The municipality's name in Persian and English.
    pub municipality: Text,
    /// The emblem, an SVG document.
    pub emblem_svg: String,
}

impl Letterhead {
    /// The letterhead the settings describe: their names, and the emblem read from
    /// `emblem_svg_path` (once, at start) or the shipped one.
    pub fn from_settings(
        municipality_fa: &str,
        municipality_en: &str,
        emblem_svg_path: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let emblem_svg = match emblem_svg_path {
            Some(path) => {
                let svg = std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "reading the answers' emblem (inquiry.emblem_svg_path) from {}",
                        path.display()
                    )
                })?;
                anyhow::ensure!(
                    svg.contains("<svg"),
                    "inquiry.emblem_svg_path: {} is not an SVG document",
                    path.display()
                );
                svg
            }
            None => DEFAULT_EMBLEM_SVG.to_owned(),
        };
        Ok(Self {
            municipality: Text::new(municipality_fa, municipality_en),
            emblem_svg,
        })
    }
}

impl Default for Letterhead {
    fn default() -> Self {
        Self {
            municipality: Text::new("شهرداری شاهین‌شهر", "Shahin Shahr Municipality"),
            emblem_svg: DEFAULT_EMBLEM_SVG.to_owned(),
        }
    }
}

/// Everything printed on an answer.
pub struct AnswerView<'a> {
    /// Who issues it.
    pub letterhead: &'a Letterhead,
    /// The signed facts.
    pub facts: &'a Facts,
    /// Verification code.
    pub verification_code: &'a str,
    /// Verification URL, printed for people to type.
    pub verification_url: &'a str,
    /// What the QR code holds; the layout draws it and nothing else depends on it.
    pub qr_payload: &'a str,
    /// Signing key id.
    pub signing_key_id: &'a str,
    /// The signature, for the printed fingerprint.
    pub signature: &'a [u8],
    /// Whether it stands.
    pub status: pb::AnswerStatus,
    /// The revocation reason, when revoked.
    pub revoked_reason: Option<&'a str>,
    /// The request type's answer template name (`standard`, `clearance`, …).
    pub template: &'a str,
}

/// A QR code of `payload` as an SVG document.
pub fn qr_svg(payload: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{FORMAT, FeeFact, OwnerFact, ParcelFact, Share};
    use base64::Engine as _;

    fn no_debt() -> Facts {
        Facts {
            format: FORMAT.into(),
            inquiry_number: "0000000175".into(),
            request_type_code: "property-transfer".into(),
            request_type_name: Text::new("استعلام نقل و انتقال", "Property transfer inquiry"),
            parcel: ParcelFact {
                renovation_code: "3-12-405-7-0-0".into(),
                address: "شاهین‌شهر، خیابان عطار، کوچهٔ 12".into(),
                land_use: "LAND_USE_RESIDENTIAL".into(),
                land_area_dm2: 24_537,
                ownership_type: "OWNERSHIP_TYPE_FULL".into(),
                owners: vec![OwnerFact {
                    kind: "OWNER_KIND_NATURAL_PERSON".into(),
                    national_code: "0076229645".into(),
                    full_name: "علی رضایی".into(),
                    share: Share {
                        numerator: 6,
                        denominator: 1,
                    },
                    deed_number: String::new(),
                }],
                ..ParcelFact::default()
            },
            applicant_full_name: "علی رضایی".into(),
            applicant_national_code: "0076229645".into(),
            debt_status: "DEBT_STATUS_NONE".into(),
            issued_at: "2024-03-20T08:30:00Z".into(),
            issued_at_jalali: "1403/01/01 12:00".into(),
            valid_until: "2024-06-18T08:30:00Z".into(),
            valid_until_jalali: "1403/03/29".into(),
            ..Facts::default()
        }
    }

    fn paid() -> Facts {
        Facts {
            debt_status: "DEBT_STATUS_CLEARED".into(),
            tracking_code: "482910375526".into(),
            amount_paid_rials: 1_250_000,
            fees_paid: vec![FeeFact {
                kind: "BILL_ITEM_KIND_RENEWAL_LEVY".into(),
                jalali_year: 1402,
                description: Text::new("عوارض نوسازی", "Renewal levy"),
                amount_rials: 1_250_000,
            }],
            ..no_debt()
        }
    }

    fn view<'a>(f: &'a Facts, letterhead: &'a Letterhead) -> AnswerView<'a> {
        AnswerView {
            letterhead,
            facts: f,
            verification_code: "123456789012",
            verification_url: "https://estelam.example/verify/123456789012",
            qr_payload: "https://estelam.example/verify/123456789012",
            signing_key_id: "ans-0011223344556677",
            signature: &[7; 64],
            status: pb::AnswerStatus::Valid,
            revoked_reason: None,
            template: "standard",
        }
    }

    /// The text of a page as a reader sees it, without styles, drawings (emblem and QR
    /// code) and the identifiers kept as machines print them (`.machine`).
    fn visible_text(html: &str) -> String {
        let mut rest = html.split("</style>").nth(1).unwrap_or(html).to_owned();
        for (open, close) in [("<svg", "</svg>"), ("class=\"machine\"", "</")] {
            while let Some(start) = rest.find(open) {
                let end = rest[start..].find(close).map_or(rest.len(), |e| start + e);
                rest.replace_range(start..end, "");
            }
        }
        let mut out = String::new();
        let mut in_tag = false;
        for c in rest.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    #[test]
    fn the_persian_page_is_a_certificate_a_phone_can_show_and_a_printer_print() {
        let f = paid();
        let letterhead = Letterhead::default();
        let page = html(&view(&f, &letterhead), Lang::Fa).unwrap();
        assert!(page.contains("dir=\"rtl\""));
        assert!(
            page.contains(
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            )
        );
        assert!(page.contains("@media print") && page.contains("@media (max-width:600px)"));
        assert!(page.contains("شهرداری شاهین‌شهر"));
        let emblem = base64::engine::general_purpose::STANDARD.encode(DEFAULT_EMBLEM_SVG);
        assert!(
            page.contains(&format!("src=\"data:image/svg+xml;base64,{emblem}\"")),
            "the emblem is drawn"
        );
        assert!(page.contains("پاسخ استعلام نقل و انتقال"), "titled by type");
        let text = visible_text(&page);
        assert!(
            text.contains(
                "بدهی این ملک به مبلغ ۱٬۲۵۰٬۰۰۰ ریال در تاریخ ۱ فروردین ۱۴۰۳ با کد رهگیری ۴۸۲۹۱۰۳۷۵۵۲۶ به‌طور کامل پرداخت و تسویه شده است."
            ),
            "{text}"
        );
        assert!(
            text.contains("۱۷۵") && !text.contains("۰۰۰۰۰۰۰۱۷۵"),
            "{text}"
        );
        assert!(text.contains("کوچهٔ ۱۲"), "the address in Persian digits");
        assert!(text.contains("۲۴۵٫۳۷ متر مربع"), "{text}");
        assert!(text.contains("۰۰۷****۶۴۵") && !text.contains("۰۰۷۶۲۲۹۶۴۵"));
        assert!(
            page.contains("<span dir=\"ltr\">۰۰۷****۶۴۵</span>"),
            "codes read left to right on a right-to-left page"
        );
        assert!(text.contains("کد تصدیق"));
        assert!(
            !text.chars().any(|c| c.is_ascii_digit()),
            "no Latin digit outside the identifiers: {text}"
        );
    }

    #[test]
    fn the_no_debt_statement_and_the_english_variant() {
        let f = no_debt();
        let letterhead = Letterhead::default();
        let text = visible_text(&html(&view(&f, &letterhead), Lang::Fa).unwrap());
        assert!(
            text.contains("این ملک در تاریخ ۱ فروردین ۱۴۰۳ هیچ بدهی معوقی به شهرداری ندارد."),
            "{text}"
        );
        let page = html(&view(&f, &letterhead), Lang::En).unwrap();
        assert!(page.contains("dir=\"ltr\"") && page.contains("Shahin Shahr Municipality"));
        let text = visible_text(&page);
        assert!(
            text.contains("On 1 Farvardin 1403, this property owes the municipality nothing"),
            "{text}"
        );
        assert!(text.contains("Answer: Property transfer inquiry"));
        let f = paid();
        let text = visible_text(&html(&view(&f, &letterhead), Lang::En).unwrap());
        assert!(
            text.contains("This property's debt of 1,250,000 rials was paid in full on 1 Farvardin 1403 with tracking code 482910375526."),
            "{text}"
        );
    }

    #[test]
    fn an_e_services_title_and_statements_are_printed_in_each_language() {
        // Without them, the signed payload is what it was before e-services had words.
        let plain = String::from_utf8(no_debt().canonical_bytes()).unwrap();
        assert!(!plain.contains("answer_title") && !plain.contains("answer_statements"));
        let mut f = no_debt();
        f.answer_title = Text::new("رسید پرداخت عوارض نوسازی", "Renewal levy payment receipt");
        f.answer_statements = vec![
            Text::new(
                "این رسید جای مفاصاحساب را نمی‌گیرد.",
                "This receipt does not replace a clearance certificate.",
            ),
            Text::new("پرداخت در دفاتر شهرداری ثبت شد.", ""),
        ];
        let letterhead = Letterhead::default();
        let fa = visible_text(&html(&view(&f, &letterhead), Lang::Fa).unwrap());
        assert!(fa.contains("رسید پرداخت عوارض نوسازی"), "{fa}");
        assert!(fa.contains("این رسید جای مفاصاحساب را نمی‌گیرد."), "{fa}");
        let en = visible_text(&html(&view(&f, &letterhead), Lang::En).unwrap());
        assert!(en.contains("Renewal levy payment receipt"), "{en}");
        assert!(!en.contains("Answer: Property transfer inquiry"), "{en}");
        assert!(
            en.contains("This receipt does not replace a clearance certificate."),
            "{en}"
        );
        // A statement with no English prints in Persian rather than not at all.
        assert!(en.contains("پرداخت در دفاتر شهرداری ثبت شد."), "{en}");
        assert!(pdf(&view(&f, &letterhead), Lang::Fa).is_ok());
        let signed = String::from_utf8(f.canonical_bytes()).unwrap();
        assert!(signed.contains(r#""answer_title":{"en":"Renewal levy payment receipt""#));
        assert_eq!(Facts::decode(signed.as_bytes()).unwrap(), f);
    }

    #[test]
    fn a_revoked_answer_says_so_first_and_markup_is_escaped() {
        let mut f = no_debt();
        f.applicant_full_name = "<script>alert(1)</script>".into();
        let letterhead = Letterhead::default();
        let mut v = view(&f, &letterhead);
        v.status = pb::AnswerStatus::Revoked;
        v.revoked_reason = Some("سند جعلی");
        let page = html(&v, Lang::Fa).unwrap();
        assert!(!page.contains("<script>"));
        let notice = page
            .find("این پاسخ باطل شده است. سند جعلی")
            .expect("the notice");
        assert!(notice < page.find("class=\"statement\"").expect("the statement"));
        assert!(pdf(&v, Lang::Fa).is_ok(), "typst lays out the notice");
    }

    #[test]
    fn an_answer_names_who_really_inquired() {
        let letterhead = Letterhead::default();
        let mut by_office = no_debt();
        by_office.inquired_by = "INQUIRED_BY_AUTHORITY".into();
        by_office.letter_number = "1234".into();
        by_office.authority_name = Text::new("دفترخانهٔ ۱۲", "Notary office 12");
        let page = visible_text(&html(&view(&by_office, &letterhead), Lang::En).unwrap());
        assert!(page.contains("Inquiring authority") && page.contains("Notary office 12"));
        assert!(!page.contains("Addressed to"));

        let mut by_citizen = by_office.clone();
        by_citizen.inquired_by = "INQUIRED_BY_APPLICANT".into();
        let page = visible_text(&html(&view(&by_citizen, &letterhead), Lang::En).unwrap());
        assert!(page.contains("The applicant, in person"));
        assert!(page.contains("Addressed to") && page.contains("Notary office 12"));
        assert!(!page.contains("Inquiring authority"));
    }

    #[test]
    fn the_title_follows_the_request_type() {
        let f = no_debt();
        let letterhead = Letterhead::default();
        let mut v = view(&f, &letterhead);
        v.template = "clearance";
        let page = html(&v, Lang::Fa).unwrap();
        assert!(page.contains("<h1>گواهی مفاصاحساب عوارض ملک</h1>"));
        let page = html(&v, Lang::En).unwrap();
        assert!(page.contains("<h1>Certificate of levy clearance</h1>"));
    }

    #[test]
    fn the_letterhead_comes_from_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emblem.svg");
        let own = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect id=\"own\" width=\"4\" height=\"4\"/></svg>";
        std::fs::write(&path, own).unwrap();
        let letterhead =
            Letterhead::from_settings("شهرداری نمونه", "Sample Municipality", Some(&path)).unwrap();
        let f = no_debt();
        let page = html(&view(&f, &letterhead), Lang::Fa).unwrap();
        let own = base64::engine::general_purpose::STANDARD.encode(own);
        assert!(page.contains("شهرداری نمونه") && page.contains(&own));
        assert!(
            pdf(&view(&f, &letterhead), Lang::En).is_ok(),
            "typst draws it"
        );
        std::fs::write(&path, "not a drawing").unwrap();
        let err = Letterhead::from_settings("a", "b", Some(&path)).unwrap_err();
        assert!(err.to_string().contains("emblem_svg_path"), "{err}");
    }

    #[test]
    fn pdf_is_a_pdf_with_the_font_embedded() {
        let letterhead = Letterhead::default();
        for f in [no_debt(), paid()] {
            let bytes = pdf(&view(&f, &letterhead), Lang::Fa).unwrap();
            assert!(bytes.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.contains("Vazirmatn"), "the Persian font is embedded");
            assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
        }
        if let Ok(dir) = std::env::var("ESTELAM_RENDER_SAMPLE_DIR") {
            for (name, f) in [("no-debt", no_debt()), ("paid", paid())] {
                let v = view(&f, &letterhead);
                for (lang, code) in [(Lang::Fa, "fa"), (Lang::En, "en")] {
                    std::fs::write(format!("{dir}/{name}-{code}.pdf"), pdf(&v, lang).unwrap())
                        .unwrap();
                    std::fs::write(format!("{dir}/{name}-{code}.html"), html(&v, lang).unwrap())
                        .unwrap();
                }
            }
        }
    }

    #[test]
    fn an_answer_with_a_deposited_objection_names_the_items_and_the_receipt() {
        let f = Facts {
            disputes: vec![crate::answer::DisputeFact {
                dispute_id: "d-1".into(),
                items: vec![Text::new("عوارض نوسازی سال 1402", "Renewal levy 1402")],
                deposit_rials: 1_250_000,
                receipt_code: "913572468024".into(),
            }],
            ..paid()
        };
        let letterhead = Letterhead::default();
        let en = visible_text(&html(&view(&f, &letterhead), Lang::En).unwrap());
        assert!(en.contains("Items under objection"), "{en}");
        assert!(en.contains("Renewal levy 1402"), "{en}");
        assert!(en.contains("913572468024"), "the receipt: {en}");
        assert!(en.contains("the objection is pending"), "{en}");
        let fa = visible_text(&html(&view(&f, &letterhead), Lang::Fa).unwrap());
        assert!(fa.contains("اقلام مورد اعتراض"), "{fa}");
        // Without an objection the page says nothing of one.
        let plain = visible_text(&html(&view(&paid(), &letterhead), Lang::En).unwrap());
        assert!(!plain.contains("objection"), "{plain}");
        assert!(
            pdf(&view(&f, &letterhead), Lang::Fa)
                .unwrap()
                .starts_with(b"%PDF-")
        );
    }
}
