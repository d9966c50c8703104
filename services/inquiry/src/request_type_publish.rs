//! What publishing a request type checks against the rest of the municipality's data: every
//! fee item whose amount a tariff sets must be priced by a tariff of the current Jalali year
//! in force now, so that an applicant's Submit never fails for a tariff nobody published.
//!
//! Pure rules over the tariffs fees lists ([`crate::ports::FeesPort::tariffs_of_year`]); the
//! engine asks for them and refuses with [`crate::errors::request_type_tariff_missing`].

use estelam_proto::fees::v1::{BillItemKind, Tariff, TariffItemKind};

use crate::request_types::{RequestTypeDef, Text};

/// The tariff item that sets a bill item's amount; `None` for items no tariff prices
/// (penalties follow the levy, adjustments and discounts are a clerk's or a rule's).
pub fn tariff_item_of(kind: BillItemKind) -> Option<TariffItemKind> {
    match kind {
        BillItemKind::RenewalLevy => Some(TariffItemKind::RenewalLevy),
        BillItemKind::WasteFee => Some(TariffItemKind::WasteFee),
        BillItemKind::InquiryFee => Some(TariffItemKind::InquiryFee),
        _ => None,
    }
}

/// A fee item's name as people read it, for refusals and the preview.
pub fn fee_item_name(kind: BillItemKind) -> Text {
    match kind {
        BillItemKind::RenewalLevy => Text::new("عوارض نوسازی", "renewal levy"),
        BillItemKind::WasteFee => Text::new("عوارض پسماند", "waste-collection fee"),
        BillItemKind::Penalty => Text::new("جریمهٔ دیرکرد", "late-payment penalty"),
        BillItemKind::Adjustment => Text::new("اصلاحیه", "adjustment"),
        BillItemKind::Discount => Text::new("تخفیف", "discount"),
        BillItemKind::InquiryFee => Text::new("هزینهٔ استعلام", "inquiry fee"),
        BillItemKind::Unspecified => Text::new("نامشخص", "unspecified"),
    }
}

/// Whether `tariff` prices `item` for request type `code` and applies at `now_us`.
fn prices(tariff: &Tariff, item: TariffItemKind, code: &str, now_us: i64) -> bool {
    let in_force = tariff
        .effective_from
        .as_ref()
        .is_none_or(|t| t.seconds.saturating_mul(1_000_000) <= now_us);
    in_force
        && tariff.items.iter().any(|i| {
            i.kind == item as i32
                && (item != TariffItemKind::InquiryFee || i.request_type_code == code)
        })
}

/// The first fee item of an active `def` that no tariff in `tariffs` (the current year's)
/// prices now; `None` when every one is priced, or the type is not active (a draft may be
/// stored before its tariff is published).
pub fn unpriced_fee_item(
    def: &RequestTypeDef,
    tariffs: &[Tariff],
    now_us: i64,
) -> Option<BillItemKind> {
    if !def.active {
        return None;
    }
    def.fee_items
        .iter()
        .filter_map(|k| BillItemKind::try_from(*k).ok())
        .find(|kind| {
            tariff_item_of(*kind)
                .is_some_and(|item| !tariffs.iter().any(|t| prices(t, item, &def.code, now_us)))
        })
}

/// Whether a type charging `fee_items` needs the fees service's tariffs checked at all.
pub fn needs_tariffs(def: &RequestTypeDef) -> bool {
    def.active
        && def
            .fee_items
            .iter()
            .filter_map(|k| BillItemKind::try_from(*k).ok())
            .any(|k| tariff_item_of(k).is_some())
}

#[cfg(test)]
mod tests {
    use estelam_proto::fees::v1::TariffItem;

    use super::*;
    use crate::request_types::seeds;

    fn tariff(items: &[(TariffItemKind, &str)], effective_s: i64) -> Tariff {
        Tariff {
            jalali_year: 1405,
            effective_from: Some(prost_types::Timestamp {
                seconds: effective_s,
                nanos: 0,
            }),
            items: items
                .iter()
                .map(|(kind, code)| TariffItem {
                    kind: *kind as i32,
                    request_type_code: (*code).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_inquiry_fee_needs_a_tariff_line_for_the_types_own_code() {
        let court = seeds().into_iter().find(|d| d.code == "court").unwrap();
        let now = 2_000_000_000_000_000;
        let other = tariff(&[(TariffItemKind::InquiryFee, "mortgage")], 0);
        assert_eq!(
            unpriced_fee_item(&court, std::slice::from_ref(&other), now),
            Some(BillItemKind::InquiryFee)
        );
        let own = tariff(&[(TariffItemKind::InquiryFee, "court")], 0);
        assert_eq!(unpriced_fee_item(&court, &[other, own], now), None);
        // Published for later this year: not in force yet.
        let later = tariff(&[(TariffItemKind::InquiryFee, "court")], 3_000_000_000);
        assert_eq!(
            unpriced_fee_item(&court, &[later], now),
            Some(BillItemKind::InquiryFee)
        );
    }

    #[test]
    fn levies_need_their_item_and_inactive_drafts_need_nothing() {
        let mut clearance = seeds().into_iter().find(|d| d.code == "clearance").unwrap();
        let levy = tariff(&[(TariffItemKind::RenewalLevy, "")], 0);
        assert_eq!(
            unpriced_fee_item(&clearance, std::slice::from_ref(&levy), 1),
            Some(BillItemKind::WasteFee)
        );
        let waste = tariff(&[(TariffItemKind::WasteFee, "")], 0);
        assert_eq!(unpriced_fee_item(&clearance, &[levy, waste], 1), None);
        clearance.active = false;
        assert!(!needs_tariffs(&clearance));
        assert_eq!(unpriced_fee_item(&clearance, &[], 1), None);
    }
}
