//! Bulk filing (issue 17): the demo notary office's API client, with only its client id and
//! secret, files 200 parcels of one consenting citizen in one CreateBatch, sends the same
//! request again (nothing is filed twice), follows the batch until it is finished and reads
//! its items a page at a time: every item is accounted for exactly once, each with its own
//! inquiry, and the office lists exactly that many inquiries. Over HTTP the office files a
//! small batch through `POST /api/v1/batches`, one item of which names a wrong request
//! number and is refused with the catalogued reason in Persian and English; a citizen may
//! not read the office's batch. On SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set)
//! PostgreSQL.

use std::collections::BTreeSet;
use std::time::Duration;

use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::eventually;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::batch::{self, Applicant, OwnParcel};
use support::nine_steps::grpc::{self as steps, InquiryClient, Once};
use support::{accounts, system};

/// Parcels in the gRPC batch.
const PARCELS: usize = 200;

macro_rules! on_every_backend {
    ($name:ident => $check:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                $check("sqlite", None).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgresql() {
                let Some(url) = estelam_runtime::testing::postgres_url() else {
                    return;
                };
                $check("postgres", Some(url)).await;
            }
        }
    };
}

on_every_backend!(a_batch_of_200_parcels_is_filed_exactly_once => crate::two_hundred);

async fn two_hundred(label: &'static str, postgres_url: Option<String>) {
    let started = system::start_with_demo(label, "batches", postgres_url.as_deref(), 50).await;
    let settings = started.settings.clone();
    let people = started.people.clone();
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
        7,
        PARCELS + 2,
    )
    .await;
    let (for_grpc, for_http) = parcels.split_at(PARCELS);
    let applicant = Applicant {
        national_code: citizen.national_code.clone(),
        membership_code: citizen.membership_code.clone(),
        full_name: citizen.name.clone(),
        id_card: batch::upload_id_card(&settings, &citizen_token).await,
    };

    // The office's software: its client id and secret, nothing else.
    let office = people
        .office_client
        .clone()
        .expect("the demo office's client");
    let token = accounts::service_token(&settings, &office.client_id, &office.client_secret).await;
    let inquiry = InquiryClient::new(batch::channel(&settings, &settings.endpoints.inquiry));
    let request_type = steps::request_type(&Once, &inquiry, &token, batch::REQUEST_TYPE)
        .await
        .expect("the request type");

    let request = batch::request("portfolio-1", &request_type, &applicant, for_grpc);
    let first = inquiry
        .clone()
        .create_batch(outgoing(request.clone(), Some(&token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the batch is accepted: {e}"))
        .into_inner()
        .batch
        .expect("the batch");
    assert_eq!(
        first.total, PARCELS as i32,
        "{label}: every parcel is in the batch"
    );
    assert_eq!(first.organization_id, people.authority.organization_id);
    // The office's software did not hear the answer and sends the same request again.
    let again = inquiry
        .clone()
        .create_batch(outgoing(request, Some(&token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the retried batch: {e}"))
        .into_inner()
        .batch
        .expect("the batch");
    assert_eq!(
        again.batch_id, first.batch_id,
        "{label}: a retry is the same batch"
    );

    let finished = eventually(
        &format!("{label}: the batch of {PARCELS} finishes"),
        Duration::from_secs(600),
        async || {
            let b = inquiry
                .clone()
                .get_batch(outgoing(
                    pb::GetBatchRequest {
                        batch_id: first.batch_id.clone(),
                    },
                    Some(&token),
                ))
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .batch
                .ok_or("no batch")?;
            if b.state == pb::BatchState::Finished as i32 {
                Ok(b)
            } else {
                Err(format!("{} of {} pending", b.pending, b.total))
            }
        },
    )
    .await;
    assert!(
        finished.finished_at.is_some(),
        "{label}: it says when it finished"
    );

    let items = batch::all_items(&inquiry, &token, &first.batch_id, 30)
        .await
        .unwrap_or_else(|e| panic!("{label}: the items: {e}"));
    let indexes: BTreeSet<i32> = items.iter().map(|i| i.index).collect();
    assert_eq!(
        items.len(),
        PARCELS,
        "{label}: every item once, across pages"
    );
    assert_eq!(indexes.len(), PARCELS, "{label}: no item twice");
    let refused: Vec<_> = items
        .iter()
        .filter(|i| i.outcome != pb::BatchItemOutcome::Issued as i32)
        .map(|i| format!("#{} {} {:?}", i.index, i.reason, i.message))
        .collect();
    assert!(
        refused.is_empty(),
        "{label}: every parcel answered: {refused:?}"
    );
    assert_eq!(finished.issued, PARCELS as i32, "{label}: the counts agree");
    let inquiries: BTreeSet<&str> = items.iter().map(|i| i.inquiry_id.as_str()).collect();
    assert_eq!(inquiries.len(), PARCELS, "{label}: one inquiry per parcel");
    assert!(
        items.iter().all(|i| !i.verification_code.is_empty()),
        "{label}: each issued item names its answer"
    );
    let expected: BTreeSet<&str> = for_grpc
        .iter()
        .map(|p| p.renovation_code.as_str())
        .collect();
    let got: BTreeSet<&str> = items.iter().map(|i| i.renovation_code.as_str()).collect();
    assert_eq!(got, expected, "{label}: each parcel is an item");
    // The office's own list holds exactly these inquiries: nothing was filed twice.
    let listed = office_inquiries(&inquiry, &token).await;
    assert_eq!(
        listed,
        inquiries.iter().map(|s| s.to_string()).collect(),
        "{label}"
    );

    http_batch(
        label,
        &started,
        &token,
        &citizen_token,
        &request_type,
        &applicant,
        for_http,
    )
    .await;
    system::stop(started.system, started.postgres).await;
}

/// Every inquiry the office's organisation filed, by id.
async fn office_inquiries(inquiry: &InquiryClient, token: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut page_token = String::new();
    loop {
        let page = inquiry
            .clone()
            .list_inquiries(outgoing(
                pb::ListInquiriesRequest {
                    page_size: 100,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                Some(token),
            ))
            .await
            .expect("the office's inquiries")
            .into_inner();
        out.extend(page.inquiries.into_iter().map(|i| i.inquiry_id));
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

/// Through the gateway: a batch of two, the second with a wrong request number.
async fn http_batch(
    label: &str,
    started: &system::Started,
    token: &str,
    citizen_token: &str,
    request_type: &pb::RequestType,
    applicant: &Applicant,
    parcels: &[OwnParcel],
) {
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1/batches", started.system.gateway_url);
    let item = |p: &OwnParcel, request_number: &str| {
        json!({
            "renovation_code": p.renovation_code,
            "request_number": request_number,
            "applicant_national_code": applicant.national_code,
            "applicant_membership_code": applicant.membership_code,
            "applicant_full_name": applicant.full_name,
            "ownership_type": "full",
            "document_ids": [applicant.id_card],
        })
    };
    let body = json!({
        "client_batch_id": "cases-1",
        "request_type_code": request_type.code,
        "letter_number": "۷۸/ق/۱",
        "letter_date_jalali": support::nine_steps::LETTER_DATE,
        "undertaking_version_ids": request_type
            .undertakings
            .iter()
            .map(|u| u.undertaking_version_id.clone())
            .collect::<Vec<_>>(),
        "items": [
            item(&parcels[0], &parcels[0].request_number),
            item(&parcels[1], &parcels[0].request_number),
        ],
    });
    let response = http
        .post(&base)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::ACCEPTED,
        "{label}: the HTTP batch"
    );
    let created: Value = response.json().await.expect("JSON");
    let id = created["batch_id"].as_str().expect("a batch id").to_owned();
    assert_eq!(created["total"], 2);

    let batch_url = format!("{base}/{id}");
    eventually(
        &format!("{label}: the HTTP batch finishes"),
        Duration::from_secs(120),
        async || {
            let b: Value = http
                .get(&batch_url)
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if b["state"] == "finished" {
                Ok(())
            } else {
                Err(b.to_string())
            }
        },
    )
    .await;
    let page: Value = http
        .get(format!("{batch_url}/items?page_size=10"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{label}: {page}");
    assert_eq!(items[0]["outcome"], "issued", "{label}: {page}");
    assert_eq!(items[1]["outcome"], "refused", "{label}: {page}");
    assert!(
        items[1]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("REQUEST_NUMBER")),
        "{label}: the refusal is catalogued: {page}"
    );
    assert!(
        items[1]["message"]["fa"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
            && items[1]["message"]["en"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
        "{label}: and says why in Persian and English: {page}"
    );

    // Only the organisation that filed it sees it.
    let status = http
        .get(&batch_url)
        .bearer_auth(citizen_token)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{label}: a citizen reads no batch"
    );
}

/// Batch throughput for BENCHMARKS.md: one batch of `ESTELAM_BATCH_PARCELS` parcels
/// (default 1,000) filed by the demo office's client, timed from CreateBatch to the batch
/// finished; prints a markdown row. A figure, not an assertion (`#[ignore]`d, like the fault
/// suite):
///
/// ```sh
/// cargo test --release --test batches -- --ignored --nocapture batch_throughput
/// ESTELAM_TEST_POSTGRES_URL=postgres://… cargo test --release --test batches -- --ignored --nocapture batch_throughput
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --test batches -- --ignored --nocapture batch_throughput"]
async fn batch_throughput() {
    let n: usize = std::env::var("ESTELAM_BATCH_PARCELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1_000);
    let postgres_url = estelam_runtime::testing::postgres_url();
    let label = if postgres_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let started = system::start_with_demo(label, "batchbench", postgres_url.as_deref(), 50).await;
    let settings = started.settings.clone();
    let people = started.people.clone();
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
        .expect("a citizen")
        .clone();
    let citizen_token =
        accounts::log_in(&settings, &citizen.national_code, &citizen.password).await;
    let parcels = batch::register_parcels(
        &settings,
        &clerk,
        &citizen.national_code,
        &citizen.name,
        6,
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
    let clock = std::time::Instant::now();
    let created = inquiry
        .clone()
        .create_batch(outgoing(
            batch::request("bench", &request_type, &applicant, &parcels),
            Some(&token),
        ))
        .await
        .expect("the batch")
        .into_inner()
        .batch
        .expect("the batch");
    let accepted = clock.elapsed();
    let finished = eventually(
        "the batch finishes",
        Duration::from_secs(3600),
        async || {
            let b = inquiry
                .clone()
                .get_batch(outgoing(
                    pb::GetBatchRequest {
                        batch_id: created.batch_id.clone(),
                    },
                    Some(&token),
                ))
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .batch
                .ok_or("no batch")?;
            if b.state == pb::BatchState::Finished as i32 {
                Ok(b)
            } else {
                Err(b.pending.to_string())
            }
        },
    )
    .await;
    let took = clock.elapsed().as_secs_f64();
    println!("| backend | parcels | issued | accepted in | finished in | parcels/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| {label} | {n} | {} | {:.2} s | {took:.1} s | {:.1} |",
        finished.issued,
        accepted.as_secs_f64(),
        n as f64 / took
    );
    system::stop(started.system, started.postgres).await;
}
