//! The client secrets `estelam run` gives each Estelam service, so that one process can
//! host every service with real service-to-service authentication and no setup: generated
//! once, kept in the data directory readable by its owner only, and reused at each start.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::tokens;

/// File in the data directory holding the generated client secrets of `estelam run`.
pub const SERVICE_CREDENTIALS_FILE: &str = "service-clients.secret";

/// The client secret of each of `services` for `estelam run`: read from
/// `<data_dir>/service-clients.secret`, with random secrets generated (and the file
/// rewritten, mode 0600) for services that have none yet. One `name = secret` per line.
pub fn service_credentials(
    data_dir: &Path,
    services: &[&str],
) -> anyhow::Result<BTreeMap<String, SecretString>> {
    let path = data_dir.join(SERVICE_CREDENTIALS_FILE);
    let mut secrets: BTreeMap<String, SecretString> = BTreeMap::new();
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (name, secret) = line
                .split_once('=')
                .with_context(|| format!("{}: a line is not `name = secret`", path.display()))?;
            secrets.insert(
                name.trim().to_owned(),
                SecretString::from(secret.trim().to_owned()),
            );
        }
    }
    let missing: Vec<&str> = services
        .iter()
        .copied()
        .filter(|s| !secrets.contains_key(*s))
        .collect();
    if !missing.is_empty() {
        for name in missing {
            secrets.insert(
                name.to_owned(),
                SecretString::from(tokens::new_opaque_secret()),
            );
        }
        estelam_runtime::key_seal::private_dir(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let mut text = String::from(
            "# Client secrets of the Estelam services for `estelam run`; generated once. Keep private.\n",
        );
        for (name, secret) in &secrets {
            text.push_str(&format!("{name} = {}\n", secret.expose_secret()));
        }
        write_private(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(secrets)
}

/// Writes `text` to `path` readable by the owner only (0600 on Unix), replacing it atomically.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_credentials_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = service_credentials(dir.path(), &["fees", "inquiry"]).unwrap();
        assert_eq!(first.len(), 2);
        assert!(first["fees"].expose_secret().len() >= 43);
        let again = service_credentials(dir.path(), &["fees", "inquiry", "property"]).unwrap();
        assert_eq!(again["fees"].expose_secret(), first["fees"].expose_secret());
        assert_eq!(again.len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(SERVICE_CREDENTIALS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
