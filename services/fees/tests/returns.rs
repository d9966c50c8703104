//! Issue 16, point 4, at the fees service over real gRPC on every database backend: a
//! payment returns only to the portal. A path is put on the portal's public address, an
//! address elsewhere is refused with its reason, and the sandbox bank sends the payer back
//! only to the resolved address.

mod support;

use estelam_fees::clock::Clock;
use estelam_fees::store;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::bus::MemoryBus;
use estelam_runtime::error::ServiceError;
use estelam_runtime::testing;
use std::sync::Arc;
use support::{Harness, PORTAL, auth, fresh_parcel, noon, residential};
use tonic::Code;

async fn bill(h: &Harness) -> pb::Bill {
    let code = fresh_parcel();
    h.property.put(residential(&code));
    let mut conn = h.db.pool().acquire().await.expect("connection");
    store::ledger::open_account(&mut conn, &code, 1403, "test: arrears", h.clock.now_us())
        .await
        .expect("open account");
    drop(conn);
    let bill = h
        .client()
        .assess(auth(
            pb::AssessRequest {
                renovation_code: code.replace('-', "/"),
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
    assert!(bill.total_rials > 0, "the demo tariffs give arrears to pay");
    bill
}

async fn start(
    h: &Harness,
    bill: &pb::Bill,
    return_url: &str,
) -> Result<pb::Payment, tonic::Status> {
    h.client()
        .start_payment(auth(
            pb::StartPaymentRequest {
                bill_id: bill.bill_id.clone(),
                idempotency_key: format!("k-{}", testing::unique_suffix()),
                return_url: return_url.into(),
                amount_rials: bill.total_rials,
            },
            &h.tokens.service,
        ))
        .await
        .map(|r| r.into_inner().payment.expect("a payment"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_returns_only_to_the_portal() {
    for tdb in testing::databases("fees_returns", &estelam_fees::migrations())
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
        let bill = bill(&h).await;

        for (evil, reason) in [
            ("https://evil.example/phish", "RETURN_URL_NOT_ALLOWED"),
            ("//evil.example/inquiries/1", "RETURN_URL_NOT_ALLOWED"),
            (
                "https://portal.example@evil.example/",
                "RETURN_URL_NOT_ALLOWED",
            ),
            ("javascript:alert(1)", "RETURN_URL_NOT_ALLOWED"),
            ("/\\evil.example", "RETURN_URL_INVALID"),
        ] {
            let err = start(&h, &bill, evil).await.expect_err(evil);
            assert_eq!(err.code(), Code::InvalidArgument, "{ctx}: {evil}");
            assert_eq!(
                ServiceError::from_status(&err).reason,
                reason,
                "{ctx}: {evil}"
            );
            assert!(
                err.message().contains("portal") || err.message().contains("return URL"),
                "{ctx}: the message says what to send: {}",
                err.message()
            );
        }

        let payment = start(&h, &bill, "/inquiries/42")
            .await
            .expect("a portal path");
        assert_eq!(
            payment.return_url,
            format!("{PORTAL}/inquiries/42"),
            "{ctx}"
        );
        let cb = h
            .client()
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
        let back = h
            .client()
            .handle_psp_callback(auth(cb, &h.tokens.service))
            .await
            .expect("callback")
            .into_inner();
        assert!(
            back.redirect_url
                .starts_with(&format!("{PORTAL}/inquiries/42?payment_id=")),
            "{ctx}: the bank sends the payer home: {}",
            back.redirect_url
        );
        h.stop().await;
        tdb.cleanup().await;
    }
}
