//! The system once started: where everything listens, how to stop it, and how a test
//! restarts one service while the rest keeps running.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::GrpcListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::demo::DemoPeople;
use crate::host::Host;

/// The whole system, running in this process.
pub struct RunningSystem {
    /// Each service's name and gRPC endpoint (`http://127.0.0.1:port`).
    pub endpoints: Vec<(&'static str, String)>,
    /// The gateway (and portal) URL.
    pub gateway_url: String,
    /// The admin URL.
    pub admin_url: String,
    /// The demo people this start created (a first embedded start only); a later start
    /// leaves them in `demo.json`.
    pub demo_people: Option<DemoPeople>,
    pub(super) settings: Arc<Settings>,
    pub(super) per_service: BTreeMap<String, Settings>,
    pub(super) host: Host,
    pub(super) tasks: JoinSet<anyhow::Result<()>>,
    /// The messages identity's log SMS provider sent (no real SMS is sent by `estelam run`).
    pub(super) sms: Option<estelam_identity::LogSms>,
    /// The messages the notifications service's log providers sent.
    pub(super) notices: Option<estelam_notifications::LogOutbox>,
}

impl RunningSystem {
    /// The settings the system runs with: every started service's endpoint filled in, and
    /// the service clients identity accepts. Clients in tests connect with them.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every SMS identity's log provider sent, oldest first (empty when identity is not
    /// hosted here): what the whole-system tests read codes and owners' notices from.
    pub fn sms_sent(&self) -> Vec<estelam_identity::sms::SentSms> {
        self.sms.as_ref().map(|s| s.sent()).unwrap_or_default()
    }

    /// Every message the notifications service's log providers sent (SMS and e-mail),
    /// oldest first: what `estelam run` "sends" with nothing installed.
    pub fn notifications_sent(&self) -> Vec<estelam_notifications::providers::log::Logged> {
        self.notices.as_ref().map(|s| s.sent()).unwrap_or_default()
    }

    /// The event bus every service of this process shares: tests publish on it what a
    /// broker would redeliver.
    pub fn bus(&self) -> Arc<dyn estelam_runtime::bus::EventBus> {
        self.host.bus.clone()
    }

    /// Starts one more instance of `service` on `listener`, sharing this system's event bus
    /// and token verifier and using the service's own credentials, until `stop` (or the
    /// system's shutdown) is cancelled. Tests use it to stop and restart one service
    /// (started by [`super::start_except`]) while the rest keeps running.
    pub async fn spawn_service(
        &self,
        service: &str,
        listener: GrpcListener,
        stop: CancellationToken,
    ) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
        let mut own = self
            .per_service
            .get(service)
            .cloned()
            .with_context(|| format!("unknown service {service:?}"))?;
        own.endpoints.set(service, listener.endpoint());
        let stop = {
            let both = stop.child_token();
            let system = self.host.shutdown.clone();
            let cancel = both.clone();
            tokio::spawn(async move {
                system.cancelled().await;
                cancel.cancel();
            });
            both
        };
        let (ctx, server) = self
            .host
            .build(service, Arc::new(own), stop.clone())
            .await?;
        Ok(tokio::spawn(async move {
            let result = server.run_until_stopped(listener, stop).await;
            ctx.db.close().await;
            result
        }))
    }

    /// Where everything listens, as JSON: `{"gateway", "admin", "grpc": {service: endpoint},
    /// "data_dir"}`. `estelam run --urls-file` writes it so that a script that started the
    /// system on OS-chosen ports can find them.
    pub fn urls_json(&self) -> serde_json::Value {
        let grpc: serde_json::Map<String, serde_json::Value> = self
            .endpoints
            .iter()
            .map(|(service, endpoint)| ((*service).to_owned(), endpoint.clone().into()))
            .collect();
        serde_json::json!({
            "gateway": self.gateway_url,
            "admin": self.admin_url,
            "grpc": grpc,
            "data_dir": self.settings.data_dir,
        })
    }

    /// What `estelam run` prints for a person once everything listens: where to open the
    /// portal, every port, and the demo logins (or where they are kept, on a later start).
    pub fn banner(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored for that reason.
        if let Some(people) = &self.demo_people {
            out.push_str(&crate::demo::terminal::describe(
                people,
                &self.settings.data_dir,
            ));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Estelam is running. Open {}", self.gateway_url);
        for (service, endpoint) in &self.endpoints {
            let _ = writeln!(out, "  gRPC {service:<10} {endpoint}");
        }
        let _ = writeln!(
            out,
            "  admin           {} (/healthz, /readyz, /metrics)",
            self.admin_url
        );
        let demo = self.settings.data_dir.join("demo.json");
        if self.demo_people.is_none() && demo.exists() {
            let _ = writeln!(out, "  demo people     {}", demo.display());
        }
        let _ = write!(out, "Press Ctrl-C to stop.");
        out
    }

    /// The shutdown token; cancelling it stops everything.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.host.shutdown.clone()
    }

    /// Waits until every part has stopped (after shutdown, or when one fails, which then
    /// stops the rest); returns the first failure.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(err) = result {
                tracing::error!(error = ?err, "a part of the system failed; stopping the rest");
                self.host.shutdown.cancel();
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Requests shutdown and waits for every part to stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.host.shutdown.cancel();
        self.wait().await
    }
}

/// Writes `urls` to `path` whole or not at all (through a temporary file and a rename), so a
/// script polling for the file never reads half of it.
pub fn write_urls_file(path: &std::path::Path, urls: &serde_json::Value) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(urls)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
