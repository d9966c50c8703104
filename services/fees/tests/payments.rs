//! Issue 6's "done when", over real gRPC, on every database backend and every transport:
//! a hand-computed bill for three unpaid years; paying it publishes exactly one
//! `fees.debt.cleared` although the PSP calls back twice and the relay restarts in
//! between; bad callbacks change nothing and are audited; a callback that never comes is
//! settled by reconciliation; two concurrent payments of one bill settle once.

mod support;

use estelam_domain::{CheckCode, CodeKind};
use estelam_fees::clock::Clock;
use estelam_fees::store;
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::events::v1::{DebtAssessed, DebtCleared, PaymentReceived};
use estelam_proto::fees::v1 as pb;
use estelam_runtime::bus::Event;
use estelam_runtime::bus::QueueSpec;
use estelam_runtime::inbox::{Consumer, EventHandler, HandlerError};
use estelam_runtime::testing;
use prost::Message;
use sqlx::{Any, Transaction};
use std::sync::{Arc, Mutex};
use support::{Collector, Harness, auth, fresh_parcel, noon, residential, transports};
use tokio_util::sync::CancellationToken;
use tonic::Code;

/// The test's "now": 15 Ordibehesht 1405, noon in Iran.
fn today() -> i64 {
    noon(1405, 2, 15)
}

fn text(s: &str) -> Option<LocalizedText> {
    Some(LocalizedText {
        fa: s.to_owned(),
        en: s.to_owned(),
    })
}

fn item(
    kind: pb::TariffItemKind,
    basis: pb::TariffBasis,
    rate: i64,
    amount: i64,
    code: &str,
) -> pb::TariffItem {
    pb::TariffItem {
        kind: kind.into(),
        description: text(match kind {
            pb::TariffItemKind::RenewalLevy => "Renewal levy",
            pb::TariffItemKind::WasteFee => "Waste fee",
            _ => "Inquiry fee",
        }),
        basis: basis.into(),
        rate_ppm: rate,
        amount_rials: amount,
        request_type_code: code.to_owned(),
    }
}

/// Residential tariffs of zone 7 for 1403–1405, taking effect today: renewal levy 5 per
/// thousand, waste fee per m² built (10,000 / 12,500 / 15,000), 1.5 % a month late capped at
/// 30 %, a 10 % early-payment discount on the 1405 renewal levy until 1405/03/31, and an
/// inquiry fee of 750,000 for property transfers in 1405.
async fn put_test_tariffs(h: &Harness) {
    let mut client = h.client();
    for (year, waste) in [(1403, 10_000), (1404, 12_500), (1405, 15_000)] {
        let mut items = vec![
            item(
                pb::TariffItemKind::RenewalLevy,
                pb::TariffBasis::AssessedValue,
                5_000,
                0,
                "",
            ),
            item(
                pb::TariffItemKind::WasteFee,
                pb::TariffBasis::BuiltArea,
                0,
                waste,
                "",
            ),
        ];
        let mut discounts = Vec::new();
        if year == 1405 {
            items.push(item(
                pb::TariffItemKind::InquiryFee,
                pb::TariffBasis::Fixed,
                0,
                750_000,
                "property-transfer",
            ));
            discounts.push(pb::DiscountRule {
                description: text("Early payment"),
                applies_to: pb::TariffItemKind::RenewalLevy.into(),
                rate_ppm: 100_000,
                valid_until_jalali: "1405/03/31".into(),
            });
        }
        let tariff = pb::Tariff {
            jalali_year: year,
            effective_from_jalali: "۱۴۰۵/۰۲/۱۵".into(),
            land_use: estelam_proto::property::v1::LandUse::Residential.into(),
            zone: 7,
            items,
            penalty: Some(pb::PenaltyRule {
                monthly_rate_ppm: 15_000,
                cap_ppm: 300_000,
                grace_months: 0,
            }),
            discounts,
            reason: "test tariff".into(),
            ..pb::Tariff::default()
        };
        let current = client
            .list_tariffs(auth(
                pb::ListTariffsRequest {
                    jalali_year: year,
                    land_use: tariff.land_use,
                    zone: 7,
                    ..Default::default()
                },
                &h.tokens.admin,
            ))
            .await
            .expect("list tariffs")
            .into_inner()
            .tariffs
            .first()
            .map_or(0, |t| t.version);
        client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(tariff),
                    expected_version: current,
                    client_request_id: format!("tariff-{year}-{}", testing::unique_suffix()),
                },
                &h.tokens.admin,
            ))
            .await
            .expect("put tariff");
    }
}

/// A parcel with three unpaid years (1403, 1404, 1405) known to both services.
async fn parcel_with_three_unpaid_years(h: &Harness) -> String {
    let code = fresh_parcel();
    h.property.put(residential(&code));
    let mut conn = h.db.pool().acquire().await.expect("connection");
    store::ledger::open_account(
        &mut conn,
        &code,
        1403,
        "test: arrears since 1403",
        h.clock.now_us(),
    )
    .await
    .expect("open account");
    code
}

/// Assesses for an inquiry of `inquiry` (a property transfer), or with no inquiry fee
/// when `inquiry` is empty.
async fn assess(h: &Harness, code: &str, inquiry: &str) -> pb::Bill {
    h.client()
        .assess(auth(
            pb::AssessRequest {
                renovation_code: code.replace('-', "/"),
                request_type_code: if inquiry.is_empty() {
                    ""
                } else {
                    "property-transfer"
                }
                .into(),
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
        .expect("a bill")
}

async fn start(h: &Harness, bill: &pb::Bill, key: &str) -> pb::Payment {
    h.client()
        .start_payment(auth(
            pb::StartPaymentRequest {
                bill_id: bill.bill_id.clone(),
                idempotency_key: key.into(),
                return_url: "https://portal.example/inquiries/1/paid".into(),
                amount_rials: bill.total_rials,
            },
            &h.tokens.service,
        ))
        .await
        .expect("start payment")
        .into_inner()
        .payment
        .expect("a payment")
}

/// The payer chooses on the sandbox PSP page; returns the callback the PSP posts.
async fn decide(
    h: &Harness,
    payment: &pb::Payment,
    choice: pb::SandboxChoice,
) -> pb::HandlePspCallbackRequest {
    h.client()
        .decide_sandbox_payment(auth(
            pb::DecideSandboxPaymentRequest {
                psp_token: payment.psp_token.clone(),
                choice: choice.into(),
            },
            &h.tokens.service,
        ))
        .await
        .expect("decide")
        .into_inner()
        .callback
        .expect("a callback")
}

async fn callback(
    h: &Harness,
    cb: &pb::HandlePspCallbackRequest,
) -> Result<pb::HandlePspCallbackResponse, tonic::Status> {
    h.client()
        .handle_psp_callback(auth(cb.clone(), &h.tokens.service))
        .await
        .map(tonic::Response::into_inner)
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

/// What an inquiry-like consumer saw through the runtime inbox (duplicates removed).
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Event>>>);

#[async_trait::async_trait]
impl EventHandler for Seen {
    async fn handle(
        &self,
        _tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        self.0.lock().expect("seen lock").push(event.clone());
        Ok(())
    }
}

fn decode<M: Message + Default>(e: &Event) -> M {
    M::decode(e.payload.as_slice()).expect("decodes")
}

// Hand-computed figures (see `put_test_tariffs` and `support::residential`):
// assessed value = 200.00 m² × 30,000,000 + 240.50 m² × 18,000,001 = 10,329,000,240.5 rials.
const RENEWAL: i64 = 51_645_001; // 5‰ of it = 51,645,001.2025, rounded down
const WASTE_1403: i64 = 2_405_000; // 240.50 m² × 10,000
const WASTE_1404: i64 = 3_006_250; // 240.50 m² × 12,500
const WASTE_1405: i64 = 3_607_500; // 240.50 m² × 15,000
// On 1405/02/15, 1403's levies are 13 whole months late (from 1404/01/01): 19.5 %.
const PEN_RENEWAL_1403: i64 = 10_070_775; // 51,645,001 × 0.195 = 10,070,775.195
const PEN_WASTE_1403: i64 = 468_975; // 2,405,000 × 0.195
// 1404's are 1 month late (from 1405/01/01): 1.5 %.
const PEN_RENEWAL_1404: i64 = 774_675; // 51,645,001 × 0.015 = 774,675.015
const PEN_WASTE_1404: i64 = 45_093; // 3,006,250 × 0.015 = 45,093.75
const DISCOUNT_1405: i64 = -5_164_500; // 10 % of 51,645,001 = 5,164,500.1
const INQUIRY_FEE: i64 = 750_000;
const TOTAL: i64 = 3 * RENEWAL
    + WASTE_1403
    + WASTE_1404
    + WASTE_1405
    + PEN_RENEWAL_1403
    + PEN_WASTE_1403
    + PEN_RENEWAL_1404
    + PEN_WASTE_1404
    + DISCOUNT_1405
    + INQUIRY_FEE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_unpaid_years_are_billed_as_computed_by_hand_and_paying_clears_the_debt_once() {
    assert_eq!(TOTAL, 170_898_771);
    for transport in transports().await {
        for tdb in testing::databases("fees_pay", &estelam_fees::migrations())
            .await
            .expect("dbs")
        {
            let ctx = format!("{} on {}", transport.label, tdb.label);
            let queue = format!("test.fees.pay.{}", testing::unique_suffix());
            let mut events = Collector::new(transport.subscribe(&queue).await);
            // A consumer as the inquiry service will run one: inbox-deduplicated.
            let consumer_queue = format!("{queue}.consumer");
            let seen = Seen::default();
            let stop_consumer = CancellationToken::new();
            let consumer = Consumer::new(
                tdb.db.clone(),
                transport.bus.clone(),
                QueueSpec::new(&consumer_queue, ["fees.#"]),
                "test-inquiry",
                seen.clone(),
            )
            .spawn(stop_consumer.clone())
            .await
            .expect("consumer");
            let mut h = Harness::start(tdb.db.clone(), transport.bus.clone(), today(), false).await;
            put_test_tariffs(&h).await;
            let code = parcel_with_three_unpaid_years(&h).await;

            let bill = assess(&h, &code, "inquiry-1").await;
            let lines: Vec<(i32, i32, i64, i64, i32)> = bill
                .lines
                .iter()
                .map(|l| {
                    (
                        l.jalali_year,
                        l.kind,
                        l.base_rials,
                        l.penalty_rials,
                        l.months_late,
                    )
                })
                .collect();
            use pb::BillItemKind as K;
            assert_eq!(
                lines,
                vec![
                    (0, K::InquiryFee as i32, INQUIRY_FEE, 0, 0),
                    (1403, K::RenewalLevy as i32, RENEWAL, PEN_RENEWAL_1403, 13),
                    (1403, K::WasteFee as i32, WASTE_1403, PEN_WASTE_1403, 13),
                    (1404, K::RenewalLevy as i32, RENEWAL, PEN_RENEWAL_1404, 1),
                    (1404, K::WasteFee as i32, WASTE_1404, PEN_WASTE_1404, 1),
                    (1405, K::RenewalLevy as i32, RENEWAL, 0, 0),
                    (1405, K::WasteFee as i32, WASTE_1405, 0, 0),
                    (1405, K::Discount as i32, DISCOUNT_1405, 0, 0),
                ],
                "{ctx}"
            );
            assert_eq!(bill.total_rials, TOTAL, "{ctx}");
            assert_eq!(
                bill.total_penalty_rials,
                PEN_RENEWAL_1403 + PEN_WASTE_1403 + PEN_RENEWAL_1404 + PEN_WASTE_1404,
                "{ctx}"
            );
            assert_eq!(bill.status, pb::BillStatus::Open as i32, "{ctx}");
            assert_eq!(bill.renovation_code, code, "{ctx}: canonical code");
            assert_eq!(bill.as_of_jalali, "1405/02/15", "{ctx}");
            // The yearly levies are now debt on the parcel's ledger.
            assert_eq!(
                ledger(&h, &code).await.balance_rials,
                3 * RENEWAL + WASTE_1403 + WASTE_1404 + WASTE_1405,
                "{ctx}"
            );

            // The amount must match the bill exactly.
            let wrong = h
                .client()
                .start_payment(auth(
                    pb::StartPaymentRequest {
                        bill_id: bill.bill_id.clone(),
                        idempotency_key: "k-wrong".into(),
                        return_url: "https://portal.example/back".into(),
                        amount_rials: TOTAL - 1,
                    },
                    &h.tokens.service,
                ))
                .await
                .expect_err("an amount off by one rial is refused");
            assert_eq!(wrong.code(), Code::InvalidArgument, "{ctx}");

            let key = format!("pay-{}", testing::unique_suffix());
            let payment = start(&h, &bill, &key).await;
            assert_eq!(
                start(&h, &bill, &key).await,
                payment,
                "{ctx}: idempotent start"
            );
            assert_eq!(payment.status, pb::PaymentStatus::Pending as i32, "{ctx}");
            assert!(
                payment.redirect_url.contains(&payment.psp_token),
                "{ctx}: {}",
                payment.redirect_url
            );

            let cb = decide(&h, &payment, pb::SandboxChoice::Pay).await;
            let first = callback(&h, &cb).await.expect("first callback");
            let paid = first.payment.expect("payment");
            assert_eq!(paid.status, pb::PaymentStatus::Confirmed as i32, "{ctx}");
            let tracking = CheckCode::parse(CodeKind::Tracking, &paid.tracking_code)
                .expect("a tracking code with a valid check digit");
            assert!(
                first.redirect_url.contains(tracking.as_str()),
                "{ctx}: {}",
                first.redirect_url
            );
            assert!(
                first
                    .redirect_url
                    .starts_with("https://portal.example/inquiries/1/paid?"),
                "{ctx}"
            );

            events
                .until(&format!("{ctx}: debt.cleared"), |e| {
                    e.routing_key == "fees.debt.cleared"
                        && decode::<DebtCleared>(e).bill_id == bill.bill_id
                })
                .await;

            // The relay restarts (the process died and came back), then the PSP calls back
            // again: with its idempotency key, and once more without it.
            h.stop_service().await;
            h.serve().await;
            let again = callback(&h, &cb)
                .await
                .expect("duplicate callback")
                .payment
                .expect("payment");
            assert_eq!(again, paid, "{ctx}: a duplicate changes nothing");
            let mut no_key = cb.clone();
            no_key.idempotency_key.clear();
            let again = callback(&h, &no_key)
                .await
                .expect("late duplicate")
                .payment
                .expect("payment");
            assert_eq!(again, paid, "{ctx}: a late duplicate changes nothing");

            // A sentinel after the duplicates: the parcel assessed again (nothing owed now).
            let after = assess(&h, &code, "").await;
            assert_eq!(after.total_rials, 0, "{ctx}: nothing left to pay");
            assert_eq!(
                after.status,
                pb::BillStatus::Paid as i32,
                "{ctx}: a zero bill is paid at once"
            );
            events
                .until(&format!("{ctx}: sentinel"), |e| {
                    e.routing_key == "fees.debt.assessed"
                        && decode::<DebtAssessed>(e).bill_id == after.bill_id
                })
                .await;

            let of_bill = |key: &str| -> Vec<&Event> {
                events
                    .seen
                    .iter()
                    .filter(|e| e.routing_key == key)
                    .filter(|e| match key {
                        "fees.debt.cleared" => decode::<DebtCleared>(e).bill_id == bill.bill_id,
                        "fees.payment.received" => {
                            decode::<PaymentReceived>(e).bill_id == bill.bill_id
                        }
                        _ => decode::<DebtAssessed>(e).bill_id == bill.bill_id,
                    })
                    .collect()
            };
            // Delivery is at least once (a relay that restarts may publish a row again), so
            // the raw queue may repeat an event, but never carries a second one.
            let ids = |key: &str| -> Vec<String> {
                let mut ids: Vec<String> = of_bill(key).iter().map(|e| e.id.clone()).collect();
                ids.dedup();
                ids
            };
            assert_eq!(
                ids("fees.debt.cleared").len(),
                1,
                "{ctx}: one debt.cleared event"
            );
            assert_eq!(ids("fees.payment.received").len(), 1, "{ctx}");
            assert_eq!(ids("fees.debt.assessed").len(), 1, "{ctx}");
            let cleared = of_bill("fees.debt.cleared");
            // And a consumer sees it exactly once.
            testing::eventually(
                &format!("{ctx}: the consumer saw the sentinel"),
                support::DEADLINE,
                async || {
                    seen.0.lock().expect("seen").iter().any(|e| {
                        e.routing_key == "fees.debt.assessed"
                            && decode::<DebtAssessed>(e).bill_id == after.bill_id
                    })
                },
            )
            .await;
            let consumed = seen
                .0
                .lock()
                .expect("seen")
                .iter()
                .filter(|e| {
                    e.routing_key == "fees.debt.cleared"
                        && decode::<DebtCleared>(e).bill_id == bill.bill_id
                })
                .count();
            assert_eq!(
                consumed, 1,
                "{ctx}: the consumer cleared the debt exactly once"
            );
            stop_consumer.cancel();
            consumer
                .await
                .expect("consumer task")
                .expect("consumer ended");
            let message: DebtCleared = decode(cleared[0]);
            assert_eq!(
                message.event_id, cleared[0].id,
                "{ctx}: Event.id is the proto event_id"
            );
            assert_eq!(
                cleared[0].message_type, "estelam.events.v1.DebtCleared",
                "{ctx}"
            );
            assert_eq!(message.renovation_code, code, "{ctx}");
            assert_eq!(message.inquiry_id, "inquiry-1", "{ctx}");
            assert_eq!(message.payment_id, paid.payment_id, "{ctx}");
            assert_eq!(message.tracking_code, paid.tracking_code, "{ctx}");
            assert_eq!(message.amount_rials, TOTAL, "{ctx}");
            assert_eq!(message.balance_rials, 0, "{ctx}");
            assert!(message.occurred_at.is_some(), "{ctx}");

            // The ledger: charges, penalties, discount, fee and one payment; balance 0.
            let book = ledger(&h, &code).await;
            assert_eq!(book.balance_rials, 0, "{ctx}");
            assert_eq!(
                book.entries.first().map(|e| e.balance_after_rials),
                Some(0),
                "{ctx}"
            );
            let payments: Vec<_> = book
                .entries
                .iter()
                .filter(|e| e.kind == pb::LedgerEntryKind::Payment as i32)
                .collect();
            assert_eq!(payments.len(), 1, "{ctx}: counted once");
            assert_eq!(payments[0].amount_rials, -TOTAL, "{ctx}");
            assert_eq!(payments[0].tracking_code, paid.tracking_code, "{ctx}");
            assert_eq!(
                book.entries.iter().map(|e| e.amount_rials).sum::<i64>(),
                0,
                "{ctx}"
            );

            // The receipt: the bill is paid with the tracking code; clearance is issued.
            let stored = h
                .client()
                .get_bill(auth(
                    pb::GetBillRequest {
                        bill_id: bill.bill_id.clone(),
                    },
                    &h.tokens.clerk,
                ))
                .await
                .expect("bill")
                .into_inner()
                .bill
                .expect("bill");
            assert_eq!(stored.status, pb::BillStatus::Paid as i32, "{ctx}");
            assert_eq!(stored.tracking_code, paid.tracking_code, "{ctx}");
            let clearance = h
                .client()
                .get_clearance(auth(
                    pb::GetClearanceRequest {
                        renovation_code: code.clone(),
                    },
                    &h.tokens.service,
                ))
                .await
                .expect("clearance")
                .into_inner()
                .clearance
                .expect("clearance");
            assert_eq!(clearance.balance_rials, 0, "{ctx}");
            assert_eq!(clearance.settled_through_jalali_year, 1405, "{ctx}");
            assert_eq!(clearance.last_tracking_code, paid.tracking_code, "{ctx}");

            // Paying the paid bill again is refused.
            let again = h
                .client()
                .start_payment(auth(
                    pb::StartPaymentRequest {
                        bill_id: bill.bill_id.clone(),
                        idempotency_key: "another".into(),
                        return_url: "https://portal.example/back".into(),
                        amount_rials: TOTAL,
                    },
                    &h.tokens.service,
                ))
                .await
                .expect_err("already paid");
            assert_eq!(again.code(), Code::FailedPrecondition, "{ctx}");

            h.stop().await;
            transport.cleanup(&queue).await;
            transport.cleanup(&consumer_queue).await;
            tdb.cleanup().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_wrong_amount_callback_changes_nothing_is_audited_and_reconciliation_settles_the_lost_one()
 {
    for transport in transports().await {
        for tdb in testing::databases("fees_forged", &estelam_fees::migrations())
            .await
            .expect("dbs")
        {
            let ctx = format!("{} on {}", transport.label, tdb.label);
            let h = Harness::start(tdb.db.clone(), transport.bus.clone(), today(), false).await;
            put_test_tariffs(&h).await;
            let code = parcel_with_three_unpaid_years(&h).await;
            let bill = assess(&h, &code, "").await;
            let payment = start(&h, &bill, &format!("k-{}", testing::unique_suffix())).await;
            let cb = decide(&h, &payment, pb::SandboxChoice::Pay).await;
            let before = ledger(&h, &code).await;

            let mut forged = cb.clone();
            let flipped = if forged.signature.starts_with('0') {
                "1"
            } else {
                "0"
            };
            forged.signature.replace_range(0..1, flipped);
            let err = callback(&h, &forged).await.expect_err("bad signature");
            assert_eq!(err.code(), Code::InvalidArgument, "{ctx}");

            // Validly signed (someone holding the secret), but for another amount.
            let mut wrong = cb.clone();
            wrong
                .fields
                .insert("amount".into(), (TOTAL + 1_000).to_string());
            let fields = wrong.fields.clone().into_iter().collect();
            wrong.signature = estelam_fees::psp::sign(support::TEST_PSP_SECRET.as_bytes(), &fields)
                .expect("sign");
            wrong.idempotency_key = "another-delivery".into();
            let err = callback(&h, &wrong).await.expect_err("wrong amount");
            assert_eq!(err.code(), Code::InvalidArgument, "{ctx}");

            // Nothing changed: the payment is pending, the ledger and bill as they were.
            let now = h
                .client()
                .get_payment(auth(
                    pb::GetPaymentRequest {
                        payment_id: payment.payment_id.clone(),
                    },
                    &h.tokens.clerk,
                ))
                .await
                .expect("payment")
                .into_inner()
                .payment
                .expect("payment");
            assert_eq!(now.status, pb::PaymentStatus::Pending as i32, "{ctx}");
            assert_eq!(ledger(&h, &code).await, before, "{ctx}: ledger untouched");
            // And both were audited.
            let mut conn = h.db.pool().acquire().await.expect("connection");
            let by_token = store::audit::audit_of(&mut conn, &payment.psp_token)
                .await
                .expect("audit");
            assert!(
                by_token
                    .iter()
                    .any(|a| a.outcome == "refused: bad signature"),
                "{ctx}: {by_token:?}"
            );
            let by_payment = store::audit::audit_of(&mut conn, &payment.payment_id)
                .await
                .expect("audit");
            assert!(
                by_payment
                    .iter()
                    .any(|a| a.outcome.starts_with("refused: amount")),
                "{ctx}: {by_payment:?}"
            );
            drop(conn); // the pool only closes once every connection is back

            // The genuine callback never arrives; reconciliation asks the sandbox bank.
            h.clock.advance(20 * 60 * 1_000_000);
            let run = h
                .client()
                .reconcile_payments(auth(
                    pb::ReconcilePaymentsRequest::default(),
                    &h.tokens.admin,
                ))
                .await
                .expect("reconcile")
                .into_inner();
            assert_eq!((run.checked, run.confirmed), (1, 1), "{ctx}: {run:?}");
            let settled = ledger(&h, &code).await;
            assert_eq!(settled.balance_rials, 0, "{ctx}");
            // The callback arriving late now changes nothing.
            let late = callback(&h, &cb)
                .await
                .expect("late callback")
                .payment
                .expect("payment");
            assert_eq!(late.status, pb::PaymentStatus::Confirmed as i32, "{ctx}");
            assert_eq!(ledger(&h, &code).await, settled, "{ctx}");

            h.stop().await;
            tdb.cleanup().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_payments_of_one_bill_settle_once_and_the_other_is_reversed() {
    for transport in transports().await {
        for tdb in testing::databases("fees_race", &estelam_fees::migrations())
            .await
            .expect("dbs")
        {
            let ctx = format!("{} on {}", transport.label, tdb.label);
            let h = Harness::start(tdb.db.clone(), transport.bus.clone(), today(), false).await;
            put_test_tariffs(&h).await;
            let code = parcel_with_three_unpaid_years(&h).await;
            let bill = assess(&h, &code, "").await;
            // The payer opened the bill in two tabs and paid in both.
            let a = start(&h, &bill, &format!("a-{}", testing::unique_suffix())).await;
            let b = start(&h, &bill, &format!("b-{}", testing::unique_suffix())).await;
            assert_ne!(a.payment_id, b.payment_id, "{ctx}");
            let cb_a = decide(&h, &a, pb::SandboxChoice::Pay).await;
            let cb_b = decide(&h, &b, pb::SandboxChoice::Pay).await;
            let (ra, rb) = tokio::join!(callback(&h, &cb_a), callback(&h, &cb_b));
            let statuses = {
                let mut s = vec![
                    ra.expect("a answered").payment.expect("a").status,
                    rb.expect("b answered").payment.expect("b").status,
                ];
                s.sort_unstable();
                s
            };
            assert_eq!(
                statuses,
                vec![
                    pb::PaymentStatus::Confirmed as i32,
                    pb::PaymentStatus::Reversed as i32
                ],
                "{ctx}"
            );
            let book = ledger(&h, &code).await;
            assert_eq!(
                book.entries
                    .iter()
                    .filter(|e| e.kind == pb::LedgerEntryKind::Payment as i32)
                    .count(),
                1,
                "{ctx}: counted once"
            );
            assert_eq!(book.balance_rials, 0, "{ctx}");
            // The simulated bank gave the second payer's money back.
            let states = {
                let mut s = Vec::new();
                for p in [&a, &b] {
                    let txn = h
                        .client()
                        .get_sandbox_payment(auth(
                            pb::GetSandboxPaymentRequest {
                                psp_token: p.psp_token.clone(),
                            },
                            &h.tokens.service,
                        ))
                        .await
                        .expect("sandbox payment")
                        .into_inner()
                        .payment
                        .expect("payment");
                    s.push(txn.state);
                }
                s.sort();
                s
            };
            assert_eq!(
                states,
                vec!["paid".to_owned(), "reversed".to_owned()],
                "{ctx}"
            );

            let mut conn = h.db.pool().acquire().await.expect("connection");
            let cleared: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE routing_key = 'fees.debt.cleared'",
            )
            .fetch_one(&mut *conn)
            .await
            .expect("count");
            assert_eq!(cleared, 1, "{ctx}: one debt.cleared written");
            drop(conn); // the pool only closes once every connection is back

            h.stop().await;
            tdb.cleanup().await;
        }
    }
}
