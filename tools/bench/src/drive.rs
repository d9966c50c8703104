//! Closed-loop driving: `workers` tasks share a counter of `total` units of work and each
//! takes the next as soon as its last finished, so at most `workers` are in flight; every
//! outcome lands in the phase's [`Stats`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::stats::{Failure, Stats};

/// Runs `unit(i)` for `i` in `0..total` on `workers` closed-loop workers; returns the wall
/// time. Failures are counted, never raised.
pub async fn closed_loop<F, Fut>(
    total: usize,
    workers: usize,
    stats: &Arc<Stats>,
    unit: F,
) -> Duration
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), Failure>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers.clamp(1, total.max(1)) {
        let (next, stats, unit) = (next.clone(), stats.clone(), unit.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                match unit(i).await {
                    Ok(()) => stats.completed(),
                    Err(f) => stats.failed(&f),
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if joined.is_err() {
            stats.failed(&Failure::new(
                "worker",
                "a worker task stopped unexpectedly",
            ));
        }
    }
    started.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_unit_runs_once_and_failures_are_counted() {
        let stats = Arc::new(Stats::default());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        closed_loop(25, 4, &stats, move |i| {
            let s = s.clone();
            async move {
                s.lock().expect("lock").push(i);
                if i % 5 == 0 {
                    Err(Failure::new("unit", "every fifth fails"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
        assert_eq!(stats.ok_count(), 20);
        assert_eq!(stats.failed_count(), 5);
    }
}
