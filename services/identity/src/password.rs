//! Passwords: the policy (no I/O) and the argon2id hasher that runs off the async threads.
//!
//! Policy (NIST SP 800-63B style): 8 to 64 characters of any script (Persian letters are
//! welcome), no control characters, not one of the common passwords shipped in
//! `data/common-passwords.txt`, and not the person's own national code or mobile number. No
//! composition rules: they make passwords harder to remember, not to guess.
//!
//! Before hashing and before checking, Persian and Arabic-Indic digits become ASCII, so a
//! password typed on a Persian keyboard on one device and a Latin one on another is the same
//! password. A common password typed with the Persian keyboard layout active (`حشسسصخقی`
//! for `password`) is recognised too.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use estelam_domain::normalize_digits;
use estelam_runtime::error::ServiceError;
use tokio::sync::Semaphore;

use crate::errors;

/// Fewest characters of a password.
pub const MIN_CHARS: usize = 8;
/// Most characters of a password (long passphrases are welcome up to here).
pub const MAX_CHARS: usize = 64;

/// The shipped list of common passwords (lower case, 8 to 64 characters); see
/// `data/COMMON-PASSWORDS.md` for where it comes from.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// How many common passwords are shipped, so a test can tell the list was not lost.
pub fn common_password_count() -> usize {
    COMMON.len()
}

/// The form of a password that is hashed and compared: digits made ASCII.
pub fn normalize(password: &str) -> String {
    normalize_digits(password)
}

/// The Latin key under each letter of the standard Persian keyboard layout (ISIRI 9147), so
/// a Latin password typed with the Persian layout active is recognised.
fn latin_key(c: char) -> Option<char> {
    Some(match c {
        'ض' => 'q',
        'ص' => 'w',
        'ث' => 'e',
        'ق' => 'r',
        'ف' => 't',
        'غ' => 'y',
        'ع' => 'u',
        'ه' => 'i',
        'خ' => 'o',
        'ح' => 'p',
        'ج' => '[',
        'چ' => ']',
        'ش' => 'a',
        'س' => 's',
        'ی' | 'ي' => 'd',
        'ب' => 'f',
        'ل' => 'g',
        'ا' => 'h',
        'ت' => 'j',
        'ن' => 'k',
        'م' => 'l',
        'ک' | 'ك' => ';',
        'گ' => '\'',
        'ظ' => 'z',
        'ط' => 'x',
        'ز' => 'c',
        'ر' => 'v',
        'ذ' => 'b',
        'د' => 'n',
        'پ' => 'm',
        'و' => ',',
        other if other.is_ascii() => other,
        _ => return None,
    })
}

/// Checks a new password against the policy. `personal` holds values the password may not
/// equal (the person's national code, mobile number).
pub fn check_policy(field: &str, password: &str, personal: &[&str]) -> Result<(), ServiceError> {
    let normalized = normalize(password);
    let chars = normalized.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
        return Err(errors::password_length(field, MIN_CHARS, MAX_CHARS));
    }
    if normalized.chars().any(char::is_control) {
        return Err(errors::password_control_character(field));
    }
    let lower = normalized.to_lowercase();
    let typed_as_latin: Option<String> = lower.chars().map(latin_key).collect();
    let common = COMMON.contains(lower.as_str())
        || typed_as_latin.is_some_and(|l| COMMON.contains(l.as_str()));
    if common {
        return Err(errors::password_too_common(field));
    }
    if personal
        .iter()
        .any(|p| !p.is_empty() && normalize(p).to_lowercase() == lower)
    {
        return Err(errors::password_personal(field));
    }
    Ok(())
}

/// A random password for an account an admin creates (shown once): 16 characters from an
/// alphabet without look-alikes, about 90 bits.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())]))
        .collect()
}

/// argon2id at the OWASP parameters: m = 19456 KiB, t = 2, p = 1.
pub fn owasp_params() -> Params {
    // These constants are within argon2's limits, so construction cannot fail.
    Params::new(19_456, 2, 1, None).expect("the OWASP argon2id parameters are valid")
}

/// Hashes and verifies passwords on the blocking pool, at most `permits` at once, so a burst
/// of logins queues here instead of occupying the async worker threads other requests need.
#[derive(Clone)]
pub struct Hasher {
    argon: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified for unknown accounts so that the time a failed
    /// login takes does not reveal whether the account exists.
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

impl Hasher {
    /// A hasher with `params`, running at most `concurrency` hashes at once (0: one per core).
    pub async fn new(params: Params, concurrency: usize) -> Result<Self, ServiceError> {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
        } else {
            concurrency
        };
        let argon = Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params));
        let mut hasher = Self {
            argon,
            permits: Arc::new(Semaphore::new(concurrency)),
            dummy: Arc::new(String::new()),
        };
        hasher.dummy = Arc::new(hasher.hash(generate()).await?);
        Ok(hasher)
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of `password`, normalised first.
    pub async fn hash(&self, password: String) -> Result<String, ServiceError> {
        let argon = self.argon.clone();
        self.blocking(move || {
            let salt: [u8; 16] = rand::random();
            argon
                .hash_password_with_salt(normalize(&password).as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ServiceError::internal(anyhow::anyhow!("argon2 hash: {e}")))
        })
        .await
    }

    /// Whether `password` matches `phc`; with no hash (unknown account, or a service account
    /// logging in as a person) the dummy hash is verified and the answer is `false`.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, ServiceError> {
        let argon = self.argon.clone();
        let known = phc.as_deref().is_some_and(|p| p.starts_with("$argon2"));
        let target = if known {
            phc.unwrap_or_default()
        } else {
            self.dummy.as_ref().clone()
        };
        self.blocking(move || {
            let ok = argon
                .verify_password(normalize(&password).as_bytes(), target.as_str())
                .is_ok();
            Ok(ok && known)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(ServiceError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(ServiceError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_takes_persian_passphrases_and_refuses_weak_ones() {
        assert!(check_policy("password", "گل‌های بهاری شاهین‌شهر", &[]).is_ok());
        assert!(check_policy("password", "correct horse battery", &[]).is_ok());
        assert!(check_policy("password", &"ب".repeat(64), &[]).is_ok());
        let reason = |p: &str| {
            check_policy("password", p, &["0076229645", "09121234567"])
                .unwrap_err()
                .reason
        };
        assert_eq!(reason("short1"), "PASSWORD_LENGTH");
        assert_eq!(reason(&"a".repeat(65)), "PASSWORD_LENGTH");
        assert_eq!(reason("password"), "PASSWORD_TOO_COMMON");
        assert_eq!(reason("PassWord1"), "PASSWORD_TOO_COMMON");
        assert_eq!(reason("۱۲۳۴۵۶۷۸"), "PASSWORD_TOO_COMMON");
        assert_eq!(
            reason("حشسسصخقی"),
            "PASSWORD_TOO_COMMON",
            "password typed with the Persian layout"
        );
        assert_eq!(reason("۰۰۷۶۲۲۹۶۴۵"), "PASSWORD_PERSONAL");
        assert_eq!(reason("line\nbreak!"), "PASSWORD_CONTROL_CHARACTER");
    }

    #[test]
    fn a_few_thousand_common_passwords_are_shipped() {
        assert!(
            common_password_count() >= 3000,
            "{}",
            common_password_count()
        );
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        for _ in 0..50 {
            let p = generate();
            assert_eq!(p.len(), 16);
            assert!(check_policy("password", &p, &[]).is_ok());
        }
    }

    #[tokio::test]
    async fn hashes_verify_across_digit_sets_and_unknown_accounts_never_match() {
        let hasher = Hasher::new(owasp_params(), 2).await.unwrap();
        let phc = hasher.hash("رمز ۱۲۳ امن".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            hasher
                .verify("رمز 123 امن".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("رمز 124 امن".into(), Some(phc))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
        assert!(
            !hasher
                .verify("anything at all".into(), Some("sha256:abc".into()))
                .await
                .unwrap()
        );
    }
}
