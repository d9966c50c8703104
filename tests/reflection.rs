//! A stock gRPC client discovers every service by reflection alone: both `grpc.reflection.v1`
//! and the older `v1alpha` (which grpcurl and Python's grpcio reflection client speak) list
//! the services, and the health contract comes under its standard file name, so it does not
//! collide with the `grpc/health/v1/health.proto` a client already holds.

use estelam::SystemAddrs;
use estelam_runtime::config::Settings;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

/// One v1alpha reflection request, its one answer.
async fn ask(endpoint: &str, request: MessageRequest) -> MessageResponse {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap_or_else(|e| panic!("v1alpha reflection answers at {endpoint}: {e}"))
        .into_inner();
    stream
        .message()
        .await
        .expect("stream")
        .expect("one response")
        .message_response
        .expect("an answer")
}

#[tokio::test]
async fn v1alpha_reflection_lists_every_service_and_names_health_by_its_standard_file() {
    let data = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let shutdown = CancellationToken::new();
    let system = estelam::start(settings, SystemAddrs::ephemeral(), shutdown.clone())
        .await
        .expect("system starts");

    for (service, endpoint) in &system.endpoints {
        let MessageResponse::ListServicesResponse(list) =
            ask(endpoint, MessageRequest::ListServices(String::new())).await
        else {
            panic!("{service}: no service list");
        };
        let listed: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        for expected in [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ] {
            assert!(
                listed.iter().any(|s| s == expected),
                "{service} lists {expected}: {listed:?}"
            );
        }
        assert!(
            listed.iter().any(|s| s.starts_with("estelam.")),
            "{service} lists its own contract: {listed:?}"
        );

        let MessageResponse::FileDescriptorResponse(files) = ask(
            endpoint,
            MessageRequest::FileContainingSymbol("grpc.health.v1.Health".to_owned()),
        )
        .await
        else {
            panic!("{service}: no file for the health service");
        };
        let names: Vec<String> = files
            .file_descriptor_proto
            .iter()
            .map(|bytes| {
                prost_types::FileDescriptorProto::decode(bytes.as_slice())
                    .expect("a file descriptor")
                    .name()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names.first().map(String::as_str),
            Some("grpc/health/v1/health.proto"),
            "{service} names the health contract by its standard file: {names:?}"
        );
    }

    shutdown.cancel();
    // A hang guard, not a performance assertion: stopping must finish at all.
    tokio::time::timeout(std::time::Duration::from_secs(60), system.wait())
        .await
        .expect("everything stops after the signal")
        .expect("no part failed");
}
