//! The service reads time through [`Clock`], so bills (whose penalties depend on the day)
//! can be tested against hand-computed figures on a fixed date.

use std::sync::atomic::{AtomicI64, Ordering};

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    /// Now, microseconds since the Unix epoch.
    fn now_us(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        estelam_runtime::db::now_micros()
    }
}

/// A clock that stays where it is set (tests and demos).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `us`.
    pub fn at(us: i64) -> Self {
        Self(AtomicI64::new(us))
    }

    /// Moves it to `us`.
    pub fn set(&self, us: i64) {
        self.0.store(us, Ordering::SeqCst);
    }

    /// Moves it forward by `us`.
    pub fn advance(&self, us: i64) {
        self.0.fetch_add(us, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
