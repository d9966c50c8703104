//! Access tokens for tests of services that check their callers, minted as identity mints
//! them, without running identity.

use super::unique_suffix;

/// A throwaway Ed25519 signing key that mints access tokens the way identity does, for
/// tests of services that check callers.
pub struct TokenMint {
    kid: String,
    encoding: jsonwebtoken::EncodingKey,
    public: [u8; 32],
    /// Issuer written into tokens.
    pub issuer: String,
    /// Audience written into tokens.
    pub audience: String,
}

impl Default for TokenMint {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenMint {
    /// A new random key, issuing for the default issuer and audience.
    pub fn new() -> Self {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let der = signing
            .to_pkcs8_der()
            .expect("an Ed25519 key always encodes as PKCS#8");
        let defaults = crate::config::AuthSettings::default();
        Self {
            kid: format!("test-{}", unique_suffix()),
            encoding: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
            public: signing.verifying_key().to_bytes(),
            issuer: defaults.issuer,
            audience: defaults.audience,
        }
    }

    /// The public half, as identity publishes it.
    pub fn public_key(&self) -> crate::auth::PublicKey {
        crate::auth::PublicKey {
            kid: self.kid.clone(),
            key: self.public,
        }
    }

    /// A verifier that trusts this key.
    pub fn verifier(&self) -> crate::auth::TokenVerifier {
        let verifier = crate::auth::TokenVerifier::new(&self.issuer, &self.audience);
        verifier.set_keys(&[self.public_key()]);
        verifier
    }

    /// Claims valid for 15 minutes for `subject` with `roles`.
    pub fn claims(&self, subject: &str, roles: &[crate::auth::Role]) -> crate::auth::Claims {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        crate::auth::Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now + 900,
            nbf: now,
            iat: now,
            jti: unique_suffix(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            org: None,
            nc: None,
            sid: None,
            pwc: false,
        }
    }

    /// Signs `claims` with this key.
    pub fn sign(&self, claims: &crate::auth::Claims) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing with a valid key cannot fail")
    }

    /// A valid token for `subject` with `roles`.
    pub fn token(&self, subject: &str, roles: &[crate::auth::Role]) -> String {
        self.sign(&self.claims(subject, roles))
    }
}
