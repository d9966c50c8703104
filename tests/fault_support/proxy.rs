//! A TCP fault proxy between a service and its database or broker: it forwards bytes
//! unchanged until told to cut every connection (and refuse new ones), to delay each
//! chunk, or to blackhole (accept and read, never forward), and recovers on `heal`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// What the proxy does to traffic right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward unchanged.
    None,
    /// Forward each chunk after this delay.
    Delay(Duration),
    /// Accept and read, forward nothing: the peer waits for an answer that never comes.
    Blackhole,
    /// Every connection closed; new ones closed as soon as accepted.
    Cut,
}

struct State {
    fault: Fault,
    /// Cancelled (and replaced) to close every open connection.
    connections: CancellationToken,
}

/// The running proxy; stops with its `shutdown` token (or when dropped).
pub struct FaultProxy {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: CancellationToken,
}

impl FaultProxy {
    /// Listens on a loopback port and forwards to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let state = Arc::new(Mutex::new(State {
            fault: Fault::None,
            connections: CancellationToken::new(),
        }));
        let shutdown = CancellationToken::new();
        let (st, stop) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((client, _)) = accepted else { continue };
                let (fault, token) = {
                    let s = st.lock().expect("proxy state");
                    (s.fault, s.connections.clone())
                };
                if fault == Fault::Cut {
                    drop(client);
                    continue;
                }
                let (st, target) = (st.clone(), target.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::select! {
                        () = token.cancelled() => {}
                        () = pump(cr, sw, st.clone()) => {}
                        () = pump(sr, cw, st) => {}
                    }
                });
            }
        });
        Self {
            addr,
            state,
            shutdown,
        }
    }

    /// `host:port` to give the service instead of the real server's.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Applies `fault` from now on; `Cut` also closes every open connection.
    pub fn set(&self, fault: Fault) {
        let mut s = self.state.lock().expect("proxy state");
        s.fault = fault;
        if fault == Fault::Cut {
            s.connections.cancel();
            s.connections = CancellationToken::new();
        }
    }

    /// Back to forwarding unchanged. Connections blackholed meanwhile are closed (their
    /// peers lost bytes, so they cannot be trusted), as a healed network partition
    /// leaves them reset.
    pub fn heal(&self) {
        let mut s = self.state.lock().expect("proxy state");
        if s.fault == Fault::Blackhole {
            s.connections.cancel();
            s.connections = CancellationToken::new();
        }
        s.fault = Fault::None;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.state
            .lock()
            .map(|s| s.connections.cancel())
            .unwrap_or_default();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: Arc<Mutex<State>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let fault = state.lock().expect("proxy state").fault;
        match fault {
            Fault::None => {}
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::Blackhole => continue,
            Fault::Cut => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
