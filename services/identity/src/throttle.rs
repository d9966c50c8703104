//! Brute-force throttling rules, with no I/O: how long a key (an account or a source
//! address) must wait after a number of recent failures. The counters live in the store
//! (`store::record_failure`), so every replica sees the same counts.

use std::time::Duration;

use estelam_runtime::config::ThrottleSettings;

/// The rules for one kind of key: accounts get few free failures (a person mistypes a
/// few times), sources more (many people may share one address behind a NAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures that cost nothing.
    pub free: u32,
    /// Failures that lock the key out.
    pub lockout: u32,
    /// First delay after the free failures; each further failure doubles it.
    pub base: Duration,
    /// Longest delay short of a lockout.
    pub max: Duration,
    /// Length of a lockout.
    pub lockout_for: Duration,
}

/// What a failure costs the key that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    /// The failure is free: no wait yet.
    None,
    /// The key must wait this long before its next attempt.
    Delay(Duration),
    /// The key is locked out for this long (audited).
    Lockout(Duration),
}

impl Policy {
    /// The rules for accounts (and unknown login names, counted like accounts).
    pub fn accounts(s: &ThrottleSettings) -> Self {
        Self::from_settings(s, s.account_free_failures, s.account_lockout_failures)
    }

    /// The rules for source addresses, against one address trying many accounts.
    pub fn sources(s: &ThrottleSettings) -> Self {
        Self::from_settings(s, s.source_free_failures, s.source_lockout_failures)
    }

    fn from_settings(s: &ThrottleSettings, free: u32, lockout: u32) -> Self {
        Self {
            free,
            lockout,
            base: Duration::from_secs(s.base_delay_secs),
            max: Duration::from_secs(s.max_delay_secs),
            lockout_for: Duration::from_secs(s.lockout_secs),
        }
    }

    /// The penalty after `failures` recent failures (the one just made included).
    pub fn penalty(&self, failures: u32) -> Penalty {
        if failures >= self.lockout {
            Penalty::Lockout(self.lockout_for)
        } else if failures <= self.free {
            Penalty::None
        } else {
            let doublings = (failures - self.free - 1).min(30);
            Penalty::Delay(self.base.saturating_mul(1 << doublings).min(self.max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_lock_out() {
        let p = Policy::accounts(&ThrottleSettings::default());
        let s = Duration::from_secs;
        let penalties: Vec<Penalty> = (1..=10).map(|n| p.penalty(n)).collect();
        assert_eq!(
            penalties,
            vec![
                Penalty::None,
                Penalty::None,
                Penalty::None,
                Penalty::Delay(s(2)),
                Penalty::Delay(s(4)),
                Penalty::Delay(s(8)),
                Penalty::Delay(s(16)),
                Penalty::Delay(s(32)),
                Penalty::Delay(s(64)),
                Penalty::Lockout(s(900)),
            ]
        );
        assert_eq!(p.penalty(11), Penalty::Lockout(s(900)));
    }

    #[test]
    fn delays_are_capped_and_never_overflow() {
        let p = Policy {
            free: 0,
            lockout: u32::MAX,
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            lockout_for: Duration::ZERO,
        };
        assert_eq!(p.penalty(1000), Penalty::Delay(Duration::from_secs(60)));
    }
}
