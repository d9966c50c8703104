//! Token crypto, with no I/O: the Ed25519 key ring that signs access tokens, the JWKS
//! document, and opaque refresh tokens with their stored hashes.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use estelam_runtime::auth::{Claims, PublicKey, Role};
use estelam_runtime::error::ServiceError;
use sha2::{Digest as _, Sha256};

/// One signing key as stored: the 32-byte Ed25519 seed and its public half.
#[derive(Clone)]
pub struct StoredKey {
    /// Key id (`kid`) derived from the public key, which tokens name in their header.
    pub kid: String,
    /// The Ed25519 seed; stored sealed under identity's key-encryption key
    /// (`estelam_runtime::key_seal`).
    pub secret: [u8; 32],
    /// The public half, published to every verifier.
    pub public: [u8; 32],
    /// When it started signing, µs since the epoch.
    pub created_at: i64,
    /// When it stopped signing (a newer key took over), µs.
    pub retired_at: Option<i64>,
    /// After this instant its tokens are no longer accepted, µs.
    pub not_after: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl StoredKey {
    /// A fresh random key created at `now` (µs).
    pub fn generate(now: i64) -> Self {
        let secret: [u8; 32] = rand::random();
        let public = SigningKey::from_bytes(&secret).verifying_key().to_bytes();
        Self {
            kid: kid_of(&public),
            secret,
            public,
            created_at: now,
            retired_at: None,
            not_after: None,
        }
    }
}

/// A key id derived from the public key (first 16 hex digits of its SHA-256), so the same
/// key always has the same id on every replica.
pub fn kid_of(public: &[u8; 32]) -> String {
    let digest = Sha256::digest(public);
    format!("ed25519-{}", hex_lower(&digest[..8]))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Current {
    kid: String,
    encoding: jsonwebtoken::EncodingKey,
}

/// The keys identity signs with (the current one) and publishes (current and previous).
#[derive(Clone)]
pub struct KeyRing {
    state: Arc<RwLock<RingState>>,
    issuer: String,
    audience: String,
}

struct RingState {
    current: Option<Current>,
    published: Vec<StoredKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("published", &self.public_keys())
            .finish()
    }
}

/// What an access token says about its holder.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The account the token speaks for (`sub`).
    pub account_id: String,
    /// What the holder may do; services authorise by these without asking identity.
    pub roles: Vec<Role>,
    /// The organisation an authority user acts for (`org`), so services can check
    /// ownership without asking identity.
    pub organization_id: Option<String>,
    /// A citizen's national code (`nc`): the person the token speaks for, so that no
    /// service has to trust a national code typed into a form.
    pub national_code: Option<String>,
    /// The login session (`sid`) a person's token belongs to; none for machine tokens.
    pub session_id: Option<String>,
    /// The account's password was set for it and must be changed first (`pwc`): every
    /// service refuses the token for anything else.
    pub password_change_required: bool,
}

impl KeyRing {
    /// An empty ring for tokens from `issuer` to `audience`; [`KeyRing::load`] fills it.
    pub fn new(issuer: &str, audience: &str) -> Self {
        Self {
            state: Arc::new(RwLock::new(RingState {
                current: None,
                published: Vec::new(),
            })),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// The `iss` of issued tokens, which `GetSigningKeys` publishes for verifiers.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` of issued tokens, which `GetSigningKeys` publishes for verifiers.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Replaces the ring with `keys` as loaded from the store at `now` (µs): the newest key
    /// not retired signs; every key not past its `not_after` is published, newest first.
    pub fn load(&self, mut keys: Vec<StoredKey>, now: i64) -> Result<(), ServiceError> {
        keys.retain(|k| k.not_after.is_none_or(|t| t > now));
        keys.sort_by(|a, b| (b.created_at, &b.kid).cmp(&(a.created_at, &a.kid)));
        let current = match keys.iter().find(|k| k.retired_at.is_none()) {
            Some(k) => {
                let der = SigningKey::from_bytes(&k.secret)
                    .to_pkcs8_der()
                    .map_err(|e| ServiceError::internal(anyhow::anyhow!("pkcs8: {e}")))?;
                Some(Current {
                    kid: k.kid.clone(),
                    encoding: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
                })
            }
            None => None,
        };
        // Put the signing key first, as GetSigningKeys promises.
        if let Some(c) = &current
            && let Some(pos) = keys.iter().position(|k| k.kid == c.kid)
        {
            let k = keys.remove(pos);
            keys.insert(0, k);
        }
        let mut state = self
            .state
            .write()
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("key ring lock poisoned")))?;
        *state = RingState {
            current,
            published: keys,
        };
        Ok(())
    }

    /// The `kid` that signs new tokens.
    pub fn current_kid(&self) -> Option<String> {
        self.state
            .read()
            .ok()
            .and_then(|s| s.current.as_ref().map(|c| c.kid.clone()))
    }

    /// The published keys, current first.
    pub fn published(&self) -> Vec<StoredKey> {
        self.state
            .read()
            .map(|s| s.published.clone())
            .unwrap_or_default()
    }

    /// The published keys in the form the runtime's verifier takes.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.published()
            .into_iter()
            .map(|k| PublicKey {
                kid: k.kid,
                key: k.public,
            })
            .collect()
    }

    /// Signs an access token for `subject`, valid for `ttl` from `now` (seconds since the
    /// epoch). Returns the token, its id and its expiry (seconds).
    pub fn issue(
        &self,
        subject: &Subject,
        ttl: Duration,
        now: u64,
    ) -> Result<(String, String, u64), ServiceError> {
        let jti = uuid::Uuid::now_v7().simple().to_string();
        let exp = now + ttl.as_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.account_id.clone(),
            exp,
            nbf: now,
            iat: now,
            jti: jti.clone(),
            roles: subject
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            org: subject.organization_id.clone(),
            nc: subject.national_code.clone(),
            sid: subject.session_id.clone(),
            pwc: subject.password_change_required,
        };
        let state = self
            .state
            .read()
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("key ring lock poisoned")))?;
        let current = state
            .current
            .as_ref()
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no signing key loaded")))?;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(current.kid.clone());
        header.typ = Some("JWT".into());
        let token = jsonwebtoken::encode(&header, &claims, &current.encoding)
            .map_err(ServiceError::internal)?;
        Ok((token, jti, exp))
    }

    /// The published keys as a JSON Web Key Set (RFC 7517, OKP keys per RFC 8037), for
    /// HTTP clients such as the gateway's `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .published()
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.public),
                    "kid": k.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block.
pub fn public_key_pem(public: &[u8; 32]) -> String {
    // SPKI for Ed25519 is a fixed 12-byte prefix (RFC 8410) and the 32 key bytes.
    const PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(public);
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
}

/// A new opaque secret (refresh token, client secret): 32 random bytes (256 bits),
/// base64url without padding.
pub fn new_opaque_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a high-entropy secret: hex SHA-256. A slow hash is not needed for
/// 256-bit random values, and a fast one keeps refresh and client-credential calls cheap.
pub fn secret_hash(secret: &str) -> String {
    hex_lower(&Sha256::digest(secret.as_bytes()))
}

/// Compares two secret hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_with(keys: Vec<StoredKey>) -> KeyRing {
        let ring = KeyRing::new("estelam-identity", "estelam");
        ring.load(keys, 1_000).unwrap();
        ring
    }

    #[test]
    fn tokens_verify_with_the_runtime_verifier_and_carry_every_claim() {
        let ring = ring_with(vec![StoredKey::generate(0)]);
        let subject = Subject {
            account_id: "acc-1".into(),
            roles: vec![Role::Authority],
            organization_id: Some("org-1".into()),
            national_code: Some("0012345679".into()),
            session_id: Some("session-1".into()),
            password_change_required: true,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let (token, jti, exp) = ring.issue(&subject, Duration::from_secs(900), now).unwrap();
        assert_eq!(exp, now + 900);
        let verifier = estelam_runtime::auth::TokenVerifier::new("estelam-identity", "estelam");
        verifier.set_keys(&ring.public_keys());
        let caller = verifier.verify(&token).unwrap();
        assert_eq!(caller.subject, "acc-1");
        assert_eq!(caller.roles, vec![Role::Authority]);
        assert_eq!(caller.organization.as_deref(), Some("org-1"));
        assert_eq!(caller.token_id, jti);
        assert_eq!(caller.national_code.as_deref(), Some("0012345679"));
        assert_eq!(caller.session_id.as_deref(), Some("session-1"));
        assert!(caller.password_change_required);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid, ring.current_kid());
    }

    #[test]
    fn the_newest_unretired_key_signs_and_expired_keys_are_dropped() {
        let old = StoredKey {
            retired_at: Some(500),
            not_after: Some(2_000),
            ..StoredKey::generate(100)
        };
        let gone = StoredKey {
            retired_at: Some(50),
            not_after: Some(900),
            ..StoredKey::generate(10)
        };
        let new = StoredKey::generate(500);
        let ring = ring_with(vec![old.clone(), gone, new.clone()]);
        assert_eq!(ring.current_kid(), Some(new.kid.clone()));
        let kids: Vec<String> = ring.published().into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, vec![new.kid, old.kid]);
    }

    #[test]
    fn jwks_and_pem_describe_the_public_keys() {
        let key = StoredKey::generate(0);
        let ring = ring_with(vec![key.clone()]);
        let jwks = ring.jwks();
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert_eq!(jwks["keys"][0]["kid"], key.kid.as_str());
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        assert_eq!(x, key.public);
        let pem = public_key_pem(&key.public);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
        assert!(jsonwebtoken::DecodingKey::from_ed_pem(pem.as_bytes()).is_ok());
    }

    #[test]
    fn opaque_secrets_are_long_random_and_hashed() {
        let a = new_opaque_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_opaque_secret());
        assert!(hashes_equal(&secret_hash(&a), &secret_hash(&a)));
        assert!(!hashes_equal(&secret_hash(&a), &secret_hash("other")));
    }
}
