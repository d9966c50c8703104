//! The staff desk's fee work over real gRPC, on every database backend: a draft tariff's
//! bill preview is the bill the parcel gets once the draft is published; an adjustment above
//! the second-approval limit changes nothing until a second staff member approves it, its
//! proposer cannot approve it, a refusal needs a reason; every step is audited.

mod support;

use std::sync::Arc;

use estelam_fees::store::audit::audit_of;
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::auth::Role;
use estelam_runtime::bus::MemoryBus;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing;
use support::{Harness, auth, fresh_parcel, noon, residential};
use tonic::Code;

fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

/// A residential zone-7 tariff for 1405 with only a renewal levy at `rate_ppm`.
fn draft(from: &str, rate_ppm: i64) -> pb::Tariff {
    pb::Tariff {
        jalali_year: 1405,
        effective_from_jalali: from.into(),
        land_use: 1,
        zone: 7,
        items: vec![pb::TariffItem {
            kind: pb::TariffItemKind::RenewalLevy.into(),
            description: Some(LocalizedText {
                fa: "عوارض نوسازی".into(),
                en: "Renewal levy".into(),
            }),
            basis: pb::TariffBasis::AssessedValue.into(),
            rate_ppm,
            ..Default::default()
        }],
        penalty: Some(pb::PenaltyRule::default()),
        reason: "مصوبهٔ شورا ۱۴۰۵/۱۲".into(),
        ..Default::default()
    }
}

/// What a person reads on a bill line, without the tariff id (a preview's lines say
/// `draft`).
fn lines(bill: &pb::Bill) -> Vec<(i32, i32, i64, i64, i64)> {
    bill.lines
        .iter()
        .map(|l| {
            (
                l.jalali_year,
                l.kind,
                l.base_rials,
                l.penalty_rials,
                l.total_rials,
            )
        })
        .collect()
}

fn renewal(bill: &pb::Bill) -> &pb::BillLine {
    bill.lines
        .iter()
        .find(|l| l.kind == pb::BillItemKind::RenewalLevy as i32)
        .expect("a renewal levy line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_previewed_tariff_bills_as_previewed_once_published() {
    for tdb in testing::databases("fees_desk_tariff", &estelam_fees::migrations())
        .await
        .expect("dbs")
    {
        let ctx = tdb.label;
        let h = Harness::start(
            tdb.db.clone(),
            Arc::new(MemoryBus::new()),
            noon(1405, 2, 15),
            true,
        )
        .await;
        let mut client = h.client();
        let code = fresh_parcel();
        h.property.put(residential(&code));
        let preview = |t: pb::Tariff, token: &str| {
            auth(
                pb::PreviewTariffRequest {
                    tariff: Some(t),
                    renovation_code: code.clone(),
                    request_type_code: String::new(),
                },
                token,
            )
        };

        // Who may preview: staff, not a citizen; a draft is checked as publishing checks it.
        let citizen = client
            .preview_tariff(preview(draft("1405/02/15", 9_000), &h.tokens.citizen))
            .await
            .expect_err("citizens do not draft tariffs");
        assert_eq!(citizen.code(), Code::PermissionDenied, "{ctx}");
        let mut far_zone = draft("1405/02/15", 9_000);
        far_zone.zone = 100_000;
        let refused = client
            .preview_tariff(preview(far_zone, &h.tokens.clerk))
            .await
            .expect_err("no renovation code names zone 100000");
        assert_eq!(refused.code(), Code::InvalidArgument, "{ctx}");
        assert_eq!(reason(&refused), "TARIFF_SCOPE_INVALID", "{ctx}");
        let past = client
            .preview_tariff(preview(draft("1405/02/14", 9_000), &h.tokens.clerk))
            .await
            .expect_err("yesterday");
        assert_eq!(reason(&past), "TARIFF_EFFECTIVE_IN_PAST", "{ctx}");

        // The preview: the bill under the demo tariffs beside the one with the draft.
        let before = client
            .assess(auth(
                pb::AssessRequest {
                    renovation_code: code.clone(),
                    preview: true,
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect("bill now")
            .into_inner()
            .bill
            .expect("bill");
        let previewed = client
            .preview_tariff(preview(draft("1405/02/15", 9_000), &h.tokens.clerk))
            .await
            .expect("preview")
            .into_inner();
        let with_draft = previewed.bill.expect("bill with the draft");
        let current = previewed.current.expect("bill without it");
        assert_eq!(
            lines(&current),
            lines(&before),
            "{ctx}: nothing published yet"
        );
        assert!(
            with_draft.bill_id.is_empty(),
            "{ctx}: a preview stores nothing"
        );
        assert_eq!(renewal(&with_draft).tariff_id, "draft", "{ctx}");
        assert_ne!(
            renewal(&with_draft).total_rials,
            renewal(&current).total_rials,
            "{ctx}: the draft's rate moves the renewal levy"
        );
        // 9 per thousand of the assessed value instead of the demo's 5: within a rial of
        // 9/5 of today's levy (each is rounded down on its own line).
        let (now_base, draft_base) = (
            renewal(&current).base_rials,
            renewal(&with_draft).base_rials,
        );
        assert!(
            (draft_base * 5 - now_base * 9).abs() <= 9,
            "{ctx}: {draft_base} against {now_base}"
        );
        let nothing = client
            .assess(auth(
                pb::AssessRequest {
                    renovation_code: code.clone(),
                    preview: true,
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect("bill still")
            .into_inner()
            .bill
            .expect("bill");
        assert_eq!(
            lines(&nothing),
            lines(&before),
            "{ctx}: a preview publishes nothing"
        );

        // Published (by an admin; a clerk may not), the next bill is the preview.
        let clerk_publish = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(draft("1405/02/15", 9_000)),
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect_err("clerks read tariffs, admins publish them");
        assert_eq!(clerk_publish.code(), Code::PermissionDenied, "{ctx}");
        let latest = client
            .list_tariffs(auth(
                pb::ListTariffsRequest {
                    jalali_year: 1405,
                    land_use: 1,
                    zone: 7,
                    ..Default::default()
                },
                &h.tokens.admin,
            ))
            .await
            .expect("list")
            .into_inner()
            .tariffs
            .iter()
            .filter(|t| t.land_use == 1 && t.zone == 7)
            .map(|t| t.version)
            .max()
            .unwrap_or(0);
        let published = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(draft("1405/02/15", 9_000)),
                    expected_version: latest,
                    client_request_id: "desk-publish-1".into(),
                },
                &h.tokens.admin,
            ))
            .await
            .expect("published")
            .into_inner()
            .tariff
            .expect("tariff");
        let bill = client
            .assess(auth(
                pb::AssessRequest {
                    renovation_code: code.clone(),
                    client_request_id: format!("desk-bill-{code}"),
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect("the next bill")
            .into_inner()
            .bill
            .expect("bill");
        assert!(!bill.bill_id.is_empty(), "{ctx}: stored");
        assert_eq!(
            lines(&bill),
            lines(&with_draft),
            "{ctx}: the bill is the preview"
        );
        assert_eq!(bill.total_rials, with_draft.total_rials, "{ctx}");
        assert_eq!(renewal(&bill).tariff_id, published.tariff_id, "{ctx}");

        // The publication is audited with who and what.
        let mut conn = h.db.pool().acquire().await.expect("conn");
        let audit = audit_of(&mut conn, &published.tariff_id)
            .await
            .expect("audit");
        assert_eq!(audit.len(), 1, "{ctx}: {audit:?}");
        assert_eq!(audit[0].action, "tariff.put", "{ctx}");
        assert_eq!(audit[0].actor_id, "admin-1", "{ctx}");
        assert!(
            audit[0].detail.contains("9000"),
            "{ctx}: {}",
            audit[0].detail
        );
        drop(conn);
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_adjustment_waits_for_a_second_staff_member() {
    for tdb in testing::databases("fees_desk_adjust", &estelam_fees::migrations())
        .await
        .expect("dbs")
    {
        let ctx = tdb.label;
        let h = Harness::start(
            tdb.db.clone(),
            Arc::new(MemoryBus::new()),
            noon(1405, 2, 15),
            true,
        )
        .await;
        let mut client = h.client();
        let clerk_2 = h.mint.token("clerk-2", &[Role::Clerk]);
        let code = fresh_parcel();
        h.property.put(residential(&code));
        let adjust = |kind: pb::AdjustmentKind, amount: i64, key: &str| {
            auth(
                pb::AddAdjustmentRequest {
                    renovation_code: code.clone(),
                    amount_rials: amount,
                    reason: "  سند  پرداخت  دستی ".into(),
                    client_request_id: key.into(),
                    kind: kind.into(),
                    ..Default::default()
                },
                &h.tokens.clerk,
            )
        };
        let balance = |token: String| {
            let mut client = h.client();
            let code = code.clone();
            async move {
                client
                    .get_ledger(auth(
                        pb::GetLedgerRequest {
                            renovation_code: code,
                            ..Default::default()
                        },
                        &token,
                    ))
                    .await
                    .expect("ledger")
                    .into_inner()
                    .balance_rials
            }
        };
        let bill_total = |token: String| {
            let mut client = h.client();
            let code = code.clone();
            async move {
                client
                    .assess(auth(
                        pb::AssessRequest {
                            renovation_code: code,
                            preview: true,
                            ..Default::default()
                        },
                        &token,
                    ))
                    .await
                    .expect("bill")
                    .into_inner()
                    .bill
                    .expect("bill")
                    .total_rials
            }
        };

        // Within the limit (100,000,000 rials by default) a correction applies at once, its
        // reason cleaned.
        let small = client
            .add_adjustment(adjust(pb::AdjustmentKind::Correction, 5_000_000, "a1"))
            .await
            .expect("small correction")
            .into_inner();
        let entry = small.entry.expect("applied at once");
        assert!(small.proposal.is_none(), "{ctx}");
        assert_eq!(entry.reason, "سند پرداخت دستی", "{ctx}: cleaned");
        assert_eq!(small.balance_rials, 5_000_000, "{ctx}");
        let bill_before = bill_total(h.tokens.clerk.clone()).await;

        // A discount must be a credit.
        let wrong_sign = client
            .add_adjustment(adjust(pb::AdjustmentKind::Discount, 7_000, "bad"))
            .await
            .expect_err("a discount that charges");
        assert_eq!(reason(&wrong_sign), "ADJUSTMENT_KIND_INVALID", "{ctx}");

        // Above the limit a write-off is only proposed: the ledger and the bill stay.
        let proposed = client
            .add_adjustment(adjust(pb::AdjustmentKind::WriteOff, -150_000_000, "a2"))
            .await
            .expect("proposed")
            .into_inner();
        assert!(proposed.entry.is_none(), "{ctx}: nothing written");
        let proposal = proposed.proposal.expect("a proposal");
        assert_eq!(
            proposal.status,
            pb::AdjustmentProposalStatus::Pending as i32,
            "{ctx}"
        );
        assert_eq!(proposed.balance_rials, 5_000_000, "{ctx}");
        assert_eq!(balance(h.tokens.clerk.clone()).await, 5_000_000, "{ctx}");
        assert_eq!(
            bill_total(h.tokens.clerk.clone()).await,
            bill_before,
            "{ctx}"
        );
        let again = client
            .add_adjustment(adjust(pb::AdjustmentKind::WriteOff, -150_000_000, "a2"))
            .await
            .expect("retried")
            .into_inner();
        assert_eq!(
            again.proposal.map(|p| p.proposal_id),
            Some(proposal.proposal_id.clone()),
            "{ctx}: a retry is the same proposal"
        );

        // The queue shows it to staff, not to a citizen.
        let queue = client
            .list_adjustment_proposals(auth(
                pb::ListAdjustmentProposalsRequest {
                    status: pb::AdjustmentProposalStatus::Pending.into(),
                    ..Default::default()
                },
                &h.tokens.admin,
            ))
            .await
            .expect("queue")
            .into_inner()
            .proposals;
        assert_eq!(
            queue.iter().map(|p| &p.proposal_id).collect::<Vec<_>>(),
            vec![&proposal.proposal_id],
            "{ctx}"
        );
        let citizen = client
            .list_adjustment_proposals(auth(
                pb::ListAdjustmentProposalsRequest::default(),
                &h.tokens.citizen,
            ))
            .await
            .expect_err("citizen");
        assert_eq!(citizen.code(), Code::PermissionDenied, "{ctx}");
        let decide = |id: &str, approve: bool, why: &str, token: &str| {
            auth(
                pb::DecideAdjustmentRequest {
                    proposal_id: id.to_owned(),
                    approve,
                    reason: why.to_owned(),
                },
                token,
            )
        };
        let citizen_decides = client
            .decide_adjustment(decide(&proposal.proposal_id, true, "", &h.tokens.citizen))
            .await
            .expect_err("citizen");
        assert_eq!(citizen_decides.code(), Code::PermissionDenied, "{ctx}");

        // Its proposer cannot approve it, and is told why.
        let own = client
            .decide_adjustment(decide(&proposal.proposal_id, true, "", &h.tokens.clerk))
            .await
            .expect_err("the proposer's own approval");
        assert_eq!(own.code(), Code::FailedPrecondition, "{ctx}");
        assert_eq!(reason(&own), "ADJUSTMENT_SELF_APPROVAL", "{ctx}");
        assert_eq!(balance(h.tokens.clerk.clone()).await, 5_000_000, "{ctx}");

        // Another clerk approves: now it is in the ledger and the bill.
        let approved = client
            .decide_adjustment(decide(&proposal.proposal_id, true, "", &clerk_2))
            .await
            .expect("approved")
            .into_inner();
        let written = approved.entry.expect("written on approval");
        assert_eq!(written.amount_rials, -150_000_000, "{ctx}");
        assert_eq!(approved.balance_rials, 5_000_000 - 150_000_000, "{ctx}");
        let decided = approved.proposal.expect("proposal");
        assert_eq!(
            decided.status,
            pb::AdjustmentProposalStatus::Approved as i32,
            "{ctx}"
        );
        assert_eq!(decided.ledger_entry_id, written.ledger_entry_id, "{ctx}");
        assert_eq!(
            decided.decided.map(|d| d.actor_account_id),
            Some("clerk-2".to_owned()),
            "{ctx}"
        );
        assert_eq!(
            balance(h.tokens.clerk.clone()).await,
            5_000_000 - 150_000_000,
            "{ctx}"
        );
        assert!(
            bill_total(h.tokens.clerk.clone()).await < bill_before,
            "{ctx}: the write-off reaches the bill"
        );
        let twice = client
            .decide_adjustment(decide(&proposal.proposal_id, true, "", &h.tokens.admin))
            .await
            .expect_err("decided once");
        assert_eq!(reason(&twice), "ADJUSTMENT_ALREADY_DECIDED", "{ctx}");

        // A refusal needs a reason, and leaves the ledger as it was.
        let discount = client
            .add_adjustment(adjust(pb::AdjustmentKind::Discount, -200_000_000, "a3"))
            .await
            .expect("proposed discount")
            .into_inner()
            .proposal
            .expect("a proposal");
        let bare = client
            .decide_adjustment(decide(&discount.proposal_id, false, " ", &h.tokens.admin))
            .await
            .expect_err("a refusal without a reason");
        assert_eq!(bare.code(), Code::InvalidArgument, "{ctx}");
        let refused = client
            .decide_adjustment(decide(
                &discount.proposal_id,
                false,
                "no council resolution",
                &h.tokens.admin,
            ))
            .await
            .expect("refused")
            .into_inner();
        assert!(refused.entry.is_none(), "{ctx}");
        assert_eq!(
            refused.proposal.map(|p| p.status),
            Some(pb::AdjustmentProposalStatus::Refused as i32),
            "{ctx}"
        );
        assert_eq!(
            balance(h.tokens.clerk.clone()).await,
            5_000_000 - 150_000_000,
            "{ctx}"
        );

        // Every step is audited, with who did it.
        let canonical = proposal.renovation_code.clone();
        let mut conn = h.db.pool().acquire().await.expect("conn");
        let audit = audit_of(&mut conn, &canonical).await.expect("audit");
        let steps: Vec<(String, String, bool)> = audit
            .iter()
            .map(|a| {
                (
                    a.action.clone(),
                    a.actor_id.clone(),
                    a.outcome.starts_with("refused"),
                )
            })
            .collect();
        let want = |action: &str, actor: &str, refused: bool| {
            (action.to_owned(), actor.to_owned(), refused)
        };
        assert_eq!(
            steps,
            vec![
                want("ledger.adjustment", "clerk-1", false),
                want("adjustment.proposed", "clerk-1", false),
                want("adjustment.approved", "clerk-1", true),
                want("adjustment.approved", "clerk-2", false),
                want("adjustment.proposed", "clerk-1", false),
                want("adjustment.refused", "admin-1", false),
            ],
            "{ctx}: {audit:?}"
        );
        drop(conn);
        h.stop().await;
    }
}
