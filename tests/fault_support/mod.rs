//! What the fault suite (`tests/faults.rs`) is built from: private PostgreSQL and RabbitMQ
//! servers it may break without touching anyone else's, a TCP fault proxy, the workload
//! that drives inquiries to payment and issue, the per-fault report, and the `estelam serve`
//! child processes.

pub mod batches;
pub mod postgres;
pub mod processes;
pub mod proxy;
pub mod rabbit;
pub mod report;
pub mod system;
pub mod workload;

/// A loopback port nobody listens on right now (the OS picks it; released at once, so a
/// private server can bind it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// How many payments a run puts in flight: `ESTELAM_FAULTS_PAYMENTS`, else the bounded CI
/// figure (the full run uses 1000; see BENCHMARKS.md).
pub fn payments() -> usize {
    std::env::var("ESTELAM_FAULTS_PAYMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(100)
}

/// Runs a command to completion, returning whether it succeeded; its output goes to `log`.
pub fn run_quietly(cmd: &mut std::process::Command, log: &std::path::Path) -> bool {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log file");
    let err = out.try_clone().expect("a log file");
    cmd.stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .is_ok_and(|s| s.success())
}

/// Sends SIGKILL to a whole process group (a server's wrapper script and what it started).
pub fn kill_group(pgid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}
