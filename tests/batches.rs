//! Bulk filing (issue 17): the demo notary office's API client, with only its client id and
//! secret, files 200 parcels of one consenting citizen in one CreateBatch, sends the same
//! request again (nothing is filed twice), follows the batch until it is finished and reads
//! its items a page at a time: every item is accounted for exactly once, each with its own
//! inquiry, and the office lists exactly that many inquiries. Over HTTP the office files a
//! small batch through `POST /api/v1/batches`, one item of which names a wrong request
//! number and is refused with the catalogued reason in Persian and English; a citizen may
//! not read the office's batch. Items that wait for payment follow their inquiry: a batch
//! of two parcels that owe levies finishes with both awaiting payment (`batch.finished`,
//! not settled); the office pays one bill and cancels the other inquiry, and the items
//! become issued and refused (`BATCH_ITEM_CANCELLED`), the counts follow, and a second
//! `batch.finished`, settled, is delivered with the final counts. On SQLite and (when
//! `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL.

use std::collections::BTreeSet;
use std::time::Duration;

use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
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

on_every_backend!(batch_items_follow_payment_and_cancellation => crate::items_follow_payment);

/// Two mortgage inquiries (which check the parcel's debt; a court's does not) on the parcel
/// of the demo citizen who owes levies: both end awaiting payment; one bill paid, the other
/// inquiry cancelled, and the batch follows.
async fn items_follow_payment(label: &'static str, postgres_url: Option<String>) {
    let started = system::start_with_demo(label, "batchpay", postgres_url.as_deref(), 50).await;
    let settings = started.settings.clone();
    let people = started.people.clone();
    let clerk = accounts::log_in(
        &settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let owes = people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen who owes levies")
        .clone();
    let owes_token = accounts::log_in(&settings, &owes.national_code, &owes.password).await;
    let property =
        steps::PropertyClient::new(batch::channel(&settings, &settings.endpoints.property));
    let mut parcels = Vec::new();
    for _ in 0..2 {
        parcels.push(OwnParcel {
            renovation_code: owes.renovation_code.clone(),
            request_number: steps::issue_request_number(
                &Once,
                &property,
                &clerk,
                &owes.renovation_code,
                "batch payment test",
            )
            .await
            .expect("the clerk issues a request number"),
        });
    }
    let applicant = Applicant {
        national_code: owes.national_code.clone(),
        membership_code: owes.membership_code.clone(),
        full_name: owes.name.clone(),
        id_card: batch::upload_id_card(&settings, &owes_token).await,
    };
    let office = people
        .office_client
        .clone()
        .expect("the demo office's client");
    let org = people.authority.organization_id.clone();
    let token = accounts::service_token(&settings, &office.client_id, &office.client_secret).await;
    let inquiry = InquiryClient::new(batch::channel(&settings, &settings.endpoints.inquiry));

    // The office's webhook endpoint, switched off: its deliveries wait, listed with their
    // payloads, so the test reads every batch.finished the office would receive.
    let endpoint = inquiry
        .clone()
        .create_webhook_endpoint(outgoing(
            pb::CreateWebhookEndpointRequest {
                organization_id: org.clone(),
                url: "https://hooks.example.ir/estelam".into(),
                event_types: vec!["batch.finished".into()],
                description: "batch payment test".into(),
            },
            Some(&token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office subscribes: {e}"))
        .into_inner()
        .endpoint
        .expect("the endpoint");
    inquiry
        .clone()
        .set_webhook_endpoint_enabled(outgoing(
            pb::SetWebhookEndpointEnabledRequest {
                organization_id: org.clone(),
                endpoint_id: endpoint.endpoint_id.clone(),
                enabled: false,
            },
            Some(&token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the endpoint is switched off: {e}"));
    let finished_events = async || -> Vec<Value> {
        let mut out: Vec<Value> = inquiry
            .clone()
            .list_webhook_deliveries(outgoing(
                pb::ListWebhookDeliveriesRequest {
                    organization_id: org.clone(),
                    endpoint_id: endpoint.endpoint_id.clone(),
                    state: String::new(),
                    page_size: 50,
                },
                Some(&token),
            ))
            .await
            .expect("the endpoint's deliveries")
            .into_inner()
            .deliveries
            .iter()
            .filter(|d| d.event_type == "batch.finished")
            .map(|d| {
                serde_json::from_str::<Value>(&d.payload).expect("a JSON payload")["data"].clone()
            })
            .collect();
        out.sort_by_key(|d| d["settled"].as_bool());
        out
    };

    let documents =
        steps::DocumentsClient::new(batch::channel(&settings, &settings.endpoints.documents));
    let deed = steps::upload(
        &Once,
        &documents,
        &owes_token,
        dpb::DocumentKind::OwnershipDeed,
        "deed.pdf",
        fixtures::pdf("", 2_000),
    )
    .await
    .expect("the owner's deed uploads");
    let request_type = steps::request_type(&Once, &inquiry, &token, "mortgage")
        .await
        .expect("the request type");
    let mut request = batch::request("owed-1", &request_type, &applicant, &parcels);
    for item in &mut request.items {
        item.document_ids.push(deed.clone());
    }
    let created = inquiry
        .clone()
        .create_batch(outgoing(request, Some(&token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the batch is accepted: {e}"))
        .into_inner()
        .batch
        .expect("the batch");
    let get = async || {
        inquiry
            .clone()
            .get_batch(outgoing(
                pb::GetBatchRequest {
                    batch_id: created.batch_id.clone(),
                },
                Some(&token),
            ))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.into_inner().batch.ok_or_else(|| "no batch".to_owned()))
    };
    let finished = eventually(
        &format!("{label}: the batch finishes, both items awaiting payment"),
        Duration::from_secs(120),
        async || {
            let b = get().await?;
            if b.state == pb::BatchState::Finished as i32 {
                Ok(b)
            } else {
                Err(format!("{b:?}"))
            }
        },
    )
    .await;
    assert_eq!(finished.awaiting_payment, 2, "{label}: {finished:?}");
    let items = batch::all_items(&inquiry, &token, &created.batch_id, 10)
        .await
        .expect("the items");
    assert!(
        items
            .iter()
            .all(|i| !i.bill_id.is_empty() && i.amount_due_rials > 0),
        "{label}: each waiting item names its bill: {items:?}"
    );
    let first = eventually(
        &format!("{label}: the first batch.finished waits for the office"),
        Duration::from_secs(30),
        async || match finished_events().await.as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{other:?}")),
        },
    )
    .await;
    assert_eq!(
        first["settled"], false,
        "{label}: two bills to pay: {first}"
    );
    assert_eq!(first["awaiting_payment"], 2, "{label}: {first}");

    // The office pays the first item's bill at the (sandbox) bank.
    let paid_id = items[0].inquiry_id.clone();
    let version = |id: String| {
        let inquiry = inquiry.clone();
        let token = token.clone();
        async move {
            inquiry
                .clone()
                .get_inquiry(outgoing(
                    pb::GetInquiryRequest {
                        key: Some(pb::get_inquiry_request::Key::InquiryId(id)),
                    },
                    Some(&token),
                ))
                .await
                .expect("the inquiry")
                .into_inner()
                .inquiry
                .expect("the inquiry")
                .version
        }
    };
    let payment = inquiry
        .clone()
        .start_payment(outgoing(
            pb::StartPaymentRequest {
                inquiry_id: paid_id.clone(),
                expected_version: version(paid_id.clone()).await,
                client_request_id: support::nine_steps::key(),
                return_url: format!("{}/inquiries/{paid_id}", started.system.gateway_url),
            },
            Some(&token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office starts the payment: {e}"))
        .into_inner()
        .payment
        .expect("the payment");
    support::nine_steps::http::Applicant::new(&started.system.gateway_url, &token)
        .pay_at_sandbox(&payment.redirect_url)
        .await;
    let paid = eventually(
        &format!("{label}: the paid item is issued"),
        Duration::from_secs(60),
        async || {
            let b = get().await?;
            if b.issued == 1 {
                Ok(b)
            } else {
                Err(format!("{b:?}"))
            }
        },
    )
    .await;
    assert_eq!(
        (paid.awaiting_payment, paid.refused, paid.pending),
        (1, 0, 0),
        "{label}: {paid:?}"
    );
    let items = batch::all_items(&inquiry, &token, &created.batch_id, 10)
        .await
        .expect("the items");
    assert_eq!(
        items[0].outcome,
        pb::BatchItemOutcome::Issued as i32,
        "{label}"
    );
    assert!(
        !items[0].verification_code.is_empty(),
        "{label}: the issued item names its answer: {:?}",
        items[0]
    );
    assert_eq!(finished_events().await.len(), 1, "{label}: not settled yet");

    // The office cancels the other inquiry instead of paying.
    let cancelled_id = items[1].inquiry_id.clone();
    inquiry
        .clone()
        .cancel_inquiry(outgoing(
            pb::CancelInquiryRequest {
                inquiry_id: cancelled_id.clone(),
                expected_version: version(cancelled_id.clone()).await,
                client_request_id: support::nine_steps::key(),
                reason: "parcel sold before payment".into(),
            },
            Some(&token),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office cancels: {e}"));
    let settled = get().await.expect("the batch");
    assert_eq!(
        (
            settled.issued,
            settled.refused,
            settled.awaiting_payment,
            settled.pending
        ),
        (1, 1, 0, 0),
        "{label}: the counts follow the cancellation: {settled:?}"
    );
    let items = batch::all_items(&inquiry, &token, &created.batch_id, 10)
        .await
        .expect("the items");
    assert_eq!(
        items[1].outcome,
        pb::BatchItemOutcome::Refused as i32,
        "{label}"
    );
    assert_eq!(
        items[1].reason, "BATCH_ITEM_CANCELLED",
        "{label}: {:?}",
        items[1]
    );
    let message = items[1].message.clone().expect("a message");
    assert!(
        message.en.contains("parcel sold before payment") && !message.fa.is_empty(),
        "{label}: the reason is kept, in both languages: {message:?}"
    );
    let events = eventually(
        &format!("{label}: a settled batch.finished follows the last item"),
        Duration::from_secs(30),
        async || match finished_events().await.as_slice() {
            [a, b] => Ok((a.clone(), b.clone())),
            other => Err(format!("{other:?}")),
        },
    )
    .await;
    assert_eq!(events.1["settled"], true, "{label}: {events:?}");
    assert_eq!(
        (
            &events.1["issued"],
            &events.1["refused"],
            &events.1["awaiting_payment"]
        ),
        (&json!(1), &json!(1), &json!(0)),
        "{label}: with the final counts: {events:?}"
    );
    system::stop(started.system, started.postgres).await;
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
