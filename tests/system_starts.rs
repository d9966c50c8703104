//! The whole system starts in one process, every service answers `grpc.health.v1` and lists
//! its services by reflection (so a stock gRPC client needs no `.proto` files), and one
//! shutdown signal stops everything.

use estelam::SystemAddrs;
use estelam_runtime::config::{SERVICES, Settings};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn listed_services(endpoint: &str) -> Vec<String> {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = stream
        .message()
        .await
        .expect("stream")
        .expect("one response");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn every_service_answers_health_and_reflection_and_stops_on_one_signal() {
    let data = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let shutdown = CancellationToken::new();
    let system = estelam::start(settings, SystemAddrs::ephemeral(), shutdown.clone())
        .await
        .expect("system starts");

    assert_eq!(system.endpoints.len(), SERVICES.len());
    for (service, endpoint) in &system.endpoints {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut health = HealthClient::new(channel);
        let status = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap_or_else(|e| panic!("{service} health: {e}"))
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service} serves");
        let listed = listed_services(endpoint).await;
        assert!(
            listed.iter().any(|s| s == "grpc.health.v1.Health"),
            "{service} lists health: {listed:?}"
        );
        assert!(
            listed
                .iter()
                .any(|s| s == "grpc.reflection.v1.ServerReflection"),
            "{service} lists reflection: {listed:?}"
        );
    }
    // Each service keeps its own store file in the data directory.
    for service in SERVICES {
        assert!(
            data.path().join(format!("{service}.sqlite")).exists(),
            "{service} store created"
        );
    }

    shutdown.cancel();
    // A hang guard, not a performance assertion: stopping must finish at all.
    tokio::time::timeout(std::time::Duration::from_secs(60), system.wait())
        .await
        .expect("everything stops after the signal")
        .expect("no part failed");
}

/// Every listener is bound before anything else happens: with the admin port (the last one
/// bound) taken, the start stops before any store, credential or bus connection is made, and
/// says which flag moves the ports.
#[tokio::test]
async fn a_taken_port_stops_the_start_before_anything_is_created_and_names_the_flag() {
    let data = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addrs = SystemAddrs {
        admin: taken.local_addr().expect("bound"),
        ..SystemAddrs::ephemeral()
    };
    let Err(err) = estelam::start(settings, addrs.clone(), CancellationToken::new()).await else {
        panic!("the start must be refused while {} is taken", addrs.admin);
    };
    let message = format!("{err:#}");
    for expected in [
        addrs.admin.to_string().as_str(),
        "admin port",
        "already in use",
        "--base-port",
        "ESTELAM_RUN_BASE_PORT",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing in: {message}"
        );
    }
    let created: Vec<_> = std::fs::read_dir(data.path())
        .expect("the data directory")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert!(created.is_empty(), "nothing is created: {created:?}");
}

/// What a person sees: `estelam run --base-port N` with one of its eight ports taken exits
/// at once with a message naming the flag that moves them.
#[tokio::test]
async fn estelam_run_on_a_taken_port_exits_naming_the_flag() {
    let data = tempfile::tempdir().expect("temp dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    // The property service's gRPC port is base + 3.
    let base = taken.local_addr().expect("bound").port() - 3;
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_estelam"))
        .args(["run", "--base-port", &base.to_string()])
        .env("ESTELAM_DATA_DIR", data.path())
        .env_remove("ESTELAM_RUN_BASE_PORT")
        .env_remove("ESTELAM_CONFIG")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    // A hang guard, not a performance assertion: the refusal must come at all.
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("estelam exits")
        .expect("estelam runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused: {stderr}");
    for expected in ["already in use", "--base-port", "ESTELAM_RUN_BASE_PORT"] {
        assert!(
            stderr.contains(expected),
            "{expected:?} missing in: {stderr}"
        );
    }
}
