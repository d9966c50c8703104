//! The markdown report: the run's conditions, the issue's targets with what was measured
//! against each, and every phase's latency table (HDR percentiles) and failure counts.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use super::cpu::CpuUse;
use super::flow::{PAID_TO_ISSUED, SUBMIT_TO_ANSWER};
use super::scenarios::Scenario;
use super::stats::{Percentiles, Stats};

/// One measured phase: a flow phase or a focused scenario, each with its own clock, so
/// the report can give each a rate and latencies of its own.
pub struct Phase {
    /// The name the report's sections and tables use.
    pub name: String,
    /// Units planned, so a report shows how many of them completed.
    pub planned: usize,
    /// Closed-loop workers: the concurrency the rate was reached at.
    pub workers: usize,
    /// Wall time of the measured part.
    pub wall: Duration,
    /// What was measured.
    pub stats: Arc<Stats>,
    /// Why it did not run, if it did not.
    pub skipped: Option<String>,
    /// CPU the machine and this process spent while it ran.
    pub cpu: Option<CpuUse>,
}

impl Phase {
    /// Completed units per second of wall time.
    pub fn rate(&self) -> f64 {
        self.stats.ok_count() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// The conditions of the run, for the report's head.
pub struct Conditions {
    /// The command line as given.
    pub command: String,
    /// What the system ran on.
    pub backends: String,
    /// Cores (`nproc`).
    pub cores: usize,
    /// `/proc/loadavg` at the start.
    pub load_before: String,
    /// `/proc/loadavg` at the end.
    pub load_after: String,
    /// Concurrent applicants.
    pub applicants: usize,
    /// Parcels in the system's city.
    pub parcels: u32,
    /// When the system ran as separate processes: the calls each replica of each replicated
    /// service served while the phases ran.
    pub replicas: Vec<ReplicaCalls>,
}

/// The calls each replica of one service served (from each process's `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaCalls {
    /// The service.
    pub service: String,
    /// Calls per replica, in replica order.
    pub served: Vec<u64>,
}

impl ReplicaCalls {
    /// Busiest ÷ least busy; infinite when a replica served nothing.
    pub fn ratio(&self) -> f64 {
        let most = self.served.iter().copied().max().unwrap_or(0);
        let least = self.served.iter().copied().min().unwrap_or(0);
        if least == 0 {
            f64::INFINITY
        } else {
            most as f64 / least as f64
        }
    }
}

/// The issue's bound on how unevenly replicas share calls: busiest ≤ 1.2 × least busy.
pub const REPLICA_SPREAD: f64 = 1.2;

/// `/proc/loadavg`'s three averages, or `unknown`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn ms(micros: u64) -> String {
    let ms = micros as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

fn find<'a>(phases: &'a [Phase], label: &str) -> Option<(Percentiles, &'a Phase)> {
    phases
        .iter()
        .find_map(|p| p.stats.percentiles(label).map(|pc| (pc, p)))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// The report as markdown, in the shape BENCHMARKS.md records runs in: conditions, the
/// targets with met or missed, then each phase's rate and latency percentiles.
pub fn markdown(c: &Conditions, phases: &[Phase]) -> String {
    let mut out = String::new();
    let cores = c.cores;
    let _ = writeln!(
        out,
        "### Load run: {} concurrent applicants\n",
        c.applicants
    );
    let _ = writeln!(out, "* command: `{}`", c.command);
    let _ = writeln!(
        out,
        "* system: {} ({} parcels in the city); {} cores; load average {} before, {} after",
        c.backends, c.parcels, c.cores, c.load_before, c.load_after
    );
    let _ = writeln!(
        out,
        "* latencies are client-side, from an HDR histogram (µs precision, shown in ms); logins (password hashing) happen before the clock starts\n"
    );
    let _ = writeln!(out, "| figure | target | measured | |\n|---|---|---|---|");
    if let Some((p, _)) = find(phases, SUBMIT_TO_ANSWER) {
        let _ = writeln!(
            out,
            "| no-debt submit → answer, p99 | ≤ 100 ms | {} ms (p50 {} ms, n = {}) | {} |",
            ms(p.p99),
            ms(p.p50),
            p.count,
            verdict(p.p99 <= 100_000)
        );
    }
    if let Some((p, _)) = find(phases, PAID_TO_ISSUED) {
        let _ = writeln!(
            out,
            "| debt paid (PSP callback) → answer issued, p99 | ≤ 250 ms | {} ms (p50 {} ms, n = {}) | {} |",
            ms(p.p99),
            ms(p.p50),
            p.count,
            verdict(p.p99 <= 250_000)
        );
    }
    if let Some(p) = phases
        .iter()
        .find(|p| p.name.starts_with("flows, no debt") && p.skipped.is_none())
    {
        let rate = p.rate();
        // The CPU one flow costs bounds what the cores can carry, however the work is queued.
        let ceiling = p
            .cpu
            .filter(|_| p.stats.ok_count() > 0)
            .map(|cpu| {
                let per_flow_ms = cpu.machine.as_secs_f64() * 1000.0 / p.stats.ok_count() as f64;
                format!(
                    "; {per_flow_ms:.1} ms of machine CPU per flow, so at most {:.0}/s on {cores} cores",
                    cores as f64 * 1000.0 / per_flow_ms.max(1e-9)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| complete nine-step flows per second (no debt, {} applicants) | ≥ 200/s | {rate:.1}/s ({} flows in {:.1} s{ceiling}) | {} |",
            p.workers,
            p.stats.ok_count(),
            p.wall.as_secs_f64(),
            verdict(rate >= 200.0)
        );
    }
    for (http, grpc, what) in [
        (Scenario::PickHttp, Scenario::PickGrpc, "map pick"),
        (Scenario::LookupHttp, Scenario::LookupGrpc, "parcel lookup"),
    ] {
        if let (Some((h, _)), Some((g, _))) =
            (find(phases, http.label()), find(phases, grpc.label()))
        {
            let r50 = h.p50 as f64 / g.p50.max(1) as f64;
            let r99 = h.p99 as f64 / g.p99.max(1) as f64;
            let _ = writeln!(
                out,
                "| gateway cost, {what}: HTTP ÷ direct gRPC at p50 (p99) | ≤ 1.5× | {r50:.2}× ({r99:.2}×): {} vs {} ms ({} vs {} ms) | {} |",
                ms(h.p50),
                ms(g.p50),
                ms(h.p99),
                ms(g.p99),
                verdict(r50 <= 1.5)
            );
        }
    }
    let _ = writeln!(out);
    if !c.replicas.is_empty() {
        let _ = writeln!(
            out,
            "Calls each replica served while the phases ran (`estelam_grpc_requests_total` of each process's `/metrics`, setup left out):\n\n| service | calls per replica | busiest ÷ least busy | target ≤ {REPLICA_SPREAD}× |\n|---|---|---|---|"
        );
        for r in &c.replicas {
            let served: Vec<String> = r.served.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {:.2}× | {} |",
                r.service,
                served.join(" / "),
                r.ratio(),
                verdict(r.ratio() <= REPLICA_SPREAD)
            );
        }
        let _ = writeln!(out);
    }
    for p in phases {
        if let Some(why) = &p.skipped {
            let _ = writeln!(out, "**{}**: not run: {why}\n", p.name);
            continue;
        }
        let _ = writeln!(
            out,
            "**{}**: {} workers; {} of {} completed, {} failed, in {:.1} s ({:.1}/s)\n",
            p.name,
            p.workers,
            p.stats.ok_count(),
            p.planned,
            p.stats.failed_count(),
            p.wall.as_secs_f64(),
            p.rate()
        );
        if let Some(cpu) = &p.cpu {
            let units = p.stats.ok_count().max(1) as f64;
            let per = |d: Duration| d.as_secs_f64() * 1000.0 / units;
            let _ = writeln!(
                out,
                "CPU while it ran: {:.1} s busy over all cores ({:.0}% of {} cores), {:.1} s of it in this process; per completed unit {:.1} ms of machine CPU ({:.1} ms in this process)\n",
                cpu.machine.as_secs_f64(),
                100.0 * cpu.machine.as_secs_f64()
                    / (p.wall.as_secs_f64().max(1e-9) * cores.max(1) as f64),
                cores,
                cpu.process.as_secs_f64(),
                per(cpu.machine),
                per(cpu.process)
            );
            if let Some(services) = cpu.services {
                let _ = writeln!(
                    out,
                    "CPU of the `estelam serve` processes while it ran: {:.1} s; per completed unit {:.1} ms\n",
                    services.as_secs_f64(),
                    per(services)
                );
            }
        }
        let _ = writeln!(
            out,
            "| call | n | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|"
        );
        for (label, pc) in p.stats.series() {
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} | {} | {} |",
                pc.count,
                ms(pc.p50),
                ms(pc.p90),
                ms(pc.p99),
                ms(pc.max)
            );
        }
        let failures = p.stats.failures();
        if !failures.is_empty() {
            let _ = writeln!(out, "\n| failed call: reason | count |\n|---|---|");
            for (what, n) in failures {
                let _ = writeln!(out, "| {what} | {n} |");
            }
        }
        let _ = writeln!(out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Failure;

    #[test]
    fn a_missed_target_and_the_failures_are_in_the_report() {
        let stats = Arc::new(Stats::default());
        stats.record(SUBMIT_TO_ANSWER, Duration::from_millis(180));
        stats.completed();
        stats.failed(&Failure::new("submit", "HTTP 503 UNAVAILABLE"));
        let phases = [Phase {
            name: "flows, no debt".into(),
            planned: 2,
            workers: 1,
            wall: Duration::from_secs(1),
            stats,
            skipped: None,
            cpu: Some(CpuUse {
                machine: Duration::from_millis(1_500),
                process: Duration::from_millis(600),
                services: Some(Duration::from_millis(800)),
            }),
        }];
        let c = Conditions {
            command: "estelam-bench".into(),
            backends: "SQLite".into(),
            cores: 2,
            load_before: "0.1 0.1 0.1".into(),
            load_after: "0.2 0.1 0.1".into(),
            applicants: 1,
            parcels: 10,
            replicas: vec![
                ReplicaCalls {
                    service: "property".into(),
                    served: vec![100, 130],
                },
                ReplicaCalls {
                    service: "inquiry".into(),
                    served: vec![100, 110],
                },
            ],
        };
        let md = markdown(&c, &phases);
        assert!(
            md.contains("| no-debt submit → answer, p99 | ≤ 100 ms | 180."),
            "{md}"
        );
        assert!(md.contains("**missed**"), "{md}");
        assert!(md.contains("| submit: HTTP 503 UNAVAILABLE | 1 |"), "{md}");
        assert!(md.contains("1 of 2 completed, 1 failed"), "{md}");
        assert!(
            md.contains("1.5 s busy over all cores (75% of 2 cores), 0.6 s of it in this process; per completed unit 1500.0 ms"),
            "{md}"
        );
        assert!(
            md.contains("CPU of the `estelam serve` processes while it ran: 0.8 s; per completed unit 800.0 ms"),
            "{md}"
        );
        assert!(
            md.contains("| property | 100 / 130 | 1.30× | **missed** |"),
            "{md}"
        );
        assert!(md.contains("| inquiry | 100 / 110 | 1.10× | met |"), "{md}");
    }
}
