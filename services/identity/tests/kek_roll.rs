//! Rolling the key-encryption key (KEK) that seals the token-signing keys, on every
//! database backend, with the KEK generated into the data directory (`estelam run`): the
//! admin's re-sealing (`ResealTokenSigningKeys`) re-seals every stored key under a new KEK
//! and writes it into the KEK file (0600), identity keeps issuing tokens that verify, a
//! restart reads the new KEK and starts, and a start with only the old KEK refuses.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use estelam_identity::service::{KEK_FILE, KEK_SETTING};
use estelam_runtime::auth::{IdentityKeySource, TokenVerifier};
use estelam_runtime::host::ServiceContext;
use estelam_runtime::key_seal::KeySeal;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

async fn stored(h: &Harness) -> Vec<(String, String)> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT kid, secret_key FROM signing_keys")
        .fetch_all(h.identity.db().pool())
        .await
        .expect("the keys");
    rows.into_iter()
        .map(|(kid, s)| (kid, String::from_utf8(s).expect("sealed text")))
        .collect()
}

/// Builds identity again over the same store with `settings`: a restart.
async fn restart(h: &Harness, settings: Settings) -> Result<(), String> {
    let shutdown = CancellationToken::new();
    let ctx = ServiceContext {
        settings: Arc::new(settings),
        db: h.identity.db().clone(),
        verifier: TokenVerifier::new(&h.settings.auth.issuer, &h.settings.auth.audience),
        bus: Arc::new(estelam_runtime::bus::MemoryBus::new()),
        shutdown: shutdown.clone(),
    };
    let built = estelam_identity::build_with(&ctx, Arc::new(estelam_identity::LogSms::new())).await;
    shutdown.cancel();
    built.map(|_| ()).map_err(|e| format!("{e:#}"))
}

use estelam_runtime::config::Settings;

#[tokio::test]
async fn an_admin_reseals_the_token_signing_keys_under_a_new_kek() {
    for db in
        estelam_runtime::testing::databases("identity_kek_roll", &estelam_identity::migrations())
            .await
            .expect("test databases")
    {
        // A data directory (and so a generated KEK) of each backend's own.
        let data = tempfile::tempdir().expect("a data directory");
        let mut s = settings();
        s.data_dir = data.path().to_path_buf();
        let h = start_on(db, Arc::new(s)).await;
        let label = h.label;
        let file = h.settings.data_dir.join(KEK_FILE);
        let old = KeySeal::load(None, KEK_SETTING, &h.settings.data_dir, KEK_FILE).expect("KEK");
        let old_text = std::fs::read_to_string(&file).expect("the KEK file");
        assert!(stored(&h).await.iter().all(|(k, s)| old.open(k, s).is_ok()));

        let refused = h
            .identity
            .reseal_signing_keys("not base64 of 32 bytes")
            .await;
        assert!(refused.is_err(), "{label}: a malformed KEK is refused");
        let new_kek: [u8; 32] = rand::random();
        let n = h
            .identity
            .reseal_signing_keys(&B64.encode(new_kek))
            .await
            .expect("re-sealed");
        let keys = stored(&h).await;
        assert_eq!(n as usize, keys.len(), "{label}: every key");
        let new = KeySeal::new(&new_kek);
        for (kid, s) in &keys {
            assert!(new.open(kid, s).is_ok(), "{label}: {kid} under the new KEK");
            assert!(
                old.open(kid, s).is_err(),
                "{label}: {kid} not under the old"
            );
        }
        // The new KEK is in the file, 0600; the old one is gone from the directory.
        assert_eq!(
            std::fs::read_to_string(&file).expect("the KEK file").trim(),
            B64.encode(new_kek)
        );
        assert!(
            !h.settings
                .data_dir
                .join(format!("{KEK_FILE}.previous"))
                .exists()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{label}");
        }
        // Identity kept signing: a token it issues now verifies.
        let mut client = h.client();
        let national = fresh_national_code();
        register(&mut client, &national).await;
        let token = login(&mut client, &national, CITIZEN_PASSWORD)
            .await
            .access_token;
        let published = IdentityKeySource::new(h.server.channel())
            .keys()
            .await
            .expect("keys");
        let verifier = TokenVerifier::new(&h.settings.auth.issuer, &h.settings.auth.audience);
        verifier.set_keys(&published);
        verifier.verify(&token).expect("still signing");

        // A restart reads the new KEK from the file and starts; with only the old KEK
        // configured it refuses, and says why.
        restart(&h, (*h.settings).clone())
            .await
            .expect("starts with the new KEK");
        let mut with_old = (*h.settings).clone();
        with_old.identity.signing_key_encryption_key =
            Some(SecretString::from(old_text.trim().to_owned()));
        let why = restart(&h, with_old)
            .await
            .expect_err("refuses the old KEK");
        assert!(why.contains("key-encryption key"), "{label}: {why}");
        h.stop().await;
    }
}
