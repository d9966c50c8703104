//! What identity revoked before the tokens expire: whole accounts (a disabled account, every
//! token issued up to a moment) and single login sessions (a logout: every token carrying that
//! session's `sid`). Every service's [`crate::auth::TokenVerifier`] holds both, refreshed with
//! the signing keys, so an ended session or account is refused everywhere within one key
//! refresh instead of when its access tokens expire.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::auth::Caller;

/// A subject whose tokens issued at or before `revoked_at` are refused until `hold_until`,
/// when every such token has expired anyway (times in seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSubject {
    /// The account id, a token's `sub`.
    pub subject: String,
    /// Tokens with `iat` at or before this are refused.
    pub revoked_at: u64,
    /// After this the entry is dropped.
    pub hold_until: u64,
}

/// A login session that ended (logout, log-out-everywhere, a reused refresh token, a password
/// change): every token with its `sid` is refused until `hold_until`. Identity never issues a
/// token in an ended session, so no issue time needs comparing (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSession {
    /// The session (refresh family) id, a token's `sid`.
    pub session_id: String,
    /// When it ended.
    pub revoked_at: u64,
    /// After this every token of the session has expired, and the entry is dropped.
    pub hold_until: u64,
}

/// The revocations a verifier enforces.
#[derive(Debug, Default)]
pub struct Revocations {
    /// Account id → (revoked at, hold until).
    subjects: RwLock<HashMap<String, (u64, u64)>>,
    /// Session id → hold until.
    sessions: RwLock<HashMap<String, u64>>,
}

impl Revocations {
    /// Replaces both lists with what identity now publishes, dropping entries past their hold.
    pub fn replace(&self, subjects: &[RevokedSubject], sessions: &[RevokedSession], now: u64) {
        let subjects = subjects
            .iter()
            .filter(|r| r.hold_until > now)
            .map(|r| (r.subject.clone(), (r.revoked_at, r.hold_until)))
            .collect::<HashMap<_, _>>();
        if let Ok(mut guard) = self.subjects.write() {
            *guard = subjects;
        }
        let sessions = sessions
            .iter()
            .filter(|r| r.hold_until > now)
            .map(|r| (r.session_id.clone(), r.hold_until))
            .collect::<HashMap<_, _>>();
        if let Ok(mut guard) = self.sessions.write() {
            *guard = sessions;
        }
    }

    /// Adds one subject revocation now, keeping the later of two for the same subject.
    pub fn add_subject(&self, entry: RevokedSubject, now: u64) {
        if let Ok(mut guard) = self.subjects.write() {
            guard.retain(|_, (_, hold)| *hold > now);
            let slot = guard.entry(entry.subject).or_insert((0, 0));
            slot.0 = slot.0.max(entry.revoked_at);
            slot.1 = slot.1.max(entry.hold_until);
        }
    }

    /// Adds one session revocation now.
    pub fn add_session(&self, entry: RevokedSession, now: u64) {
        if let Ok(mut guard) = self.sessions.write() {
            guard.retain(|_, hold| *hold > now);
            let slot = guard.entry(entry.session_id).or_insert(0);
            *slot = (*slot).max(entry.hold_until);
        }
    }

    /// Subject and session revocations held at `now`.
    pub fn count(&self, now: u64) -> usize {
        let subjects = self
            .subjects
            .read()
            .map(|r| r.values().filter(|(_, hold)| *hold > now).count())
            .unwrap_or(0);
        let sessions = self
            .sessions
            .read()
            .map(|r| r.values().filter(|hold| **hold > now).count())
            .unwrap_or(0);
        subjects + sessions
    }

    /// True when `caller`'s token, issued at `iat`, belongs to a revoked account or session.
    pub fn refuses(&self, caller: &Caller, iat: u64, now: u64) -> bool {
        let subject = self.subjects.read().is_ok_and(|revoked| {
            revoked
                .get(&caller.subject)
                .is_some_and(|(at, hold)| iat <= *at && *hold > now)
        });
        subject
            || caller.session_id.as_ref().is_some_and(|sid| {
                self.sessions
                    .read()
                    .is_ok_and(|revoked| revoked.get(sid).is_some_and(|hold| *hold > now))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn caller(subject: &str, sid: Option<&str>) -> Caller {
        Caller {
            subject: subject.into(),
            roles: vec![Role::Citizen],
            organization: None,
            token_id: "jti".into(),
            national_code: None,
            session_id: sid.map(str::to_owned),
            password_change_required: false,
        }
    }

    #[test]
    fn an_ended_session_refuses_its_tokens_only() {
        let r = Revocations::default();
        r.add_session(
            RevokedSession {
                session_id: "s1".into(),
                revoked_at: 100,
                hold_until: 200,
            },
            100,
        );
        assert!(r.refuses(&caller("a", Some("s1")), 90, 150));
        assert!(
            !r.refuses(&caller("a", Some("s2")), 90, 150),
            "another session"
        );
        assert!(!r.refuses(&caller("a", None), 90, 150), "a machine token");
        assert!(!r.refuses(&caller("a", Some("s1")), 90, 200), "hold over");
        assert_eq!(r.count(150), 1);
        r.replace(&[], &[], 150);
        assert!(!r.refuses(&caller("a", Some("s1")), 90, 150));
    }

    #[test]
    fn a_revoked_subject_refuses_tokens_issued_up_to_the_revocation() {
        let r = Revocations::default();
        let entry = RevokedSubject {
            subject: "a".into(),
            revoked_at: 100,
            hold_until: 200,
        };
        r.replace(std::slice::from_ref(&entry), &[], 50);
        assert!(r.refuses(&caller("a", Some("s")), 100, 150));
        assert!(
            !r.refuses(&caller("a", Some("s")), 101, 150),
            "issued after"
        );
        assert!(!r.refuses(&caller("b", Some("s")), 100, 150));
    }
}
