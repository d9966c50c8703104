//! Typed settings: built-in defaults, then an optional TOML file (`--config` or
//! `ESTELAM_CONFIG`), then `ESTELAM_…` environment variables, validated once at start with a
//! message that names the wrong setting.
//!
//! Nested keys use a double underscore in the environment (`ESTELAM_GRPC__REQUEST_TIMEOUT_MS`);
//! the two settings operators set most have short forms: `ESTELAM_DATABASE_URL` and
//! `ESTELAM_AMQP_URL`. Secrets are wrapped so they never appear in logs or `Debug` output.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::db::{DatabaseTarget, PoolTimeouts};

mod documents;
mod fees;
mod gateway;
mod identity;
mod inquiry;
mod links;
mod notifications;
mod property;

pub use documents::DocumentsSettings;
pub use fees::FeesSettings;
pub use gateway::GatewaySettings;
pub use identity::{
    BootstrapAdmin, Cidr, IdentitySettings, MIN_CLIENT_SECRET_LEN, SmsProviderKind, SmsSettings,
    ThrottleSettings,
};
pub use inquiry::{InquirySettings, WebhookSettings};
pub use notifications::{
    EmailProviderKind, EmailSettings, NotificationsSettings, NotifySmsProviderKind,
    NotifySmsSettings, SmtpSecurity,
};
pub use property::PropertySettings;

/// The services of the system, in start order; also their config keys, schema names and
/// SQLite file names.
pub const SERVICES: [&str; 6] = [
    "identity",
    "property",
    "documents",
    "fees",
    "inquiry",
    "notifications",
];

/// Everything a process reads at start.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the embedded default keeps its files (SQLite databases, documents, keys).
    pub data_dir: PathBuf,
    /// Where each service keeps its data (SQLite files or a PostgreSQL URL per service).
    pub database: DatabaseSettings,
    /// The event bus: RabbitMQ when a URL is set, the in-process bus otherwise.
    pub bus: BusSettings,
    /// Addresses this process listens on (`estelam serve`).
    pub listen: ListenSettings,
    /// Where each service is reached by its callers.
    pub endpoints: Endpoints,
    /// gRPC server and client limits.
    pub grpc: GrpcSettings,
    /// Access-token checks.
    pub auth: AuthSettings,
    /// Logs and traces.
    pub telemetry: TelemetrySettings,
    /// Identity service settings.
    pub identity: IdentitySettings,
    /// Property service settings.
    pub property: PropertySettings,
    /// Document store settings.
    pub documents: DocumentsSettings,
    /// Fee-and-debt service settings.
    pub fees: FeesSettings,
    /// Inquiry service settings.
    pub inquiry: InquirySettings,
    /// Notifications service settings.
    pub notifications: NotificationsSettings,
    /// HTTP gateway and portal settings.
    pub gateway: GatewaySettings,
}

/// Storage settings. With no URL, each service keeps a SQLite file under `data_dir`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// A PostgreSQL URL shared by every service, each in its own schema.
    #[serde(serialize_with = "expose_opt")]
    pub url: Option<SecretString>,
    /// Per-service URL overrides (`identity = "postgres://…"`), for a database per service.
    #[serde(serialize_with = "expose_map")]
    pub services: BTreeMap<String, SecretString>,
    /// Pooled connections per service.
    pub max_connections: Option<u32>,
    /// Longest a request waits for a pooled connection (opening one included) before it is
    /// refused `Unavailable`, in milliseconds. Below `grpc.request_timeout_ms`, so a
    /// database that is down or unreachable is reported as such before the request's
    /// deadline; unset: half of it.
    pub acquire_timeout_ms: Option<u64>,
    /// PostgreSQL `statement_timeout` of every pooled connection, in milliseconds: the server
    /// cancels a statement no request could wait for. Unset: `grpc.request_timeout_ms`;
    /// 0: no limit. Migrations run without it.
    pub statement_timeout_ms: Option<u64>,
}

/// Event bus settings. With no AMQP URL the bus is in-process.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusSettings {
    /// `amqp://user:password@host:5672/vhost` of the RabbitMQ broker.
    #[serde(serialize_with = "expose_opt")]
    pub amqp_url: Option<SecretString>,
    /// Unacknowledged deliveries a consumer holds at once.
    pub prefetch: u16,
    /// Deliveries of one message before it goes to the dead-letter queue.
    pub delivery_limit: u32,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            amqp_url: None,
            prefetch: 32,
            delivery_limit: 5,
        }
    }
}

/// Listen addresses of a single-service process.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenSettings {
    /// gRPC port of `estelam serve <service>`.
    pub grpc: SocketAddr,
    /// HTTP port of the gateway.
    pub http: SocketAddr,
    /// Admin port: `/healthz`, `/readyz`, `/metrics`.
    pub admin: SocketAddr,
}

impl Default for ListenSettings {
    fn default() -> Self {
        Self {
            grpc: SocketAddr::from(([0, 0, 0, 0], 50051)),
            http: SocketAddr::from(([0, 0, 0, 0], 8080)),
            admin: SocketAddr::from(([0, 0, 0, 0], 9090)),
        }
    }
}

/// The gRPC address of every service, as `http://host:port`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Endpoints {
    /// Identity service.
    pub identity: String,
    /// Property and GIS service.
    pub property: String,
    /// Document store.
    pub documents: String,
    /// Fee-and-debt service.
    pub fees: String,
    /// Inquiry orchestrator.
    pub inquiry: String,
    /// Notifications (SMS and e-mail to the people concerned).
    pub notifications: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            identity: "http://127.0.0.1:50051".into(),
            property: "http://127.0.0.1:50052".into(),
            documents: "http://127.0.0.1:50053".into(),
            fees: "http://127.0.0.1:50054".into(),
            inquiry: "http://127.0.0.1:50055".into(),
            notifications: "http://127.0.0.1:50056".into(),
        }
    }
}

impl Endpoints {
    /// The endpoint of a service by name.
    pub fn of(&self, service: &str) -> Option<&str> {
        match service {
            "identity" => Some(&self.identity),
            "property" => Some(&self.property),
            "documents" => Some(&self.documents),
            "fees" => Some(&self.fees),
            "inquiry" => Some(&self.inquiry),
            "notifications" => Some(&self.notifications),
            _ => None,
        }
    }

    /// Sets the endpoint of a service by name (used by `estelam run`, which picks the ports).
    pub fn set(&mut self, service: &str, endpoint: String) {
        match service {
            "identity" => self.identity = endpoint,
            "property" => self.property = endpoint,
            "documents" => self.documents = endpoint,
            "fees" => self.fees = endpoint,
            "inquiry" => self.inquiry = endpoint,
            "notifications" => self.notifications = endpoint,
            _ => {}
        }
    }
}

/// gRPC limits, shared by the server stack and the clients.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcSettings {
    /// Longest a request may run before it is cut off.
    pub request_timeout_ms: u64,
    /// Requests a server handles at once; past this, new ones are shed with `Unavailable`.
    pub concurrency_limit: usize,
    /// Longest a client waits to open a connection.
    pub connect_timeout_ms: u64,
    /// How often a client looks up again the DNS names in `endpoints.*` (a headless
    /// Service's name resolves to every ready pod), so that replicas that come and go are
    /// followed; also done at once when a replica stops answering.
    pub resolve_interval_ms: u64,
}

impl Default for GrpcSettings {
    fn default() -> Self {
        Self {
            request_timeout_ms: 15_000,
            concurrency_limit: 512,
            connect_timeout_ms: 3_000,
            resolve_interval_ms: 5_000,
        }
    }
}

impl GrpcSettings {
    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
    /// The connect timeout as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    /// The re-resolution period as a duration.
    pub fn resolve_interval(&self) -> Duration {
        Duration::from_millis(self.resolve_interval_ms.max(1))
    }
}

/// What an access token must say to be accepted.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// `iss` of tokens issued by the identity service.
    pub issuer: String,
    /// `aud` every Estelam service accepts.
    pub audience: String,
    /// How often services refresh identity's public keys and revoked subjects: the longest
    /// a disabled account's unexpired token is still accepted by another service.
    /// 1 to 300 seconds; 30 by default.
    pub key_refresh_secs: u64,
    /// This service's own client id, for machine-to-machine tokens from identity
    /// (`ServiceTokenSource`); `estelam run` sets it to the service's name.
    pub client_id: Option<String>,
    /// This service's own client secret, paired with `client_id`.
    #[serde(serialize_with = "expose_opt")]
    pub client_secret: Option<SecretString>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "estelam-identity".into(),
            audience: "estelam".into(),
            key_refresh_secs: 30,
            client_id: None,
            client_secret: None,
        }
    }
}

/// Log format and trace export.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    /// `auto` (the default: `pretty` when standard output is a terminal, else `json`),
    /// `json` (one object per line, for collectors) or `pretty` (for people at a terminal).
    /// Deployments set `json` explicitly (`ESTELAM_TELEMETRY__LOG_FORMAT=json`), so what a
    /// collector reads does not depend on how the process was started.
    pub log_format: LogFormat,
    /// `RUST_LOG`-style filter.
    pub log_filter: String,
    /// OTLP/gRPC collector address; usually taken from `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Auto,
            log_filter: "info".into(),
            otlp_endpoint: None,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a person at a terminal, JSON for anything else (a pipe, a file, a
    /// container's log collector), so `cargo run` shows the addresses and demo logins it
    /// prints among readable lines rather than buried in JSON.
    Auto,
    /// One JSON object per line, for log collectors.
    Json,
    /// Compact human-readable lines.
    Pretty,
}

impl LogFormat {
    /// The format to write in, [`LogFormat::Auto`] decided by whether standard output (where
    /// the log lines go) is a terminal.
    pub fn resolve(self, stdout_is_terminal: bool) -> Self {
        match self {
            Self::Auto if stdout_is_terminal => Self::Pretty,
            Self::Auto => Self::Json,
            chosen => chosen,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database: DatabaseSettings::default(),
            bus: BusSettings::default(),
            listen: ListenSettings::default(),
            endpoints: Endpoints::default(),
            grpc: GrpcSettings::default(),
            auth: AuthSettings::default(),
            telemetry: TelemetrySettings::default(),
            identity: IdentitySettings::default(),
            property: PropertySettings::default(),
            documents: DocumentsSettings::default(),
            fees: FeesSettings::default(),
            inquiry: InquirySettings::default(),
            notifications: NotificationsSettings::default(),
            gateway: GatewaySettings::default(),
        }
    }
}

/// A setting that could not be read or makes no sense; names the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}

fn expose_map<S: serde::Serializer>(
    v: &BTreeMap<String, SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    v.iter()
        .map(|(k, x)| (k.clone(), x.expose_secret().to_owned()))
        .collect::<BTreeMap<_, _>>()
        .serialize(s)
}

/// Top-level sections, as environment keys spell them (before the first `__`).
const SECTIONS: [&str; 15] = [
    "database",
    "bus",
    "listen",
    "endpoints",
    "grpc",
    "auth",
    "telemetry",
    "identity",
    "property",
    "documents",
    "fees",
    "inquiry",
    "notifications",
    "gateway",
    "data_dir",
];

fn is_setting_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let section = key.split("__").next().unwrap_or_default();
    matches!(key.as_str(), "database_url" | "amqp_url" | "data_dir")
        || (key.contains("__") && SECTIONS.contains(&section))
}

impl Settings {
    /// Loads defaults, then `file` (or `ESTELAM_CONFIG`) if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env_file = std::env::var_os("ESTELAM_CONFIG").map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = &file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        Self::from_figment(figment.merge(Self::env()))
    }

    fn env() -> Env {
        // Only variables that name a known section are settings; others that merely share
        // the prefix (test harness variables, platform-injected ones) are not ours to refuse.
        Env::prefixed("ESTELAM_")
            .filter(|key| is_setting_key(key.as_str()))
            .map(|key| match key.as_str().to_ascii_lowercase().as_str() {
                "database_url" => "database.url".into(),
                "amqp_url" => "bus.amqp_url".into(),
                other => other.replace("__", ".").into(),
            })
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut settings: Settings = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        // An empty URL (e.g. `ESTELAM_AMQP_URL=`) means "not configured": the embedded default.
        settings.database.url = settings
            .database
            .url
            .filter(|u| !u.expose_secret().is_empty());
        settings.bus.amqp_url = settings
            .bus
            .amqp_url
            .filter(|u| !u.expose_secret().is_empty());
        if settings.telemetry.otlp_endpoint.is_none() {
            settings.telemetry.otlp_endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty());
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let urls = self
            .database
            .url
            .iter()
            .map(|u| ("database.url".to_owned(), u))
            .chain(
                self.database
                    .services
                    .iter()
                    .map(|(k, u)| (format!("database.services.{k}"), u)),
            );
        for (name, url) in urls {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(ConfigError(format!(
                    "{name} must be a postgres:// or sqlite: URL"
                )));
            }
        }
        for name in self.database.services.keys() {
            if !SERVICES.contains(&name.as_str()) {
                return Err(ConfigError(format!(
                    "database.services.{name} names no service (known: {})",
                    SERVICES.join(", ")
                )));
            }
        }
        if let Some(url) = &self.bus.amqp_url {
            let url = url.expose_secret();
            if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
                return Err(ConfigError(
                    "bus.amqp_url must be an amqp:// or amqps:// URL".into(),
                ));
            }
        }
        for service in SERVICES {
            let endpoint = self.endpoints.of(service).unwrap_or_default();
            if let Err(problem) = crate::balance::addresses(endpoint) {
                return Err(ConfigError(format!(
                    "endpoints.{service} must be a URL like http://host:port, or several \
                     separated by commas: {problem}"
                )));
            }
        }
        if !(100..=300_000).contains(&self.grpc.resolve_interval_ms) {
            return Err(ConfigError(
                "grpc.resolve_interval_ms must be between 100 and 300000".into(),
            ));
        }
        if let Some(ms) = self.database.acquire_timeout_ms
            && (ms == 0 || ms >= self.grpc.request_timeout_ms)
        {
            return Err(ConfigError(format!(
                "database.acquire_timeout_ms must be at least 1 and below grpc.request_timeout_ms ({})",
                self.grpc.request_timeout_ms
            )));
        }
        if self.grpc.concurrency_limit == 0 {
            return Err(ConfigError(
                "grpc.concurrency_limit must be at least 1".into(),
            ));
        }
        self.gateway.validate()?;
        self.validate_links()?;
        if self.bus.delivery_limit == 0 || self.bus.prefetch == 0 {
            return Err(ConfigError(
                "bus.delivery_limit and bus.prefetch must be at least 1".into(),
            ));
        }
        if self.auth.client_id.is_some() != self.auth.client_secret.is_some() {
            return Err(ConfigError(
                "auth.client_id and auth.client_secret must be set together".into(),
            ));
        }
        if !(1..=300).contains(&self.auth.key_refresh_secs) {
            return Err(ConfigError(
                "auth.key_refresh_secs must be between 1 and 300".into(),
            ));
        }
        self.identity.validate().map_err(ConfigError)?;
        self.notifications.validate().map_err(ConfigError)?;
        Ok(())
    }

    /// The pool timeouts every service's store gets (see `database.acquire_timeout_ms` and
    /// `database.statement_timeout_ms`).
    pub fn pool_timeouts(&self) -> PoolTimeouts {
        let request = self.grpc.request_timeout();
        PoolTimeouts {
            acquire: self
                .database
                .acquire_timeout_ms
                .map_or(request / 2, Duration::from_millis)
                .max(Duration::from_millis(1)),
            statement: match self.database.statement_timeout_ms {
                None => Some(request),
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(ms)),
            },
        }
    }

    /// Where `service` keeps its data: its own URL, else the shared PostgreSQL URL with a
    /// schema named after the service, else a SQLite file under `data_dir`.
    pub fn database_for(&self, service: &str) -> DatabaseTarget {
        let max = self.database.max_connections.unwrap_or(8);
        if let Some(url) = self.database.services.get(service) {
            return DatabaseTarget {
                url: url.expose_secret().to_owned(),
                schema: None,
                max_connections: max,
            };
        }
        if let Some(url) = &self.database.url {
            return DatabaseTarget {
                url: url.expose_secret().to_owned(),
                schema: Some(service.to_owned()),
                max_connections: max,
            };
        }
        let mut target = DatabaseTarget::sqlite_file(&self.data_dir, service);
        target.max_connections = max;
        target
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_run_embedded() {
        Jail::expect_with(|_jail| {
            let s = Settings::load(None).expect("defaults are valid");
            assert!(s.database.url.is_none() && s.bus.amqp_url.is_none());
            let target = s.database_for("fees");
            assert!(target.url.starts_with("sqlite://") && target.url.contains("fees.sqlite"));
            Ok(())
        });
    }

    #[test]
    fn the_environment_overrides_the_file_and_secrets_stay_hidden() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "estelam.toml",
                "[grpc]\nrequest_timeout_ms = 1000\nconcurrency_limit = 7\n",
            )?;
            jail.set_env("ESTELAM_DATABASE_URL", "postgres://u:hunter2@db/estelam");
            jail.set_env("ESTELAM_GRPC__REQUEST_TIMEOUT_MS", "2500");
            let s = Settings::load(Some(Path::new("estelam.toml"))).expect("valid");
            assert_eq!(s.grpc.request_timeout_ms, 2500);
            assert_eq!(s.grpc.concurrency_limit, 7);
            let target = s.database_for("inquiry");
            assert_eq!(target.schema.as_deref(), Some("inquiry"));
            assert!(!format!("{s:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn logs_are_readable_at_a_terminal_and_json_elsewhere_unless_chosen() {
        Jail::expect_with(|jail| {
            let s = Settings::load(None).expect("defaults are valid");
            assert_eq!(s.telemetry.log_format, LogFormat::Auto);
            assert_eq!(LogFormat::Auto.resolve(true), LogFormat::Pretty);
            assert_eq!(LogFormat::Auto.resolve(false), LogFormat::Json);
            // A chosen format holds at a terminal too (a file or the environment).
            jail.create_file("logs.toml", "[telemetry]\nlog_format = \"json\"\n")?;
            let s = Settings::load(Some(Path::new("logs.toml"))).expect("valid");
            assert_eq!(s.telemetry.log_format.resolve(true), LogFormat::Json);
            jail.set_env("ESTELAM_TELEMETRY__LOG_FORMAT", "pretty");
            let s = Settings::load(Some(Path::new("logs.toml"))).expect("valid");
            assert_eq!(s.telemetry.log_format.resolve(false), LogFormat::Pretty);
            Ok(())
        });
    }

    #[test]
    fn the_pool_gives_up_before_the_request_deadline() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTELAM_GRPC__REQUEST_TIMEOUT_MS", "3000");
            let s = Settings::load(None).expect("valid");
            let t = s.pool_timeouts();
            assert_eq!(t.acquire, Duration::from_millis(1500));
            assert_eq!(t.statement, Some(Duration::from_millis(3000)));
            jail.set_env("ESTELAM_DATABASE__ACQUIRE_TIMEOUT_MS", "800");
            jail.set_env("ESTELAM_DATABASE__STATEMENT_TIMEOUT_MS", "0");
            let t = Settings::load(None).expect("valid").pool_timeouts();
            assert_eq!(t.acquire, Duration::from_millis(800));
            assert_eq!(t.statement, None);
            jail.set_env("ESTELAM_DATABASE__ACQUIRE_TIMEOUT_MS", "3000");
            let err = Settings::load(None).expect_err("not below the deadline");
            assert!(
                err.to_string().contains("database.acquire_timeout_ms"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_wrong_setting_is_named() {
        Jail::expect_with(|jail| {
            jail.set_env("ESTELAM_AMQP_URL", "http://broker");
            let err = Settings::load(None).expect_err("must refuse");
            assert!(err.to_string().contains("bus.amqp_url"), "{err}");
            jail.set_env("ESTELAM_AMQP_URL", "");
            jail.create_file("a.toml", "[grpc]\nrequest_timeout_ms = \"soon\"\n")?;
            let err = Settings::load(Some(Path::new("a.toml"))).expect_err("must refuse");
            assert!(err.to_string().contains("request_timeout_ms"), "{err}");
            jail.create_file("b.toml", "[grpc]\nrequest_timeot_ms = 5\n")?;
            let err = Settings::load(Some(Path::new("b.toml"))).expect_err("must refuse");
            assert!(err.to_string().contains("request_timeot_ms"), "{err}");
            jail.set_env("ESTELAM_TEST_POSTGRES_URL", "postgres://x@y/z");
            jail.set_env("ESTELAM_GATEWAY_SERVICE_HOST", "10.0.0.1");
            assert!(
                Settings::load(None).is_ok(),
                "variables outside the settings sections are not settings"
            );
            jail.set_env("ESTELAM_GRPC__REQUEST_TIMEOT_MS", "5");
            let err = Settings::load(None).expect_err("a typo inside a section is refused");
            assert!(err.to_string().contains("request_timeot_ms"), "{err}");
            let err = Settings::load(Some(Path::new("missing.toml"))).expect_err("must refuse");
            assert!(err.to_string().contains("missing.toml"), "{err}");
            Ok(())
        });
    }
}
