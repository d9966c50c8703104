//! Where the launcher listens, and what a person is told when a port is taken.
//!
//! Every process binds all of its ports before it makes any outbound connection (store,
//! event bus, another service). The conventional gRPC ports 50051–50056 lie inside Linux's
//! ephemeral range (32768–60999), so an outbound connection made first can be given one of
//! them as its local port, and the listener that comes after is refused "address in use".
//! Binding first also means a port that really is taken stops the start before anything was
//! created, with a message that says which setting moves it.

use std::net::SocketAddr;

use anyhow::Context as _;

/// How a person moves the ports of `estelam run`; named in every message about one of them.
pub const MOVE_RUN_PORTS: &str = "start on other ports with `estelam run --base-port N` \
     (or ESTELAM_RUN_BASE_PORT=N): the gateway on N, the admin port on N+1, the gRPC ports on \
     N+2 to N+7; `--base-port 0` lets the system choose free ports";

/// Where to listen when starting the whole system.
#[derive(Debug, Clone)]
pub struct SystemAddrs {
    /// gRPC listen address per service, in `SERVICES` order (identity, property,
    /// documents, fees, inquiry, notifications).
    pub grpc: [SocketAddr; 6],
    /// The gateway's HTTP address (the portal and the JSON API).
    pub http: SocketAddr,
    /// The admin port (`/healthz`, `/readyz`, `/metrics`).
    pub admin: SocketAddr,
}

impl SystemAddrs {
    /// Loopback, the conventional ports: gRPC 50051–50056, HTTP 8080, admin 9090. They are
    /// the ports the README and a stock gRPC client expect, so they stay the default even
    /// though the gRPC ones are in the ephemeral range: the system binds them before it
    /// connects anywhere (module docs), and another program holding one gets a message
    /// saying how to move them.
    pub fn conventional() -> Self {
        let lo = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Self {
            grpc: [
                lo(50051),
                lo(50052),
                lo(50053),
                lo(50054),
                lo(50055),
                lo(50056),
            ],
            http: lo(8080),
            admin: lo(9090),
        }
    }

    /// Loopback from `base`: the gateway on `base`, the admin port on `base + 1`, the
    /// services' gRPC ports on `base + 2` to `base + 7` (in `SERVICES` order). Base 0 lets
    /// the OS choose every port, so several systems (or a test's) can run side by side;
    /// `estelam run --base-port` uses it.
    pub fn from_base_port(base: u16) -> anyhow::Result<Self> {
        if base == 0 {
            return Ok(Self::ephemeral());
        }
        let lo = |offset: u16| -> anyhow::Result<SocketAddr> {
            let port = base.checked_add(offset).with_context(|| {
                format!("base port {base} leaves no room for the 8 ports (use at most 65528)")
            })?;
            Ok(SocketAddr::from(([127, 0, 0, 1], port)))
        };
        Ok(Self {
            http: lo(0)?,
            admin: lo(1)?,
            grpc: [lo(2)?, lo(3)?, lo(4)?, lo(5)?, lo(6)?, lo(7)?],
        })
    }

    /// Loopback, every port chosen by the OS: for tests running side by side.
    pub fn ephemeral() -> Self {
        let lo = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            grpc: [lo; 6],
            http: lo,
            admin: lo,
        }
    }
}

/// The error for a listener that could not be bound on `addr`, for `what` (e.g. "the
/// property service's gRPC port"), ending with `moved_by`: how to move it. A taken port is
/// said in plain words; anything else keeps the system's own error text.
pub(crate) fn cannot_listen(
    err: &std::io::Error,
    addr: SocketAddr,
    what: &str,
    moved_by: &str,
) -> anyhow::Error {
    let why = match err.kind() {
        std::io::ErrorKind::AddrInUse => {
            "the port is already in use (by another program, or another Estelam)".to_owned()
        }
        std::io::ErrorKind::PermissionDenied => {
            "this user may not listen on that port (ports below 1024 need privileges)".to_owned()
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "that address does not belong to this machine".to_owned()
        }
        _ => err.to_string(),
    };
    anyhow::anyhow!("cannot listen on {addr} for {what}: {why}; {moved_by}")
}

/// [`cannot_listen`] for a component whose bind returns `anyhow::Error` (the gateway binds
/// and prepares its state in one call): a bind failure gets the message, any other failure
/// keeps its own.
pub(crate) fn bind_failure(
    err: anyhow::Error,
    addr: SocketAddr,
    what: &str,
    moved_by: &str,
) -> anyhow::Error {
    match err.downcast_ref::<std::io::Error>() {
        Some(io) => cannot_listen(io, addr, what, moved_by),
        None => err.context(format!("preparing {what}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_port_lays_out_every_port_from_it_and_zero_lets_the_os_choose() {
        let addrs = SystemAddrs::from_base_port(18080).expect("room for 8 ports");
        assert_eq!(addrs.http.port(), 18080);
        assert_eq!(addrs.admin.port(), 18081);
        let grpc: Vec<u16> = addrs.grpc.iter().map(|a| a.port()).collect();
        assert_eq!(grpc, [18082, 18083, 18084, 18085, 18086, 18087]);
        assert!(addrs.http.ip().is_loopback());

        let any = SystemAddrs::from_base_port(0).expect("OS-chosen");
        assert_eq!(any.http.port(), 0);
        assert!(any.grpc.iter().all(|a| a.port() == 0));

        let err = SystemAddrs::from_base_port(65533).expect_err("no room above it");
        assert!(err.to_string().contains("65528"), "{err}");
    }

    #[tokio::test]
    async fn a_taken_port_is_named_with_what_moves_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = taken.local_addr().expect("bound");
        let err = tokio::net::TcpListener::bind(addr)
            .await
            .expect_err("the port is taken");
        let message = cannot_listen(&err, addr, "the admin port", MOVE_RUN_PORTS).to_string();
        assert!(message.contains(&addr.to_string()), "{message}");
        assert!(message.contains("already in use"), "{message}");
        assert!(message.contains("--base-port"), "{message}");
        assert!(message.contains("ESTELAM_RUN_BASE_PORT"), "{message}");

        let wrapped = bind_failure(anyhow::Error::from(err), addr, "the gateway", "move it");
        assert!(wrapped.to_string().contains("already in use"), "{wrapped}");
        let other = bind_failure(anyhow::anyhow!("bad settings"), addr, "the gateway", "x");
        assert_eq!(other.root_cause().to_string(), "bad settings");
    }
}
