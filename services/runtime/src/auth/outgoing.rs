//! The other side of authentication: the bearer tokens a service sends when it calls
//! another — its own service token from identity, a fixed one, or none.

use super::*;

/// A service's own access token for calls to other services (role `service`), obtained from
/// identity with client credentials and cached until shortly before it expires.
///
/// Cheap to clone; clones share the cache. Concurrent callers wait for one request to
/// identity instead of each sending their own.
#[derive(Clone)]
pub struct ServiceTokenSource {
    inner: Arc<ServiceTokenInner>,
}

struct ServiceTokenInner {
    client: estelam_proto::identity::v1::identity_service_client::IdentityServiceClient<
        tonic::transport::Channel,
    >,
    client_id: String,
    client_secret: secrecy::SecretString,
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: String,
    refresh_at: std::time::SystemTime,
}

impl std::fmt::Debug for ServiceTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTokenSource")
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// How long before expiry a cached service token is replaced: at most this, at least a
/// fifth of the token's lifetime.
const SERVICE_TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl ServiceTokenSource {
    /// A source for the service account `client_id`, calling identity over `channel`.
    pub fn new(
        channel: tonic::transport::Channel,
        client_id: impl Into<String>,
        client_secret: secrecy::SecretString,
    ) -> Self {
        Self {
            inner: Arc::new(ServiceTokenInner {
                client:
                    estelam_proto::identity::v1::identity_service_client::IdentityServiceClient::new(
                        channel,
                    ),
                client_id: client_id.into(),
                client_secret,
                cached: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// A source for this process's own credentials (`auth.client_id` / `auth.client_secret`)
    /// calling identity at `endpoints.identity`; `None` when no credentials are configured.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Option<Self>> {
        let (Some(id), Some(secret)) = (&settings.auth.client_id, &settings.auth.client_secret)
        else {
            return Ok(None);
        };
        let channel = crate::grpc::channel(&settings.endpoints.identity, &settings.grpc)?;
        Ok(Some(Self::new(channel, id.clone(), secret.clone())))
    }

    /// The client id this source authenticates as.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// A valid access token, from the cache or freshly obtained. A failure is `Unavailable`
    /// when identity cannot be reached and `Internal` otherwise (wrong credentials are a
    /// deployment defect, not something the end user can fix); the cause goes to the log.
    pub async fn bearer(&self) -> Result<String, ServiceError> {
        use estelam_proto::identity::v1::ClientCredentialsTokenRequest;
        use secrecy::ExposeSecret as _;
        let mut cached = self.inner.cached.lock().await;
        let now = std::time::SystemTime::now();
        if let Some(c) = cached.as_ref()
            && now < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let request = ClientCredentialsTokenRequest {
            client_id: self.inner.client_id.clone(),
            client_secret: self.inner.client_secret.expose_secret().to_owned(),
            ..Default::default()
        };
        let mut client = self.inner.client.clone();
        let response = client
            .client_credentials_token(crate::grpc::outgoing(request, None))
            .await
            .map_err(|status| {
                let cause = anyhow::anyhow!(
                    "ClientCredentialsToken for {} failed: {} {}",
                    self.inner.client_id,
                    status.code(),
                    status.message()
                );
                match status.code() {
                    // Unknown and Cancelled: identity's connection broke mid-call (it was
                    // restarted); callers should retry, as for Unavailable.
                    tonic::Code::Unavailable
                    | tonic::Code::Unknown
                    | tonic::Code::Cancelled
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::ResourceExhausted => ServiceError::unavailable(cause),
                    _ => ServiceError::internal(cause),
                }
            })?
            .into_inner();
        let expires_at = response
            .expires_at
            .and_then(|t| u64::try_from(t.seconds).ok())
            .map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s))
            .unwrap_or(now);
        let lifetime = expires_at.duration_since(now).unwrap_or_default();
        let margin = SERVICE_TOKEN_MARGIN.min(lifetime / 5);
        *cached = Some(CachedToken {
            token: response.access_token.clone(),
            refresh_at: expires_at - margin,
        });
        Ok(response.access_token)
    }

    /// Drops the cached token, e.g. after another service refused it.
    pub async fn invalidate(&self) {
        *self.inner.cached.lock().await = None;
    }
}

/// Supplies this service's own access token (role `service`) for calls to other services.
/// [`ServiceTokenSource`] is the real one; tests and deployments that inject a token use
/// [`StaticBearer`].
#[async_trait::async_trait]
pub trait BearerSource: Send + Sync {
    /// A currently valid access token.
    async fn bearer(&self) -> Result<String, ServiceError>;
}

#[async_trait::async_trait]
impl BearerSource for ServiceTokenSource {
    async fn bearer(&self) -> Result<String, ServiceError> {
        ServiceTokenSource::bearer(self).await
    }
}

/// A fixed token.
#[derive(Clone)]
pub struct StaticBearer(pub String);

#[async_trait::async_trait]
impl BearerSource for StaticBearer {
    async fn bearer(&self) -> Result<String, ServiceError> {
        Ok(self.0.clone())
    }
}

/// No service credentials configured: calls to other services fail as unavailable, with
/// the reason (which setting to set) in the log.
pub struct NoBearer;

#[async_trait::async_trait]
impl BearerSource for NoBearer {
    async fn bearer(&self) -> Result<String, ServiceError> {
        Err(ServiceError::unavailable(anyhow::anyhow!(
            "no service credentials: set auth.client_id and auth.client_secret"
        )))
    }
}

/// This service's token source from `auth.client_id` / `auth.client_secret`, or
/// [`NoBearer`] (with a warning) when they are not set.
pub fn service_bearer(
    settings: &crate::config::Settings,
) -> anyhow::Result<std::sync::Arc<dyn BearerSource>> {
    Ok(match ServiceTokenSource::from_settings(settings)? {
        Some(source) => std::sync::Arc::new(source),
        None => {
            tracing::warn!(
                "auth.client_id / auth.client_secret are not set: calls to other services will be refused"
            );
            std::sync::Arc::new(NoBearer)
        }
    })
}
