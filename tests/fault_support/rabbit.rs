//! A private RabbitMQ node for one test: its own node name, ports, Mnesia and log
//! directories, Erlang cookie (its own HOME) and no plugins, so stopping or killing it
//! never touches the shared broker on 5672.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use estelam_runtime::testing::eventually_blocking;

use super::{free_port, kill_group, run_quietly};

const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const CTL: &str = "/usr/lib/rabbitmq/bin/rabbitmqctl";

/// The running node; stopped (killed) on drop, even when the test fails.
pub struct PrivateRabbit {
    dir: tempfile::TempDir,
    node: String,
    port: u16,
    dist_port: u16,
    child: Option<Child>,
}

impl PrivateRabbit {
    /// Starts a fresh node and waits (polling, with a deadline) until it accepts clients.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("estelam-fault-rabbit-")
            .tempdir()
            .expect("temp dir");
        for (name, text) in [
            ("empty-env.conf", ""),
            ("rabbitmq.conf", ""),
            ("enabled_plugins", "[].\n"),
        ] {
            std::fs::write(dir.path().join(name), text).expect("node files");
        }
        let mut rabbit = Self {
            node: format!(
                "estelam-fault-{}-{}@localhost",
                std::process::id(),
                free_port()
            ),
            port: free_port(),
            dist_port: free_port(),
            dir,
            child: None,
        };
        rabbit.launch();
        rabbit
    }

    /// `amqp://` URL of this node.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", self.dir.path())
            .env("LANG", "C.UTF-8")
            .env("RABBITMQ_CONF_ENV_FILE", self.path("empty-env.conf"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1");
    }

    fn ctl(&self, args: &[&str]) -> bool {
        let mut cmd = Command::new(CTL);
        self.env(&mut cmd);
        cmd.args(["-n", &self.node]).args(args);
        run_quietly(&mut cmd, &self.path("ctl.log"))
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("server.log"))
            .expect("server log");
        let mut cmd = Command::new(SERVER);
        self.env(&mut cmd);
        cmd.env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", self.path("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.path("log"))
            .env("RABBITMQ_LOGS", "-")
            .env("RABBITMQ_CONFIG_FILE", self.path("rabbitmq"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.path("enabled_plugins"),
            )
            .env("RABBITMQ_PID_FILE", self.path("node.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0);
        self.child =
            Some(cmd.spawn().unwrap_or_else(|e| {
                panic!("cannot start a private RabbitMQ node ({SERVER}): {e}")
            }));
        self.await_startup();
    }

    fn await_startup(&self) {
        let node = self.node.clone();
        eventually_blocking(
            &format!("private RabbitMQ node {node} to start"),
            Duration::from_secs(90),
            || self.ctl(&["await_startup", "--timeout", "30"]),
        );
    }

    /// `rabbitmqctl stop_app`: the broker closes every connection and stops serving; the
    /// Erlang node stays up.
    pub fn stop_app(&self) {
        assert!(self.ctl(&["stop_app"]), "rabbitmqctl stop_app");
    }

    /// `rabbitmqctl start_app`, then waits until it serves again.
    pub fn start_app(&self) {
        assert!(self.ctl(&["start_app"]), "rabbitmqctl start_app");
        self.await_startup();
    }

    /// SIGKILL to the node (no orderly shutdown, like a crashed broker): the Erlang VM
    /// by the pid it wrote, then the wrapper's process group.
    pub fn kill(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.path("node.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        if let Some(mut child) = self.child.take() {
            kill_group(child.id());
            let _ = child.wait();
        }
        let port = self.port;
        eventually_blocking(
            "the killed node to close its port",
            Duration::from_secs(30),
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        );
        // The node must be gone from epmd before it can start again under its name.
        eventually_blocking("the killed node to leave", Duration::from_secs(30), || {
            !self.ctl(&["ping"])
        });
    }

    /// Starts the node again on the same ports and data (durable queues survive).
    pub fn restart(&mut self) {
        self.launch();
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.path("node.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        if let Some(mut child) = self.child.take() {
            kill_group(child.id());
            let _ = child.wait();
        }
    }
}
