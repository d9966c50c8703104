//! Settings only the HTTP gateway reads: what the portal shows, the map's base layer, and the
//! limits of its tower stack. Environment keys look like `ESTELAM_GATEWAY__TILE_URL`.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The `[gateway]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewaySettings {
    /// The municipality's name in Persian, shown in the portal's header.
    pub municipality_fa: String,
    /// The municipality's name in English, shown in the portal's header in English mode.
    pub municipality_en: String,
    /// True when people reach the gateway over HTTPS, directly or through a TLS-terminating
    /// proxy; turns on `Strict-Transport-Security`. Never set it for plain-HTTP deployments:
    /// browsers would then refuse the site.
    pub https: bool,
    /// Origins allowed to call the JSON API from other sites' pages (CORS), such as
    /// `https://notary.example`. Empty (the default) turns CORS off: only the portal itself,
    /// which is same-origin, calls the API from a browser.
    pub cors_origins: Vec<String>,
    /// A base-map tile URL template with `{z}`, `{x}` and `{y}`; unset draws the parcels alone.
    pub tile_url: Option<String>,
    /// Attribution the tile provider requires, shown in the map's corner.
    pub tile_attribution: String,
    /// Where the map opens: latitude in degrees.
    pub map_center_lat: f64,
    /// Where the map opens: longitude in degrees.
    pub map_center_lon: f64,
    /// Where the map opens: zoom level.
    pub map_zoom: u8,
    /// Longest an ordinary request may take before the gateway answers 504.
    pub request_timeout_ms: u64,
    /// Longest a document upload may take (slow phone connections need minutes).
    pub upload_timeout_ms: u64,
    /// Largest JSON (or other ordinary) request body accepted, bytes.
    pub json_body_limit_bytes: usize,
    /// Largest upload body accepted by `POST /api/v1/documents`, bytes.
    pub upload_body_limit_bytes: usize,
    /// Requests handled at once; past this, new ones get 503 with `Retry-After`.
    pub concurrency_limit: usize,
    /// API requests per minute from one client address (an IPv6 client is counted per /64).
    pub per_ip_per_minute: u32,
    /// API requests one address may send in a burst before the per-minute rate applies.
    pub per_ip_burst: u32,
    /// API requests per minute from one logged-in account, whatever its address.
    pub per_user_per_minute: u32,
    /// API requests one account may send in a burst.
    pub per_user_burst: u32,
    /// How many reverse proxies in front of the gateway append to `X-Forwarded-For`; the
    /// client address is taken that many entries from the right. 0 (the default) ignores the
    /// header, which anyone can forge, and uses the connection's address.
    pub trusted_proxy_hops: usize,
    /// The address people reach the portal at, such as `https://estelam.example.org`: every
    /// link the system prints or signs (an answer's verification URL and QR code, where a
    /// payment returns to, the sandbox bank's pages) starts with it, so a link never points
    /// at an address only the server knows. Unset, it is the address the gateway really
    /// bound (`estelam run --base-port N` gives links on port N); a deployment behind an
    /// Ingress must set it.
    pub public_base_url: Option<String>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            municipality_fa: "شهرداری شاهین‌شهر".into(),
            municipality_en: "Shahin Shahr Municipality".into(),
            https: false,
            cors_origins: Vec::new(),
            tile_url: None,
            tile_attribution: String::new(),
            map_center_lat: 32.86,
            map_center_lon: 51.55,
            map_zoom: 15,
            request_timeout_ms: 30_000,
            upload_timeout_ms: 300_000,
            json_body_limit_bytes: 64 * 1024,
            upload_body_limit_bytes: 12 * 1024 * 1024,
            concurrency_limit: 1024,
            per_ip_per_minute: 600,
            per_ip_burst: 120,
            per_user_per_minute: 300,
            per_user_burst: 60,
            trusted_proxy_hops: 0,
            public_base_url: None,
        }
    }
}

impl GatewaySettings {
    /// Checks what types alone cannot; errors name the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.tile_url {
            let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
            let origin_ok = tile_origin(url).is_some();
            if !placeholders || !origin_ok {
                return Err(ConfigError(
                    "gateway.tile_url must be an http(s) URL template with {z}, {x} and {y}".into(),
                ));
            }
        }
        for origin in &self.cors_origins {
            let ok = origin
                .parse::<http::Uri>()
                .map(|u| {
                    matches!(u.scheme_str(), Some("http" | "https"))
                        && u.host().is_some()
                        && u.path() == "/"
                        && !origin.ends_with('/')
                })
                .unwrap_or(false);
            if !ok {
                return Err(ConfigError(format!(
                    "gateway.cors_origins: {origin:?} must be an origin like https://example.org"
                )));
            }
        }
        if let Some(base) = &self.public_base_url
            && !is_base_url(base)
        {
            return Err(ConfigError(format!(
                "gateway.public_base_url: {base:?} must be an http(s) address like \
                 https://estelam.example.org (a path is allowed; no query, no user)"
            )));
        }
        let positive = [
            ("request_timeout_ms", self.request_timeout_ms),
            ("upload_timeout_ms", self.upload_timeout_ms),
            ("json_body_limit_bytes", self.json_body_limit_bytes as u64),
            (
                "upload_body_limit_bytes",
                self.upload_body_limit_bytes as u64,
            ),
            ("concurrency_limit", self.concurrency_limit as u64),
            ("per_ip_per_minute", u64::from(self.per_ip_per_minute)),
            ("per_ip_burst", u64::from(self.per_ip_burst)),
            ("per_user_per_minute", u64::from(self.per_user_per_minute)),
            ("per_user_burst", u64::from(self.per_user_burst)),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("gateway.{name} must be at least 1")));
        }
        if !(-90.0..=90.0).contains(&self.map_center_lat)
            || !(-180.0..=180.0).contains(&self.map_center_lon)
        {
            return Err(ConfigError(
                "gateway.map_center_lat/lon must be WGS84 degrees".into(),
            ));
        }
        Ok(())
    }

    /// The `scheme://host[:port]` of the tile URL, for the page's Content-Security-Policy.
    pub fn tile_origin(&self) -> Option<String> {
        self.tile_url.as_deref().and_then(tile_origin)
    }
}

/// Whether `url` can start every public link: http(s), a host, no user part, no query or
/// fragment.
fn is_base_url(url: &str) -> bool {
    url.parse::<http::Uri>()
        .map(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| !h.is_empty())
                && u.query().is_none()
                && !url.contains(['@', '#', '\\'])
                && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        .unwrap_or(false)
}

/// `scheme://host[:port]` of a tile URL template; `{s}` subdomains become a wildcard.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split('/').next()?;
    if authority.is_empty()
        || !authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '{' | '}'))
    {
        return None;
    }
    Some(format!("{scheme}://{}", authority.replace("{s}", "*")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_origin_is_what_the_csp_needs() {
        let mut s = GatewaySettings {
            tile_url: Some("https://{s}.tile.example.org/{z}/{x}/{y}.png".into()),
            ..GatewaySettings::default()
        };
        assert!(s.validate().is_ok());
        assert_eq!(
            s.tile_origin().as_deref(),
            Some("https://*.tile.example.org")
        );
        s.tile_url = Some("javascript:alert(1)/{z}/{x}/{y}".into());
        assert!(s.validate().is_err());
        s.tile_url = Some("https://tiles.example.org/a.png".into());
        assert!(s.validate().is_err());
    }

    #[test]
    fn the_public_base_is_an_http_address_without_a_user_or_query() {
        for good in [
            "https://estelam.example.org",
            "http://127.0.0.1:18080",
            "https://m.ir/estelam/",
        ] {
            let s = GatewaySettings {
                public_base_url: Some(good.into()),
                ..GatewaySettings::default()
            };
            assert!(s.validate().is_ok(), "{good}");
        }
        for bad in [
            "estelam.example.org",
            "javascript:alert(1)",
            "https://u@evil.example",
            "https://a.example/?x=1",
            "ftp://a.example",
        ] {
            let s = GatewaySettings {
                public_base_url: Some(bad.into()),
                ..GatewaySettings::default()
            };
            let err = s.validate().expect_err(bad).to_string();
            assert!(err.contains("gateway.public_base_url"), "{err}");
        }
    }

    #[test]
    fn a_bad_origin_or_a_zero_limit_is_named() {
        let s = GatewaySettings {
            cors_origins: vec!["https://notary.example/".into()],
            ..GatewaySettings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("cors_origins")
        );
        let s = GatewaySettings {
            per_ip_burst: 0,
            ..GatewaySettings::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("gateway.per_ip_burst")
        );
        let s = GatewaySettings {
            cors_origins: vec!["https://notary.example".into()],
            ..GatewaySettings::default()
        };
        assert!(s.validate().is_ok());
    }
}
