//! What the certificate says, in one language, before it is laid out: the letterhead, the
//! title by request type, the plain-language statement of the outcome, the facts, the
//! owners and levies, the signature block and how to verify. [`super::html`] and
//! [`super::pdf`] lay out the same [`Page`], so the two copies never say different things.

use base64::Engine as _;
use estelam_proto::inquiry::v1 as pb;

use super::words::{area, digits, enum_label, instant, jalali_long, masked, rials, t, unpadded};
use super::{AnswerView, Lang};
use crate::answer::Facts;
use crate::request_types::Text;

/// A titled list of (label, value) rows.
pub(super) struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
    /// Indices of rows whose values are identifiers (key id, fingerprint), kept as
    /// machines print them: Latin characters, left to right.
    pub machine: Vec<usize>,
}

/// A titled table: a header row, body rows and an optional total row.
pub(super) struct Table {
    pub title: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total: Option<Vec<String>>,
}

/// How to check the paper: the code, the address to type it at and the steps.
pub(super) struct Verify {
    pub title: String,
    pub code_label: String,
    pub code: String,
    pub url_label: String,
    pub url: String,
    pub steps: Vec<String>,
}

/// The certificate's content in one language.
pub(super) struct Page {
    pub lang: Lang,
    pub municipality: String,
    pub service_line: String,
    pub title: String,
    /// The letter-head's number and dates (number, issued, valid until).
    pub head: Vec<(String, String)>,
    /// Revoked or expired, said above everything else; empty while the answer stands.
    pub notice: String,
    pub statement_title: String,
    pub statement: String,
    pub sections: Vec<Section>,
    pub owners: Table,
    pub fees: Table,
    pub signature: Section,
    pub verify: Verify,
    pub footer: String,
}

fn name(lang: Lang, text: &Text) -> String {
    match lang {
        Lang::Fa => text.fa.clone(),
        Lang::En if !text.en.is_empty() => text.en.clone(),
        Lang::En => text.fa.clone(),
    }
}

/// The certificate's title: the one the e-service published, if any; else a clearance
/// certificate says so, and any other type is the answer to that inquiry, named as the
/// request type is.
fn title(view: &AnswerView<'_>, lang: Lang) -> String {
    answer_title(
        &view.facts.answer_title,
        &view.facts.request_type_name,
        view.template,
        lang,
    )
}

/// The title an answer carries, from the e-service's own title, its name and template:
/// what the certificate prints and what the e-service editor's preview shows.
pub fn answer_title(own: &Text, type_name: &Text, template: &str, lang: Lang) -> String {
    let type_name = name(lang, type_name);
    if !own.is_empty() {
        // The e-service's own title, as its version published and the answer signed it.
        name(lang, own)
    } else if template == "clearance" {
        t(
            lang,
            "گواهی مفاصاحساب عوارض ملک",
            "Certificate of levy clearance",
        )
    } else if type_name.is_empty() {
        t(lang, "پاسخ استعلام ملک", "Answer to a property inquiry")
    } else if lang == Lang::Fa && type_name.starts_with("استعلام") {
        format!("پاسخ {type_name}")
    } else {
        match lang {
            Lang::Fa => format!("پاسخ استعلام ملک ({type_name})"),
            Lang::En => format!("Answer: {type_name}"),
        }
    }
}

/// The outcome in one sentence a reader needs no table for (the e-service's own statements
/// follow it, as its version published and the answer signed them). The property is named by the
/// facts right below it; the sentence keeps to words, dates and plain numbers, so it reads
/// (and is read back from the PDF) in one direction.
pub(super) fn statement(f: &Facts, lang: Lang) -> String {
    match f.debt_status.as_str() {
        "DEBT_STATUS_NONE" => {
            let on = if f.facts_checked_at_jalali.is_empty() {
                &f.issued_at_jalali
            } else {
                &f.facts_checked_at_jalali
            };
            let date = jalali_long(lang, on);
            match lang {
                Lang::Fa => {
                    format!("این ملک در تاریخ {date} هیچ بدهی معوقی به شهرداری ندارد.")
                }
                Lang::En => format!(
                    "On {date}, this property owes the municipality nothing: no levy or fee is outstanding."
                ),
            }
        }
        "DEBT_STATUS_CLEARED" => {
            let date = jalali_long(lang, &f.issued_at_jalali);
            let amount = rials(lang, f.amount_paid_rials);
            let tracking = digits(lang, &f.tracking_code);
            let paid = match lang {
                Lang::Fa => format!(
                    "بدهی این ملک به مبلغ {amount} در تاریخ {date} با کد رهگیری {tracking} به‌طور کامل پرداخت و تسویه شده است."
                ),
                Lang::En => format!(
                    "This property's debt of {amount} was paid in full on {date} with tracking code {tracking}."
                ),
            };
            if f.disputes.is_empty() {
                paid
            } else {
                let deposit = rials(lang, f.disputes.iter().map(|d| d.deposit_rials).sum());
                match lang {
                    Lang::Fa => format!(
                        "{paid} از این مبلغ، {deposit} بابت اقلامی که به آن‌ها اعتراض شده است به‌عنوان سپرده (تبصرهٔ مادهٔ ۷۴ قانون شهرداری‌ها) نگه داشته می‌شود و رسید آن به‌منزلهٔ مفاصاحساب است؛ اعتراض در دست رسیدگی است."
                    ),
                    Lang::En => format!(
                        "{paid} Of this, {deposit} for the items under objection is held as a deposit (note to article 74 of the Municipalities Law), whose receipt counts as clearance; the objection is pending."
                    ),
                }
            }
        }
        _ => t(
            lang,
            "این پاسخ دربارهٔ بدهی ملک به شهرداری چیزی نمی‌گوید: در این نوع درخواست بدهی بررسی نمی‌شود.",
            "This answer says nothing about the property's debt to the municipality: this request type does not check it.",
        ),
    }
}

fn notice(view: &AnswerView<'_>, lang: Lang) -> String {
    match view.status {
        pb::AnswerStatus::Revoked => {
            let said = t(
                lang,
                "این پاسخ باطل شده است.",
                "This answer has been revoked.",
            );
            match view.revoked_reason.map(str::trim).filter(|r| !r.is_empty()) {
                Some(reason) => format!("{said} {}", digits(lang, reason)),
                None => said,
            }
        }
        pb::AnswerStatus::Expired => t(
            lang,
            "مدت اعتبار این پاسخ گذشته است.",
            "This answer is past its validity.",
        ),
        _ => String::new(),
    }
}

fn plate(f: &Facts) -> String {
    let p = &f.parcel.registry_plate;
    if p.sub.is_empty() {
        p.main.clone()
    } else {
        format!("{}/{}", p.main, p.sub)
    }
}

fn property_section(f: &Facts, lang: Lang) -> Section {
    let p = &f.parcel;
    Section {
        title: t(lang, "مشخصات ملک", "The property"),
        rows: vec![
            (
                t(lang, "کد نوسازی", "Renovation code"),
                digits(lang, &p.renovation_code),
            ),
            (
                t(lang, "پلاک ثبتی", "Registry plate"),
                digits(lang, &plate(f)),
            ),
            (t(lang, "نشانی", "Address"), digits(lang, &p.address)),
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
        ],
        machine: Vec::new(),
    }
}

fn inquiry_section(view: &AnswerView<'_>, lang: Lang) -> Section {
    let f = view.facts;
    let mut rows = vec![
        (
            t(lang, "نوع درخواست", "Request type"),
            name(lang, &f.request_type_name),
        ),
        (
            t(lang, "متقاضی", "Applicant"),
            digits(lang, &f.applicant_full_name),
        ),
        (
            t(lang, "کد ملی متقاضی", "Applicant's national code"),
            masked(lang, &f.applicant_national_code),
        ),
    ];
    if f.inquired_by == "INQUIRED_BY_APPLICANT" {
        // The applicant asked; the office their letter names did not inquire and paid
        // nothing, so it is named as whom the answer is addressed to, never as the inquirer.
        rows.push((
            t(lang, "استعلام‌کننده", "Inquired by"),
            if f.representative_full_name.is_empty() {
                t(lang, "متقاضی (شخصاً)", "The applicant, in person")
            } else {
                t(lang, "وکیل متقاضی", "The applicant's representative")
            },
        ));
    }
    if !f.letter_number.is_empty() {
        rows.push(if f.inquired_by == "INQUIRED_BY_APPLICANT" {
            (
                t(lang, "خطاب به", "Addressed to"),
                name(lang, &f.authority_name),
            )
        } else {
            (
                t(lang, "مرجع استعلام‌کننده", "Inquiring authority"),
                name(lang, &f.authority_name),
            )
        });
        rows.push((
            t(lang, "شماره و تاریخ نامه", "Letter number and date"),
            digits(
                lang,
                &format!("{} — {}", f.letter_number, f.letter_date_jalali),
            ),
        ));
    }
    rows.push((
        t(lang, "وضعیت بدهی", "Debt status"),
        enum_label(lang, &f.debt_status),
    ));
    if !f.representative_full_name.is_empty() {
        rows.push((
            t(lang, "به وکالت", "By power of attorney"),
            format!(
                "{} ({})",
                digits(lang, &f.representative_full_name),
                masked(lang, &f.representative_national_code)
            ),
        ));
    }
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
    for d in &f.disputes {
        // Under objection, its deposit held (note to article 74 of the Municipalities Law):
        // cleared, but not paid, so the reader sees which items and which receipt.
        let items: Vec<String> = d.items.iter().map(|i| name(lang, i)).collect();
        rows.push((
            t(lang, "اقلام مورد اعتراض", "Items under objection"),
            digits(lang, &items.join("، ")),
        ));
        rows.push((
            t(
                lang,
                "سپردهٔ اعتراض (تبصرهٔ مادهٔ ۷۴ قانون شهرداری‌ها)",
                "Objection deposit (note to article 74 of the Municipalities Law)",
            ),
            format!(
                "{} — {} {}",
                rials(lang, d.deposit_rials),
                t(lang, "رسید", "receipt"),
                digits(lang, &d.receipt_code)
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
                name(lang, &f.authority_name)
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
            instant(lang, &f.facts_checked_at_jalali, &f.facts_checked_at),
        ));
    }
    Section {
        title: t(lang, "استعلام", "The inquiry"),
        rows,
        machine: Vec::new(),
    }
}

fn owners(f: &Facts, lang: Lang) -> Table {
    Table {
        title: t(lang, "مالکان", "Owners"),
        head: vec![
            t(lang, "نام", "Name"),
            t(lang, "کد ملی", "National code"),
            t(lang, "سهم (دانگ)", "Share (dang)"),
        ],
        rows: f
            .parcel
            .owners
            .iter()
            .map(|o| {
                let share = if o.share.denominator > 1 {
                    format!("{}/{}", o.share.numerator, o.share.denominator)
                } else {
                    o.share.numerator.to_string()
                };
                vec![
                    digits(lang, &o.full_name),
                    masked(lang, &o.national_code),
                    digits(lang, &share),
                ]
            })
            .collect(),
        total: None,
    }
}

fn fees(f: &Facts, lang: Lang) -> Table {
    let rows: Vec<Vec<String>> = f
        .fees_paid
        .iter()
        .map(|fee| {
            vec![
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
    let total = (!rows.is_empty()).then(|| {
        let sum = f.fees_paid.iter().map(|fee| fee.amount_rials).sum();
        vec![t(lang, "جمع", "Total"), String::new(), rials(lang, sum)]
    });
    Table {
        title: t(lang, "عوارض و هزینه‌های پرداخت‌شده", "Levies and fees paid"),
        head: vec![
            t(lang, "بابت", "For"),
            t(lang, "سال", "Year"),
            t(lang, "مبلغ", "Amount"),
        ],
        rows,
        total,
    }
}

/// The signature block: who signed (the key id a verifier finds in the published keys),
/// a fingerprint of the signature to compare with the online check, and when.
fn signature(view: &AnswerView<'_>, lang: Lang) -> Section {
    let f = view.facts;
    let fingerprint: String = base64::engine::general_purpose::STANDARD
        .encode(view.signature)
        .chars()
        .take(24)
        .collect();
    Section {
        title: t(lang, "امضای الکترونیکی", "Electronic signature"),
        rows: vec![
            (
                t(lang, "امضاکننده", "Signed by"),
                format!(
                    "{} — {}",
                    name(lang, &view.letterhead.municipality),
                    t(lang, "سامانهٔ استعلام ملک", "property inquiry system")
                ),
            ),
            (
                t(lang, "شناسهٔ کلید", "Key id"),
                view.signing_key_id.to_owned(),
            ),
            (
                t(lang, "اثر انگشت امضا", "Signature fingerprint"),
                format!("Ed25519 {fingerprint}…"),
            ),
            (
                t(lang, "زمان صدور", "Issued"),
                instant(lang, &f.issued_at_jalali, &f.issued_at),
            ),
            (
                t(lang, "معتبر تا", "Valid until"),
                instant(lang, &f.valid_until_jalali, &f.valid_until),
            ),
        ],
        machine: vec![1, 2],
    }
}

fn verify(view: &AnswerView<'_>, lang: Lang) -> Verify {
    let code = digits(lang, view.verification_code);
    Verify {
        title: t(lang, "تصدیق اصالت این برگه", "Verify this paper"),
        code_label: t(lang, "کد تصدیق", "Verification code"),
        code: code.clone(),
        url_label: t(lang, "نشانی تصدیق", "Verification address"),
        url: view.verification_url.to_owned(),
        steps: match lang {
            Lang::Fa => vec![
                "رمزینهٔ QR خودِ پاسخِ امضاشده است: ابزار تصدیق شهرداری (estelam verify) آن را حتی بدون اینترنت می‌خواند و بررسی می‌کند؛ یا".to_owned(),
                format!("نشانی زیر را باز کنید و کد تصدیق {code} را وارد کنید."),
                "اطلاعاتی را که سامانه نشان می‌دهد با این برگه مقایسه کنید؛ اگر یکی نیست یا پاسخ باطل شده است، به این برگه اعتماد نکنید.".to_owned(),
            ],
            Lang::En => vec![
                "The QR code is the signed answer itself: the municipality's verification tool (estelam verify) reads and checks it even offline; or".to_owned(),
                format!("open the address below and enter the verification code {code}."),
                "Compare what the system shows with this paper; if they differ, or the answer is revoked, do not rely on this paper.".to_owned(),
            ],
        },
    }
}

/// The certificate's content for `view` in `lang`.
pub(super) fn page(view: &AnswerView<'_>, lang: Lang) -> Page {
    let f = view.facts;
    let number = digits(lang, unpadded(&f.inquiry_number));
    Page {
        lang,
        municipality: name(lang, &view.letterhead.municipality),
        service_line: t(
            lang,
            "سامانهٔ خدمات الکترونیکی — استعلام ملک",
            "E-services — property inquiry",
        ),
        title: title(view, lang),
        head: vec![
            (t(lang, "شمارهٔ استعلام", "Inquiry number"), number),
            (
                t(lang, "تاریخ صدور", "Date of issue"),
                jalali_long(lang, &f.issued_at_jalali),
            ),
            (
                t(lang, "معتبر تا", "Valid until"),
                jalali_long(lang, &f.valid_until_jalali),
            ),
        ],
        notice: notice(view, lang),
        statement_title: t(lang, "نتیجهٔ استعلام", "Outcome"),
        statement: std::iter::once(statement(f, lang))
            .chain(f.answer_statements.iter().map(|s| name(lang, s)))
            .collect::<Vec<_>>()
            .join(" "),
        sections: vec![property_section(f, lang), inquiry_section(view, lang)],
        owners: owners(f, lang),
        fees: fees(f, lang),
        signature: signature(view, lang),
        verify: verify(view, lang),
        footer: t(
            lang,
            "این برگه به‌صورت الکترونیکی صادر و امضا شده و بدون مهر و امضای دستی معتبر است. کد ملی‌ها برای حفظ حریم خصوصی تنها با سه رقم اول و سه رقم آخر چاپ شده‌اند.",
            "This paper was issued and signed electronically and is valid without a stamp or a handwritten signature. National codes are printed with only their first and last three digits, for privacy.",
        ),
    }
}
