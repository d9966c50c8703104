//! Waiting for something another task, service or process does, without sleeping a fixed
//! time: look, and look again until it has happened or a deadline passes.
//!
//! The deadline is a hang guard, not a timing assertion: it is generous, and a slow machine
//! only makes the wait longer. When it passes, the failure says what was awaited and what
//! the last look saw, which is usually what a reader of the failed run needs first.

use std::fmt::Debug;
use std::time::Duration;

/// The longest pause between two looks: short enough that a test does not idle long after
/// the condition holds, long enough that a look costing a few RPCs does not load the machine.
const LONGEST_PAUSE: Duration = Duration::from_millis(100);
/// The first pause: most conditions hold within a few milliseconds.
const FIRST_PAUSE: Duration = Duration::from_millis(5);

/// What one look at an awaited condition found: done, with the value the wait returns, or
/// not yet, with what was seen (for the failure message).
pub trait Look {
    /// What the wait returns once the condition holds.
    type Value;
    /// What a look that was not yet done saw.
    type Seen: Debug;
    /// `Ok` when done.
    fn into_result(self) -> Result<Self::Value, Self::Seen>;
}

/// A plain condition: it holds or it does not.
impl Look for bool {
    type Value = ();
    type Seen = bool;
    fn into_result(self) -> Result<(), bool> {
        if self { Ok(()) } else { Err(false) }
    }
}

/// Done once something is there; a look that found nothing has nothing more to say.
impl<T> Look for Option<T> {
    type Value = T;
    type Seen = &'static str;
    fn into_result(self) -> Result<T, &'static str> {
        self.ok_or("nothing yet")
    }
}

/// Done on `Ok`; an `Err` carries what the look saw instead (a state, a count, a status).
impl<T, E: Debug> Look for Result<T, E> {
    type Value = T;
    type Seen = E;
    fn into_result(self) -> Self {
        self
    }
}

/// Looks with `check` until it is done, pausing a little longer each time (5 ms, doubling,
/// at most 100 ms); returns what the last look found. Panics once `deadline` has passed,
/// naming `what` and the last thing seen.
pub async fn eventually<L: Look>(
    what: &str,
    deadline: Duration,
    check: impl AsyncFnMut() -> L,
) -> L::Value {
    match poll_within(deadline, check).await {
        Ok(value) => value,
        Err(seen) => give_up(what, deadline, &seen),
    }
}

/// Looks as [`eventually`] does, but a missed deadline is the caller's to judge: `Err` with
/// what the last look saw (a workload that reports what did not complete, rather than
/// failing at the first thing missing).
pub async fn poll_within<L: Look>(
    deadline: Duration,
    mut check: impl AsyncFnMut() -> L,
) -> Result<L::Value, L::Seen> {
    let until = tokio::time::Instant::now() + deadline;
    let mut pause = FIRST_PAUSE;
    loop {
        match check().await.into_result() {
            Ok(value) => return Ok(value),
            Err(seen) if tokio::time::Instant::now() >= until => return Err(seen),
            Err(_) => {}
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// [`eventually`] for code that cannot await: a guard around an external server, started
/// and stopped by blocking commands and from `Drop`. Pauses the thread between looks.
pub fn eventually_blocking<L: Look>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> L,
) -> L::Value {
    let until = std::time::Instant::now() + deadline;
    let mut pause = FIRST_PAUSE;
    loop {
        match check().into_result() {
            Ok(value) => return value,
            Err(seen) if std::time::Instant::now() >= until => give_up(what, deadline, &seen),
            Err(_) => {}
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

fn give_up(what: &str, deadline: Duration, seen: &dyn Debug) -> ! {
    panic!("gave up after {deadline:?} waiting for {what}; last seen: {seen:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_what_the_look_that_succeeded_found() {
        let mut looks = 0;
        let found = eventually("the third look", Duration::from_secs(5), async || {
            looks += 1;
            if looks == 3 {
                Ok(looks * 10)
            } else {
                Err(looks)
            }
        })
        .await;
        assert_eq!((found, looks), (30, 3));
        let mut polls = 0;
        eventually("a flag", Duration::from_secs(5), async || {
            polls += 1;
            polls > 1
        })
        .await;
        assert_eq!(
            eventually("a value", Duration::from_secs(5), async || Some("x")).await,
            "x"
        );
        let mut looks = 0;
        let missed = poll_within(Duration::from_millis(20), async || {
            looks += 1;
            Err::<(), _>(looks)
        })
        .await;
        assert_eq!(
            missed,
            Err(looks),
            "the last look's finding, past the deadline"
        );
    }

    #[tokio::test]
    #[should_panic(
        expected = "waiting for the answer to be issued; last seen: \"awaiting_payment\""
    )]
    async fn a_missed_deadline_names_what_was_awaited_and_the_last_value_seen() {
        eventually::<Result<(), &str>>(
            "the answer to be issued",
            Duration::from_millis(30),
            async || Err("awaiting_payment"),
        )
        .await;
    }

    #[test]
    fn the_blocking_form_waits_and_fails_alike() {
        let mut looks = 0;
        eventually_blocking("a counter", Duration::from_secs(5), || {
            looks += 1;
            looks == 2
        });
        assert_eq!(looks, 2);
        let failed = std::panic::catch_unwind(|| {
            eventually_blocking("never", Duration::from_millis(20), || false);
        })
        .expect_err("a condition that never holds fails");
        let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("waiting for never; last seen: false"),
            "{message}"
        );
    }
}
