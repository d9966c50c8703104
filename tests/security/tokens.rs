//! Tokens that must not pass: forged, tampered, expired, of another audience or issuer, a
//! refresh token in place of an access token, and a disabled account's still-unexpired one.
//! Every service refuses them itself, and all alike, so a refusal never tells an attacker
//! which check failed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::testing::eventually;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

use crate::calls::grpc_methods;
use crate::rules::Who::{Admin, Citizen};
use crate::rules::{Rule, http_rule};
use crate::world::{World, b64, channel, sign};

/// Tokens that must all be refused, each with its name.
fn bad_tokens(world: &World) -> Vec<(&'static str, String)> {
    let good = world.token(Citizen).expect("citizen token").to_owned();
    let parts: Vec<&str> = good.split('.').collect();
    let other_key = ed25519_dalek::SigningKey::from_bytes(&rand_seed());
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": world.signing.0});
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload")).expect("json");
    let mut admin_claims = claims.clone();
    admin_claims["roles"] = json!(["admin"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    vec![
        ("forged signature", sign(&header, &claims, &other_key)),
        (
            "tampered payload",
            format!("{}.{}.{}", parts[0], b64(&admin_claims), parts[2]),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": world.signing.0})),
                b64(&admin_claims)
            ),
        ),
        (
            "alg HS256 keyed with the public key",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "HS256", "typ": "JWT", "kid": world.signing.0})),
                b64(&admin_claims),
                parts[2]
            ),
        ),
        (
            "unknown key id",
            sign(
                &json!({"alg": "EdDSA", "typ": "JWT", "kid": "not-a-key"}),
                &admin_claims,
                &other_key,
            ),
        ),
        (
            "expired",
            world.mint(|c| {
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 7200);
                c["nbf"] = json!(now - 7200);
            }),
        ),
        (
            "not yet valid",
            world.mint(|c| c["nbf"] = json!(now + 3600)),
        ),
        (
            "wrong audience",
            world.mint(|c| c["aud"] = json!("another-system")),
        ),
        (
            "wrong issuer",
            world.mint(|c| c["iss"] = json!("https://attacker.example")),
        ),
        ("refresh token as access token", world.refresh_token.clone()),
        ("garbage", "not.a.token".to_owned()),
    ]
}

fn rand_seed() -> [u8; 32] {
    let a = uuid::Uuid::new_v4().into_bytes();
    let b = uuid::Uuid::new_v4().into_bytes();
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&a);
    out[16..].copy_from_slice(&b);
    out
}

/// What every gRPC method and protected HTTP route answered to `tokens`: the calls that were
/// not refused as unauthenticated, and the distinct refusal messages and 401 bodies.
struct Refusals {
    wrong: Vec<String>,
    messages: BTreeSet<String>,
    problems: BTreeSet<String>,
}

async fn refusals(world: &World, tokens: &[(&'static str, String)]) -> Refusals {
    let mut wrong = Vec::new();
    let mut messages = BTreeSet::new();
    let methods = grpc_methods();
    for (what, token) in tokens {
        for method in &methods {
            let status = world.call(method, Some(token)).await;
            if status.code() == Code::Unauthenticated {
                messages.insert(status.message().to_owned());
            } else {
                wrong.push(format!(
                    "gRPC {method} with {what}: {:?} {}",
                    status.code(),
                    status.message()
                ));
            }
        }
    }
    let mut problems = BTreeSet::new();
    let routes = world.http_routes().await;
    for (what, token) in tokens {
        for route in &routes {
            if matches!(
                http_rule(route),
                Some(Rule::Public | Rule::BodyCredential) | None
            ) {
                continue;
            }
            let (status, mut body) = world.send(route, &BTreeMap::new(), Some(token)).await;
            if status == StatusCode::UNAUTHORIZED {
                if let Some(o) = body.as_object_mut() {
                    o.remove("instance");
                    o.remove("request_id");
                    o.remove("trace_id");
                }
                problems.insert(body.to_string());
            } else {
                wrong.push(format!("HTTP {route} with {what}: {status} {body}"));
            }
        }
    }
    Refusals {
        wrong,
        messages,
        problems,
    }
}

/// Every bad token is refused everywhere, all alike, and the refusal names no check.
pub async fn bad_tokens_are_refused(world: &World) {
    // The minted tokens are otherwise good: the same minting with nothing changed works.
    let control = world.mint(|_| {});
    let status = world
        .call(
            "estelam.identity.v1.IdentityService/ListOrganizations",
            Some(&control),
        )
        .await;
    assert_ne!(
        status.code(),
        Code::Unauthenticated,
        "{}: a correctly minted token is accepted: {status:?}",
        world.label
    );

    let refused = refusals(world, &bad_tokens(world)).await;
    let (wrong, messages, problems) = (&refused.wrong, &refused.messages, &refused.problems);
    assert!(
        wrong.is_empty(),
        "{}: bad tokens were not refused as unauthenticated:\n{}",
        world.label,
        wrong.join("\n")
    );
    assert_eq!(
        messages.len(),
        1,
        "{}: every refusal says the same, whatever check failed: {messages:?}",
        world.label
    );
    assert_eq!(
        problems.len(),
        1,
        "{}: every 401 says the same, whatever check failed: {problems:?}",
        world.label
    );
    let said = format!("{messages:?} {problems:?}").to_lowercase();
    for leak in [
        "signature",
        "expired",
        "audience",
        "issuer",
        "algorithm",
        "kid",
        "revoked",
        "disabled",
    ] {
        assert!(
            !said.contains(leak),
            "{}: a refusal names the failed check ({leak}): {said}",
            world.label
        );
    }
}

/// One gRPC method per service and one protected HTTP route at which `token` is accepted
/// now (answered with anything but unauthenticated): where to watch for its refusal.
pub async fn probes_accepting(world: &World, token: &str) -> (Vec<String>, Vec<String>) {
    let mut methods: Vec<String> = Vec::new();
    for method in grpc_methods() {
        let service = method.split('/').next().unwrap_or_default().to_owned();
        if methods
            .iter()
            .any(|m| m.starts_with(&format!("{service}/")))
        {
            continue;
        }
        if world.call(&method, Some(token)).await.code() != Code::Unauthenticated {
            methods.push(method);
        }
    }
    let mut routes = Vec::new();
    for route in world.http_routes().await {
        if !matches!(http_rule(&route), Some(Rule::SignedIn | Rule::Only(_))) {
            continue;
        }
        let (status, _) = world.send(&route, &BTreeMap::new(), Some(token)).await;
        if status != StatusCode::UNAUTHORIZED {
            routes.push(route);
            break;
        }
    }
    (methods, routes)
}

/// An admin disables a citizen; once the services have refreshed identity's keys (polled
/// with a deadline), the citizen's still-unexpired access token is refused by every service
/// and the gateway, exactly as any other bad token (a forged and an expired one stand for
/// them all: [`bad_tokens_are_refused`] checks that every bad token is refused alike).
pub async fn a_disabled_accounts_token_is_refused(world: &World) {
    let alike = ["forged signature", "expired"];
    let examples: Vec<_> = bad_tokens(world)
        .into_iter()
        .filter(|(what, _)| alike.contains(what))
        .collect();
    assert_eq!(examples.len(), alike.len(), "{alike:?} are bad tokens");
    let bad = refusals(world, &examples).await;
    let token = world.token(Citizen).expect("citizen token").to_owned();
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("payload")).expect("json");
    let account_id = claims["sub"].as_str().expect("sub").to_owned();

    let (methods, routes) = probes_accepting(world, &token).await;
    let services: BTreeSet<String> = grpc_methods()
        .iter()
        .map(|m| m.split('/').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        methods.len(),
        services.len(),
        "{}: the citizen's token works at every service before: {methods:?}",
        world.label
    );
    assert_eq!(routes.len(), 1, "{}: and at the gateway", world.label);

    let mut identity = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ));
    let mut request = tonic::Request::new(ipb::DisableAccountRequest {
        account_id,
        reason: "security suite: a disabled account".into(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", world.token(Admin).expect("admin token"))
            .parse()
            .expect("ascii"),
    );
    identity
        .disable_account(request)
        .await
        .unwrap_or_else(|s| panic!("{}: the admin disables the citizen: {s:?}", world.label));

    // Every service refetches identity's keys every `auth.key_refresh_secs` (1 s here).
    eventually(
        &format!(
            "{}: every service and the gateway to refuse the disabled account's token",
            world.label
        ),
        Duration::from_secs(30),
        async || {
            let mut accepting = Vec::new();
            for method in &methods {
                let status = world.call(method, Some(&token)).await;
                if status.code() != Code::Unauthenticated {
                    accepting.push(format!("{method}: {:?}", status.code()));
                }
            }
            for route in &routes {
                let (status, _) = world.send(route, &BTreeMap::new(), Some(&token)).await;
                if status != StatusCode::UNAUTHORIZED {
                    accepting.push(format!("{route}: {status}"));
                }
            }
            if accepting.is_empty() {
                Ok(())
            } else {
                Err(accepting)
            }
        },
    )
    .await;

    let refused = refusals(world, &[("a disabled account's token", token)]).await;
    assert!(
        refused.wrong.is_empty(),
        "{}: a disabled account's token was not refused as unauthenticated:\n{}",
        world.label,
        refused.wrong.join("\n")
    );
    assert_eq!(
        (&refused.messages, &refused.problems),
        (&bad.messages, &bad.problems),
        "{}: it is refused exactly as any bad token, saying nothing of why",
        world.label
    );
}
