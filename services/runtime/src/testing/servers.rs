//! A service served for a test over real gRPC on a free loopback port, and the requests a
//! test client sends it.

use crate::db::Database;

use super::TokenMint;

/// A gRPC server started for a test on a free loopback port.
pub struct SpawnedServer {
    /// `http://127.0.0.1:port`.
    pub endpoint: String,
    /// Cancel to stop the server.
    pub shutdown: tokio_util::sync::CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl SpawnedServer {
    /// A lazily connecting channel to the server.
    pub fn channel(&self) -> tonic::transport::Channel {
        crate::grpc::channel(&self.endpoint, &crate::config::GrpcSettings::default())
            .expect("a loopback endpoint is a valid URI")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.handle.await;
    }
}

/// Binds a free port first, then serves `server` on it in the background.
pub async fn spawn_grpc(server: crate::grpc::GrpcServer) -> SpawnedServer {
    let listener = crate::grpc::GrpcListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binding a loopback port");
    let endpoint = listener.endpoint();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let stop = shutdown.clone();
    let handle = tokio::spawn(async move { server.run_until_stopped(listener, stop).await });
    SpawnedServer {
        endpoint,
        shutdown,
        handle,
    }
}

/// A service context over `db`, trusting tokens from `mint`, with default settings.
pub fn context(db: Database, mint: &TokenMint) -> crate::host::ServiceContext {
    crate::host::ServiceContext {
        settings: std::sync::Arc::new(crate::config::Settings::default()),
        db,
        verifier: mint.verifier(),
        bus: std::sync::Arc::new(crate::bus::MemoryBus::new()),
        shutdown: tokio_util::sync::CancellationToken::new(),
    }
}

/// Adds `token` as the bearer credential of a request.
pub fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    crate::grpc::outgoing(message, Some(token))
}
