//! Authority accounts over real gRPC: an inquiry fee charged to an inquiring authority's
//! account once per inquiry, at the tariff in force for the parcel, and the account's
//! statement; who may charge and read; bad input refused with a reason.

mod support;

use estelam_proto::fees::v1 as pb;
use estelam_runtime::bus::MemoryBus;
use estelam_runtime::testing;
use std::sync::Arc;
use support::{Harness, auth, fresh_parcel, noon, residential};
use tonic::Code;

fn charge(account: &str, inquiry: &str, code: &str) -> pb::ChargeAccountRequest {
    pb::ChargeAccountRequest {
        account_id: account.into(),
        inquiry_id: inquiry.into(),
        request_type_code: "property-transfer".into(),
        renovation_code: code.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_is_charged_once_per_inquiry_and_reads_its_statement() {
    for tdb in testing::databases("fees_accounts", &estelam_fees::migrations())
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
        let notary = format!("org-notary-{}", testing::unique_suffix());
        let bank = format!("org-bank-{}", testing::unique_suffix());

        // Only the inquiry service (service role) charges.
        for token in [&h.tokens.clerk, &h.tokens.citizen, &h.tokens.admin] {
            let denied = client
                .charge_account(auth(charge(&notary, "inq-1", &code), token))
                .await
                .expect_err("only the service role charges");
            assert_eq!(denied.code(), Code::PermissionDenied, "{ctx}");
        }

        let first = client
            .charge_account(auth(charge(&notary, "inq-1", &code), &h.tokens.service))
            .await
            .expect("charged")
            .into_inner();
        let c1 = first.charge.expect("charge");
        assert!(c1.amount_rials > 0, "{ctx}: the demo fee: {c1:?}");
        assert_eq!(c1.account_id, notary);
        assert_eq!(c1.renovation_code, code);
        assert!(!c1.tariff_id.is_empty(), "{ctx}: from a tariff");
        assert_eq!(first.balance_rials, c1.amount_rials, "{ctx}");

        // Asked again for the same inquiry (a retry): the first charge, no second one.
        let again = client
            .charge_account(auth(charge(&notary, "inq-1", &code), &h.tokens.service))
            .await
            .expect("again")
            .into_inner();
        assert_eq!(
            again.charge.as_ref().unwrap().charge_id,
            c1.charge_id,
            "{ctx}"
        );
        assert_eq!(again.balance_rials, c1.amount_rials, "{ctx}");

        client
            .charge_account(auth(charge(&notary, "inq-2", &code), &h.tokens.service))
            .await
            .expect("a second inquiry");
        client
            .charge_account(auth(charge(&bank, "inq-3", &code), &h.tokens.service))
            .await
            .expect("another authority");

        // The statement: the notary's two charges, newest first, and their sum.
        let statement = client
            .get_account_statement(auth(
                pb::GetAccountStatementRequest {
                    account_id: notary.clone(),
                    page_size: 10,
                    page_token: String::new(),
                },
                &h.tokens.clerk,
            ))
            .await
            .expect("the clerk reads it")
            .into_inner();
        let inquiries: Vec<&str> = statement
            .charges
            .iter()
            .map(|c| c.inquiry_id.as_str())
            .collect();
        assert_eq!(inquiries, ["inq-2", "inq-1"], "{ctx}");
        assert_eq!(statement.balance_rials, 2 * c1.amount_rials, "{ctx}");
        let denied = client
            .get_account_statement(auth(
                pb::GetAccountStatementRequest {
                    account_id: notary.clone(),
                    ..Default::default()
                },
                &h.tokens.citizen,
            ))
            .await
            .expect_err("not for citizens");
        assert_eq!(denied.code(), Code::PermissionDenied, "{ctx}");

        // Bad input: a clear reason, nothing charged.
        for (request, field) in [
            (charge("", "inq-9", &code), "account_id"),
            (charge(&notary, "", &code), "inquiry_id"),
            (charge(&notary, "inq-9", "not-a-code"), "renovation_code"),
            (
                pb::ChargeAccountRequest {
                    request_type_code: "no-such-type".into(),
                    ..charge(&notary, "inq-9", &code)
                },
                "request_type_code",
            ),
        ] {
            let err = client
                .charge_account(auth(request, &h.tokens.service))
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::InvalidArgument, "{ctx}: {field}: {err:?}");
            assert!(
                String::from_utf8_lossy(err.details()).contains(field),
                "{ctx}: names {field}: {err:?}"
            );
        }
        let after = client
            .get_account_statement(auth(
                pb::GetAccountStatementRequest {
                    account_id: notary.clone(),
                    ..Default::default()
                },
                &h.tokens.service,
            ))
            .await
            .expect("statement")
            .into_inner();
        assert_eq!(
            after.charges.len(),
            2,
            "{ctx}: nothing charged for refusals"
        );
        h.stop().await;
        tdb.cleanup().await;
    }
}
