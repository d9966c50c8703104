//! Property test: random sequences of assessments, payments (some paid twice, some
//! cancelled), clerk adjustments and the passing of time keep the ledger's invariants:
//! the balance is the sum of the entries, each entry's balance-after is the running sum,
//! a payment is counted once, a bill is cleared once, and a fully paid bill leaves
//! nothing owed but carried credit. SQLite always, PostgreSQL too when configured.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use estelam_domain::{RenovationCode, Rial};
use estelam_fees::clock::{Clock, ManualClock};
use estelam_fees::codes;
use estelam_fees::parcels::{Facts, ParcelFacts};
use estelam_fees::psp::{Choice, SandboxPsp};
use estelam_fees::service::{AdjustmentArgs, AssessArgs, Fees};
use estelam_fees::store::{bills, ledger};
use estelam_runtime::config::FeesSettings;
use estelam_runtime::db::Database;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing;
use proptest::prelude::*;

struct FixedFacts;

#[async_trait]
impl ParcelFacts for FixedFacts {
    async fn facts(&self, code: &RenovationCode) -> Result<Facts, ServiceError> {
        Ok(Facts {
            renovation_code: *code,
            land_use: 1,
            zone: 1,
            land_area_dm2: 15_075,
            built_area_dm2: 22_033,
            land_value_per_m2: Rial::new(12_345_678),
            building_value_per_m2: Rial::new(9_876_543),
        })
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Assess (optionally with an inquiry fee) and keep the bill.
    Assess { with_fee: bool },
    /// Pay the last bill; `twice` delivers the callback again.
    Pay { twice: bool },
    /// Start paying the last bill and cancel at the PSP.
    Cancel,
    /// A clerk adjustment.
    Adjust { amount: i64 },
    /// Days pass.
    Wait { days: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(|with_fee| Op::Assess { with_fee }),
        3 => any::<bool>().prop_map(|twice| Op::Pay { twice }),
        1 => Just(Op::Cancel),
        2 => (-80_000_000i64..80_000_000).prop_filter("non-zero", |a| *a != 0).prop_map(|amount| Op::Adjust { amount }),
        2 => (1i64..200).prop_map(|days| Op::Wait { days }),
    ]
}

const DAY_US: i64 = 86_400 * 1_000_000;

async fn check_invariants(db: &Database, code: &str, ctx: &str) {
    let mut conn = db.pool().acquire().await.expect("connection");
    let entries = ledger::entries(&mut conn, code, 100_000, None)
        .await
        .expect("entries");
    let balance = ledger::balance(&mut conn, code).await.expect("balance");
    let mut running = 0i64;
    for e in entries.iter().rev() {
        running += e.amount;
        assert_eq!(
            e.balance_after, running,
            "{ctx}: balance-after of entry {} is the running sum",
            e.seq
        );
    }
    assert_eq!(balance, running, "{ctx}: balance = sum of entries");
    let payments: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_entries WHERE renovation_code = $1 AND kind = $2",
    )
    .bind(code)
    .bind(codes::ENTRY_PAYMENT)
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    let confirmed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE renovation_code = $1 AND status = $2 AND amount_rials <> 0")
        .bind(code)
        .bind(codes::PAY_CONFIRMED)
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(
        payments, confirmed,
        "{ctx}: each confirmed payment counted once"
    );
    let paid_by_payment: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bills WHERE renovation_code = $1 AND status = $2 AND payment_id <> ''")
        .bind(code)
        .bind(codes::BILL_PAID)
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(
        paid_by_payment, confirmed,
        "{ctx}: a bill is paid by at most one payment"
    );
}

async fn run(db: &Database, ops: Vec<Op>) {
    let clock = Arc::new(ManualClock::at(
        (1_760_000_000 + rand::random_range(0..30_000_000)) * 1_000_000,
    ));
    let secret = secrecy::SecretString::from("test-only-sandbox-psp-secret");
    let sandbox = Arc::new(SandboxPsp::new(db.clone(), secret, "http://psp.test"));
    let fees = Fees::new(
        db.clone(),
        clock.clone(),
        Arc::new(FixedFacts),
        Vec::new(),
        FeesSettings::default(),
    )
    .with_sandbox(sandbox.clone());
    let code = format!(
        "9-{}-{}-1-0-0",
        rand::random_range(1..99_999u32),
        rand::random_range(1..99_999u32)
    );
    let mut conn = db.pool().acquire().await.expect("connection");
    ledger::open_account(&mut conn, &code, 1402, "proptest", clock.now_us())
        .await
        .expect("account");
    drop(conn);
    let mut last_bill: Option<bills::Bill> = None;
    for (i, op) in ops.iter().enumerate() {
        let ctx = format!("step {i} {op:?}");
        match op {
            Op::Assess { with_fee } => {
                let a = fees
                    .assess(
                        "",
                        AssessArgs {
                            renovation_code: code.clone(),
                            request_type_code: if *with_fee {
                                "mortgage".into()
                            } else {
                                String::new()
                            },
                            ..AssessArgs::default()
                        },
                    )
                    .await
                    .expect("assess");
                assert!(a.bill.total >= 0, "{ctx}: never negative");
                last_bill = Some(a.bill);
            }
            Op::Pay { twice } => {
                let Some(bill) = &last_bill else { continue };
                let key = format!("k{i}");
                let Ok(p) = fees
                    .start_payment(&bill.bill_id, &key, "https://x/", bill.total)
                    .await
                else {
                    continue; // paid, superseded or expired: refused, nothing to check
                };
                let (_, cb) = sandbox
                    .decide(&p.psp_token, Choice::Pay)
                    .await
                    .expect("decide");
                let fields: BTreeMap<String, String> = cb.fields.clone();
                let paid = fees
                    .handle_callback("", "sandbox", &fields, &cb.signature, &cb.idempotency_key)
                    .await
                    .expect("callback");
                if *twice {
                    let again = fees
                        .handle_callback("", "sandbox", &fields, &cb.signature, "")
                        .await
                        .expect("again");
                    assert_eq!(again, paid, "{ctx}: a duplicate changes nothing");
                }
                if paid.status == codes::PAY_CONFIRMED {
                    let carried_credit = bill.lines.iter().any(|l| l.base < 0 && l.year == 0);
                    let mut conn = db.pool().acquire().await.expect("connection");
                    let balance = ledger::balance(&mut conn, &code).await.expect("balance");
                    if carried_credit {
                        assert!(balance <= 0, "{ctx}: only credit is left, got {balance}");
                    } else {
                        assert_eq!(balance, 0, "{ctx}: a paid bill leaves nothing owed");
                    }
                }
            }
            Op::Cancel => {
                let Some(bill) = &last_bill else { continue };
                let Ok(p) = fees
                    .start_payment(&bill.bill_id, &format!("c{i}"), "https://x/", bill.total)
                    .await
                else {
                    continue;
                };
                let (_, cb) = sandbox
                    .decide(&p.psp_token, Choice::Cancel)
                    .await
                    .expect("decide");
                let failed = fees
                    .handle_callback(
                        "",
                        "sandbox",
                        &cb.fields,
                        &cb.signature,
                        &cb.idempotency_key,
                    )
                    .await
                    .expect("callback");
                assert_eq!(failed.status, codes::PAY_FAILED, "{ctx}");
            }
            Op::Adjust { amount } => {
                fees.add_adjustment(
                    "clerk",
                    AdjustmentArgs {
                        renovation_code: code.clone(),
                        amount: *amount,
                        reason: "proptest".into(),
                        ..AdjustmentArgs::default()
                    },
                )
                .await
                .expect("adjust");
            }
            Op::Wait { days } => clock.advance(days * DAY_US),
        }
        check_invariants(db, &code, &ctx).await;
    }
    let mut conn = db.pool().acquire().await.expect("connection");
    let cleared: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE routing_key = 'fees.debt.cleared' AND payload IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    let paid: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM bills WHERE status = $1 AND payment_id <> ''")
            .bind(codes::BILL_PAID)
            .fetch_one(&mut *conn)
            .await
            .expect("count");
    assert_eq!(cleared, paid, "one debt.cleared per bill paid by a payment");
}

#[test]
fn random_histories_keep_the_ledger_invariants() {
    // One runtime for everything: a pool's connections belong to the runtime that opened them.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stores = rt
        .block_on(testing::databases(
            "fees_props",
            &estelam_fees::migrations(),
        ))
        .expect("dbs");
    for tdb in &stores {
        rt.block_on(estelam_fees::seed::seed_demo(&tdb.db, 0))
            .expect("seed");
        let cases = if tdb.label == "sqlite" { 64 } else { 16 };
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
        runner
            .run(&proptest::collection::vec(op(), 1..25), |ops| {
                rt.block_on(run(&tdb.db, ops));
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", tdb.label));
    }
    for tdb in stores {
        rt.block_on(tdb.cleanup());
    }
}
