//! Between the wire and the fee model: bills, payments, ledger entries, tariffs and
//! proposals to protobuf, and a published tariff's fields back, refused field by field.

use super::*;

pub(super) fn text(fa: &str, en: &str) -> Option<LocalizedText> {
    Some(LocalizedText {
        fa: fa.to_owned(),
        en: en.to_owned(),
    })
}

pub(super) fn line_kind_from_pb(k: i32) -> Result<LineKind, ServiceError> {
    pb::BillItemKind::try_from(k)
        .ok()
        .and_then(codes::line_kind)
        .ok_or_else(errors::item_kind_invalid)
}

pub(super) fn bill_to_pb(b: &Bill, now_us: i64) -> pb::Bill {
    pb::Bill {
        bill_id: b.bill_id.clone(),
        renovation_code: b.renovation_code.clone(),
        inquiry_id: b.inquiry_id.clone(),
        request_type_code: b.request_type_code.clone(),
        status: i32::try_from(effective_bill_status(b, now_us)).unwrap_or(0),
        lines: b.lines.iter().map(line_to_pb).collect(),
        total_base_rials: b.total_base,
        total_penalty_rials: b.total_penalty,
        total_rials: b.total,
        as_of: Some(timestamp(b.as_of_us)),
        as_of_jalali: b.as_of_jalali.clone(),
        created_at: (!b.bill_id.is_empty()).then(|| timestamp(b.created_at_us)),
        valid_until: Some(timestamp(b.valid_until_us)),
        payment_id: b.payment_id.clone(),
        tracking_code: b.tracking_code.clone(),
        paid_at: b.paid_at_us.map(timestamp),
        disputes: Vec::new(),
    }
}

pub(super) fn line_to_pb(l: &Line) -> pb::BillLine {
    pb::BillLine {
        jalali_year: l.year,
        kind: codes::bill_item_kind(l.kind).into(),
        description: text(&l.description_fa, &l.description_en),
        base_rials: l.base,
        penalty_rials: l.penalty,
        total_rials: l.total,
        months_late: l.months_late,
        tariff_id: l.tariff_id.clone(),
    }
}

pub(super) fn dispute_to_pb(v: &DisputeView) -> pb::Dispute {
    let d = &v.dispute;
    pb::Dispute {
        dispute_id: d.dispute_id.clone(),
        bill_id: d.bill_id.clone(),
        renovation_code: d.renovation_code.clone(),
        inquiry_id: d.inquiry_id.clone(),
        items: v
            .lines
            .iter()
            .map(|(i, l)| pb::DisputedItem {
                line_index: i32::try_from(*i).unwrap_or(i32::MAX),
                line: Some(line_to_pb(l)),
            })
            .collect(),
        disputed_rials: d.disputed,
        reason: d.reason.clone(),
        status: i32::try_from(d.status).unwrap_or(0),
        filed: stamp(&d.filed_by, d.filed_at_us),
        deposit_rials: d.deposit,
        deposit_receipt_code: d.deposit_receipt_code.clone(),
        deposit_payment_id: d.deposit_payment_id.clone(),
        deposited_at: d.deposited_at_us.map(timestamp),
        decided: d.decided_at_us.and_then(|at| stamp(&d.decided_by, at)),
        decision_reason: d.decision_reason.clone(),
    }
}

pub(super) fn decision_from_pb(d: i32) -> Option<Decision> {
    match pb::DisputeDecision::try_from(d).ok()? {
        pb::DisputeDecision::Uphold => Some(Decision::Uphold),
        pb::DisputeDecision::Dismiss => Some(Decision::Dismiss),
        pb::DisputeDecision::Unspecified => None,
    }
}

pub(super) fn payment_to_pb(p: &Payment) -> pb::Payment {
    pb::Payment {
        payment_id: p.payment_id.clone(),
        bill_id: p.bill_id.clone(),
        renovation_code: p.renovation_code.clone(),
        amount_rials: p.amount,
        status: i32::try_from(p.status).unwrap_or(0),
        provider: p.provider.clone(),
        redirect_url: p.redirect_url.clone(),
        psp_token: p.psp_token.clone(),
        return_url: p.return_url.clone(),
        tracking_code: p.tracking_code.clone(),
        psp_reference: p.psp_reference.clone(),
        failure_reason: (!p.failure_fa.is_empty()).then(|| LocalizedText {
            fa: p.failure_fa.clone(),
            en: p.failure_en.clone(),
        }),
        created_at: Some(timestamp(p.created_at_us)),
        confirmed_at: p.confirmed_at_us.map(timestamp),
    }
}

pub(super) fn entry_to_pb(e: &Entry) -> pb::LedgerEntry {
    pb::LedgerEntry {
        ledger_entry_id: e.ledger_entry_id.clone(),
        kind: i32::try_from(e.kind).unwrap_or(0),
        item_kind: i32::try_from(e.item_kind).unwrap_or(0),
        jalali_year: e.jalali_year,
        amount_rials: e.amount,
        balance_after_rials: e.balance_after,
        description: text(&e.description_fa, &e.description_en),
        bill_id: e.bill_id.clone(),
        payment_id: e.payment_id.clone(),
        tracking_code: e.tracking_code.clone(),
        reason: e.reason.clone(),
        corrects_ledger_entry_id: e.corrects.clone(),
        recorded: Some(AuditStamp {
            actor_account_id: e.actor_id.clone(),
            actor_display_name: String::new(),
            at: Some(timestamp(e.recorded_at_us)),
        }),
    }
}

pub(super) fn item_kind_from_pb(k: i32, field: &str) -> Result<ItemKind, ServiceError> {
    pb::TariffItemKind::try_from(k)
        .ok()
        .and_then(codes::item_kind)
        .ok_or_else(|| errors::tariff_item_kind_invalid(field))
}

pub(super) fn basis_from_pb(b: i32, field: &str) -> Result<Basis, ServiceError> {
    pb::TariffBasis::try_from(b)
        .ok()
        .and_then(codes::basis)
        .ok_or_else(|| errors::tariff_basis_invalid(field))
}

pub(super) fn tariff_to_pb(t: &Tariff) -> pb::Tariff {
    pb::Tariff {
        tariff_id: t.tariff_id.clone(),
        jalali_year: t.jalali_year,
        effective_from_jalali: t.effective_from.to_string(),
        effective_from: Some(timestamp(t.effective_from_us)),
        land_use: t.land_use,
        zone: t.zone,
        items: t
            .rules
            .items
            .iter()
            .map(|i| pb::TariffItem {
                kind: codes::tariff_item_kind(i.kind).into(),
                description: text(&i.description_fa, &i.description_en),
                basis: codes::tariff_basis(i.basis).into(),
                rate_ppm: i.rate_ppm,
                amount_rials: i.amount_rials,
                request_type_code: i.request_type_code.clone(),
            })
            .collect(),
        penalty: Some(pb::PenaltyRule {
            monthly_rate_ppm: t.rules.penalty.monthly_rate_ppm,
            cap_ppm: t.rules.penalty.cap_ppm,
            grace_months: t.rules.penalty.grace_months,
        }),
        discounts: t
            .rules
            .discounts
            .iter()
            .map(|d| pb::DiscountRule {
                description: text(&d.description_fa, &d.description_en),
                applies_to: codes::tariff_item_kind(d.applies_to).into(),
                rate_ppm: d.rate_ppm,
                valid_until_jalali: d.valid_until.to_string(),
            })
            .collect(),
        version: t.version,
        reason: t.reason.clone(),
        changed: Some(AuditStamp {
            actor_account_id: t.actor_id.clone(),
            actor_display_name: String::new(),
            at: Some(timestamp(t.created_at_us)),
        }),
    }
}

pub(super) fn date(field: &str, input: &str) -> Result<JalaliDate, ServiceError> {
    JalaliDate::parse(input).map_err(|e| errors::jalali_date_invalid(field, &e))
}

/// A bill line's description in both languages, each cleaned as free text; `path` names the
/// field in a refusal.
pub(super) fn line_description(
    path: &str,
    text: estelam_proto::common::v1::LocalizedText,
) -> Result<(String, String), ServiceError> {
    Ok((
        errors::clean(errors::LINE_DESCRIPTION, &format!("{path}.fa"), &text.fa)?,
        errors::clean(errors::LINE_DESCRIPTION, &format!("{path}.en"), &text.en)?,
    ))
}

pub(super) fn tariff_from_pb(t: pb::Tariff) -> Result<NewTariff, ServiceError> {
    let mut items = Vec::new();
    for (i, item) in t.items.into_iter().enumerate() {
        let (description_fa, description_en) = line_description(
            &format!("tariff.items[{i}].description"),
            item.description.unwrap_or_default(),
        )?;
        items.push(TariffItem {
            kind: item_kind_from_pb(item.kind, &format!("tariff.items[{i}].kind"))?,
            description_fa,
            description_en,
            basis: basis_from_pb(item.basis, &format!("tariff.items[{i}].basis"))?,
            rate_ppm: item.rate_ppm,
            amount_rials: item.amount_rials,
            request_type_code: item.request_type_code.trim().to_owned(),
        });
    }
    let mut discounts = Vec::new();
    for (i, d) in t.discounts.into_iter().enumerate() {
        let (description_fa, description_en) = line_description(
            &format!("tariff.discounts[{i}].description"),
            d.description.unwrap_or_default(),
        )?;
        discounts.push(DiscountRule {
            description_fa,
            description_en,
            applies_to: item_kind_from_pb(
                d.applies_to,
                &format!("tariff.discounts[{i}].applies_to"),
            )?,
            rate_ppm: d.rate_ppm,
            valid_until: date(
                &format!("tariff.discounts[{i}].valid_until_jalali"),
                &d.valid_until_jalali,
            )?,
        });
    }
    let penalty = t.penalty.unwrap_or_default();
    Ok(NewTariff {
        jalali_year: t.jalali_year,
        effective_from: date("tariff.effective_from_jalali", &t.effective_from_jalali)?,
        land_use: t.land_use,
        zone: t.zone,
        rules: TariffRules {
            items,
            penalty: PenaltyRule {
                monthly_rate_ppm: penalty.monthly_rate_ppm,
                cap_ppm: penalty.cap_ppm,
                grace_months: penalty.grace_months,
            },
            discounts,
        },
        reason: t.reason,
    })
}

pub(super) fn stamp(actor: &str, at_us: i64) -> Option<AuditStamp> {
    Some(AuditStamp {
        actor_account_id: actor.to_owned(),
        actor_display_name: String::new(),
        at: Some(timestamp(at_us)),
    })
}

pub(super) fn proposal_to_pb(p: &Proposal) -> pb::AdjustmentProposal {
    pb::AdjustmentProposal {
        proposal_id: p.proposal_id.clone(),
        renovation_code: p.renovation_code.clone(),
        kind: i32::try_from(p.kind).unwrap_or(0),
        amount_rials: p.amount,
        jalali_year: p.jalali_year,
        reason: p.reason.clone(),
        corrects_ledger_entry_id: p.corrects.clone(),
        status: i32::try_from(p.status).unwrap_or(0),
        proposed: stamp(&p.proposed_by, p.proposed_at_us),
        decided: p.decided_at_us.and_then(|at| stamp(&p.decided_by, at)),
        decision_reason: p.decision_reason.clone(),
        ledger_entry_id: p.ledger_entry_id.clone(),
    }
}

pub(super) fn charge_to_pb(c: &AccountCharge) -> pb::AccountCharge {
    pb::AccountCharge {
        charge_id: c.charge_id.clone(),
        account_id: c.account_id.clone(),
        inquiry_id: c.inquiry_id.clone(),
        request_type_code: c.request_type_code.clone(),
        renovation_code: c.renovation_code.clone(),
        amount_rials: c.amount,
        description: text(&c.description_fa, &c.description_en),
        tariff_id: c.tariff_id.clone(),
        charged_at: Some(timestamp(c.charged_at_us)),
        reversed_at: (c.reversed_at_us != 0).then(|| timestamp(c.reversed_at_us)),
    }
}

pub(super) fn sandbox_to_pb(t: &SandboxTxn) -> pb::SandboxPayment {
    pb::SandboxPayment {
        psp_token: t.token.clone(),
        payment_id: t.payment_id.clone(),
        amount_rials: t.amount,
        state: t.state.clone(),
        psp_reference: t.reference.clone(),
    }
}
