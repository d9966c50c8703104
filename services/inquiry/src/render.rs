//! The answer as people read it: a printable right-to-left HTML page, and a PDF with
//! correctly shaped Persian (typst, with the Vazirmatn font shipped in `fonts/`), both
//! carrying a QR code of the public verification URL.

use std::sync::LazyLock;

use base64::Engine as _;
use estelam_proto::inquiry::v1 as pb;
use typst::foundations::{Array, Bytes, Dict, IntoValue, Value};
use typst_as_lib::TypstEngine;
use typst_as_lib::TypstTemplateMainFile;

use crate::answer::Facts;

/// The Vazirmatn fonts (SIL OFL 1.1, see `fonts/OFL.txt`).
pub static VAZIRMATN_REGULAR: &[u8] = include_bytes!("../fonts/Vazirmatn-Regular.ttf");
/// Bold weight.
pub static VAZIRMATN_BOLD: &[u8] = include_bytes!("../fonts/Vazirmatn-Bold.ttf");
/// The typst template of every answer.
static TEMPLATE: &str = include_str!("../templates/answer.typ");

static ENGINE: LazyLock<TypstEngine<TypstTemplateMainFile>> = LazyLock::new(|| {
    TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts([VAZIRMATN_REGULAR, VAZIRMATN_BOLD])
        .build()
});

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

/// Everything printed on an answer.
pub struct AnswerView<'a> {
    /// The signed facts.
    pub facts: &'a Facts,
    /// Verification code.
    pub verification_code: &'a str,
    /// Verification URL (the QR code's target).
    pub verification_url: &'a str,
    /// The QR code's content: the signed answer (`EQ1:…`, see `crate::certificate::cwt`).
    pub qr_text: &'a str,
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

/// A QR code of `url` as an SVG document.
pub fn qr_svg(url: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build())
}

fn t(lang: Lang, fa: &str, en: &str) -> String {
    match lang {
        Lang::Fa => fa.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn enum_label(lang: Lang, value: &str) -> String {
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

fn digits(lang: Lang, s: &str) -> String {
    match lang {
        Lang::Fa => estelam_domain::to_persian_digits(s),
        Lang::En => s.to_owned(),
    }
}

fn rials(lang: Lang, amount: i64) -> String {
    let r = estelam_domain::Rial::new(amount);
    match lang {
        Lang::Fa => format!("{} ریال", r.format_persian()),
        Lang::En => format!("{} rials", r.format_latin()),
    }
}

fn area(lang: Lang, dm2: i64) -> String {
    let s = format!("{}.{:02}", dm2 / 100, dm2 % 100);
    match lang {
        Lang::Fa => format!("{} متر مربع", digits(lang, &s)),
        Lang::En => format!("{s} m²"),
    }
}

/// The page's content as rows of (label, value), sections and tables, in one language.
struct Page {
    lang: Lang,
    title: String,
    municipality: String,
    status_line: String,
    rows: Vec<(String, String)>,
    owners_title: String,
    owner_head: [String; 3],
    owners: Vec<[String; 3]>,
    fees_title: String,
    fee_head: [String; 3],
    fees: Vec<[String; 3]>,
    verify_title: String,
    verify_rows: Vec<(String, String)>,
    footer: String,
}

fn page(view: &AnswerView<'_>, lang: Lang) -> Page {
    let f = view.facts;
    let p = &f.parcel;
    let name = |text: &crate::request_types::Text| match lang {
        Lang::Fa => text.fa.clone(),
        Lang::En if !text.en.is_empty() => text.en.clone(),
        Lang::En => text.fa.clone(),
    };
    let title = if view.template == "clearance" {
        t(lang, "گواهی مفاصاحساب عوارض", "Levy clearance certificate")
    } else {
        t(lang, "پاسخ استعلام ملک", "Property inquiry answer")
    };
    let plate = if p.registry_plate.sub.is_empty() {
        p.registry_plate.main.clone()
    } else {
        format!("{}/{}", p.registry_plate.main, p.registry_plate.sub)
    };
    let mut rows = vec![
        (
            t(lang, "شمارهٔ استعلام", "Inquiry number"),
            digits(lang, &f.inquiry_number),
        ),
        (
            t(lang, "نوع درخواست", "Request type"),
            name(&f.request_type_name),
        ),
        (
            t(lang, "کد نوسازی", "Renovation code"),
            digits(lang, &p.renovation_code),
        ),
        (t(lang, "پلاک ثبتی", "Registry plate"), digits(lang, &plate)),
        (t(lang, "نشانی", "Address"), p.address.clone()),
        (t(lang, "کاربری", "Land use"), enum_label(lang, &p.land_use)),
        (
            t(lang, "مساحت عرصه", "Land area"),
            area(lang, p.land_area_dm2),
        ),
        (
            t(lang, "مساحت اعیان", "Built area"),
            area(lang, p.built_area_dm2),
        ),
        (
            t(lang, "تعداد طبقات", "Floors"),
            digits(lang, &p.floors.to_string()),
        ),
        (
            t(lang, "نوع مالکیت", "Ownership type"),
            enum_label(lang, &p.ownership_type),
        ),
        (
            t(lang, "شمارهٔ سند", "Deed number"),
            digits(lang, &p.deed_number),
        ),
        (
            t(lang, "متقاضی", "Applicant"),
            f.applicant_full_name.clone(),
        ),
        (
            t(lang, "کد ملی متقاضی", "Applicant's national code"),
            digits(lang, &f.applicant_national_code),
        ),
        (
            t(lang, "وضعیت بدهی", "Debt status"),
            enum_label(lang, &f.debt_status),
        ),
    ];
    if !f.tracking_code.is_empty() {
        rows.push((
            t(lang, "کد رهگیری پرداخت", "Payment tracking code"),
            digits(lang, &f.tracking_code),
        ));
        rows.push((
            t(lang, "مبلغ پرداخت‌شده", "Amount paid"),
            rials(lang, f.amount_paid_rials),
        ));
    }
    if !f.letter_number.is_empty() {
        rows.push((
            t(lang, "مرجع استعلام‌کننده", "Inquiring authority"),
            name(&f.authority_name),
        ));
        rows.push((
            t(lang, "شماره و تاریخ نامه", "Letter number and date"),
            digits(
                lang,
                &format!("{} — {}", f.letter_number, f.letter_date_jalali),
            ),
        ));
    }
    for fee in &f.fees_charged_to_authority {
        // Charged to the authority, not paid by the applicant: said so, not listed as paid.
        rows.push((
            t(
                lang,
                "هزینهٔ استعلام، به حساب مرجع استعلام",
                "Inquiry fee, charged to the inquiring authority's account",
            ),
            format!(
                "{} — {}",
                rials(lang, fee.amount_rials),
                name(&f.authority_name)
            ),
        ));
    }
    if !f.facts_checked_at.is_empty() {
        rows.push((
            t(
                lang,
                "زمان بررسی اطلاعات ملک و بدهی",
                "Parcel facts and debt checked at",
            ),
            format!(
                "{} ({})",
                digits(lang, &f.facts_checked_at_jalali),
                f.facts_checked_at
            ),
        ));
    }
    rows.push((
        t(lang, "زمان صدور", "Issued"),
        format!("{} ({})", digits(lang, &f.issued_at_jalali), f.issued_at),
    ));
    rows.push((
        t(lang, "معتبر تا", "Valid until"),
        format!(
            "{} ({})",
            digits(lang, &f.valid_until_jalali),
            f.valid_until
        ),
    ));
    let owners = p
        .owners
        .iter()
        .map(|o| {
            [
                o.full_name.clone(),
                digits(lang, &o.national_code),
                digits(
                    lang,
                    &if o.share.denominator > 1 {
                        format!("{}/{}", o.share.numerator, o.share.denominator)
                    } else {
                        o.share.numerator.to_string()
                    },
                ),
            ]
        })
        .collect();
    let fees = f
        .fees_paid
        .iter()
        .map(|fee| {
            [
                enum_label(lang, &fee.kind),
                if fee.jalali_year > 0 {
                    digits(lang, &fee.jalali_year.to_string())
                } else {
                    "—".into()
                },
                rials(lang, fee.amount_rials),
            ]
        })
        .collect();
    let status_line = match view.status {
        pb::AnswerStatus::Revoked => format!(
            "{} {}",
            t(
                lang,
                "این پاسخ باطل شده است.",
                "This answer has been revoked."
            ),
            view.revoked_reason.unwrap_or("")
        ),
        pb::AnswerStatus::Expired => t(
            lang,
            "مدت اعتبار این پاسخ گذشته است.",
            "This answer is past its validity.",
        ),
        _ => String::new(),
    };
    let fingerprint: String = base64::engine::general_purpose::STANDARD
        .encode(view.signature)
        .chars()
        .take(24)
        .collect();
    Page {
        lang,
        title,
        municipality: t(lang, "شهرداری شاهین‌شهر", "Shahin Shahr Municipality"),
        status_line,
        rows,
        owners_title: t(lang, "مالکان", "Owners"),
        owner_head: [
            t(lang, "نام", "Name"),
            t(lang, "کد ملی", "National code"),
            t(lang, "سهم (دانگ)", "Share (dang)"),
        ],
        owners,
        fees_title: t(lang, "عوارض و هزینه‌های پرداخت‌شده", "Levies and fees paid"),
        fee_head: [
            t(lang, "بابت", "For"),
            t(lang, "سال", "Year"),
            t(lang, "مبلغ", "Amount"),
        ],
        fees,
        verify_title: t(lang, "تصدیق اصالت", "Verify this answer"),
        verify_rows: vec![
            (
                t(lang, "کد تصدیق", "Verification code"),
                digits(lang, view.verification_code),
            ),
            (
                t(lang, "نشانی تصدیق", "Verification URL"),
                view.verification_url.to_owned(),
            ),
            (
                t(lang, "امضا", "Signature"),
                format!("Ed25519 · {} · {fingerprint}…", view.signing_key_id),
            ),
        ],
        footer: t(
            lang,
            "این پاسخ به‌صورت الکترونیکی صادر و امضا شده است؛ اصالت آن را با اسکن کد QR یا وارد کردن کد تصدیق بررسی کنید.",
            "This answer was issued and signed electronically; check it by scanning the QR code or entering the verification code.",
        ),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The answer as a printable HTML page (UTF-8, right to left for Persian).
pub fn html(view: &AnswerView<'_>, lang: Lang) -> anyhow::Result<String> {
    let pg = page(view, lang);
    let qr = qr_svg(view.qr_text)?;
    let (code, dir) = match lang {
        Lang::Fa => ("fa", "rtl"),
        Lang::En => ("en", "ltr"),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"{code}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} {}</title>\n<style>\n\
         body{{font-family:Vazirmatn,Tahoma,sans-serif;max-width:800px;margin:2em auto;color:#111}}\n\
         h1,h2{{text-align:center}} h1{{font-size:1.3em;margin:0}} h2{{font-size:1.1em}}\n\
         table{{width:100%;border-collapse:collapse;margin:.5em 0}} th,td{{border:1px solid #999;padding:.35em .6em;text-align:start}} td{{unicode-bidi:plaintext}}\n\
         th{{background:#f2f2f2;width:35%}} .status{{color:#b00;font-weight:bold;text-align:center}}\n\
         .verify{{display:flex;gap:1em;align-items:center}} .verify svg{{width:150px;height:150px}}\n\
         footer{{font-size:.85em;color:#444;margin-top:1em}} @media print{{body{{margin:0}}}}\n\
         </style>\n</head>\n<body>\n",
        esc(&pg.title),
        esc(&view.facts.inquiry_number)
    ));
    out.push_str(&format!(
        "<header><h1>{}</h1><h2>{}</h2></header>\n",
        esc(&pg.municipality),
        esc(&pg.title)
    ));
    if !pg.status_line.is_empty() {
        out.push_str(&format!(
            "<p class=\"status\">{}</p>\n",
            esc(&pg.status_line)
        ));
    }
    out.push_str("<table>\n");
    for (k, v) in &pg.rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    out.push_str("</table>\n");
    let table = |title: &str, head: &[String; 3], body: &[[String; 3]], out: &mut String| {
        if body.is_empty() {
            return;
        }
        out.push_str(&format!("<h2>{}</h2>\n<table>\n<tr>", esc(title)));
        for h in head {
            out.push_str(&format!("<th>{}</th>", esc(h)));
        }
        out.push_str("</tr>\n");
        for r in body {
            out.push_str("<tr>");
            for c in r {
                out.push_str(&format!("<td>{}</td>", esc(c)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    };
    table(&pg.owners_title, &pg.owner_head, &pg.owners, &mut out);
    table(&pg.fees_title, &pg.fee_head, &pg.fees, &mut out);
    out.push_str(&format!(
        "<h2>{}</h2>\n<div class=\"verify\">\n<div>{qr}</div>\n<table>\n",
        esc(&pg.verify_title)
    ));
    for (k, v) in &pg.verify_rows {
        let v = if v.starts_with("http") {
            format!("<a href=\"{0}\" dir=\"ltr\">{0}</a>", esc(v))
        } else {
            esc(v)
        };
        out.push_str(&format!("<tr><th>{}</th><td>{v}</td></tr>\n", esc(k)));
    }
    out.push_str(&format!(
        "</table>\n</div>\n<footer>{}</footer>\n</body>\n</html>\n",
        esc(&pg.footer)
    ));
    Ok(out)
}

fn pairs(rows: &[(String, String)]) -> Value {
    let arr: Array = rows
        .iter()
        .map(|(k, v)| {
            let pair: Array = [k.clone().into_value(), v.clone().into_value()]
                .into_iter()
                .collect();
            pair.into_value()
        })
        .collect();
    arr.into_value()
}

fn triples(rows: &[[String; 3]]) -> Value {
    let arr: Array = rows
        .iter()
        .map(|r| {
            let a: Array = r.iter().map(|c| c.clone().into_value()).collect();
            a.into_value()
        })
        .collect();
    arr.into_value()
}

/// The answer as a PDF: typst lays it out with Vazirmatn, so Persian letters are joined
/// and runs read right to left; the QR code is embedded as vector graphics.
///
/// CPU-bound (tens of milliseconds): call it from a blocking task.
pub fn pdf(view: &AnswerView<'_>, lang: Lang) -> anyhow::Result<Vec<u8>> {
    let pg = page(view, lang);
    let qr = qr_svg(view.qr_text)?;
    let mut d = Dict::new();
    let s = |v: &str| v.to_owned().into_value();
    d.insert(
        "lang".into(),
        s(if pg.lang == Lang::Fa { "fa" } else { "en" }),
    );
    d.insert("title".into(), s(&pg.title));
    d.insert("municipality".into(), s(&pg.municipality));
    d.insert("status".into(), s(&pg.status_line));
    d.insert("rows".into(), pairs(&pg.rows));
    d.insert("owners_title".into(), s(&pg.owners_title));
    d.insert(
        "owner_head".into(),
        triples(std::slice::from_ref(&pg.owner_head)),
    );
    d.insert("owners".into(), triples(&pg.owners));
    d.insert("fees_title".into(), s(&pg.fees_title));
    d.insert(
        "fee_head".into(),
        triples(std::slice::from_ref(&pg.fee_head)),
    );
    d.insert("fees".into(), triples(&pg.fees));
    d.insert("verify_title".into(), s(&pg.verify_title));
    d.insert("verify_rows".into(), pairs(&pg.verify_rows));
    d.insert("footer".into(), s(&pg.footer));
    d.insert("qr".into(), Value::Bytes(Bytes::new(qr.into_bytes())));
    let doc: typst_layout::PagedDocument = ENGINE
        .compile_with_input(d)
        .output
        .map_err(|e| anyhow::anyhow!("typst could not lay out the answer: {e:?}"))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| anyhow::anyhow!("typst could not write the PDF: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{FORMAT, OwnerFact, ParcelFact, Share};
    use crate::request_types::Text;

    fn facts() -> Facts {
        Facts {
            format: FORMAT.into(),
            inquiry_number: "0000000017".into(),
            request_type_code: "property-transfer".into(),
            request_type_name: Text::new("استعلام نقل و انتقال", "Property transfer inquiry"),
            parcel: ParcelFact {
                renovation_code: "3-12-405-7-0-0".into(),
                address: "شاهین‌شهر، خیابان عطار، کوچهٔ ۱۲".into(),
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

    fn view(f: &Facts) -> AnswerView<'_> {
        AnswerView {
            facts: f,
            verification_code: "123456789012",
            verification_url: "https://estelam.example/verify/123456789012",
            qr_text: "EQ1:TEST",
            signing_key_id: "ans-0011223344556677",
            signature: &[7; 64],
            status: pb::AnswerStatus::Valid,
            revoked_reason: None,
            template: "standard",
        }
    }

    #[test]
    fn html_is_rtl_escaped_and_carries_the_qr() {
        let f = facts();
        let page = html(&view(&f), Lang::Fa).unwrap();
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("پاسخ استعلام ملک"));
        assert!(page.contains("<svg"));
        assert!(page.contains("https://estelam.example/verify/123456789012"));
        let mut evil = facts();
        evil.applicant_full_name = "<script>alert(1)</script>".into();
        assert!(!html(&view(&evil), Lang::En).unwrap().contains("<script>"));
    }

    #[test]
    fn pdf_is_a_pdf_with_the_font_embedded() {
        let f = facts();
        let bytes = pdf(&view(&f), Lang::Fa).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("Vazirmatn"), "the Persian font is embedded");
        assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
        if let Ok(dir) = std::env::var("ESTELAM_RENDER_SAMPLE_DIR") {
            std::fs::write(format!("{dir}/answer-fa.pdf"), &bytes).unwrap();
            std::fs::write(
                format!("{dir}/answer-en.pdf"),
                pdf(&view(&f), Lang::En).unwrap(),
            )
            .unwrap();
            std::fs::write(
                format!("{dir}/answer-fa.html"),
                html(&view(&f), Lang::Fa).unwrap(),
            )
            .unwrap();
        }
    }
}
