//! CPU spent during a phase, so a throughput figure can be read against what the machine
//! had: the whole machine's busy time (`/proc/stat`: every process, the database and the
//! broker included) and this process's own (`/proc/self/stat`: the generator and, when the
//! system runs in-process, every service) and, when the system runs as separate
//! `estelam serve` processes, theirs added up (`/proc/<pid>/stat`). Divided by the flows
//! completed it gives the CPU one flow costs, which bounds the flows per second two cores
//! can ever carry.

use std::time::Duration;

/// Linux reports both files in USER_HZ ticks, fixed at 100 per second for user space.
const TICKS_PER_SECOND: u64 = 100;

/// A reading of both counters.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    machine_busy: u64,
    process: u64,
    /// The system's own processes, when it runs as processes of its own.
    services: Option<u64>,
}

/// CPU time spent between two samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuUse {
    /// Busy time of every core of the machine, added up.
    pub machine: Duration,
    /// This process's user + system time.
    pub process: Duration,
    /// The `estelam serve` processes' user + system time, added up (multi-process runs).
    pub services: Option<Duration>,
}

impl CpuSample {
    /// Reads the counters now; `None` where `/proc` is not Linux's.
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        Some(Self {
            machine_busy: machine_busy_ticks(&stat)?,
            process: process_ticks(&own)?,
            services: None,
        })
    }

    /// Reads the counters now, and those of the processes `pids` (the system's, when it
    /// runs as processes of its own) added up; a process that has exited counts nothing.
    pub fn with_processes(pids: &[u32]) -> Option<Self> {
        let mut sample = Self::now()?;
        sample.services = Some(
            pids.iter()
                .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
                .filter_map(|stat| process_ticks(&stat))
                .sum(),
        );
        Some(sample)
    }

    /// What was spent from `self` until `later`.
    pub fn until(&self, later: &Self) -> CpuUse {
        let d =
            |a: u64, b: u64| Duration::from_millis(b.saturating_sub(a) * 1000 / TICKS_PER_SECOND);
        CpuUse {
            machine: d(self.machine_busy, later.machine_busy),
            process: d(self.process, later.process),
            services: self.services.zip(later.services).map(|(a, b)| d(a, b)),
        }
    }
}

/// The `cpu` line of `/proc/stat` without idle and iowait.
fn machine_busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    // already inside user and nice.
    let at = |i: usize| fields.get(i).copied().unwrap_or(0);
    Some(at(0) + at(1) + at(2) + at(5) + at(6) + at(7))
}

/// utime + stime of `/proc/self/stat` (fields 14 and 15; the command name may hold spaces,
/// so fields are counted after its closing parenthesis).
fn process_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_leaves_out_idle_and_iowait() {
        let stat = "cpu  100 5 50 1000 40 3 2 1 0 0\ncpu0 50 2 25 500 20 1 1 0 0 0\n";
        assert_eq!(machine_busy_ticks(stat), Some(100 + 5 + 50 + 3 + 2 + 1));
    }

    #[test]
    fn process_time_is_read_after_a_command_name_with_spaces() {
        let stat = "4242 (tokio (worker) 1) S 1 4242 4242 0 -1 4194560 900 0 0 0 731 269 0 0 20 0 9 0 1234 0";
        assert_eq!(process_ticks(stat), Some(731 + 269));
    }

    #[test]
    fn spent_time_is_the_difference_in_milliseconds() {
        let a = CpuSample {
            machine_busy: 1_000,
            process: 300,
            services: Some(700),
        };
        let b = CpuSample {
            machine_busy: 1_250,
            process: 420,
            services: Some(760),
        };
        assert_eq!(
            a.until(&b),
            CpuUse {
                machine: Duration::from_millis(2_500),
                process: Duration::from_millis(1_200),
                services: Some(Duration::from_millis(600)),
            }
        );
    }

    #[test]
    fn this_process_spending_cpu_shows_in_both_counters() {
        let first = CpuSample::now().expect("Linux /proc");
        let started = std::time::Instant::now();
        let mut x = 0u64;
        let mut later = first;
        // The two counters tick on their own clocks (the process's and the machine's
        // accounting), so spin until both have moved, or give up after 10 s.
        while (later.process == first.process || later.machine_busy == first.machine_busy)
            && started.elapsed() < Duration::from_secs(10)
        {
            for i in 0..1_000_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            later = CpuSample::now().expect("Linux /proc");
        }
        std::hint::black_box(x);
        assert!(
            later.process > first.process,
            "spinning did not show as this process's CPU"
        );
        assert!(
            later.machine_busy > first.machine_busy,
            "nor as the machine's"
        );
    }
}
