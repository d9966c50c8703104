//! Access tokens this process has already verified, so that a caller's every request does not
//! pay for the Ed25519 signature, the base64 and the JSON of the same token again. A hit is
//! the exact token text (never a part of it: a changed payload under a valid signature must
//! miss), still inside its `nbf`/`exp` window; revocation is checked by the verifier on every
//! request, hit or not. The set is bounded, and emptied whenever the signing keys change, so
//! a withdrawn key's tokens stop verifying at once.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::auth::Caller;

/// Most tokens held; when full, entries past their expiry go first, then everything.
pub const CAPACITY: usize = 8_192;

/// A verified token's outcome and the window in which it stays valid.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who the token proves.
    pub caller: Caller,
    /// Issued at, for the revocation check.
    pub iat: u64,
    /// Valid from (leeway applied), seconds since the epoch.
    pub valid_from: u64,
    /// Valid until (leeway applied), seconds since the epoch.
    pub valid_until: u64,
}

/// The bounded set of verified tokens.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, Verified>>,
}

impl VerifiedTokens {
    /// The verified outcome of exactly `token`, if it was verified and is valid at `now`.
    pub fn get(&self, token: &str, now: u64) -> Option<Verified> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(token)
            .filter(|v| v.valid_from <= now && now <= v.valid_until)
            .cloned()
    }

    /// Remembers that `token` verified as `verified`.
    pub fn insert(&self, token: &str, verified: Verified, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, v| now <= v.valid_until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.into(), verified);
    }

    /// Forgets every token (the keys changed).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Tokens held.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn verified(valid_from: u64, valid_until: u64) -> Verified {
        Verified {
            caller: Caller {
                subject: "acc-1".into(),
                roles: vec![Role::Citizen],
                organization: None,
                token_id: "jti-1".into(),
                national_code: None,
                session_id: None,
                password_change_required: false,
            },
            iat: valid_from,
            valid_from,
            valid_until,
        }
    }

    #[test]
    fn only_the_exact_token_inside_its_window_hits() {
        let set = VerifiedTokens::default();
        set.insert("a.b.c", verified(100, 200), 150);
        assert!(set.get("a.b.c", 150).is_some());
        assert!(set.get("a.b.c", 200).is_some());
        assert!(set.get("a.b.c", 201).is_none(), "expired");
        assert!(set.get("a.b.c", 99).is_none(), "not yet valid");
        assert!(
            set.get("a.X.c", 150).is_none(),
            "another payload, same signature"
        );
        assert!(set.get("a.b.c ", 150).is_none());
    }

    #[test]
    fn a_full_set_drops_expired_tokens_first_and_never_grows_past_its_bound() {
        let set = VerifiedTokens::default();
        for i in 0..CAPACITY {
            let until = if i % 2 == 0 { 120 } else { 500 };
            set.insert(&format!("t{i}"), verified(100, until), 110);
        }
        assert_eq!(set.len(), CAPACITY);
        set.insert("new", verified(100, 500), 300);
        assert_eq!(set.len(), CAPACITY / 2 + 1, "the expired half went");
        assert!(set.get("t1", 300).is_some());
        for i in 0..CAPACITY {
            set.insert(&format!("u{i}"), verified(100, 500), 300);
        }
        assert!(set.len() <= CAPACITY);
        set.clear();
        assert!(set.is_empty());
    }
}
