//! The answer-signing keys are encrypted at rest with the runtime's [`KeySeal`] (shared with
//! identity's token-signing keys), under `inquiry.signing_key_encryption_key` or a KEK
//! generated once into the data directory.

use std::path::Path;

use secrecy::SecretString;

pub use estelam_runtime::key_seal::{KeySeal, SealError, is_sealed};

/// The file the KEK is generated into when none is configured.
pub const KEK_FILE: &str = "answer-signing-kek.secret";

/// The setting that holds the KEK in production.
pub const KEK_SETTING: &str = "inquiry.signing_key_encryption_key";

/// The KEK from `inquiry.signing_key_encryption_key`, or else the one in
/// `<data_dir>/answer-signing-kek.secret`, generated there on first use; during a roll
/// also the previous one (`inquiry.signing_key_encryption_key_previous`, or the file's
/// `.previous` beside it), for opening only.
pub fn load(
    configured: Option<&SecretString>,
    previous: Option<&SecretString>,
    data_dir: &Path,
) -> anyhow::Result<KeySeal> {
    KeySeal::load_rolling(configured, previous, KEK_SETTING, data_dir, KEK_FILE)
}
