//! The API's guards over real gRPC: who may call what, tariffs that apply only from their
//! effective date with an audit trail and optimistic versions, and the demo tariffs.

mod support;

use estelam_proto::common::v1::LocalizedText;
use estelam_proto::fees::v1 as pb;
use estelam_runtime::bus::MemoryBus;
use estelam_runtime::testing;
use std::sync::Arc;
use support::{Harness, auth, fresh_parcel, noon, residential};
use tonic::Code;

fn renewal_tariff(year: i32, from: &str, rate_ppm: i64) -> pb::Tariff {
    pb::Tariff {
        jalali_year: year,
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
        reason: "council resolution".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_tariffs_and_demo_data() {
    for tdb in testing::databases("fees_api", &estelam_fees::migrations())
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
        let assess = |token: &str| {
            auth(
                pb::AssessRequest {
                    renovation_code: code.clone(),
                    preview: true,
                    ..Default::default()
                },
                token,
            )
        };

        // Who may call what.
        let no_token = client
            .assess(tonic::Request::new(pb::AssessRequest::default()))
            .await
            .expect_err("anonymous");
        assert_eq!(no_token.code(), Code::Unauthenticated, "{ctx}");
        let citizen = client
            .assess(assess(&h.tokens.citizen))
            .await
            .expect_err("citizen");
        assert_eq!(citizen.code(), Code::PermissionDenied, "{ctx}");
        let clerk_tariff = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(renewal_tariff(1405, "1405/03/01", 6_000)),
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect_err("clerks do not set tariffs");
        assert_eq!(clerk_tariff.code(), Code::PermissionDenied, "{ctx}");
        let admin_adjusts = client
            .add_adjustment(auth(
                pb::AddAdjustmentRequest {
                    renovation_code: code.clone(),
                    amount_rials: 5,
                    reason: "x".into(),
                    ..Default::default()
                },
                &h.tokens.admin,
            ))
            .await
            .expect_err("adjustments are for clerks");
        assert_eq!(admin_adjusts.code(), Code::PermissionDenied, "{ctx}");
        let service_callback = client
            .handle_psp_callback(auth(
                pb::HandlePspCallbackRequest::default(),
                &h.tokens.clerk,
            ))
            .await
            .expect_err("callbacks come from the gateway's service account");
        assert_eq!(service_callback.code(), Code::PermissionDenied, "{ctx}");
        let unknown = client
            .assess(auth(
                pb::AssessRequest {
                    renovation_code: "7-3-9-9-9-9".into(),
                    preview: true,
                    ..Default::default()
                },
                &h.tokens.service,
            ))
            .await
            .expect_err("unknown parcel");
        assert_eq!(unknown.code(), Code::NotFound, "{ctx}");

        // The demo tariffs bill a residential parcel (new to the fee records: this year).
        let demo = client
            .assess(assess(&h.tokens.clerk))
            .await
            .expect("preview")
            .into_inner()
            .bill
            .expect("bill");
        assert!(demo.bill_id.is_empty(), "{ctx}: a preview stores nothing");
        let years: Vec<i32> = demo.lines.iter().map(|l| l.jalali_year).collect();
        assert!(years.iter().all(|y| *y == 1405), "{ctx}: {years:?}");
        assert!(
            demo.lines
                .iter()
                .any(|l| l.kind == pb::BillItemKind::WasteFee as i32),
            "{ctx}"
        );

        // A tariff may not start in the past; a new one applies only from its date.
        let past = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(renewal_tariff(1405, "1405/02/14", 6_000)),
                    ..Default::default()
                },
                &h.tokens.admin,
            ))
            .await
            .expect_err("in the past");
        assert_eq!(past.code(), Code::InvalidArgument, "{ctx}");
        let stored = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(renewal_tariff(1405, "1405/03/01", 6_000)),
                    expected_version: 0,
                    client_request_id: "t1".into(),
                },
                &h.tokens.admin,
            ))
            .await
            .expect("put")
            .into_inner()
            .tariff
            .expect("tariff");
        assert_eq!(stored.version, 1, "{ctx}");
        assert_eq!(
            stored.changed.as_ref().map(|c| c.actor_account_id.as_str()),
            Some("admin-1"),
            "{ctx}"
        );
        let stale = client
            .put_tariff(auth(
                pb::PutTariffRequest {
                    tariff: Some(renewal_tariff(1405, "1405/03/01", 7_000)),
                    expected_version: 0,
                    client_request_id: "t2".into(),
                },
                &h.tokens.admin,
            ))
            .await
            .expect_err("someone added version 1 meanwhile");
        assert_eq!(stale.code(), Code::Aborted, "{ctx}");
        let renewal_on = |day: i64| {
            let mut client = h.client();
            let code = code.clone();
            let token = h.tokens.clerk.clone();
            async move {
                let bill = client
                    .assess(auth(
                        pb::AssessRequest {
                            renovation_code: code,
                            preview: true,
                            as_of: Some(prost_types::Timestamp {
                                seconds: day / 1_000_000,
                                nanos: 0,
                            }),
                            item_kinds: vec![pb::BillItemKind::RenewalLevy.into()],
                            ..Default::default()
                        },
                        &token,
                    ))
                    .await
                    .expect("preview")
                    .into_inner()
                    .bill
                    .expect("bill");
                (bill.lines[0].base_rials, bill.lines[0].tariff_id.clone())
            }
        };
        let before = renewal_on(noon(1405, 2, 31)).await;
        let after = renewal_on(noon(1405, 3, 1)).await;
        assert_eq!(
            before.0, 51_645_001,
            "{ctx}: the demo 5 per thousand until then"
        );
        assert_eq!(
            after,
            (61_974_001, stored.tariff_id.clone()),
            "{ctx}: 6 per thousand from 1405/03/01"
        );

        // Every tariff change is audited; history keeps the replaced versions.
        let mut conn = h.db.pool().acquire().await.expect("connection");
        let audit = estelam_fees::store::audit::audit_of(&mut conn, &stored.tariff_id)
            .await
            .expect("audit");
        assert_eq!(audit.len(), 1, "{ctx}");
        assert_eq!(audit[0].actor_id, "admin-1", "{ctx}");
        drop(conn);
        let listed = client
            .list_tariffs(auth(
                pb::ListTariffsRequest {
                    jalali_year: 1405,
                    ..Default::default()
                },
                &h.tokens.clerk,
            ))
            .await
            .expect("list")
            .into_inner();
        assert!(
            listed
                .tariffs
                .iter()
                .any(|t| t.tariff_id == stored.tariff_id),
            "{ctx}"
        );

        // Clearance needs the current year paid.
        let owes = client
            .get_clearance(auth(
                pb::GetClearanceRequest {
                    renovation_code: code.clone(),
                },
                &h.tokens.clerk,
            ))
            .await
            .expect_err("owes this year's levies");
        assert_eq!(owes.code(), Code::FailedPrecondition, "{ctx}");

        h.stop().await;
        tdb.cleanup().await;
    }
}
