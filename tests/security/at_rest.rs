//! Keys sealed, files private: identity's token-signing private key is stored sealed (never
//! the plain key bytes), and every file the system writes into its data directory (the
//! key-encryption keys, the SQLite stores, the demo people's passwords) is its owner's only
//! (0600), in a directory that is its owner's only (0700).

use estelam_proto::identity::v1 as ipb;

use crate::world::{World, channel};

/// The mode bits of `path`.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

pub async fn secrets_are_sealed_and_private(world: &World) {
    let data = &world.settings.data_dir;
    #[cfg(unix)]
    {
        assert_eq!(
            mode(data),
            0o700,
            "{}: the data directory is its owner's only",
            world.label
        );
        let mut files = Vec::new();
        for entry in std::fs::read_dir(data).expect("the data directory lists") {
            let path = entry.expect("an entry").path();
            if path.is_file() {
                files.push(path);
            }
        }
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        let mut expected = vec![
            "token-signing-kek.secret",
            "answer-signing-kek.secret",
            "demo.json",
        ];
        if world.label == "sqlite" {
            expected.extend(["identity.sqlite", "inquiry.sqlite", "fees.sqlite"]);
        }
        for name in expected {
            assert!(
                names.iter().any(|n| n == name),
                "{}: {name} is written to the data directory: {names:?}",
                world.label
            );
        }
        let open: Vec<String> = files
            .iter()
            .filter(|p| mode(p) != 0o600)
            .map(|p| format!("{} {:o}", p.display(), mode(p)))
            .collect();
        assert!(
            open.is_empty(),
            "{}: every file in the data directory is 0600: {open:?}",
            world.label
        );
    }

    // The stored token-signing key is sealed: not the key's bytes, nor containing them.
    let db = estelam_runtime::host::open_store(
        &world.settings,
        "identity",
        &estelam::migrations_of("identity").expect("identity"),
    )
    .await
    .expect("identity's store");
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT kid, secret_key FROM signing_keys")
        .fetch_all(db.pool())
        .await
        .expect("the signing keys");
    db.close().await;
    assert!(!rows.is_empty(), "{}: a signing key is stored", world.label);
    let (kid, key) = &world.signing;
    let seed = key.to_bytes();
    for (stored_kid, stored) in &rows {
        assert!(
            stored.starts_with(b"v1:") && stored.len() > 32,
            "{}: {stored_kid} is stored sealed",
            world.label
        );
        assert!(
            !stored.windows(32).any(|w| w == seed),
            "{}: the key's bytes are not in the stored form",
            world.label
        );
    }
    // …and what opens with the data directory's key-encryption key is the key identity
    // signs with: the key it publishes verifies it.
    let published = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ))
    .get_signing_keys(ipb::GetSigningKeysRequest {})
    .await
    .expect("the published keys")
    .into_inner();
    let public = published
        .keys
        .iter()
        .find(|k| &k.kid == kid)
        .expect("the current key is published");
    assert_eq!(
        public.public_key,
        key.verifying_key().to_bytes().to_vec(),
        "{}: the sealed key opens to the key identity signs with",
        world.label
    );
}
