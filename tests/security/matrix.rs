//! The authorization matrix: every gRPC method and every HTTP route, called as every kind of
//! caller, must end as [`crate::rules`] decides.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::Value;
use tonic::Code;

use crate::calls::grpc_methods;
use crate::rules::{EVERYONE, Outcome, Who, expected, grpc_rule, http_rule};
use crate::world::World;

fn grpc_outcome(world: &World, method: &str, who: Who, status: &tonic::Status) -> Outcome {
    match status.code() {
        Code::Unauthenticated => Outcome::Unauthenticated,
        Code::PermissionDenied => Outcome::Forbidden,
        Code::Internal | Code::Unknown | Code::Unimplemented | Code::DataLoss => panic!(
            "{}: {method} as {who:?} with an empty message broke: {status:?}",
            world.label
        ),
        _ => Outcome::Reached,
    }
}

fn http_outcome(world: &World, route: &str, who: Who, status: StatusCode, body: &Value) -> Outcome {
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{}: {route} as {who:?} broke: {status} {body}",
        world.label
    );
    match status {
        StatusCode::UNAUTHORIZED => Outcome::Unauthenticated,
        StatusCode::FORBIDDEN => Outcome::Forbidden,
        _ => Outcome::Reached,
    }
}

pub async fn authorization_matrix(world: &World) {
    let mut wrong = Vec::new();
    for method in grpc_methods() {
        let Some(rule) = grpc_rule(&method) else {
            wrong.push(format!("gRPC {method}: no rule in grpc_rule()"));
            continue;
        };
        for who in EVERYONE {
            let status = world.call(&method, world.token(who)).await;
            let got = grpc_outcome(world, &method, who, &status);
            let want = expected(rule, who);
            if got != want {
                wrong.push(format!(
                    "gRPC {method} as {who:?}: want {want:?}, got {got:?} ({:?} {})",
                    status.code(),
                    status.message()
                ));
            }
        }
    }
    let ids = BTreeMap::from([
        ("renovation_code", "1-1-1-1-0-0".to_owned()),
        ("verification_code", "100000000009".to_owned()),
    ]);
    for route in world.http_routes().await {
        let Some(rule) = http_rule(&route) else {
            wrong.push(format!("HTTP {route}: no rule in http_rule()"));
            continue;
        };
        for who in EVERYONE {
            let (status, body) = world.send(&route, &ids, world.token(who)).await;
            let got = http_outcome(world, &route, who, status, &body);
            let want = expected(rule, who);
            if got != want {
                wrong.push(format!(
                    "HTTP {route} as {who:?}: want {want:?}, got {got:?} ({status} {body})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: {} cells of the authorization matrix differ:\n{}",
        world.label,
        wrong.len(),
        wrong.join("\n")
    );
}
