//! The wizard a citizen will walk for a request type version, as the e-service editor
//! previews it before publishing: the steps in the order the workflow asks them, the
//! documents, the checks in words, the fee lines as this year's tariffs price them, and
//! the answer's words. Pure: the engine brings the tariffs
//! ([`crate::ports::FeesPort::tariffs_of_year`]).

use estelam_proto::common::v1::LocalizedText;
use estelam_proto::fees::v1::{BillItemKind, Tariff, TariffItemKind};
use estelam_proto::inquiry::v1 as pb;

use crate::render::{Lang, answer_title};
use crate::request_type_publish::{fee_item_name, tariff_item_of};
use crate::request_types::{FeeSettlement, RequestTypeDef, Text};

fn step(step: &str, title: Text, detail: Text) -> pb::WizardStep {
    pb::WizardStep {
        step: step.into(),
        title: Some(title.to_proto()),
        detail: Some(detail.to_proto()),
    }
}

fn joined(texts: &[Text]) -> Text {
    Text {
        fa: texts
            .iter()
            .map(|t| t.fa.as_str())
            .collect::<Vec<_>>()
            .join("، "),
        en: texts
            .iter()
            .map(|t| t.en.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The steps, in the order the workflow asks them.
pub fn steps(def: &RequestTypeDef, names: &KindNames) -> Vec<pb::WizardStep> {
    let mut out = Vec::new();
    if !def.undertakings.is_empty() {
        let titles: Vec<Text> = def.undertakings.iter().map(|u| u.title.clone()).collect();
        out.push(step(
            "undertakings",
            Text::new("پذیرش تعهدات", "Accept the undertakings"),
            joined(&titles),
        ));
    }
    out.push(step(
        "property",
        Text::new("مشخصات ملک", "The property"),
        if def.check_request_number {
            Text::new(
                "کد نوسازی ملک (یا انتخاب آن روی نقشه) و شمارهٔ درخواستی که شهرداری برای این ملک صادر کرده است.",
                "The property's renovation code (or a click on the map) and the request number the municipality issued for it.",
            )
        } else {
            Text::new(
                "کد نوسازی ملک یا انتخاب آن روی نقشه.",
                "The property's renovation code, or a click on the map.",
            )
        },
    ));
    if def.letter_required {
        out.push(step(
            "letter",
            Text::new("نامهٔ مرجع استعلام", "The authority's letter"),
            Text::new(
                "شماره و تاریخ نامه و مرجعی که استعلام کرده است.",
                "The letter's number and date, and the authority that asks.",
            ),
        ));
    }
    if !def.required_documents.is_empty() {
        out.push(step(
            "documents",
            Text::new("بارگذاری مدارک", "Attach documents"),
            joined(
                &documents(def, names)
                    .iter()
                    .map(|(_, n)| n.clone())
                    .collect::<Vec<_>>(),
            ),
        ));
    }
    out.push(step(
        "applicant",
        Text::new("مشخصات متقاضی", "The applicant"),
        if def.check_ownership {
            Text::new(
                "نام متقاضی و نوع مالکیت، که با مالکان ثبت‌شدهٔ ملک سنجیده می‌شود.",
                "The applicant's name and ownership type, checked against the parcel's owners on record.",
            )
        } else {
            Text::new(
                "نام متقاضی و نوع مالکیت.",
                "The applicant's name and ownership type.",
            )
        },
    ));
    if def.check_debt || !def.fee_items.is_empty() {
        out.push(step(
            "payment",
            Text::new("صورت‌حساب و پرداخت", "Bill and payment"),
            if def.check_debt {
                Text::new(
                    "اگر ملک بدهی داشته باشد، صورت‌حساب ریز آن نمایش داده می‌شود و پاسخ پس از پرداخت صادر می‌شود.",
                    "If the property owes anything, the itemised bill is shown and the answer is issued once it is paid.",
                )
            } else {
                Text::new(
                    "هزینه‌های این خدمت، اگر باشد، پیش از صدور پاسخ پرداخت می‌شود.",
                    "This service's fees, if any, are paid before the answer is issued.",
                )
            },
        ));
    }
    out.push(step(
        "answer",
        Text::new("صدور پاسخ", "The answer"),
        title_of(def),
    ));
    out
}

/// Document kinds' names by code, as the documents service lists them.
pub type KindNames = std::collections::HashMap<String, Text>;

/// A document kind's name: the documents service's, or the code itself for a kind it no
/// longer lists.
pub fn kind_name(names: &KindNames, code: &str) -> Text {
    names
        .get(code)
        .cloned()
        .unwrap_or_else(|| Text::new(code, code))
}

/// The documents to attach (codes), with their names.
pub fn documents(def: &RequestTypeDef, names: &KindNames) -> Vec<(String, Text)> {
    def.required_documents
        .iter()
        .map(|k| (k.clone(), kind_name(names, k)))
        .collect()
}

/// The checks that apply, in words.
pub fn checks(def: &RequestTypeDef) -> Vec<Text> {
    let mut out = Vec::new();
    if def.check_request_number {
        out.push(Text::new(
            "شمارهٔ درخواست با سوابق شهرداری برای همین ملک سنجیده می‌شود.",
            "The request number is checked against the municipality's records for this property.",
        ));
    }
    if def.check_ownership {
        out.push(Text::new(
            "متقاضی باید از مالکان ثبت‌شدهٔ ملک باشد.",
            "The applicant must be one of the parcel's owners on record.",
        ));
    }
    if def.check_debt {
        out.push(Text::new(
            "پاسخ تنها وقتی صادر می‌شود که ملک بدهی پرداخت‌نشده نداشته باشد.",
            "The answer is issued only when the property owes nothing unpaid.",
        ));
    }
    out
}

/// The title the answer of this version will carry, in both languages.
pub fn title_of(def: &RequestTypeDef) -> Text {
    Text {
        fa: answer_title(&def.answer_title, &def.name, &def.answer_template, Lang::Fa),
        en: answer_title(&def.answer_title, &def.name, &def.answer_template, Lang::En),
    }
}

/// The fee lines, each priced by the tariff of the year that applies now to a parcel of
/// any land use and zone (the general one where there are several).
pub fn fee_lines(def: &RequestTypeDef, tariffs: &[Tariff], now_us: i64) -> Vec<pb::WizardFeeLine> {
    def.fee_items
        .iter()
        .filter_map(|k| BillItemKind::try_from(*k).ok())
        .map(|kind| {
            let settlement = if kind == BillItemKind::InquiryFee {
                def.inquiry_fee_settlement
            } else {
                FeeSettlement::OnBill
            };
            let mut line = pb::WizardFeeLine {
                kind: kind as i32,
                name: Some(fee_item_name(kind).to_proto()),
                settlement: settlement.to_proto() as i32,
                ..Default::default()
            };
            if let Some((tariff, item)) =
                tariff_item_of(kind).and_then(|item| pricing(tariffs, item, &def.code, now_us))
            {
                line.priced = true;
                line.basis = item.basis;
                line.rate_ppm = item.rate_ppm;
                line.amount_rials = item.amount_rials;
                line.tariff_id = tariff.tariff_id.clone();
            }
            line
        })
        .collect()
}

/// The tariff item in force that prices `item`, the general tariff (all land uses, all
/// zones) first.
fn pricing<'t>(
    tariffs: &'t [Tariff],
    item: TariffItemKind,
    code: &str,
    now_us: i64,
) -> Option<(&'t Tariff, &'t estelam_proto::fees::v1::TariffItem)> {
    let mut found: Vec<_> = tariffs
        .iter()
        .filter(|t| {
            t.effective_from
                .as_ref()
                .is_none_or(|e| e.seconds.saturating_mul(1_000_000) <= now_us)
        })
        .filter_map(|t| {
            t.items
                .iter()
                .find(|i| {
                    i.kind == item as i32
                        && (item != TariffItemKind::InquiryFee || i.request_type_code == code)
                })
                .map(|i| (t, i))
        })
        .collect();
    found.sort_by_key(|(t, _)| (t.land_use != 0, t.zone != 0));
    found.into_iter().next()
}

/// Texts on the wire.
pub fn texts(texts: &[Text]) -> Vec<LocalizedText> {
    texts.iter().map(Text::to_proto).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_types::seeds;

    #[test]
    fn the_steps_follow_what_the_type_asks() {
        let court = seeds().into_iter().find(|d| d.code == "court").unwrap();
        let names: Vec<String> = steps(&court, &KindNames::new())
            .into_iter()
            .map(|s| s.step)
            .collect();
        assert_eq!(
            names,
            [
                "undertakings",
                "property",
                "letter",
                "documents",
                "applicant",
                "payment",
                "answer"
            ]
        );
        let mut extract = court.clone();
        extract.letter_required = false;
        extract.fee_items.clear();
        extract.check_debt = false;
        extract.answer_title = Text::new("رونوشت پرونده", "Parcel extract");
        let s = steps(&extract, &KindNames::new());
        assert!(!s.iter().any(|s| s.step == "letter" || s.step == "payment"));
        let answer = s.last().unwrap();
        assert_eq!(answer.detail.as_ref().unwrap().en, "Parcel extract");
        assert_eq!(title_of(&court).en, "Answer: Court inquiry");
    }

    #[test]
    fn fee_lines_name_the_tariff_that_prices_them() {
        let court = seeds().into_iter().find(|d| d.code == "court").unwrap();
        let tariff = Tariff {
            tariff_id: "t-1".into(),
            items: vec![estelam_proto::fees::v1::TariffItem {
                kind: TariffItemKind::InquiryFee as i32,
                amount_rials: 750_000,
                request_type_code: "court".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let lines = fee_lines(&court, &[tariff], 1);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].priced);
        assert_eq!(lines[0].amount_rials, 750_000);
        assert_eq!(lines[0].tariff_id, "t-1");
        assert!(!fee_lines(&court, &[], 1)[0].priced);
    }
}
