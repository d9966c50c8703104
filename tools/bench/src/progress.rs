//! The progress line: once a second, on stderr, how far the current phase is, so a long
//! run shows it is alive (stdout stays free for the markdown report).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::stats::Stats;

/// Prints `phase: done/total, failed, rate` every second until dropped.
pub struct Progress {
    stop: CancellationToken,
}

impl Progress {
    /// Starts reporting on `stats` for a phase of `total` units.
    pub fn start(phase: String, total: usize, stats: Arc<Stats>) -> Self {
        let stop = CancellationToken::new();
        let until = stop.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tokio::select! {
                    () = until.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let (ok, failed) = (stats.ok_count(), stats.failed_count());
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "  {phase}: {}/{total} done, {failed} failed, {:.1}/s, {secs:.0} s",
                    ok + failed,
                    ok as f64 / secs.max(0.001),
                );
            }
        });
        Self { stop }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
