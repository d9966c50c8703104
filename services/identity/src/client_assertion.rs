//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): an organisation client that
//! holds a private key proves who it is with a short JWT it signs, so no shared secret is
//! stored on either side. Pure rules, no I/O: which public keys are accepted at
//! registration (EC P-256 for ES256, Ed25519 for EdDSA; never one with its private part),
//! their RFC 7638 thumbprint, and what an assertion must say — iss = sub = the client id,
//! aud = the token endpoint or the token issuer, exp at most [`MAX_LIFETIME_SECS`] ahead, a
//! jti — and be signed with. The single use of each jti is the store's (the service layer
//! records it until exp).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live: exp at most this far after now.
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Clock difference tolerated between the client and the server, on exp.
const LEEWAY_SECS: u64 = 30;
/// Longest `kid` and `jti` kept.
const MAX_ID: usize = 200;

/// A public key accepted for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The key's own `kid`, or its thumbprint when it had none.
    pub kid: String,
    /// `ES256` or `EdDSA`.
    pub alg: &'static str,
    /// The public JWK as stored: only the members that make the key, plus kid and alg.
    pub jwk: String,
    /// RFC 7638 SHA-256 thumbprint, base64url without padding.
    pub thumbprint: String,
}

/// Why a JWK was refused (for the refusal's message).
pub type JwkRefusal = &'static str;

fn member<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    o.get(name).and_then(Value::as_str)
}

/// A base64url coordinate of exactly `len` bytes.
fn coordinate(
    o: &Map<String, Value>,
    name: &'static str,
    len: usize,
) -> Result<String, JwkRefusal> {
    let v = member(o, name).ok_or(name)?;
    match URL_SAFE_NO_PAD.decode(v) {
        Ok(bytes) if bytes.len() == len => Ok(v.to_owned()),
        _ => Err(name),
    }
}

/// Reads a JWK a client registers: a public EC P-256 or Ed25519 key, `alg` (when given)
/// matching it, `use` (when given) `sig`; a private key (`d`) is refused, so it can never
/// be stored here by mistake.
pub fn parse_public_jwk(text: &str) -> Result<PublicKey, JwkRefusal> {
    let value: Value = serde_json::from_str(text.trim()).map_err(|_| "not JSON")?;
    let o = value.as_object().ok_or("not a JSON object")?;
    if o.contains_key("d") {
        return Err("a private key: send the public key only");
    }
    if member(o, "use").is_some_and(|u| u != "sig") {
        return Err("use must be sig");
    }
    let (alg, canonical) = match (member(o, "kty"), member(o, "crv")) {
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (coordinate(o, "x", 32)?, coordinate(o, "y", 32)?);
            DecodingKey::from_ec_components(&x, &y).map_err(|_| "not a P-256 point")?;
            (
                "ES256",
                json!({"crv": "P-256", "kty": "EC", "x": x, "y": y}),
            )
        }
        (Some("OKP"), Some("Ed25519")) => {
            let x = coordinate(o, "x", 32)?;
            ("EdDSA", json!({"crv": "Ed25519", "kty": "OKP", "x": x}))
        }
        _ => return Err("kty/crv"),
    };
    if member(o, "alg").is_some_and(|a| a != alg) {
        return Err("alg does not match the key");
    }
    // RFC 7638: the required members, in lexicographic order, no whitespace; serde_json's
    // map keeps keys sorted, which is that order.
    let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string().as_bytes()));
    let kid = match member(o, "kid") {
        Some(k)
            if !k.is_empty() && k.len() <= MAX_ID && k.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            k.to_owned()
        }
        Some(_) => return Err("kid must be 1-200 printable ASCII characters"),
        None => thumbprint.clone(),
    };
    let mut stored = canonical;
    stored["kid"] = json!(kid);
    stored["alg"] = json!(alg);
    Ok(PublicKey {
        kid,
        alg,
        jwk: stored.to_string(),
        thumbprint,
    })
}

/// The key to check a signature with, from a stored public JWK.
pub fn decoding_key(jwk: &str) -> Option<(DecodingKey, Algorithm)> {
    let v: Value = serde_json::from_str(jwk).ok()?;
    let o = v.as_object()?;
    match member(o, "kty")? {
        "EC" => Some((
            DecodingKey::from_ec_components(member(o, "x")?, member(o, "y")?).ok()?,
            Algorithm::ES256,
        )),
        "OKP" => Some((
            DecodingKey::from_ed_components(member(o, "x")?).ok()?,
            Algorithm::EdDSA,
        )),
        _ => None,
    }
}

/// What an assertion's header and unverified claims name: the client it claims to be (its
/// `sub`, else `iss`) and the key (`kid`), to find the keys to verify it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The client id the assertion claims.
    pub client_id: String,
    /// The header's `kid`, if any.
    pub kid: Option<String>,
    /// The header's algorithm.
    pub alg: Algorithm,
}

/// Reads who an assertion claims to be, without trusting it: only to pick the keys that
/// [`verify`] then checks it with. `None` for anything that is not a compact JWS of ours.
pub fn named(assertion: &str) -> Option<Named> {
    let header = jsonwebtoken::decode_header(assertion).ok()?;
    if !matches!(header.alg, Algorithm::ES256 | Algorithm::EdDSA) {
        return None;
    }
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(assertion).ok()?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    let client_id = match claim("sub") {
        "" => claim("iss").to_owned(),
        sub => sub.to_owned(),
    };
    (!client_id.is_empty() && client_id.len() <= MAX_ID).then_some(Named {
        client_id,
        kid: header.kid,
        alg: header.alg,
    })
}

/// What a verified assertion says that the caller must still enforce: its jti, single use
/// until exp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The assertion's id.
    pub jti: String,
    /// Its expiry, seconds since the epoch.
    pub exp: i64,
}

/// Why an assertion was refused: for the audit trail only (the caller hears
/// `invalid_client` whatever it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No registered key of the client matches the header's kid and alg.
    NoKey,
    /// Signature, iss, sub, aud or exp wrong (jsonwebtoken's reason).
    Invalid(String),
    /// exp further ahead than [`MAX_LIFETIME_SECS`].
    TooLong,
    /// No jti, or one too long.
    NoJti,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoKey => write!(f, "no registered key matches"),
            Self::Invalid(why) => write!(f, "invalid assertion: {why}"),
            Self::TooLong => write!(f, "exp more than {MAX_LIFETIME_SECS} s ahead"),
            Self::NoJti => write!(f, "no jti"),
        }
    }
}

/// Checks `assertion` (already [`named`] as `claimed`) against the client's registered keys
/// (`(kid, public JWK)`): a key of the header's algorithm (and kid, when the header has
/// one) signed it, iss = sub = `client_id`, aud is one of `audiences`, it has not expired
/// (with a little leeway) and does not live longer than [`MAX_LIFETIME_SECS`] from
/// `now_s`, and it has a jti.
pub fn verify(
    assertion: &str,
    claimed: &Named,
    client_id: &str,
    keys: &[(String, String)],
    audiences: &[String],
    now_s: i64,
) -> Result<Verified, Refused> {
    let candidates: Vec<DecodingKey> = keys
        .iter()
        .filter(|(kid, _)| {
            claimed
                .kid
                .as_deref()
                .is_none_or(|want| want == kid.as_str())
        })
        .filter_map(|(_, jwk)| decoding_key(jwk))
        .filter(|(_, alg)| *alg == claimed.alg)
        .map(|(key, _)| key)
        .collect();
    if candidates.is_empty() {
        return Err(Refused::NoKey);
    }
    let mut validation = Validation::new(claimed.alg);
    // exp is checked below against `now_s`, the caller's clock, so the rule stays pure.
    validation.validate_exp = false;
    validation.set_audience(audiences);
    validation.set_issuer(&[client_id]);
    validation.sub = Some(client_id.to_owned());
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let mut last = Refused::NoKey;
    for key in &candidates {
        match jsonwebtoken::decode::<Value>(assertion, key, &validation) {
            Ok(data) => {
                let Some(exp) = data.claims.get("exp").and_then(Value::as_i64) else {
                    return Err(Refused::Invalid("exp is not a number".into()));
                };
                if exp + LEEWAY_SECS.cast_signed() < now_s {
                    return Err(Refused::Invalid("expired".into()));
                }
                if exp > now_s + MAX_LIFETIME_SECS + LEEWAY_SECS.cast_signed() {
                    return Err(Refused::TooLong);
                }
                let jti = data
                    .claims
                    .get("jti")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if jti.is_empty() || jti.len() > MAX_ID {
                    return Err(Refused::NoJti);
                }
                return Ok(Verified {
                    jti: jti.to_owned(),
                    exp,
                });
            }
            Err(e) => last = Refused::Invalid(format!("{:?}", e.kind())),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};

    // A key made for these tests only, never used anywhere else.
    const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOpu6pFkN0tnXt0x2
4ye/bpYKhqJzR+pMmP2d6zX3wkuhRANCAASlG43Z0UBPMHPCsQJKCw7BBHq0DTCY
9cpaVIphWSOwxlnRLbTxTVcF5df7FCeM8QCAhTyk0I8Ust/IRcato1vF
-----END PRIVATE KEY-----";
    const EC_X: &str = "pRuN2dFATzBzwrECSgsOwQR6tA0wmPXKWlSKYVkjsMY";
    const EC_Y: &str = "WdEttPFNVwXl1_sUJ4zxAICFPKTQjxSy38hFxq2jW8U";

    fn ec_jwk() -> String {
        json!({"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y}).to_string()
    }

    fn assertion(claims: Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        encode(
            &header,
            &claims,
            &EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("the test key"),
        )
        .expect("signed")
    }

    fn keys() -> Vec<(String, String)> {
        vec![("k1".into(), parse_public_jwk(&ec_jwk()).expect("a key").jwk)]
    }

    const AUD: &str = "https://estelam.example/oauth/token";

    fn check(claims: Value) -> Result<Verified, Refused> {
        let a = assertion(claims);
        let named = named(&a).expect("named");
        verify(&a, &named, "desk-1", &keys(), &[AUD.to_owned()], 1_000_000)
    }

    #[test]
    fn a_public_ec_or_ed25519_key_is_accepted_with_its_thumbprint() {
        let k = parse_public_jwk(&ec_jwk()).expect("EC");
        assert_eq!(k.alg, "ES256");
        assert_eq!(k.kid, k.thumbprint, "no kid: the thumbprint names it");
        let ed = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([7u8; 32]), "kid": "ed-1"});
        let k = parse_public_jwk(&ed.to_string()).expect("Ed25519");
        assert_eq!((k.alg, k.kid.as_str()), ("EdDSA", "ed-1"));
        let rsa = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert!(
            parse_public_jwk(&rsa.to_string()).is_err(),
            "RSA is not offered"
        );
    }

    #[test]
    fn a_private_key_or_a_wrong_curve_is_refused() {
        let mut private: Value = serde_json::from_str(&ec_jwk()).expect("JSON");
        private["d"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]));
        assert!(parse_public_jwk(&private.to_string()).is_err());
        let p384 = json!({"kty": "EC", "crv": "P-384", "x": EC_X, "y": EC_Y});
        assert!(parse_public_jwk(&p384.to_string()).is_err());
        let short = json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"});
        assert!(parse_public_jwk(&short.to_string()).is_err());
        let wrong_alg = json!({"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "alg": "EdDSA"});
        assert!(parse_public_jwk(&wrong_alg.to_string()).is_err());
    }

    #[test]
    fn a_good_assertion_gives_its_jti() {
        let v = check(
            json!({"iss": "desk-1", "sub": "desk-1", "aud": AUD, "exp": 1_000_100, "jti": "j1"}),
        )
        .expect("accepted");
        assert_eq!(v.jti, "j1");
    }

    #[test]
    fn wrong_audience_issuer_expiry_lifetime_or_jti_is_refused() {
        let base =
            json!({"iss": "desk-1", "sub": "desk-1", "aud": AUD, "exp": 1_000_100, "jti": "j1"});
        let with = |k: &str, v: Value| {
            let mut c = base.clone();
            c[k] = v;
            c
        };
        assert!(matches!(
            check(with("aud", json!("https://elsewhere/oauth/token"))),
            Err(Refused::Invalid(_))
        ));
        assert!(matches!(
            check(with("iss", json!("desk-2"))),
            Err(Refused::Invalid(_))
        ));
        assert!(matches!(
            check(with("sub", json!("desk-2"))),
            Err(Refused::Invalid(_))
        ));
        assert!(matches!(
            check(with("exp", json!(999_000))),
            Err(Refused::Invalid(_))
        ));
        assert_eq!(check(with("exp", json!(1_000_900))), Err(Refused::TooLong));
        assert_eq!(check(with("jti", json!(""))), Err(Refused::NoJti));
    }

    #[test]
    fn another_key_does_not_verify_it() {
        let a = assertion(
            json!({"iss": "desk-1", "sub": "desk-1", "aud": AUD, "exp": 1_000_100, "jti": "j"}),
        );
        let named = named(&a).expect("named");
        let other = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([9u8; 32]), "kid": "k1"});
        let keys = vec![(
            "k1".to_owned(),
            parse_public_jwk(&other.to_string()).expect("key").jwk,
        )];
        assert_eq!(
            verify(&a, &named, "desk-1", &keys, &[AUD.to_owned()], 1_000_000),
            Err(Refused::NoKey),
            "an EdDSA key does not check an ES256 signature"
        );
    }
}
