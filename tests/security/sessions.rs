//! Logout means logged out: a plain logout ends that session's access tokens at every service
//! and the gateway (within one key refresh, as a disabled account's), another session of the
//! same account keeps working, and "log out everywhere" ends every session's tokens.

use std::collections::BTreeMap;
use std::time::Duration;

use estelam_proto::identity::v1 as ipb;
use estelam_runtime::testing::eventually;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

use crate::calls::grpc_methods;
use crate::tokens::probes_accepting;
use crate::world::{World, channel};

/// A fresh login of the world's citizen: (access token, refresh token).
async fn session(world: &World) -> (String, String) {
    let (national_code, password) = world.citizen_login.clone();
    let tokens = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ))
    .login(ipb::LoginRequest {
        identifier: Some(ipb::login_request::Identifier::NationalCode(national_code)),
        password,
    })
    .await
    .unwrap_or_else(|s| panic!("{}: the citizen logs in: {s:?}", world.label))
    .into_inner()
    .tokens
    .expect("tokens");
    (tokens.access_token, tokens.refresh_token)
}

/// Where `token` is still accepted among `methods` (one per service) and `routes`.
async fn accepting(
    world: &World,
    token: &str,
    methods: &[String],
    routes: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for method in methods {
        let status = world.call(method, Some(token)).await;
        if status.code() == Code::Unauthenticated {
            continue;
        }
        out.push(format!("{method}: {:?}", status.code()));
    }
    for route in routes {
        let (status, _) = world.send(route, &BTreeMap::new(), Some(token)).await;
        if status != StatusCode::UNAUTHORIZED {
            out.push(format!("{route}: {status}"));
        }
    }
    out
}

/// Waits (bounded: services refetch identity's revocations every second here) until `token`
/// is refused at every probe.
async fn refused_everywhere(
    world: &World,
    what: &str,
    token: &str,
    probes: &(Vec<String>, Vec<String>),
) {
    eventually(
        &format!(
            "{}: every service and the gateway to refuse {what}",
            world.label
        ),
        Duration::from_secs(30),
        async || {
            let still = accepting(world, token, &probes.0, &probes.1).await;
            if still.is_empty() { Ok(()) } else { Err(still) }
        },
    )
    .await;
}

pub async fn logout_ends_the_sessions_tokens_everywhere(world: &World) {
    let (first, first_refresh) = session(world).await;
    let (second, _) = session(world).await;
    let (third, _) = session(world).await;
    let probes = probes_accepting(world, &first).await;
    let services: std::collections::BTreeSet<String> = grpc_methods()
        .iter()
        .map(|m| m.split('/').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        probes.0.len(),
        services.len(),
        "{}: a session's token works at every service before: {:?}",
        world.label,
        probes.0
    );
    assert_eq!(probes.1.len(), 1, "{}: and at the gateway", world.label);
    for service in ["inquiry", "fees", "documents"] {
        assert!(
            probes.0.iter().any(|m| m.contains(&format!(".{service}."))),
            "{}: {service} is among the probed services: {:?}",
            world.label,
            probes.0
        );
    }

    // A plain logout over HTTP, as the portal does it.
    let response = world
        .http
        .post(format!("{}/api/v1/auth/logout", world.system.gateway_url))
        .bearer_auth(&first)
        .json(&json!({"refresh_token": first_refresh}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "{}: logged out",
        world.label
    );
    refused_everywhere(world, "the logged-out session's token", &first, &probes).await;
    let survivors = accepting(world, &second, &probes.0, &probes.1).await;
    assert_eq!(
        survivors.len(),
        probes.0.len() + probes.1.len(),
        "{}: another session of the same account still works after a plain logout: {survivors:?}",
        world.label
    );

    // Log out everywhere, over gRPC with the second session's access token.
    let mut request = tonic::Request::new(ipb::LogoutRequest {
        refresh_token: String::new(),
        all_sessions: true,
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {second}").parse().expect("ascii"),
    );
    ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ))
    .logout(request)
    .await
    .unwrap_or_else(|s| panic!("{}: log out everywhere: {s:?}", world.label));
    refused_everywhere(
        world,
        "the calling session's token after log out everywhere",
        &second,
        &probes,
    )
    .await;
    refused_everywhere(
        world,
        "another session's token after log out everywhere",
        &third,
        &probes,
    )
    .await;

    // A new login afterwards works at once: only the ended sessions are refused.
    let (fresh, _) = session(world).await;
    let fresh_accepted = accepting(world, &fresh, &probes.0, &probes.1).await;
    assert_eq!(
        fresh_accepted.len(),
        probes.0.len() + probes.1.len(),
        "{}: a login after log out everywhere works: {fresh_accepted:?}",
        world.label
    );
}
