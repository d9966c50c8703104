//! Bulk filing under a fault: the demo office's client files a batch of parcels
//! (`tests/support/batch.rs`), the `estelam serve inquiry` process is SIGKILLed while it works
//! the batch and started again, and every item must end accounted for exactly once: the
//! batch finishes, each item has its outcome, and the inquiry store holds exactly one inquiry
//! per parcel (counted in the database, not through the API).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::eventually;
use sqlx::Row as _;

use super::processes::Cluster;
use super::report::Report;
use crate::support::accounts;
use crate::support::batch::{self, Applicant};
use crate::support::nine_steps::grpc::{self as steps, InquiryClient, Once};

/// How long a batch may take to finish once the last restart is over (a hang guard; the
/// restarted worker takes the dead one's items back when their lease runs out).
const FINISH: Duration = Duration::from_secs(600);

/// The batch's state: (pending, total), or why it could not be read.
async fn pending(inquiry: &InquiryClient, token: &str, id: &str) -> Result<pb::Batch, String> {
    inquiry
        .clone()
        .get_batch(outgoing(
            pb::GetBatchRequest {
                batch_id: id.to_owned(),
            },
            Some(token),
        ))
        .await
        .map_err(|e| e.to_string())?
        .into_inner()
        .batch
        .ok_or_else(|| "no batch".to_owned())
}

/// Files a batch of `n` parcels, kills the inquiry process twice while the batch is being
/// worked, and reports items acknowledged, completed, lost and duplicated.
pub async fn inquiry_killed_mid_batch(cluster: &mut Cluster, n: usize) -> Report {
    let settings = cluster.settings.clone();
    let (_, people) = accounts::demo_people(&settings).await;
    let clerk = accounts::log_in(
        &settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let citizen = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a demo citizen without debt")
        .clone();
    let citizen_token =
        accounts::log_in(&settings, &citizen.national_code, &citizen.password).await;
    let parcels = batch::register_parcels(
        &settings,
        &clerk,
        &citizen.national_code,
        &citizen.name,
        8,
        n,
    )
    .await;
    let applicant = Applicant {
        national_code: citizen.national_code.clone(),
        membership_code: citizen.membership_code.clone(),
        full_name: citizen.name.clone(),
        id_card: batch::upload_id_card(&settings, &citizen_token).await,
    };
    let office = people
        .office_client
        .clone()
        .expect("the demo office's client");
    let token = accounts::service_token(&settings, &office.client_id, &office.client_secret).await;
    let inquiry = InquiryClient::new(batch::channel(&settings, &settings.endpoints.inquiry));
    let request_type = steps::request_type(&Once, &inquiry, &token, batch::REQUEST_TYPE)
        .await
        .expect("the request type");
    let started = Instant::now();
    let created = inquiry
        .clone()
        .create_batch(outgoing(
            batch::request("fault-batch", &request_type, &applicant, &parcels),
            Some(&token),
        ))
        .await
        .expect("the batch is accepted")
        .into_inner()
        .batch
        .expect("the batch");
    let total = usize::try_from(created.total).unwrap_or_default();

    // Kill the worker once a tenth of the batch is done, and again past half of it.
    for fraction in [10, 2] {
        let done_at = n - n / fraction;
        eventually(
            &format!("the batch to be worked down to {done_at} pending"),
            Duration::from_secs(300),
            async || {
                let b = pending(&inquiry, &token, &created.batch_id).await?;
                let p = usize::try_from(b.pending).unwrap_or(usize::MAX);
                if p <= done_at {
                    Ok(())
                } else {
                    Err(format!("{p} pending"))
                }
            },
        )
        .await;
        eprintln!("  fault: SIGKILL to estelam serve inquiry mid-batch, then start it again");
        cluster.kill("inquiry");
        cluster.start_process("inquiry").await;
    }
    let finished = eventually(
        "the batch to finish after the restarts",
        FINISH,
        async || {
            let b = pending(&inquiry, &token, &created.batch_id).await?;
            if b.state == pb::BatchState::Finished as i32 {
                Ok(b)
            } else {
                Err(format!("{} of {} pending", b.pending, b.total))
            }
        },
    )
    .await;
    let items = batch::all_items(&inquiry, &token, &created.batch_id, 100)
        .await
        .expect("the batch's items");
    let refused: Vec<String> = items
        .iter()
        .filter(|i| i.outcome != pb::BatchItemOutcome::Issued as i32)
        .map(|i| format!("#{} {}", i.index, i.reason))
        .collect();
    assert!(refused.is_empty(), "items not answered: {refused:?}");
    assert_eq!(
        usize::try_from(finished.issued).unwrap_or_default(),
        total,
        "the batch's counts"
    );

    // Count in the inquiry store itself: one inquiry per parcel, whatever the API says.
    let db = estelam_runtime::host::open_store(
        &settings,
        "inquiry",
        &estelam::migrations_of("inquiry").expect("inquiry"),
    )
    .await
    .expect("the inquiry store");
    let rows = sqlx::query(
        "SELECT renovation_code, COUNT(*) AS n FROM inquiries \
         WHERE filed_by_organization_id = $1 GROUP BY renovation_code",
    )
    .bind(&office.organization_id)
    .fetch_all(db.pool())
    .await
    .expect("inquiries by parcel");
    let mut per_parcel = BTreeMap::new();
    for r in rows {
        let code: String = r.try_get("renovation_code").expect("code");
        let count: i64 = r.try_get("n").expect("count");
        per_parcel.insert(code, count);
    }
    let completed = parcels
        .iter()
        .filter(|p| per_parcel.get(&p.renovation_code).is_some_and(|c| *c >= 1))
        .count();
    let duplicated: i64 = per_parcel.values().map(|c| (c - 1).max(0)).sum();
    let r = Report {
        fault: "estelam serve inquiry SIGKILLed twice mid-batch and restarted".into(),
        attempted: n,
        acknowledged: total,
        completed,
        lost: total - completed.min(total),
        duplicated: usize::try_from(duplicated).unwrap_or(usize::MAX),
        refusals: BTreeMap::new(),
        elapsed: started.elapsed(),
    };
    r.publish();
    r
}
