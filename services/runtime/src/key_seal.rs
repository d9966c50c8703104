//! Private signing keys are encrypted at rest: inquiry's answer-signing keys and identity's
//! token-signing keys.
//!
//! Whoever reads a store (a backup, a replica, a careless dump) must not be able to sign
//! answers or mint access tokens. Each private key is stored sealed with ChaCha20-Poly1305
//! under a key-encryption key (KEK) from the settings (e.g.
//! `inquiry.signing_key_encryption_key`, a Secret on Kubernetes) or, when none is
//! configured, from a file generated once in the data directory with mode 0600 (the
//! directory 0700). The key id is the associated data, so a sealed secret cannot be moved
//! onto another key's row. Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag).
//!
//! The KEK can be rolled without downtime ([`KeySeal::roll_to`], driven by each service's
//! admin call that re-seals its keys): during the roll a seal opens with the new KEK or the
//! previous one (`<setting>_previous`, or `<file>.previous` beside a generated file) and
//! always seals with the new one. See `docs/operations.md`.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::{ExposeSecret as _, SecretString};

const PREFIX: &str = "v1:";

/// Seals and opens private signing keys with the KEK.
pub struct KeySeal {
    keks: std::sync::RwLock<Keks>,
    /// Where the current KEK lives when it was generated into the data directory: a roll
    /// then writes the new one there. `None` when it comes from a setting.
    file: Option<std::path::PathBuf>,
}

/// The current KEK (seals and opens) and the previous ones (open only, during a roll).
struct Keks {
    current: [u8; 32],
    previous: Vec<[u8; 32]>,
}

/// What [`KeySeal::roll_to`] replaced, to put back with [`KeySeal::restore`] when the
/// re-sealing that follows fails.
pub struct Rolled(Keks);

fn aead(kek: &[u8; 32]) -> LessSafeKey {
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, kek)
        .unwrap_or_else(|_| unreachable!("a 32-byte key is what ChaCha20-Poly1305 takes"));
    LessSafeKey::new(unbound)
}

impl std::fmt::Debug for KeySeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySeal(..)")
    }
}

/// Why a stored key could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Not in the sealed form (a key stored before encryption at rest).
    #[error("the stored signing key is not sealed")]
    NotSealed,
    /// Sealed, but not with this KEK (or altered).
    #[error(
        "the stored signing key does not open with this key-encryption key (was the configured key-encryption key or its data-directory file changed?)"
    )]
    WrongKey,
}

impl KeySeal {
    /// A seal over a 32-byte KEK.
    pub fn new(kek: &[u8; 32]) -> Self {
        Self {
            keks: std::sync::RwLock::new(Keks {
                current: *kek,
                previous: Vec::new(),
            }),
            file: None,
        }
    }

    /// Also opens (never seals) with `previous`: the KEK before the one being rolled to.
    pub fn with_previous(self, previous: [u8; 32]) -> Self {
        if let Ok(mut keks) = self.keks.write()
            && keks.current != previous
        {
            keks.previous.push(previous);
        }
        self
    }

    /// [`KeySeal::load`], also opening with the previous KEK during a roll: from
    /// `previous` (the setting `<setting>_previous`) or, for a generated KEK, from
    /// `<data_dir>/<file>.previous` when a roll left one there.
    pub fn load_rolling(
        configured: Option<&SecretString>,
        previous: Option<&SecretString>,
        setting: &str,
        data_dir: &Path,
        file: &str,
    ) -> anyhow::Result<Self> {
        let mut seal = Self::load(configured, setting, data_dir, file)?;
        if let Some(previous) = previous {
            let kek = decode_kek(previous.expose_secret())
                .with_context(|| format!("{setting}_previous must be base64 of 32 random bytes"))?;
            seal = seal.with_previous(kek);
        }
        if configured.is_none() {
            let path = previous_file(&data_dir.join(file));
            if path.exists() {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let kek = decode_kek(text.trim())
                    .with_context(|| format!("{} must hold base64 of 32 bytes", path.display()))?;
                seal = seal.with_previous(kek);
            }
        }
        Ok(seal)
    }

    /// Makes `new` the KEK that seals, keeping the one before (and any previous) for
    /// opening, so that every key opens whether or not it was re-sealed yet. A KEK
    /// generated into the data directory is replaced there too (the old one kept in
    /// `<file>.previous` until [`KeySeal::finish_roll`]), both files 0600.
    pub fn roll_to(&self, new: [u8; 32]) -> anyhow::Result<Rolled> {
        let mut keks = self
            .keks
            .write()
            .map_err(|_| anyhow::anyhow!("the key seal's lock is poisoned"))?;
        if let Some(path) = &self.file {
            replace_private(
                &previous_file(path),
                format!("{}\n", B64.encode(keks.current)).as_bytes(),
            )
            .with_context(|| format!("writing {}", previous_file(path).display()))?;
            replace_private(path, format!("{}\n", B64.encode(new)).as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let mut previous = vec![keks.current];
        previous.extend(keks.previous.iter().copied().filter(|k| *k != new));
        let before = std::mem::replace(
            &mut *keks,
            Keks {
                current: new,
                previous,
            },
        );
        Ok(Rolled(before))
    }

    /// Puts back what [`KeySeal::roll_to`] replaced (the re-sealing failed, nothing was
    /// changed in the store), including a generated KEK's file.
    pub fn restore(&self, rolled: Rolled) -> anyhow::Result<()> {
        if let Some(path) = &self.file {
            replace_private(
                path,
                format!("{}\n", B64.encode(rolled.0.current)).as_bytes(),
            )
            .with_context(|| format!("writing {}", path.display()))?;
            let _ = std::fs::remove_file(previous_file(path));
        }
        let mut keks = self
            .keks
            .write()
            .map_err(|_| anyhow::anyhow!("the key seal's lock is poisoned"))?;
        *keks = rolled.0;
        Ok(())
    }

    /// Every stored key is now sealed with the current KEK: the previous ones are
    /// forgotten, in memory and (for a generated KEK) on disk, so an old KEK that leaked
    /// opens nothing here any more.
    pub fn finish_roll(&self) -> anyhow::Result<()> {
        if let Some(path) = &self.file {
            match std::fs::remove_file(previous_file(path)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context("removing the previous key-encryption key"),
            }
        }
        let mut keks = self
            .keks
            .write()
            .map_err(|_| anyhow::anyhow!("the key seal's lock is poisoned"))?;
        keks.previous.clear();
        Ok(())
    }

    /// The KEK from the setting named `setting` (base64 of 32 bytes), or else the one in
    /// `<data_dir>/<file>`, generated there (mode 0600, the directory 0700) on first use.
    pub fn load(
        configured: Option<&SecretString>,
        setting: &str,
        data_dir: &Path,
        file: &str,
    ) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            return Ok(Self::new(&parse_kek(secret.expose_secret()).with_context(
                || format!("{setting} must be base64 of 32 random bytes"),
            )?));
        }
        let path = data_dir.join(file);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut seal = Self::new(
                &decode_kek(text.trim())
                    .with_context(|| format!("{} must hold base64 of 32 bytes", path.display()))?,
            );
            seal.file = Some(path);
            return Ok(seal);
        }
        let kek: [u8; 32] = rand::random();
        private_dir(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        write_private(&path, &format!("{}\n", B64.encode(kek)))
            .with_context(|| format!("writing {}", path.display()))?;
        let mut seal = Self::new(&kek);
        seal.file = Some(path);
        Ok(seal)
    }

    /// Seals a private key for the row of `kid`.
    pub fn seal(&self, kid: &str, secret: &[u8; 32]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut buf = secret.to_vec();
        let current = match self.keks.read() {
            Ok(keks) => keks.current,
            Err(poisoned) => poisoned.into_inner().current,
        };
        aead(&current)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(kid.as_bytes()),
                &mut buf,
            )
            .unwrap_or_else(|_| unreachable!("32 bytes are far below the cipher's limit"));
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// Opens what [`KeySeal::seal`] stored for `kid`, with the current KEK or, during a
    /// roll, a previous one.
    pub fn open(&self, kid: &str, stored: &str) -> Result<[u8; 32], SealError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(SealError::NotSealed)?;
        let bytes = B64.decode(encoded).map_err(|_| SealError::WrongKey)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::WrongKey);
        }
        let keks: Vec<[u8; 32]> = {
            let keks = match self.keks.read() {
                Ok(keks) => keks,
                Err(poisoned) => poisoned.into_inner(),
            };
            std::iter::once(keks.current)
                .chain(keks.previous.iter().copied())
                .collect()
        };
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        for kek in &keks {
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::WrongKey)?;
            let mut buf = sealed.to_vec();
            if let Ok(plain) = aead(kek).open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf) {
                return plain.try_into().map_err(|_| SealError::WrongKey);
            }
        }
        Err(SealError::WrongKey)
    }

    /// Whether `stored` is sealed with the current KEK (not a previous one): what a
    /// re-sealing has still to do.
    pub fn is_current(&self, kid: &str, stored: &str) -> bool {
        let current = match self.keks.read() {
            Ok(keks) => keks.current,
            Err(poisoned) => poisoned.into_inner().current,
        };
        KeySeal::new(&current).open(kid, stored).is_ok()
    }
}

/// A KEK as an operator gives it: base64 of 32 random bytes.
pub fn parse_kek(text: &str) -> anyhow::Result<[u8; 32]> {
    decode_kek(text)
}

fn previous_file(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".previous");
    std::path::PathBuf::from(name)
}

/// Whether a stored secret is in the sealed form.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

fn decode_kek(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64.decode(text.trim())?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("{} bytes, not 32", b.len()))
}

/// Creates `dir` (and its parents) if needed and makes it readable by its owner only (0700
/// on Unix): it holds secrets, so not even their names are anyone else's business.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes an existing file readable and writable by its owner only (0600 on Unix).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` readable by its owner only (0600 on Unix), whole or not at all:
/// through a private temporary file and a rename, so the secret is never world-readable,
/// not even for a moment.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_kek_and_its_kid() {
        let seal = KeySeal::new(&[7; 32]);
        let secret = [42u8; 32];
        let stored = seal.seal("ans-1", &secret);
        assert!(is_sealed(&stored));
        assert!(
            !stored.contains(&B64.encode(secret)),
            "not stored in the clear"
        );
        assert_eq!(seal.open("ans-1", &stored).unwrap(), secret);
        assert!(matches!(
            seal.open("ans-2", &stored),
            Err(SealError::WrongKey)
        ));
        let other = KeySeal::new(&[8; 32]);
        assert!(matches!(
            other.open("ans-1", &stored),
            Err(SealError::WrongKey)
        ));
        assert!(matches!(
            seal.open("ans-1", &B64.encode(secret)),
            Err(SealError::NotSealed)
        ));
        // Two seals of one key differ (fresh nonce), and both open.
        let again = seal.seal("ans-1", &secret);
        assert_ne!(again, stored);
        assert_eq!(seal.open("ans-1", &again).unwrap(), secret);
    }

    const KEK_FILE: &str = "test-kek.secret";
    const SETTING: &str = "inquiry.signing_key_encryption_key";

    #[test]
    fn the_generated_kek_is_kept_private_and_reused() {
        let root = tempfile::tempdir().unwrap();
        // A directory the seal creates, so its mode is the seal's doing.
        let dir = root.path().join("data");
        let first = KeySeal::load(None, SETTING, &dir, KEK_FILE).unwrap();
        let stored = first.seal("ans-1", &[1; 32]);
        let second = KeySeal::load(None, SETTING, &dir, KEK_FILE).unwrap();
        assert_eq!(second.open("ans-1", &stored).unwrap(), [1; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(KEK_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_generated_kek_rolls_in_its_file_and_the_old_one_opens_only_during_the_roll() {
        let dir = tempfile::tempdir().unwrap();
        let seal = KeySeal::load_rolling(None, None, SETTING, dir.path(), KEK_FILE).unwrap();
        let old = seal.seal("ans-1", &[1; 32]);
        let new_kek = [7u8; 32];
        seal.roll_to(new_kek).unwrap();
        // Both open during the roll; new seals are under the new KEK only.
        assert_eq!(seal.open("ans-1", &old).unwrap(), [1; 32]);
        let fresh = seal.seal("ans-2", &[2; 32]);
        assert_eq!(
            KeySeal::new(&new_kek).open("ans-2", &fresh).unwrap(),
            [2; 32]
        );
        assert!(!seal.is_current("ans-1", &old));
        // A process started now (a crash mid-roll) finds both, from the two files.
        let path = dir.path().join(KEK_FILE);
        let previous = dir.path().join(format!("{KEK_FILE}.previous"));
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&previous), 0o600);
        }
        let restarted = KeySeal::load_rolling(None, None, SETTING, dir.path(), KEK_FILE).unwrap();
        assert_eq!(restarted.open("ans-1", &old).unwrap(), [1; 32]);
        assert_eq!(restarted.open("ans-2", &fresh).unwrap(), [2; 32]);
        // Done: the old KEK is forgotten, on disk too.
        seal.finish_roll().unwrap();
        assert!(!previous.exists());
        assert!(seal.open("ans-1", &old).is_err());
        let after = KeySeal::load_rolling(None, None, SETTING, dir.path(), KEK_FILE).unwrap();
        assert!(after.open("ans-1", &old).is_err());
        assert_eq!(after.open("ans-2", &fresh).unwrap(), [2; 32]);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_failed_reseal_puts_the_old_kek_back() {
        let dir = tempfile::tempdir().unwrap();
        let seal = KeySeal::load_rolling(None, None, SETTING, dir.path(), KEK_FILE).unwrap();
        let old = seal.seal("ans-1", &[1; 32]);
        let rolled = seal.roll_to([9; 32]).unwrap();
        seal.restore(rolled).unwrap();
        assert!(seal.is_current("ans-1", &old));
        assert!(!dir.path().join(format!("{KEK_FILE}.previous")).exists());
        let again = KeySeal::load_rolling(None, None, SETTING, dir.path(), KEK_FILE).unwrap();
        assert!(again.is_current("ans-1", &old));
    }

    #[test]
    fn a_configured_previous_kek_opens_but_never_seals() {
        let dir = tempfile::tempdir().unwrap();
        let old = SecretString::from(B64.encode([3u8; 32]));
        let new = SecretString::from(B64.encode([4u8; 32]));
        let stored = KeySeal::new(&[3; 32]).seal("k", &[5; 32]);
        let seal =
            KeySeal::load_rolling(Some(&new), Some(&old), SETTING, dir.path(), KEK_FILE).unwrap();
        assert_eq!(seal.open("k", &stored).unwrap(), [5; 32]);
        assert!(!seal.is_current("k", &stored));
        let resealed = seal.seal("k", &[5; 32]);
        assert!(KeySeal::new(&[3; 32]).open("k", &resealed).is_err());
        let err = KeySeal::load_rolling(
            Some(&new),
            Some(&SecretString::from("c2hvcnQ=".to_owned())),
            SETTING,
            dir.path(),
            KEK_FILE,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("_previous"), "{err:#}");
    }

    #[test]
    fn a_configured_kek_wins_and_a_bad_one_is_refused_with_the_setting_named() {
        let dir = tempfile::tempdir().unwrap();
        let kek = SecretString::from(B64.encode([9u8; 32]));
        let seal = KeySeal::load(Some(&kek), SETTING, dir.path(), KEK_FILE).unwrap();
        assert_eq!(
            KeySeal::new(&[9; 32])
                .open("k", &seal.seal("k", &[3; 32]))
                .unwrap(),
            [3; 32]
        );
        assert!(
            !dir.path().join(KEK_FILE).exists(),
            "no file when configured"
        );
        let err = KeySeal::load(
            Some(&SecretString::from("c2hvcnQ=".to_owned())),
            SETTING,
            dir.path(),
            KEK_FILE,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("inquiry.signing_key_encryption_key"),
            "{err:#}"
        );
    }
}
