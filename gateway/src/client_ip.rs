//! The address a request came from, for per-address rate limits and the audit trail.
//!
//! By default it is the connection's peer address. Behind reverse proxies
//! (`gateway.trusted_proxy_hops` > 0) it is read from `X-Forwarded-For`, that many entries
//! from the right: entries further left were written by the client and can be forged.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::Request;

/// The client's address, in the request extensions once the rate limiter has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client's address for `request`, trusting `hops` proxies.
pub fn of<B>(request: &Request<B>, hops: usize) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i).copied())
        .unwrap_or(peer)
}

/// The key a rate limit counts under: the address itself, or its /64 for IPv6, since one
/// subscriber usually holds a whole /64.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, xff: Option<&str>) -> Request<()> {
        let mut r = Request::new(());
        r.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        if let Some(x) = xff {
            r.headers_mut()
                .insert("x-forwarded-for", x.parse().unwrap());
        }
        r
    }

    #[test]
    fn forwarded_for_is_trusted_only_as_far_as_configured() {
        let r = request("10.0.0.9:1234", Some("6.6.6.6, 1.2.3.4"));
        assert_eq!(of(&r, 0).to_string(), "10.0.0.9");
        assert_eq!(of(&r, 1).to_string(), "1.2.3.4");
        assert_eq!(of(&r, 2).to_string(), "6.6.6.6");
        assert_eq!(
            of(&r, 3).to_string(),
            "10.0.0.9",
            "too few entries: the peer"
        );
        let bad = request("10.0.0.9:1234", Some("garbage"));
        assert_eq!(of(&bad, 1).to_string(), "10.0.0.9");
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a = rate_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = rate_key("2001:db8:1:2:bbbb::2".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(
            rate_key("::ffff:1.2.3.4".parse().unwrap()).to_string(),
            "1.2.3.4"
        );
    }
}
