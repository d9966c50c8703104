//! Settings only the notifications service reads: which providers send SMS and e-mail, and
//! how failed sends are retried.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The `[notifications]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsSettings {
    /// The durable queue the service reads inquiry, fees and identity events from.
    pub queue: String,
    /// How text messages leave.
    pub sms: NotifySmsSettings,
    /// How e-mails leave.
    pub email: EmailSettings,
    /// First pause after a provider failure, in milliseconds; it doubles per attempt.
    pub retry_min_ms: u64,
    /// Longest pause between two attempts, in milliseconds.
    pub retry_max_ms: u64,
    /// Attempts before a message is given up as failed (kept in the audit).
    pub max_attempts: u32,
    /// How often the sender looks for due messages when nothing woke it, in milliseconds.
    pub poll_interval_ms: u64,
    /// First pause before the SMS gateway is asked what became of a sent message, in
    /// milliseconds; it doubles per question (at most an hour), twelve questions at most.
    pub status_check_min_ms: u64,
}

impl Default for NotificationsSettings {
    fn default() -> Self {
        Self {
            queue: "notifications.events".into(),
            sms: NotifySmsSettings::default(),
            email: EmailSettings::default(),
            retry_min_ms: 500,
            retry_max_ms: 5 * 60 * 1000,
            max_attempts: 12,
            poll_interval_ms: 1000,
            status_check_min_ms: 30_000,
        }
    }
}

/// Which SMS provider the notifications service uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifySmsProviderKind {
    /// Writes each message to the log (development, `estelam run`).
    #[default]
    Log,
    /// An HTTP SMS gateway in the style of Iranian providers (API key in the path, a sender
    /// line, a template "verify/lookup" call and a delivery-status call).
    Http,
}

/// The `[notifications.sms]` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySmsSettings {
    /// Which provider.
    pub provider: NotifySmsProviderKind,
    /// The gateway's base URL, e.g. `https://api.example-sms.ir/v1`.
    pub base_url: String,
    /// The account's API key (a Secret on Kubernetes).
    #[serde(serialize_with = "expose")]
    pub api_key: Option<SecretString>,
    /// The sender line (شماره خط) messages go out from.
    pub sender: String,
    /// The provider-side template for one-time codes (the "verify/lookup" call).
    pub code_template: String,
}

impl Default for NotifySmsSettings {
    fn default() -> Self {
        Self {
            provider: NotifySmsProviderKind::Log,
            base_url: String::new(),
            api_key: None,
            sender: String::new(),
            code_template: "estelam-code".into(),
        }
    }
}

/// Which e-mail provider the notifications service uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailProviderKind {
    /// Writes each e-mail to the log.
    #[default]
    Log,
    /// An SMTP relay.
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Implicit TLS (port 465).
    Tls,
    /// STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// Plain text: only for a relay on the same host or a test server.
    None,
}

/// The `[notifications.email]` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// Which provider.
    pub provider: EmailProviderKind,
    /// SMTP host.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// Connection security.
    pub smtp_security: SmtpSecurity,
    /// SMTP user; no authentication when unset.
    pub smtp_username: Option<String>,
    /// SMTP password (a Secret on Kubernetes).
    #[serde(serialize_with = "expose")]
    pub smtp_password: Option<SecretString>,
    /// The From address, e.g. `Shahin Shahr Municipality <no-reply@example.ir>`.
    pub from: String,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            provider: EmailProviderKind::Log,
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            smtp_password: None,
            from: "Estelam <no-reply@estelam.invalid>".into(),
        }
    }
}

impl NotificationsSettings {
    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.sms.provider == NotifySmsProviderKind::Http
            && (self.sms.base_url.is_empty() || self.sms.api_key.is_none())
        {
            return Err(
                "notifications.sms.provider = \"http\" needs notifications.sms.base_url and notifications.sms.api_key"
                    .into(),
            );
        }
        if self.email.provider == EmailProviderKind::Smtp && self.email.smtp_host.is_empty() {
            return Err(
                "notifications.email.provider = \"smtp\" needs notifications.email.smtp_host"
                    .into(),
            );
        }
        if self.status_check_min_ms == 0 {
            return Err("notifications.status_check_min_ms must be at least 1".into());
        }
        if self.max_attempts == 0 || self.retry_min_ms == 0 || self.retry_max_ms < self.retry_min_ms
        {
            return Err("notifications.max_attempts and retry_min_ms must be at least 1, and retry_max_ms at least retry_min_ms".into());
        }
        Ok(())
    }
}

fn expose<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}
