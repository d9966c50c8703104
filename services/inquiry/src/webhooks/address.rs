//! Where a webhook may point. An endpoint URL is the integrator's to choose, and Estelam
//! POSTs to it from inside the municipality's network, so an unchecked URL would let anyone
//! with an API client probe or call internal systems (SSRF): https only, and no loopback,
//! private, link-local, shared or otherwise non-public address unless the deployment allows
//! it. The URL is checked when it is saved, and every address its name resolves to is
//! checked again at each delivery, in the HTTP client's resolver itself, so a name that
//! resolved to a public address when saved and to an internal one later (DNS rebinding) is
//! refused at the moment of connecting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use estelam_runtime::config::WebhookSettings;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute http(s) URL with a host, or it carries credentials or a fragment.
    Invalid,
    /// `http://` where only https is allowed.
    NotHttps,
    /// A host on an address the settings do not allow.
    AddressRefused,
}

/// What kind of address an IP is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the Internet.
    Public,
    /// This machine.
    Loopback,
    /// A private, link-local, shared (CGNAT) or unique-local network.
    Private,
    /// Never a receiver: unspecified, multicast, broadcast, documentation, reserved.
    Never,
}

/// The addresses the settings allow.
#[derive(Debug, Clone, Copy)]
pub struct AddressPolicy {
    allow_loopback: bool,
    allow_private: bool,
}

impl AddressPolicy {
    /// The policy of these settings.
    pub fn of(s: &WebhookSettings) -> Self {
        Self {
            allow_loopback: s.allow_loopback,
            allow_private: s.allow_private,
        }
    }

    /// Whether a delivery may connect to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match classify(ip) {
            AddressClass::Public => true,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::Private => self.allow_private,
            AddressClass::Never => false,
        }
    }
}

/// The class of `ip` (an IPv4-mapped IPv6 address is its IPv4 address).
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b)) {
        AddressClass::Private
    } else if a == 0
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240
        || ip.is_documentation()
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
    {
        AddressClass::Never
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
        AddressClass::Private
    } else if ip.is_unspecified()
        || ip.is_multicast()
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
    {
        AddressClass::Never
    } else {
        AddressClass::Public
    }
}

/// Checks an endpoint URL as saved (and again before each delivery): scheme, form, and a
/// host given as an IP literal or `localhost` against the policy. Other names are checked
/// when they are resolved, at delivery.
pub fn check_url(raw: &str, s: &WebhookSettings) -> Result<Url, UrlRefusal> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2_000 {
        return Err(UrlRefusal::Invalid);
    }
    let url = Url::parse(raw).map_err(|_| UrlRefusal::Invalid)?;
    match url.scheme() {
        "https" => {}
        "http" if s.allow_http => {}
        "http" => return Err(UrlRefusal::NotHttps),
        _ => return Err(UrlRefusal::Invalid),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(UrlRefusal::Invalid);
    }
    let policy = AddressPolicy::of(s);
    let host = url.host_str().ok_or(UrlRefusal::Invalid)?;
    if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return if policy.allows(ip) {
            Ok(url)
        } else {
            Err(UrlRefusal::AddressRefused)
        };
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost" || name.ends_with(".localhost");
    if local {
        return if s.allow_loopback {
            Ok(url)
        } else {
            Err(UrlRefusal::AddressRefused)
        };
    }
    // A bare single-label name resolves only inside some network.
    if !name.contains('.') && !s.allow_private {
        return Err(UrlRefusal::AddressRefused);
    }
    Ok(url)
}

/// The delivery client's resolver: the system's answer, less every address the policy
/// refuses; a name left with none fails to connect.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: AddressPolicy,
}

impl GuardedResolver {
    /// A resolver that keeps only what `policy` allows.
    pub fn new(policy: AddressPolicy) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no address webhooks may reach").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> WebhookSettings {
        WebhookSettings::default()
    }

    #[test]
    fn production_takes_public_https_only() {
        let s = production();
        assert!(check_url("https://hooks.bank.example/estelam", &s).is_ok());
        assert_eq!(
            check_url("http://hooks.bank.example/", &s),
            Err(UrlRefusal::NotHttps)
        );
        for internal in [
            "https://127.0.0.1/",
            "https://localhost:8443/",
            "https://10.1.2.3/",
            "https://172.20.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://0.0.0.0/",
            "https://intranet/",
        ] {
            assert_eq!(
                check_url(internal, &s),
                Err(UrlRefusal::AddressRefused),
                "{internal}"
            );
        }
        for bad in [
            "ftp://x.example/",
            "https://u:p@x.example/",
            "not a url",
            "",
        ] {
            assert_eq!(check_url(bad, &s), Err(UrlRefusal::Invalid), "{bad}");
        }
    }

    #[test]
    fn settings_open_loopback_and_private_ranges() {
        let s = WebhookSettings {
            allow_http: true,
            allow_loopback: true,
            ..production()
        };
        assert!(check_url("http://127.0.0.1:9000/hook", &s).is_ok());
        assert!(check_url("http://localhost:9000/hook", &s).is_ok());
        assert_eq!(
            check_url("http://10.0.0.1/", &s),
            Err(UrlRefusal::AddressRefused)
        );
        let s = WebhookSettings {
            allow_private: true,
            ..s
        };
        assert!(check_url("http://10.0.0.1/", &s).is_ok());
        assert!(!AddressPolicy::of(&s).allows("0.0.0.0".parse().expect("ip")));
        assert!(AddressPolicy::of(&s).allows("8.8.8.8".parse().expect("ip")));
    }
}
