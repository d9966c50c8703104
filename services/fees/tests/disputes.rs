//! Objections to a levy (اعتراض به عوارض) over real gRPC, on every database backend and
//! every transport: an applicant's inquiry disputes lines of its bill with a reason; the
//! bill's payment holds the disputed amount as a deposit and the parcel is cleared with the
//! dispute pending (the debt-cleared event and the clearance say which); a clerk upholds
//! (write-off and refund) or dismisses (the deposit pays the lines), once; nobody disputes
//! a bill of an inquiry they do not act for.

mod support;

use estelam_fees::clock::Clock;
use estelam_fees::store;
use estelam_fees::store::audit::audit_of;
use estelam_proto::events::v1::DebtCleared;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing;
use prost::Message;
use support::{Collector, Harness, auth, fresh_parcel, noon, residential, transports};
use tonic::Code;

fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

/// A parcel with arrears since 1403 under the demo tariffs, and a bill for inquiry
/// `inquiry` (no inquiry fee), with the positions of its yearly levy lines.
async fn billed_parcel(h: &Harness, inquiry: &str) -> (String, pb::Bill) {
    let code = fresh_parcel();
    h.property.put(residential(&code));
    let mut conn = h.db.pool().acquire().await.expect("connection");
    store::ledger::open_account(&mut conn, &code, 1403, "test: arrears", h.clock.now_us())
        .await
        .expect("open account");
    let bill = h
        .client()
        .assess(auth(
            pb::AssessRequest {
                renovation_code: code.clone(),
                inquiry_id: inquiry.into(),
                client_request_id: format!("assess-{}", testing::unique_suffix()),
                ..Default::default()
            },
            &h.tokens.service,
        ))
        .await
        .expect("assess")
        .into_inner()
        .bill
        .expect("a bill");
    (code, bill)
}

/// Positions of the bill's lines with an amount to dispute.
fn positive_lines(bill: &pb::Bill) -> Vec<i32> {
    bill.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.total_rials > 0 && l.kind != pb::BillItemKind::Discount as i32)
        .map(|(i, _)| i32::try_from(i).expect("few lines"))
        .collect()
}

fn filing(bill: &pb::Bill, inquiry: &str, lines: Vec<i32>, why: &str) -> pb::FileDisputeRequest {
    pb::FileDisputeRequest {
        bill_id: bill.bill_id.clone(),
        inquiry_id: inquiry.into(),
        line_indexes: lines,
        reason: why.into(),
        filed_for_account_id: "citizen-7".into(),
    }
}

/// Pays `bill` in full through the sandbox PSP and returns the confirmed payment.
async fn pay(h: &Harness, bill: &pb::Bill) -> pb::Payment {
    let mut client = h.client();
    let payment = client
        .start_payment(auth(
            pb::StartPaymentRequest {
                bill_id: bill.bill_id.clone(),
                idempotency_key: format!("pay-{}", testing::unique_suffix()),
                return_url: "/inquiries/1".into(),
                amount_rials: bill.total_rials,
            },
            &h.tokens.service,
        ))
        .await
        .expect("start payment")
        .into_inner()
        .payment
        .expect("a payment");
    let callback = client
        .decide_sandbox_payment(auth(
            pb::DecideSandboxPaymentRequest {
                psp_token: payment.psp_token.clone(),
                choice: pb::SandboxChoice::Pay.into(),
            },
            &h.tokens.service,
        ))
        .await
        .expect("decide")
        .into_inner()
        .callback
        .expect("a callback");
    client
        .handle_psp_callback(auth(callback, &h.tokens.service))
        .await
        .expect("callback")
        .into_inner()
        .payment
        .expect("the payment")
}

async fn ledger(h: &Harness, code: &str) -> pb::GetLedgerResponse {
    h.client()
        .get_ledger(auth(
            pb::GetLedgerRequest {
                renovation_code: code.into(),
                page_size: 500,
                ..Default::default()
            },
            &h.tokens.clerk,
        ))
        .await
        .expect("ledger")
        .into_inner()
}

async fn clearance(h: &Harness, code: &str) -> Result<pb::Clearance, tonic::Status> {
    h.client()
        .get_clearance(auth(
            pb::GetClearanceRequest {
                renovation_code: code.into(),
            },
            &h.tokens.service,
        ))
        .await
        .map(|r| r.into_inner().clearance.expect("clearance"))
}

async fn decide(
    h: &Harness,
    id: &str,
    decision: pb::DisputeDecision,
    why: &str,
) -> Result<pb::DecideDisputeResponse, tonic::Status> {
    h.client()
        .decide_dispute(auth(
            pb::DecideDisputeRequest {
                dispute_id: id.into(),
                decision: decision.into(),
                reason: why.into(),
            },
            &h.tokens.clerk,
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filing_is_checked_idempotent_and_only_for_the_bills_inquiry() {
    for tdb in testing::databases("fees_dispute_file", &estelam_fees::migrations())
        .await
        .expect("dbs")
    {
        let ctx = tdb.label;
        let h = Harness::start(
            tdb.db.clone(),
            std::sync::Arc::new(estelam_runtime::bus::MemoryBus::new()),
            noon(1405, 2, 15),
            true,
        )
        .await;
        let mut client = h.client();
        let (_, bill) = billed_parcel(&h, "inq-a").await;
        let lines = positive_lines(&bill);
        assert!(lines.len() >= 2, "{ctx}: arrears bill {:?}", bill.lines);

        // Someone acting for another inquiry does not learn the bill exists.
        let other = client
            .file_dispute(auth(
                filing(&bill, "inq-b", vec![lines[0]], "wrong area"),
                &h.tokens.service,
            ))
            .await
            .expect_err("another inquiry's bill");
        assert_eq!(other.code(), Code::NotFound, "{ctx}");
        // Citizens reach their bills through the inquiry service only.
        let citizen = client
            .file_dispute(auth(
                filing(&bill, "inq-a", vec![lines[0]], "wrong area"),
                &h.tokens.citizen,
            ))
            .await
            .expect_err("a citizen calling fees");
        assert_eq!(citizen.code(), Code::PermissionDenied, "{ctx}");

        // Validation: lines that are not there, no lines, no reason, a bidi override.
        for (lines, why, expected) in [
            (vec![99], "x", "DISPUTE_LINES_INVALID"),
            (vec![-1], "x", "DISPUTE_LINES_INVALID"),
            (vec![], "x", "DISPUTE_LINES_INVALID"),
            (vec![lines[0]], "   ", "REASON_REQUIRED"),
            (
                vec![lines[0]],
                "area \u{202E}wrong",
                "TEXT_CHARACTERS_REFUSED",
            ),
        ] {
            let refused = client
                .file_dispute(auth(filing(&bill, "inq-a", lines, why), &h.tokens.service))
                .await
                .expect_err("invalid filing");
            assert_eq!(refused.code(), Code::InvalidArgument, "{ctx}: {why:?}");
            assert_eq!(reason(&refused), expected, "{ctx}: {why:?}");
        }

        // Filed: the amount is the chosen lines' sum and the reason is cleaned.
        let first = client
            .file_dispute(auth(
                filing(
                    &bill,
                    "inq-a",
                    vec![lines[1], lines[0], lines[0]],
                    "  مساحت  اشتباه  است ",
                ),
                &h.tokens.service,
            ))
            .await
            .expect("file")
            .into_inner()
            .dispute
            .expect("dispute");
        let sum: i64 = [lines[0], lines[1]]
            .iter()
            .map(|i| bill.lines[usize::try_from(*i).expect("index")].total_rials)
            .sum();
        assert_eq!(first.disputed_rials, sum, "{ctx}");
        assert_eq!(first.reason, "مساحت اشتباه است", "{ctx}");
        assert_eq!(
            first.status,
            pb::DisputeStatus::AwaitingDeposit as i32,
            "{ctx}"
        );
        assert_eq!(first.items.len(), 2, "{ctx}");
        assert_eq!(
            first.filed.as_ref().map(|s| s.actor_account_id.as_str()),
            Some("citizen-7"),
            "{ctx}: filed for the applicant"
        );
        // Again with the same lines: the same dispute.
        let again = client
            .file_dispute(auth(
                filing(&bill, "inq-a", vec![lines[0], lines[1]], "another wording"),
                &h.tokens.service,
            ))
            .await
            .expect("file again")
            .into_inner()
            .dispute
            .expect("dispute");
        assert_eq!(again.dispute_id, first.dispute_id, "{ctx}");
        // A line already under a dispute cannot join another one.
        let overlap = client
            .file_dispute(auth(
                filing(&bill, "inq-a", vec![lines[0]], "only this one"),
                &h.tokens.clerk,
            ))
            .await
            .expect_err("one dispute per line");
        assert_eq!(overlap.code(), Code::FailedPrecondition, "{ctx}");
        assert_eq!(reason(&overlap), "DISPUTE_ITEM_ALREADY_DISPUTED", "{ctx}");

        // The bill shows its dispute; an undeposited dispute cannot be decided.
        let shown = client
            .get_bill(auth(
                pb::GetBillRequest {
                    bill_id: bill.bill_id.clone(),
                },
                &h.tokens.service,
            ))
            .await
            .expect("bill")
            .into_inner()
            .bill
            .expect("bill");
        assert_eq!(shown.disputes.len(), 1, "{ctx}");
        let early = decide(&h, &first.dispute_id, pb::DisputeDecision::Uphold, "ok")
            .await
            .expect_err("no deposit yet");
        assert_eq!(reason(&early), "DISPUTE_DEPOSIT_MISSING", "{ctx}");
        let audit = audit_of(
            &mut h.db.pool().acquire().await.expect("conn"),
            &bill.renovation_code,
        )
        .await
        .expect("audit");
        assert!(
            audit.iter().any(|a| a.action == "dispute.filed"),
            "{ctx}: filing audited"
        );
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_clears_and_each_decision_balances_the_ledger() {
    for transport in transports().await {
        for tdb in testing::databases("fees_dispute_deposit", &estelam_fees::migrations())
            .await
            .expect("dbs")
        {
            let ctx = format!("{} on {}", transport.label, tdb.label);
            let queue = format!("test.fees.dispute.{}", testing::unique_suffix());
            let mut events = Collector::new(transport.subscribe(&queue).await);
            let h = Harness::start(
                tdb.db.clone(),
                transport.bus.clone(),
                noon(1405, 2, 15),
                true,
            )
            .await;
            let mut client = h.client();
            for (n, decision) in [pb::DisputeDecision::Uphold, pb::DisputeDecision::Dismiss]
                .into_iter()
                .enumerate()
            {
                let inquiry = format!("inq-{n}-{}", testing::unique_suffix());
                let (code, bill) = billed_parcel(&h, &inquiry).await;
                let lines = positive_lines(&bill);
                let dispute = client
                    .file_dispute(auth(
                        filing(&bill, &inquiry, vec![lines[0]], "the built area is wrong"),
                        &h.tokens.service,
                    ))
                    .await
                    .expect("file")
                    .into_inner()
                    .dispute
                    .expect("dispute");
                let disputed = dispute.disputed_rials;
                assert!(disputed > 0 && disputed < bill.total_rials, "{ctx}");
                // Not cleared before the bill is paid.
                let owed = clearance(&h, &code).await.expect_err("owes");
                assert_eq!(owed.code(), Code::FailedPrecondition, "{ctx}");

                // The whole bill is paid: the disputed part is held as the deposit.
                let payment = pay(&h, &bill).await;
                assert_eq!(payment.status, pb::PaymentStatus::Confirmed as i32, "{ctx}");
                let book = ledger(&h, &code).await;
                assert_eq!(book.balance_rials, 0, "{ctx}: cleared");
                let deposit = book
                    .entries
                    .iter()
                    .find(|e| e.kind == pb::LedgerEntryKind::Deposit as i32)
                    .expect("a deposit entry");
                assert_eq!(deposit.amount_rials, -disputed, "{ctx}");
                let paid = book
                    .entries
                    .iter()
                    .find(|e| e.kind == pb::LedgerEntryKind::Payment as i32)
                    .expect("a payment entry");
                assert_eq!(paid.amount_rials, -(bill.total_rials - disputed), "{ctx}");

                let held = client
                    .get_dispute(auth(
                        pb::GetDisputeRequest {
                            dispute_id: dispute.dispute_id.clone(),
                        },
                        &h.tokens.service,
                    ))
                    .await
                    .expect("dispute")
                    .into_inner()
                    .dispute
                    .expect("dispute");
                assert_eq!(held.status, pb::DisputeStatus::Deposited as i32, "{ctx}");
                assert_eq!(held.deposit_rials, disputed, "{ctx}");
                assert_eq!(deposit.tracking_code, held.deposit_receipt_code, "{ctx}");
                assert_ne!(held.deposit_receipt_code, payment.tracking_code, "{ctx}");

                // Cleared with the dispute pending.
                let cleared = clearance(&h, &code).await.expect("cleared");
                assert_eq!(cleared.pending_disputes.len(), 1, "{ctx}");
                assert_eq!(
                    cleared.pending_disputes[0].dispute_id, dispute.dispute_id,
                    "{ctx}"
                );
                // The debt-cleared event names the dispute and its deposit.
                let bill_id = bill.bill_id.clone();
                events
                    .until("debt cleared with the dispute", |e| {
                        e.routing_key == "fees.debt.cleared"
                            && DebtCleared::decode(e.payload.as_slice())
                                .is_ok_and(|m| m.bill_id == bill_id)
                    })
                    .await;
                let event = events
                    .seen
                    .iter()
                    .rev()
                    .find_map(|e| {
                        DebtCleared::decode(e.payload.as_slice())
                            .ok()
                            .filter(|m| m.bill_id == bill.bill_id)
                    })
                    .expect("the event");
                assert_eq!(event.balance_rials, 0, "{ctx}");
                assert_eq!(event.disputes.len(), 1, "{ctx}");
                assert_eq!(event.disputes[0].deposit_rials, disputed, "{ctx}");
                assert_eq!(
                    event.disputes[0].receipt_code, held.deposit_receipt_code,
                    "{ctx}"
                );
                assert_eq!(event.disputes[0].items_en.len(), 1, "{ctx}");

                // The clerk decides, with a reason; the ledger still balances at zero.
                let no_reason = decide(&h, &dispute.dispute_id, decision, " ")
                    .await
                    .expect_err("reason required");
                assert_eq!(reason(&no_reason), "REASON_REQUIRED", "{ctx}");
                let done = decide(&h, &dispute.dispute_id, decision, "site visit done")
                    .await
                    .expect("decide");
                assert_eq!(done.balance_rials, 0, "{ctx}");
                let decided = done.dispute.expect("dispute");
                let book = ledger(&h, &code).await;
                let kinds: Vec<(i32, i64)> = book
                    .entries
                    .iter()
                    .take(2)
                    .map(|e| (e.kind, e.amount_rials))
                    .collect();
                if decision == pb::DisputeDecision::Uphold {
                    assert_eq!(decided.status, pb::DisputeStatus::Upheld as i32, "{ctx}");
                    assert_eq!(
                        kinds,
                        vec![
                            (pb::LedgerEntryKind::Refund as i32, disputed),
                            (pb::LedgerEntryKind::Adjustment as i32, -disputed),
                        ],
                        "{ctx}: written off and refunded"
                    );
                } else {
                    assert_eq!(decided.status, pb::DisputeStatus::Dismissed as i32, "{ctx}");
                    assert_eq!(
                        kinds,
                        vec![
                            (pb::LedgerEntryKind::Payment as i32, -disputed),
                            (pb::LedgerEntryKind::Deposit as i32, disputed),
                        ],
                        "{ctx}: the deposit paid the lines"
                    );
                }
                assert_eq!(book.balance_rials, 0, "{ctx}");
                let cleared = clearance(&h, &code).await.expect("still cleared");
                assert!(cleared.pending_disputes.is_empty(), "{ctx}");
                // A second decision is refused and changes nothing.
                let twice = decide(
                    &h,
                    &dispute.dispute_id,
                    pb::DisputeDecision::Dismiss,
                    "again",
                )
                .await
                .expect_err("decided once");
                assert_eq!(twice.code(), Code::FailedPrecondition, "{ctx}");
                assert_eq!(reason(&twice), "DISPUTE_ALREADY_DECIDED", "{ctx}");
                assert_eq!(
                    ledger(&h, &code).await.entries.len(),
                    book.entries.len(),
                    "{ctx}"
                );
                // The desk lists it under its outcome.
                let listed = client
                    .list_disputes(auth(
                        pb::ListDisputesRequest {
                            status: decided.status,
                            renovation_code: code.clone(),
                            ..Default::default()
                        },
                        &h.tokens.clerk,
                    ))
                    .await
                    .expect("list")
                    .into_inner();
                assert_eq!(listed.disputes.len(), 1, "{ctx}");
                let citizen = client
                    .list_disputes(auth(pb::ListDisputesRequest::default(), &h.tokens.citizen))
                    .await
                    .expect_err("staff only");
                assert_eq!(citizen.code(), Code::PermissionDenied, "{ctx}");
            }
            h.stop().await;
            transport.cleanup(&queue).await;
        }
    }
}
