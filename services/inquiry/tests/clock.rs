//! The statutory clock and the public figures, over real gRPC on every database backend:
//! a submitted inquiry carries its deadline (ten calendar days after Submit) and where it
//! stands; the desk lists what is near or past its deadline, earliest first; and the public
//! figures of seeded answers are the ones worked out by hand below (nearest rank).

mod support;

use estelam_domain::JalaliDate;
use estelam_inquiry::migrations;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::testing::{self, with_token};
use sqlx::Row as _;
use support::*;
use tonic::Code;

const HOUR: i64 = 3_600 * 1_000_000;
const DAY: i64 = 24 * HOUR;

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos / 1_000)
}

/// Moves an inquiry's submission `days` back in time, as if it had waited that long: the
/// document's instant and the clock columns together, as a real write keeps them.
async fn backdate(h: &Harness, id: &str, submitted_us: i64) {
    let row = sqlx::query("SELECT doc FROM inquiries WHERE id = $1")
        .bind(id)
        .fetch_one(h.db.pool())
        .await
        .unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("doc").unwrap()).unwrap();
    doc["submitted_at_us"] = serde_json::json!(submitted_us);
    sqlx::query(
        "UPDATE inquiries SET doc = $1, submitted_at_us = $2, answer_due_at_us = $3 WHERE id = $4",
    )
    .bind(doc.to_string())
    .bind(submitted_us)
    .bind(submitted_us + 10 * DAY)
    .bind(id)
    .execute(h.db.pool())
    .await
    .unwrap();
}

/// An inquiry waiting for payment of the parcel's levies, on its own request number.
async fn waiting(h: &Harness, n: u64) -> pb::Inquiry {
    let number = request_number(n);
    h.world.with(|w| {
        w.request_numbers
            .insert(number.clone(), (PARCEL_DEBT.into(), None))
    });
    let inq = h
        .ready_to_submit("property-transfer", PARCEL_DEBT, &number)
        .await;
    let submitted = h
        .submit(&inq, &uuid::Uuid::now_v7().to_string())
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(submitted.state, pb::InquiryState::AwaitingPayment as i32);
    submitted
}

#[tokio::test]
async fn every_submitted_inquiry_carries_its_deadline_and_the_desk_sees_what_is_due() {
    for t in testing::databases("inq_clock_due", &migrations())
        .await
        .unwrap()
    {
        let label = t.label;
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        let draft = h
            .ready_to_submit("property-transfer", PARCEL_CLEAN, &request_number(100))
            .await;
        assert!(
            draft.answer_due_at.is_none(),
            "{label}: no deadline before Submit"
        );

        let late = waiting(&h, 200).await;
        // The deadline is in the response: ten calendar days after Submit, to the moment.
        let submitted = micros(late.submitted_at.as_ref().unwrap());
        let due = micros(late.answer_due_at.as_ref().unwrap());
        assert_eq!(due - submitted, 10 * DAY, "{label}");
        assert_eq!(
            late.deadline_standing,
            pb::DeadlineStanding::OnTime as i32,
            "{label}"
        );
        let near = waiting(&h, 201).await;
        let fresh = waiting(&h, 202).await;
        let now = estelam_runtime::db::now_micros();
        backdate(&h, &late.inquiry_id, now - 11 * DAY).await; // a day past its deadline
        backdate(&h, &near.inquiry_id, now - 9 * DAY).await; // a day left
        backdate(&h, &fresh.inquiry_id, now - DAY).await; // nine days left

        let read = h.get(&h.citizen, &late.inquiry_id).await.unwrap();
        assert_eq!(
            read.deadline_standing,
            pb::DeadlineStanding::Overdue as i32,
            "{label}"
        );

        let mut c = h.client.clone();
        let due = c
            .list_due_inquiries(with_token(pb::ListDueInquiriesRequest::default(), &h.clerk))
            .await
            .unwrap()
            .into_inner()
            .inquiries;
        let ids: Vec<&str> = due.iter().map(|i| i.inquiry_id.as_str()).collect();
        assert_eq!(
            ids,
            [late.inquiry_id.as_str(), near.inquiry_id.as_str()],
            "{label}: near or past, the earliest deadline first"
        );
        assert_eq!(
            due[0].deadline_standing,
            pb::DeadlineStanding::Overdue as i32
        );
        assert_eq!(due[1].deadline_standing, pb::DeadlineStanding::Near as i32);

        let all = c
            .list_due_inquiries(with_token(
                pb::ListDueInquiriesRequest {
                    include_on_time: true,
                    page_size: 2,
                    ..Default::default()
                },
                &h.admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.inquiries.len(), 2, "{label}");
        let rest = c
            .list_due_inquiries(with_token(
                pb::ListDueInquiriesRequest {
                    include_on_time: true,
                    page_size: 2,
                    page_token: all.next_page_token.clone(),
                },
                &h.admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.inquiries.len(), 1, "{label}");
        assert_eq!(rest.inquiries[0].inquiry_id, fresh.inquiry_id, "{label}");
        assert_eq!(
            rest.inquiries[0].deadline_standing,
            pb::DeadlineStanding::OnTime as i32
        );

        let refused = c
            .list_due_inquiries(with_token(
                pb::ListDueInquiriesRequest::default(),
                &h.citizen,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{label}");
        h.stop().await;
        t.cleanup().await;
    }
}

/// The instant `hours` after the start of a Jalali day in Iran, µs.
fn at(year: i32, month: u8, day: u8, hours: i64) -> i64 {
    JalaliDate::new(year, month, day)
        .unwrap()
        .start_in_iran_unix_seconds()
        * 1_000_000
        + hours * HOUR
}

/// Stores an answered inquiry with these instants (what the figures read).
async fn answered(h: &Harness, n: u32, submitted_us: i64, issued_us: Option<i64>) {
    sqlx::query(
        "INSERT INTO inquiries (id, inquiry_number, request_type_code, state, version, \
         applicant_account_id, filed_by_account_id, filed_by_organization_id, \
         applicant_national_code, renovation_code, bill_id, created_at_us, updated_at_us, \
         doc, submitted_at_us, issued_at_us, answer_due_at_us) \
         VALUES ($1, $2, 'property-transfer', $3, 1, 'a', 'a', '', '', '', '', $4, $4, '{}', $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(format!("seeded-{n}"))
    .bind(if issued_us.is_some() { "issued" } else { "cancelled" })
    .bind(submitted_us)
    .bind(issued_us)
    .bind(submitted_us + 10 * DAY)
    .execute(h.db.pool())
    .await
    .unwrap();
}

fn seconds(d: &Option<prost_types::Duration>) -> i64 {
    d.as_ref().unwrap().seconds
}

#[tokio::test]
async fn the_public_figures_of_seeded_answers_are_the_ones_worked_out_by_hand() {
    for t in testing::databases("inq_clock_stats", &migrations())
        .await
        .unwrap()
    {
        let label = t.label;
        let h = Harness::start(t.db.clone(), BusKind::Memory).await;
        // Mehr 1404: five answers taking 1 h, 2 h, 3 h, 5 days and 12 days.
        // Sorted, n = 5: median = rank ⌈2.5⌉ = 3 → 3 h; p95 = rank ⌈4.75⌉ = 5 → 12 days;
        // within ten days: 4 of 5.
        let mehr = at(1404, 7, 10, 12);
        for (n, took) in [
            (1, HOUR),
            (2, 2 * HOUR),
            (3, 3 * HOUR),
            (4, 5 * DAY),
            (5, 12 * DAY),
        ] {
            answered(&h, n, mehr - took, Some(mehr)).await;
        }
        // Aban 1404: 9 days (issued ten minutes into 1404/08/01 in Iran, which is still
        // 1404/07/30 in UTC: it counts in Aban), exactly 10 days (within: the limit is
        // inclusive) and 11 days. n = 3: median = rank ⌈1.5⌉ = 2 → 10 days; p95 = rank
        // ⌈2.85⌉ = 3 → 11 days; within: 2 of 3.
        let first_of_aban = at(1404, 8, 1, 0) + 10 * 60 * 1_000_000;
        answered(&h, 6, first_of_aban - 9 * DAY, Some(first_of_aban)).await;
        let aban = at(1404, 8, 20, 9);
        answered(&h, 7, aban - 10 * DAY, Some(aban)).await;
        answered(&h, 8, aban - 11 * DAY, Some(aban)).await;
        // Not in 1404's figures: an answer issued in Esfand 1403, and an inquiry closed unanswered.
        answered(
            &h,
            9,
            at(1403, 12, 29, 23) - HOUR,
            Some(at(1403, 12, 29, 23)),
        )
        .await;
        answered(&h, 10, aban, None).await;

        // No login needed.
        let mut c = h.client.clone();
        let figures = c
            .get_answer_time_statistics(pb::GetAnswerTimeStatisticsRequest { jalali_year: 1404 })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(figures.jalali_year, 1404);
        assert_eq!(figures.legal_limit_days, 10);
        let got: Vec<(i32, i64, i64, i64, i64)> = figures
            .months
            .iter()
            .map(|m| {
                (
                    m.jalali_month,
                    m.answered,
                    m.answered_within_limit,
                    seconds(&m.median_time_to_answer),
                    seconds(&m.p95_time_to_answer),
                )
            })
            .collect();
        let h_ = 3_600;
        let d_ = 24 * h_;
        assert_eq!(
            got,
            [(7, 5, 4, 3 * h_, 12 * d_), (8, 3, 2, 10 * d_, 11 * d_)],
            "{label}"
        );
        let esfand = c
            .get_answer_time_statistics(pb::GetAnswerTimeStatisticsRequest { jalali_year: 1403 })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(esfand.months.len(), 1, "{label}");
        assert_eq!(
            (esfand.months[0].jalali_month, esfand.months[0].answered),
            (12, 1)
        );
        let wrong = c
            .get_answer_time_statistics(pb::GetAnswerTimeStatisticsRequest {
                jalali_year: 99_999,
            })
            .await
            .unwrap_err();
        assert_eq!(wrong.code(), Code::InvalidArgument, "{label}");
        h.stop().await;
        t.cleanup().await;
    }
}
