//! Helpers for tests that claim a real backend: every storage and bus test runs on the
//! embedded default, and also on PostgreSQL / RabbitMQ when `ESTELAM_TEST_POSTGRES_URL` /
//! `ESTELAM_TEST_AMQP_URL` are set. Under CI (`CI` set) a missing variable fails the test
//! instead of silently skipping the real-server variant.

use crate::db::{Database, DatabaseTarget, DbError, Migrations};

/// Environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "ESTELAM_TEST_POSTGRES_URL";
/// Environment variable naming the RabbitMQ broker for tests.
pub const AMQP_ENV: &str = "ESTELAM_TEST_AMQP_URL";

fn required_in_ci(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} must be set under CI: the real-server variant of this test may not be skipped"
            );
            None
        }
    }
}

/// The PostgreSQL URL for tests, if configured (panics under CI when it is not).
pub fn postgres_url() -> Option<String> {
    required_in_ci(POSTGRES_ENV)
}

/// The RabbitMQ URL for tests, if configured (panics under CI when it is not).
pub fn amqp_url() -> Option<String> {
    required_in_ci(AMQP_ENV)
}

/// A short random suffix, so parallel tests never share a schema, file or queue.
pub fn unique_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// One isolated store for one test: a temporary SQLite file, or a fresh PostgreSQL schema.
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// The opened, migrated store.
    pub db: Database,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Drops the PostgreSQL schema the test used (the SQLite file goes with its temp dir).
    pub async fn cleanup(self) {
        if let Some(schema) = &self.schema {
            let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(self.db.pool())
                .await;
        }
        self.db.close().await;
    }
}

/// Opens and migrates one store per available backend: SQLite always, PostgreSQL when
/// configured. `tag` names the test, for finding leftovers.
pub async fn databases(tag: &str, migrations: &Migrations) -> Result<Vec<TestDatabase>, DbError> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
    let db = Database::connect(&DatabaseTarget::sqlite_file(dir.path(), tag)).await?;
    db.migrate(migrations).await?;
    out.push(TestDatabase {
        label: "sqlite",
        db,
        schema: None,
        _dir: Some(dir),
    });
    if let Some(url) = postgres_url() {
        let schema = format!(
            "t_{}_{}",
            tag.to_ascii_lowercase().replace('-', "_"),
            unique_suffix()
        );
        let target = DatabaseTarget {
            url,
            schema: Some(schema.clone()),
            max_connections: 8,
        };
        let db = Database::connect(&target).await?;
        db.migrate(migrations).await?;
        out.push(TestDatabase {
            label: "postgres",
            db,
            schema: Some(schema),
            _dir: None,
        });
    }
    Ok(out)
}

/// Migrations for a test that needs only the runtime's own tables.
pub fn no_migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate::Migrator::DEFAULT,
        postgres: sqlx::migrate::Migrator::DEFAULT,
    }
}

/// A throwaway Ed25519 signing key that mints access tokens the way identity does, for
/// tests of services that check callers.
pub struct TokenMint {
    kid: String,
    encoding: jsonwebtoken::EncodingKey,
    public: [u8; 32],
    /// Issuer written into tokens.
    pub issuer: String,
    /// Audience written into tokens.
    pub audience: String,
}

impl Default for TokenMint {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenMint {
    /// A new random key, issuing for the default issuer and audience.
    pub fn new() -> Self {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let der = signing
            .to_pkcs8_der()
            .expect("an Ed25519 key always encodes as PKCS#8");
        let defaults = crate::config::AuthSettings::default();
        Self {
            kid: format!("test-{}", unique_suffix()),
            encoding: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
            public: signing.verifying_key().to_bytes(),
            issuer: defaults.issuer,
            audience: defaults.audience,
        }
    }

    /// The public half, as identity publishes it.
    pub fn public_key(&self) -> crate::auth::PublicKey {
        crate::auth::PublicKey {
            kid: self.kid.clone(),
            key: self.public,
        }
    }

    /// A verifier that trusts this key.
    pub fn verifier(&self) -> crate::auth::TokenVerifier {
        let verifier = crate::auth::TokenVerifier::new(&self.issuer, &self.audience);
        verifier.set_keys(&[self.public_key()]);
        verifier
    }

    /// Claims valid for 15 minutes for `subject` with `roles`.
    pub fn claims(&self, subject: &str, roles: &[crate::auth::Role]) -> crate::auth::Claims {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        crate::auth::Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now + 900,
            nbf: now,
            iat: now,
            jti: unique_suffix(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            org: None,
        }
    }

    /// Signs `claims` with this key.
    pub fn sign(&self, claims: &crate::auth::Claims) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing with a valid key cannot fail")
    }

    /// A valid token for `subject` with `roles`.
    pub fn token(&self, subject: &str, roles: &[crate::auth::Role]) -> String {
        self.sign(&self.claims(subject, roles))
    }
}

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
