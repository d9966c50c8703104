//! Paging over real gRPC, on every database backend: the ledger, an authority's statement and
//! the tariff list come a page at a time with opaque tokens bound to their filters; a row
//! added between two pages never shifts the next page; a token from another list, or one
//! that was tampered with, is refused with a reason.

mod support;

use estelam_proto::fees::v1 as pb;
use estelam_runtime::bus::MemoryBus;
use estelam_runtime::error::ServiceError;
use estelam_runtime::{paging, testing};
use std::sync::Arc;
use support::{Harness, auth, fresh_parcel, noon, residential};
use tonic::Code;

async fn adjust(h: &Harness, code: &str, amount: i64) {
    h.client()
        .add_adjustment(auth(
            pb::AddAdjustmentRequest {
                renovation_code: code.into(),
                amount_rials: amount,
                reason: format!("paging test {amount}"),
                ..Default::default()
            },
            &h.tokens.clerk,
        ))
        .await
        .expect("adjustment");
}

async fn ledger_page(
    h: &Harness,
    code: &str,
    size: i32,
    token: &str,
) -> Result<pb::GetLedgerResponse, tonic::Status> {
    h.client()
        .get_ledger(auth(
            pb::GetLedgerRequest {
                renovation_code: code.into(),
                page_size: size,
                page_token: token.into(),
            },
            &h.tokens.clerk,
        ))
        .await
        .map(tonic::Response::into_inner)
}

fn reason(status: &tonic::Status) -> String {
    ServiceError::from_status(status).reason
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_tokens_bound_to_their_filters() {
    for tdb in testing::databases("fees_paging", &estelam_fees::migrations())
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

        // The ledger: five adjustments, read two at a time, newest first.
        let code = fresh_parcel();
        let other = fresh_parcel();
        for amount in 1..=5 {
            adjust(&h, &code, amount * 1_000).await;
        }
        adjust(&h, &other, 7).await;
        let first = ledger_page(&h, &code, 2, "").await.expect("page 1");
        let amounts = |r: &pb::GetLedgerResponse| -> Vec<i64> {
            r.entries.iter().map(|e| e.amount_rials).collect()
        };
        assert_eq!(amounts(&first), [5_000, 4_000], "{ctx}");
        assert_eq!(first.balance_rials, 15_000, "{ctx}");
        assert!(!first.next_page_token.is_empty(), "{ctx}: more follow");
        // Appended between two pages: the next page goes on where the first ended.
        adjust(&h, &code, 6_000).await;
        let second = ledger_page(&h, &code, 2, &first.next_page_token)
            .await
            .expect("page 2");
        assert_eq!(amounts(&second), [3_000, 2_000], "{ctx}");
        let third = ledger_page(&h, &code, 2, &second.next_page_token)
            .await
            .expect("page 3");
        assert_eq!(amounts(&third), [1_000], "{ctx}");
        assert!(
            third.next_page_token.is_empty(),
            "{ctx}: the last page has no token"
        );
        let whole = ledger_page(&h, &code, 0, "").await.expect("default size");
        assert_eq!(whole.entries.len(), 6, "{ctx}: the default page holds all");
        assert!(whole.next_page_token.is_empty(), "{ctx}");

        // A token of one parcel's ledger does not page another's; nor does a forged key.
        let foreign = ledger_page(&h, &other, 2, &first.next_page_token)
            .await
            .expect_err("another parcel's token");
        assert_eq!(foreign.code(), Code::InvalidArgument, "{ctx}");
        assert_eq!(reason(&foreign), "PAGE_TOKEN_INVALID", "{ctx}");
        let canonical = code.clone();
        let forged = paging::encode("not-a-position", &format!("ledger:{canonical}"));
        let forged = ledger_page(&h, &code, 2, &forged)
            .await
            .expect_err("a forged key");
        assert_eq!(reason(&forged), "PAGE_TOKEN_INVALID", "{ctx}");
        let clear_offset = ledger_page(&h, &code, 2, "o2")
            .await
            .expect_err("the old clear-text offsets are not tokens");
        assert_eq!(reason(&clear_offset), "PAGE_TOKEN_INVALID", "{ctx}");
        let negative = ledger_page(&h, &code, -1, "")
            .await
            .expect_err("a negative size");
        assert_eq!(reason(&negative), "PAGE_SIZE_NEGATIVE", "{ctx}");

        // An authority's statement: three charges, two at a time, newest first.
        let parcel = fresh_parcel();
        h.property.put(residential(&parcel));
        let notary = format!("org-notary-{}", testing::unique_suffix());
        let bank = format!("org-bank-{}", testing::unique_suffix());
        for (i, account) in [&notary, &notary, &notary, &bank].into_iter().enumerate() {
            // A distinct instant each, as charges come one after another.
            h.clock.advance(1_000_000);
            h.client()
                .charge_account(auth(
                    pb::ChargeAccountRequest {
                        account_id: account.clone(),
                        inquiry_id: format!("inq-{i}-{}", testing::unique_suffix()),
                        request_type_code: "property-transfer".into(),
                        renovation_code: parcel.clone(),
                    },
                    &h.tokens.service,
                ))
                .await
                .expect("charged");
        }
        let statement = |account: String, size: i32, token: String| {
            let mut client = h.client();
            let staff = h.tokens.clerk.clone();
            async move {
                client
                    .get_account_statement(auth(
                        pb::GetAccountStatementRequest {
                            account_id: account,
                            page_size: size,
                            page_token: token,
                        },
                        &staff,
                    ))
                    .await
                    .map(tonic::Response::into_inner)
            }
        };
        let s1 = statement(notary.clone(), 2, String::new())
            .await
            .expect("statement page 1");
        let s2 = statement(notary.clone(), 2, s1.next_page_token.clone())
            .await
            .expect("statement page 2");
        let inquiries: Vec<&str> = s1
            .charges
            .iter()
            .chain(&s2.charges)
            .map(|c| c.inquiry_id.as_str())
            .collect();
        assert_eq!(inquiries.len(), 3, "{ctx}: {inquiries:?}");
        assert!(inquiries[0].starts_with("inq-2-"), "{ctx}: newest first");
        assert!(inquiries[2].starts_with("inq-0-"), "{ctx}");
        assert!(s2.next_page_token.is_empty(), "{ctx}");
        assert_eq!(s1.balance_rials, s2.balance_rials, "{ctx}");
        let wrong = statement(bank.clone(), 2, s1.next_page_token.clone())
            .await
            .expect_err("another account's token");
        assert_eq!(reason(&wrong), "PAGE_TOKEN_INVALID", "{ctx}");

        // The tariff list: the demo tariffs read three at a time are the list read at once.
        let tariffs = |year: i32, size: i32, token: String| {
            let mut client = h.client();
            let staff = h.tokens.clerk.clone();
            async move {
                client
                    .list_tariffs(auth(
                        pb::ListTariffsRequest {
                            jalali_year: year,
                            page_size: size,
                            page_token: token,
                            ..Default::default()
                        },
                        &staff,
                    ))
                    .await
                    .map(tonic::Response::into_inner)
            }
        };
        let all = tariffs(0, 500, String::new()).await.expect("all tariffs");
        assert!(all.tariffs.len() > 3, "{ctx}: the demo tariffs");
        let mut paged = Vec::new();
        let mut token = String::new();
        loop {
            let page = tariffs(0, 3, token).await.expect("a page of tariffs");
            assert!(page.tariffs.len() <= 3, "{ctx}");
            paged.extend(page.tariffs);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, all.tariffs, "{ctx}: the same list, page by page");
        let first_page = tariffs(0, 3, String::new()).await.expect("page 1");
        let other_year = tariffs(1405, 3, first_page.next_page_token)
            .await
            .expect_err("a token of another filter");
        assert_eq!(reason(&other_year), "PAGE_TOKEN_INVALID", "{ctx}");

        h.stop().await;
        tdb.cleanup().await;
    }
}
