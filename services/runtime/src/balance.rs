//! Per-call load balancing across every replica of a service.
//!
//! A Kubernetes Service balances TCP connections, not calls: a caller's long-lived HTTP/2
//! channel pins one replica, so scaling a Deployment out leaves the new pods idle. So a
//! service address may name many replicas, and the caller spreads its calls over them:
//!
//! * `endpoints.<service>` is one address or a comma-separated list of them
//!   (`http://10.0.0.7:50055,http://10.0.0.8:50055`); each host is an IP address or a DNS
//!   name, and a name stands for every address it resolves to (a headless Service's name
//!   resolves to the IP of each ready pod).
//! * Names are resolved again every `grpc.resolve_interval_ms` and at once when a replica
//!   stops answering, so pods that come and go are followed.
//! * Each resolved address is watched with `grpc.health.v1.Health/Watch` on a connection of
//!   its own (gRPC's client-side health checking): a replica is taken out of the balance as
//!   soon as it says it is not serving (a process that begins to drain on SIGTERM says so
//!   first) or its connection breaks (a process that died), and put back when it serves
//!   again. A replica whose health is not known yet is in the balance, so a new channel works
//!   at once; if every replica is out, all of them stay in, so that a call fails at once with
//!   `Unavailable` (and is retried by [`crate::grpc::retry_idempotent`]) instead of waiting
//!   for its deadline.
//! * Each call goes to the less loaded of two replicas chosen at random (tower's
//!   power-of-two-choices balancer inside tonic's `Channel::balance_channel`).
//!
//! A single IP address (what `estelam run` uses) keeps the plain channel: one replica needs
//! no balancing and no watching.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use http::Uri;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::config::GrpcSettings;

/// Longest a watcher waits before it tries a replica that stopped answering again.
const WATCH_RETRY_MAX: Duration = Duration::from_secs(5);
/// First wait before a watcher tries a replica again.
const WATCH_RETRY_MIN: Duration = Duration::from_millis(200);

/// The addresses one `endpoints.<service>` setting names, in the order given: each an
/// `http://` or `https://` URI with a host and a port. The message names what is wrong.
pub fn addresses(setting: &str) -> Result<Vec<Uri>, String> {
    let mut out = Vec::new();
    for part in setting.split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let uri: Uri = part
            .parse()
            .map_err(|_| format!("{part:?} is not a URL like http://host:port"))?;
        if uri.host().is_none() || !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(format!("{part:?} is not a URL like http://host:port"));
        }
        out.push(uri);
    }
    if out.is_empty() {
        return Err(
            "no address given (expected http://host:port, or a comma-separated list)".into(),
        );
    }
    Ok(out)
}

/// Whether `setting` is one fixed IP address, which needs no balancing.
pub fn is_single_ip(setting: &str) -> bool {
    matches!(addresses(setting).as_deref(), Ok([uri]) if host_ip(uri).is_some())
}

/// The port of `uri`, or the scheme's default.
fn port_of(uri: &Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        })
}

/// The host of `uri` as an IP address, if it is one (`[::1]` included).
fn host_ip(uri: &Uri) -> Option<std::net::IpAddr> {
    let host = uri.host()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// A channel that balances each call over every replica `setting` names, kept up to date by
/// a discovery task (see the module docs). The task and its watchers stop when the last
/// clone of the channel is dropped.
pub fn balanced_channel(setting: &str, settings: &GrpcSettings) -> anyhow::Result<Channel> {
    let targets = addresses(setting).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
    let discovery = Discovery {
        label: setting.to_owned(),
        targets,
        settings: settings.clone(),
        changes,
        resolved: BTreeMap::new(),
        healthy: BTreeMap::new(),
        in_balance: BTreeSet::new(),
        watchers: BTreeMap::new(),
    };
    tokio::spawn(discovery.run());
    Ok(channel)
}

/// What a watcher reports about one replica.
struct Health {
    addr: SocketAddr,
    serving: bool,
}

/// The task that keeps one balanced channel's replica set: resolves, watches, and sends the
/// balancer the difference.
struct Discovery {
    /// The setting, for logs.
    label: String,
    targets: Vec<Uri>,
    settings: GrpcSettings,
    changes: mpsc::Sender<Change<SocketAddr, Endpoint>>,
    /// Every address resolved now, with the URI it came from (its scheme and origin).
    resolved: BTreeMap<SocketAddr, Uri>,
    /// What each watched replica last said: serving or not. Absent: not known yet.
    healthy: BTreeMap<SocketAddr, bool>,
    /// The replicas the balancer holds now.
    in_balance: BTreeSet<SocketAddr>,
    watchers: BTreeMap<SocketAddr, JoinHandle<()>>,
}

impl Drop for Discovery {
    fn drop(&mut self) {
        for watcher in self.watchers.values() {
            watcher.abort();
        }
    }
}

impl Discovery {
    async fn run(mut self) {
        let (health_tx, mut health_rx) = mpsc::channel::<Health>(64);
        let mut tick = tokio::time::interval(self.settings.resolve_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let resolve = tokio::select! {
                _ = tick.tick() => true,
                report = health_rx.recv() => {
                    let Some(report) = report else { return };
                    let was = self.healthy.insert(report.addr, report.serving);
                    // A replica that stopped answering may be a pod that is gone: look the
                    // names up again now rather than at the next tick.
                    was != Some(false) && !report.serving
                }
                () = self.changes.closed() => return,
            };
            if resolve {
                self.resolve().await;
                self.watch_new(&health_tx);
            }
            if self.apply().await.is_err() {
                // The channel is gone: nobody calls through it any more.
                return;
            }
        }
    }

    /// Looks every target up; a name that does not resolve now keeps its previous
    /// addresses, so a DNS hiccup takes no replica out of the balance.
    async fn resolve(&mut self) {
        let mut now = BTreeMap::new();
        for uri in &self.targets {
            let port = port_of(uri);
            if let Some(ip) = host_ip(uri) {
                now.insert(SocketAddr::new(ip, port), uri.clone());
                continue;
            }
            let host = uri.host().unwrap_or_default().to_owned();
            match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => {
                    for addr in found {
                        now.insert(addr, uri.clone());
                    }
                }
                Err(err) => {
                    tracing::warn!(endpoint = %self.label, host = %host, error = %err,
                        "could not resolve a service address; keeping the replicas known before");
                    for (addr, from) in &self.resolved {
                        if from == uri {
                            now.insert(*addr, from.clone());
                        }
                    }
                }
            }
        }
        for gone in self.resolved.keys().filter(|a| !now.contains_key(a)) {
            if let Some(watcher) = self.watchers.remove(gone) {
                watcher.abort();
            }
            self.healthy.remove(gone);
        }
        self.resolved = now;
    }

    /// Starts a health watcher for every resolved address that has none.
    fn watch_new(&mut self, health_tx: &mpsc::Sender<Health>) {
        for (addr, uri) in &self.resolved {
            if self.watchers.contains_key(addr) {
                continue;
            }
            // No request timeout on the watch: it is meant to stay open.
            let endpoint = endpoint_for(*addr, uri, &self.settings);
            let watcher = tokio::spawn(watch(*addr, endpoint, health_tx.clone()));
            self.watchers.insert(*addr, watcher);
        }
    }

    /// Sends the balancer the replicas to add and to drop: those serving or not known yet,
    /// or every resolved one when none is serving.
    async fn apply(&mut self) -> Result<(), ()> {
        let usable: BTreeSet<SocketAddr> = self
            .resolved
            .keys()
            .filter(|a| self.healthy.get(a) != Some(&false))
            .copied()
            .collect();
        let wanted = if usable.is_empty() {
            self.resolved.keys().copied().collect()
        } else {
            usable
        };
        // Additions first, so the balancer is never left empty in between.
        for addr in wanted.difference(&self.in_balance) {
            let Some(uri) = self.resolved.get(addr) else {
                continue;
            };
            tracing::info!(endpoint = %self.label, replica = %addr, "replica added to the balance");
            let endpoint =
                endpoint_for(*addr, uri, &self.settings).timeout(self.settings.request_timeout());
            self.changes
                .send(Change::Insert(*addr, endpoint))
                .await
                .map_err(|_| ())?;
        }
        for addr in self.in_balance.difference(&wanted) {
            tracing::info!(endpoint = %self.label, replica = %addr, "replica taken out of the balance");
            self.changes
                .send(Change::Remove(*addr))
                .await
                .map_err(|_| ())?;
        }
        self.in_balance = wanted;
        Ok(())
    }
}

/// The endpoint of one replica: its address, with the configured connect timeout and
/// keep-alive, and the name it was found by as the `:authority` the server sees.
fn endpoint_for(addr: SocketAddr, from: &Uri, settings: &GrpcSettings) -> Endpoint {
    let scheme = from.scheme_str().unwrap_or("http");
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(addr.to_string())
        .path_and_query("/")
        .build()
        .unwrap_or_else(|_| from.clone());
    crate::grpc::configure(Endpoint::from(uri), settings).origin(from.clone())
}

/// Watches one replica's health until aborted, reporting each change of mind: serving on
/// `SERVING`; not serving on anything else, or when the stream breaks, and then it lets the
/// stream go (a draining server waits for open calls) and tries again after a backoff.
async fn watch(addr: SocketAddr, endpoint: Endpoint, reports: mpsc::Sender<Health>) {
    let mut backoff = WATCH_RETRY_MIN;
    let mut last: Option<bool> = None;
    let channel = endpoint.connect_lazy();
    loop {
        let mut client = HealthClient::new(channel.clone());
        let request = HealthCheckRequest {
            service: String::new(),
        };
        match client.watch(tonic::Request::new(request)).await {
            Ok(response) => {
                let mut stream = response.into_inner();
                while let Ok(Some(message)) = stream.message().await {
                    if message.status != ServingStatus::Serving as i32 {
                        // Not serving: most likely draining, whose end the open watch would
                        // hold up. Let go, and look again after a pause.
                        break;
                    }
                    backoff = WATCH_RETRY_MIN;
                    if last != Some(true) {
                        last = Some(true);
                        if reports
                            .send(Health {
                                addr,
                                serving: true,
                            })
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
            Err(status) => {
                tracing::debug!(replica = %addr, code = ?status.code(), "health watch refused");
            }
        }
        if last != Some(false) {
            last = Some(false);
            if reports
                .send(Health {
                    addr,
                    serving: false,
                })
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(WATCH_RETRY_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comma_list_names_every_replica_and_a_bad_part_is_named() {
        let list = addresses("http://10.0.0.7:50055, http://inquiry-1.inquiry:50055,").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].host(), Some("inquiry-1.inquiry"));
        let err = addresses("http://a:1,ftp://b:2").unwrap_err();
        assert!(err.contains("ftp://b:2"), "{err}");
        assert!(addresses(" , ").is_err());
    }

    #[test]
    fn only_one_ip_address_skips_the_balancer() {
        assert!(is_single_ip("http://127.0.0.1:50052"));
        assert!(is_single_ip("http://[::1]:50052"));
        assert!(!is_single_ip("http://inquiry:50055"));
        assert!(!is_single_ip("http://127.0.0.1:1,http://127.0.0.1:2"));
    }
}
