//! E-mail over SMTP with `lettre`: implicit TLS, STARTTLS or (for a relay on the same host
//! and tests) plain text, with optional authentication.

use std::time::Duration;

use async_trait::async_trait;
use estelam_runtime::config::{EmailSettings, SmtpSecurity};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret as _;

use super::{Accepted, Outgoing, Provider, SendError};
use crate::rules::Channel;

/// How long one SMTP conversation may take before it counts as a failure to retry.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends e-mail through an SMTP relay.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// A sender for the relay `settings` describe; fails on a From address that cannot be
    /// read or a host TLS cannot be set up for.
    pub fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        let host = settings.smtp_host.as_str();
        let builder = match settings.smtp_security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder.port(settings.smtp_port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("notifications.email.from {:?}: {e}", settings.from))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Provider for Smtp {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, m: &Outgoing) -> Result<Accepted, SendError> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| SendError::Permanent(format!("recipient address: {e}")))?;
        // The delivery id is the Message-ID: a retry after a lost acknowledgement carries
        // the same one, which mail clients and archives treat as one message.
        let domain = self.from.email.domain().to_owned();
        let message_id = format!("<{}@{domain}>", m.delivery_id);
        let email = Message::builder()
            .message_id(Some(message_id.clone()))
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            // Base64 always: Persian text is mostly non-ASCII, where quoted-printable
            // triples the size, and one encoding is simpler for every reader.
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .header(ContentTransferEncoding::Base64)
                    .body(m.body.clone()),
            )
            .map_err(|e| SendError::Permanent(format!("building the e-mail: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(Accepted {
                provider_message_id: message_id,
            }),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
