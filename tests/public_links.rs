//! Every link the system prints or signs names the address people reach it at (issue 16,
//! point 9): `estelam run --base-port N` puts the gateway on port N, and an issued answer's
//! verification URL, the status list its printed QR code names, the sandbox bank's page and
//! the payment's way back all point at port N, not at the conventional 8080.

use std::time::Duration;

use estelam::SystemAddrs;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::eventually;
use tokio_util::sync::CancellationToken;

mod support;

use support::accounts;
use support::nine_steps::grpc::{
    self, Application, DocumentsClient, Filing, InquiryClient, Letter, Once, PropertyClient,
};

/// A base port whose eight ports (gateway, admin, six gRPC) are free now.
fn free_base_port() -> u16 {
    let start = 20_000 + (std::process::id() % 20_000) as u16;
    (0..200)
        .map(|i| start.wrapping_add(i * 8))
        .find(|base| {
            (0..8).all(|offset| std::net::TcpListener::bind(("127.0.0.1", base + offset)).is_ok())
        })
        .expect("eight free ports in a row")
}

fn channel(endpoint: &str, settings: &Settings) -> tonic::transport::Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_base_port_the_answers_links_and_qr_code_point_at_that_port() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    settings.property.demo_parcels = 100;
    accounts::bootstrap_admin(&mut settings);
    let port = free_base_port();
    let shutdown = CancellationToken::new();
    let system = estelam::start(
        settings,
        SystemAddrs::from_base_port(port).expect("a base port"),
        shutdown.clone(),
    )
    .await
    .unwrap_or_else(|e| panic!("the system starts on base port {port}: {e:#}"));
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(system.gateway_url, base, "the gateway is on the base port");
    let settings = system.settings().clone();

    let (_, people) = accounts::demo_people(&settings).await;
    let owner = people
        .citizens
        .iter()
        .find(|c| !c.has_debt)
        .expect("a demo citizen whose parcel owes nothing");
    let token = accounts::log_in(&settings, &owner.national_code, &owner.password).await;
    let clerk = accounts::log_in(
        &settings,
        &people.clerk.national_code,
        &people.clerk.password,
    )
    .await;
    let inquiry = InquiryClient::new(channel(&settings.endpoints.inquiry, &settings));
    let documents = DocumentsClient::new(channel(&settings.endpoints.documents, &settings));
    let property = PropertyClient::new(channel(&settings.endpoints.property, &settings));
    let number =
        grpc::issue_request_number(&Once, &property, &clerk, &owner.renovation_code, "links")
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
    let id = filing.inquiry.inquiry_id.clone();

    // Whatever is owed is paid at the sandbox bank, whose page is on the base port too.
    if submitted.inquiry.as_ref().map(|i| i.state) == Some(pb::InquiryState::AwaitingPayment as i32)
    {
        let payment = filing.start_payment("").await.expect("start payment");
        assert!(
            payment.redirect_url.starts_with(&format!("{base}/psp/")),
            "the bank's page: {}",
            payment.redirect_url
        );
        assert_eq!(payment.return_url, format!("{base}/inquiries/{id}"));
        let back = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(format!("{base}/psp/pay"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}&choice=pay", payment.psp_token))
            .send()
            .await
            .expect("the bank answers");
        let location = back.headers()["location"].to_str().expect("ASCII");
        assert!(
            location.starts_with(&format!("{base}/inquiries/{id}?")),
            "{location}"
        );
    }
    eventually(
        "the answer to be issued",
        Duration::from_secs(60),
        async || {
            let now = grpc::get_inquiry(&inquiry, &token, &id)
                .await
                .expect("inquiry");
            if now.state == pb::InquiryState::Issued as i32 {
                Ok(())
            } else {
                Err(now.state)
            }
        },
    )
    .await;

    let answer = inquiry
        .clone()
        .get_answer(outgoing(
            pb::GetAnswerRequest {
                inquiry_id: id.clone(),
            },
            Some(&token),
        ))
        .await
        .expect("the answer")
        .into_inner()
        .answer
        .expect("answer");
    let url = format!("{base}/verify/{}", answer.verification_code);
    assert_eq!(answer.verification_url, url, "the verification URL");

    let page = inquiry
        .clone()
        .render_answer(outgoing(
            pb::RenderAnswerRequest {
                inquiry_id: id.clone(),
                format: pb::AnswerFormat::Html as i32,
                language: "en".into(),
            },
            Some(&token),
        ))
        .await
        .expect("the printed answer")
        .into_inner();
    let html = String::from_utf8(page.content).expect("HTML is UTF-8");
    assert!(html.contains(&url), "the page prints the URL");
    assert!(
        !html.contains("127.0.0.1:8080"),
        "no link to the default port"
    );
    // The QR code carries the signed answer; the one address in it, the status list's,
    // is on the base port too.
    let qr = estelam::verify::qr_text_in(html.as_bytes()).expect("the page's QR code reads");
    let claims = estelam_inquiry::certificate::cwt::open(&qr)
        .expect("the QR code is an answer's")
        .claims;
    assert!(
        claims.status_uri.starts_with(&format!("{base}/")),
        "the QR code's status list address: {}",
        claims.status_uri
    );
    shutdown.cancel();
    system.stop().await.expect("stops cleanly");
}
