//! Standard Webhooks signatures: a secret per endpoint, shown to the integrator as
//! `whsec_` + base64 of 32 random bytes, and `webhook-signature: v1,<base64 HMAC-SHA256>`
//! over `"{webhook-id}.{webhook-timestamp}.{body}"`. During a rotation's overlap the header
//! carries one signature per secret, space-separated, so a receiver that still holds the old
//! secret verifies as well as one that already has the new.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore as _;
use ring::hmac;

/// The prefix of a secret as the integrator sees it.
pub const SECRET_PREFIX: &str = "whsec_";

/// 32 fresh random bytes: a new endpoint secret.
pub fn new_secret() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The secret as shown once to the integrator: `whsec_<base64>`.
pub fn display(secret: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(secret))
}

/// One `v1,<base64>` signature of a message.
pub fn sign(secret: &[u8], id: &str, timestamp_s: i64, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp_s.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body.as_bytes());
    format!("v1,{}", B64.encode(ctx.sign().as_ref()))
}

/// The `webhook-signature` header: one signature per secret that signs now.
pub fn header(secrets: &[[u8; 32]], id: &str, timestamp_s: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| sign(s, id, timestamp_s, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example: this secret, id, timestamp and
    /// body sign to this value.
    #[test]
    fn signs_the_specifications_example() {
        let secret = B64
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("base64");
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let (a, b) = (new_secret(), new_secret());
        let h = header(&[a, b], "id", 1, "{}");
        let parts: Vec<_> = h.split(' ').collect();
        assert_eq!(parts, [sign(&a, "id", 1, "{}"), sign(&b, "id", 1, "{}")]);
        assert!(display(&a).starts_with("whsec_"));
    }
}
