//! Open redirect after payment (issue 16, point 4): the sandbox bank sends the payer back
//! with the payment id, its status and the tracking code, so a `return_url` off the portal
//! would hand them to any site a caller names. Over gRPC (straight to the inquiry service)
//! and HTTP (the gateway): an address elsewhere is refused with its reason, a portal path
//! is put on the public address, leaving it out returns to the inquiry's page, and the bank
//! sends the payer only there.

use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::ServiceError;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

use crate::rules::Who;
use crate::support::accounts;
use crate::support::nine_steps::grpc::{
    self, Application, DocumentsClient, Filing, InquiryClient, Letter, Once, PropertyClient,
};
use crate::support::nine_steps::key;
use crate::world::{World, channel};

/// Where a phisher would like the payer sent.
const EVIL: [&str; 4] = [
    "https://evil.example/phish",
    "//evil.example/inquiries",
    "http://evil.example",
    "javascript:alert(document.cookie)",
];

/// A demo citizen's inquiry on a parcel that owes, filed over gRPC up to AwaitingPayment;
/// returns it with the citizen's token.
async fn awaiting_payment(w: &World) -> (pb::Inquiry, String) {
    let (_, people) = accounts::demo_people(&w.settings).await;
    let owner = people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen whose parcel owes");
    let token = accounts::log_in(&w.settings, &owner.national_code, &owner.password).await;
    let inquiry = InquiryClient::new(channel(&w.settings.endpoints.inquiry, &w.settings));
    let documents = DocumentsClient::new(channel(&w.settings.endpoints.documents, &w.settings));
    let property = PropertyClient::new(channel(&w.settings.endpoints.property, &w.settings));
    let clerk = w.token(Who::Clerk).expect("a clerk");
    let number =
        grpc::issue_request_number(&Once, &property, clerk, &owner.renovation_code, "redirect")
            .await
            .expect("the clerk issues a request number");
    let documents = grpc::card_and_deed(&documents, &token).await;
    let request_type = grpc::request_type(&Once, &inquiry, &token, "property-transfer")
        .await
        .expect("the request type");
    let mut filing = Filing::open(&Once, &inquiry, &token, &request_type)
        .await
        .expect("open");
    filing
        .complete(&Application {
            renovation_code: owner.renovation_code.clone(),
            request_number: number,
            letter: Letter::from_authority(&people.authority.organization_id),
            documents,
            full_name: owner.name.clone(),
            national_code: owner.national_code.clone(),
            ownership_type: ppb::OwnershipType::Full,
        })
        .await
        .expect("steps 4 to 6");
    let submitted = filing.submit().await.expect("submit");
    let inquiry = submitted.inquiry.expect("the inquiry");
    assert_eq!(
        inquiry.state,
        pb::InquiryState::AwaitingPayment as i32,
        "{}: the parcel owes",
        w.label
    );
    (inquiry, token)
}

/// The specification.
pub async fn payments_return_only_to_the_portal(w: &World) {
    let label = w.label;
    let base = w.system.gateway_url.trim_end_matches('/').to_owned();
    let (inquiry, token) = awaiting_payment(w).await;
    let id = inquiry.inquiry_id.clone();
    let page = format!("{base}/inquiries/{id}");
    let client = InquiryClient::new(channel(&w.settings.endpoints.inquiry, &w.settings));
    let start = |return_url: &str| {
        let mut client = client.clone();
        let request = estelam_runtime::grpc::outgoing(
            pb::StartPaymentRequest {
                inquiry_id: id.clone(),
                expected_version: inquiry.version,
                client_request_id: key(),
                return_url: return_url.into(),
            },
            Some(token.as_str()),
        );
        async move { client.start_payment(request).await }
    };

    // gRPC.
    for evil in EVIL {
        let refused = start(evil).await.expect_err(evil);
        assert_eq!(refused.code(), Code::InvalidArgument, "{label}: {evil}");
        let e = ServiceError::from_status(&refused);
        assert_eq!(e.reason, "RETURN_URL_NOT_ALLOWED", "{label}: {evil}");
        assert!(
            e.message_en.contains("portal") && !e.message_fa.is_empty(),
            "{label}: the message says where a payment may return: {}",
            e.message_en
        );
    }
    let omitted = start("").await.expect("no return_url").into_inner();
    let omitted = omitted.payment.expect("the payment");
    assert_eq!(
        omitted.return_url, page,
        "{label}: left out, the payer returns to the inquiry's page"
    );
    let path = start("/inquiries")
        .await
        .expect("a portal path")
        .into_inner();
    assert_eq!(
        path.payment.expect("the payment").return_url,
        format!("{base}/inquiries"),
        "{label}: a path is put on the portal's public address"
    );

    // HTTP.
    let url = format!("{base}/api/v1/inquiries/{id}/payments");
    let post = |return_url: &str| {
        w.http
            .post(&url)
            .bearer_auth(&token)
            .json(
                &json!({"expected_version": inquiry.version, "client_request_id": key(),
                          "return_url": return_url}),
            )
            .send()
    };
    for evil in EVIL {
        let reply = post(evil).await.expect("sent");
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{label}: {evil}");
        let problem: Value = reply.json().await.expect("problem+json");
        assert_eq!(
            problem["reason"], "RETURN_URL_NOT_ALLOWED",
            "{label}: {problem}"
        );
    }
    let reply = post(&format!("/inquiries/{id}")).await.expect("sent");
    assert_eq!(reply.status(), StatusCode::CREATED, "{label}");
    let payment: Value = reply.json().await.expect("the payment");
    assert_eq!(payment["return_url"], page.as_str(), "{label}: {payment}");

    // The bank sends the payer back only to the resolved address.
    let redirect = payment["redirect_url"].as_str().expect("the bank's URL");
    assert!(
        redirect.starts_with(&format!("{base}/psp/")),
        "{label}: the bank's page is on the public address: {redirect}"
    );
    let psp_token = redirect
        .split_once("token=")
        .map(|(_, t)| t.split('&').next().unwrap_or(t).to_owned())
        .expect("a sandbox payment URL");
    let back = w
        .http
        .post(format!("{base}/psp/pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={psp_token}&choice=pay"))
        .send()
        .await
        .expect("the bank answers");
    assert_eq!(back.status(), StatusCode::SEE_OTHER, "{label}");
    let location = back.headers()["location"].to_str().expect("ASCII");
    assert!(
        location.starts_with(&format!("{page}?payment_id="))
            && location.contains("status=confirmed"),
        "{label}: the bank sends the payer home: {location}"
    );
}
