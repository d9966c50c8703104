//! An inquiry's timeline is append-only rows (`inquiry_events`), written in the transaction
//! of each step, on every database backend: GetInquiry's history is exactly those rows, the
//! stored document no longer carries it, a row cannot be rewritten, and the clerk desk's
//! audit lists the same changes (and the checks of the answer's verification code).

mod support;

use estelam_inquiry::migrations;
use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::testing::{self, with_token};
use sqlx::Row as _;
use support::*;
use tonic::Code;

/// The stored rows of an inquiry's timeline: (seq, from, to, actor), in order.
async fn rows(h: &Harness, id: &str) -> Vec<(i64, String, String, String)> {
    sqlx::query(
        "SELECT seq, from_state, to_state, actor_account_id FROM inquiry_events \
         WHERE inquiry_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(h.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("seq").unwrap(),
            r.try_get("from_state").unwrap(),
            r.try_get("to_state").unwrap(),
            r.try_get("actor_account_id").unwrap(),
        )
    })
    .collect()
}

fn state_name(n: i32) -> String {
    pb::InquiryState::try_from(n)
        .unwrap()
        .as_str_name()
        .trim_start_matches("INQUIRY_STATE_")
        .to_ascii_lowercase()
}

#[tokio::test]
async fn the_timeline_is_read_from_append_only_rows_written_with_each_step() {
    for t in testing::databases("inq_timeline", &migrations())
        .await
        .unwrap()
    {
        let label = t.label;
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let inq = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        // Five steps, five rows, each written by the step's own transaction.
        let stored = rows(&h, &inq.inquiry_id).await;
        assert_eq!(stored.len(), 5, "{label}: {stored:?}");
        assert_eq!(inq.history.len(), 5, "{label}");
        let issued = h
            .submit(&inq, &uuid::Uuid::now_v7().to_string())
            .await
            .unwrap()
            .inquiry
            .unwrap();
        assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{label}");

        let read = h.get(&h.citizen, &inq.inquiry_id).await.unwrap();
        let stored = rows(&h, &inq.inquiry_id).await;
        assert!(stored.len() > 5, "{label}: Submit appended its changes");
        assert_eq!(read.history.len(), stored.len(), "{label}");
        for (change, (seq, from, to, actor)) in read.history.iter().zip(&stored) {
            assert_eq!(state_name(change.from_state), *from, "{label}: row {seq}");
            assert_eq!(state_name(change.to_state), *to, "{label}: row {seq}");
            let by = change.changed.as_ref().unwrap();
            assert_eq!(by.actor_account_id, *actor, "{label}: row {seq}");
        }
        assert_eq!(stored.last().unwrap().2, "issued", "{label}");
        assert_eq!(
            stored.iter().map(|r| r.0).collect::<Vec<_>>(),
            (0..stored.len() as i64).collect::<Vec<_>>(),
            "{label}: numbered in order, none missing"
        );

        // The document each step rewrites carries no history of its own any more.
        let doc: String = sqlx::query("SELECT doc FROM inquiries WHERE id = $1")
            .bind(&inq.inquiry_id)
            .fetch_one(h.db.pool())
            .await
            .unwrap()
            .try_get("doc")
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert!(doc.get("history").is_none(), "{label}: {doc}");

        // A row cannot be rewritten, even by someone at the database.
        let rewrite =
            sqlx::query("UPDATE inquiry_events SET to_state = 'draft' WHERE inquiry_id = $1")
                .bind(&inq.inquiry_id)
                .execute(h.db.pool())
                .await;
        assert!(rewrite.is_err(), "{label}: a timeline row was rewritten");

        // The desk's audit lists the same changes, newest first, found by the inquiry.
        let mut c = h.client.clone();
        let audit = c
            .list_audit_records(with_token(
                pb::ListAuditRecordsRequest {
                    filter: Some(cpb::AuditFilter {
                        subject: inq.inquiry_id.clone(),
                        action: "inquiry.state_changed".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                &h.clerk,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(audit.records.len(), stored.len(), "{label}");
        assert_eq!(audit.records[0].outcome, "issued", "{label}: newest first");
        assert_eq!(audit.records[0].subject, inq.inquiry_number, "{label}");
        assert_eq!(audit.records[0].renovation_code, PARCEL_CLEAN, "{label}");
        // Found by the parcel too, written with Persian digits and slashes.
        let persian: String = PARCEL_CLEAN
            .chars()
            .map(|ch| match ch {
                '0'..='9' => char::from_u32(ch as u32 - '0' as u32 + 0x06F0).unwrap(),
                '-' => '/',
                other => other,
            })
            .collect();
        let by_parcel = c
            .list_audit_records(with_token(
                pb::ListAuditRecordsRequest {
                    filter: Some(cpb::AuditFilter {
                        subject: persian,
                        ..Default::default()
                    }),
                    page_size: 2,
                    ..Default::default()
                },
                &h.admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_parcel.records.len(), 2, "{label}: one page of two");
        assert!(
            !by_parcel.next_page_token.is_empty(),
            "{label}: more follow"
        );

        // A citizen may not read the audit.
        let refused = c
            .list_audit_records(with_token(
                pb::ListAuditRecordsRequest::default(),
                &h.citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{label}");

        // Checking the answer's verification code is in the same audit.
        c.verify_answer(pb::VerifyAnswerRequest {
            verification_code: issued.verification_code.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        let checks = c
            .list_audit_records(with_token(
                pb::ListAuditRecordsRequest {
                    filter: Some(cpb::AuditFilter {
                        action: "answer.verified".into(),
                        subject: issued.verification_code.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                &h.clerk,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(checks.records.len(), 1, "{label}");
        assert_eq!(checks.records[0].inquiry_id, inq.inquiry_id, "{label}");
        h.stop().await;
        t.cleanup().await;
    }
}
