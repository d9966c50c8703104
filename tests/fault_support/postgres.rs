//! A private PostgreSQL 15 cluster for one test (`initdb` + `pg_ctl` in a temp dir, a free
//! port, its socket in the temp dir), so stopping it with `-m immediate` never touches the
//! shared server on 5432.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use estelam_runtime::testing::eventually_blocking;

use super::{free_port, run_quietly};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// The running cluster; stopped on drop, even when the test fails.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    running: bool,
}

/// PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user.
fn as_owner(tool: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", &format!("{BIN}/{tool}")]);
        cmd
    } else {
        Command::new(format!("{BIN}/{tool}"))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl PrivatePostgres {
    /// `initdb`, then starts the cluster and waits until it accepts connections.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("estelam-fault-pg-")
            .tempdir()
            .expect("temp dir");
        if is_root() {
            assert!(
                Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(dir.path())
                    .status()
                    .is_ok_and(|s| s.success()),
                "chown the cluster directory to postgres"
            );
        }
        let pg = Self {
            port: free_port(),
            dir,
            running: false,
        };
        let mut initdb = as_owner("initdb");
        initdb.arg("-D").arg(pg.data()).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        assert!(
            run_quietly(&mut initdb, &pg.log("initdb.log")),
            "initdb of a private cluster ({BIN}/initdb; see {})",
            pg.log("initdb.log").display()
        );
        let mut pg = pg;
        pg.start_again();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The superuser URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (or restarts) the cluster and waits until it accepts connections.
    pub fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let mut start = as_owner("pg_ctl");
        start
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]);
        assert!(
            run_quietly(&mut start, &self.log("pg_ctl.log")),
            "pg_ctl start (see {})",
            self.log("server.log").display()
        );
        self.running = true;
        let port = self.port.to_string();
        eventually_blocking(
            "the private PostgreSQL to accept connections",
            Duration::from_secs(60),
            || {
                Command::new(format!("{BIN}/pg_isready"))
                    .args(["-h", "127.0.0.1", "-p", &port, "-q"])
                    .status()
                    .is_ok_and(|s| s.success())
            },
        );
    }

    /// `pg_ctl stop -m immediate`: every backend is killed without a checkpoint, as in a
    /// crash; the next start replays the WAL.
    pub fn stop_immediate(&mut self) {
        let mut stop = as_owner("pg_ctl");
        stop.arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"]);
        assert!(
            run_quietly(&mut stop, &self.log("pg_ctl.log")),
            "pg_ctl stop -m immediate"
        );
        self.running = false;
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let mut stop = as_owner("pg_ctl");
            stop.arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"]);
            let _ = run_quietly(&mut stop, &self.log("pg_ctl.log"));
        }
    }
}
