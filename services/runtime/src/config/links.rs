//! One source for every public link: `gateway.public_base_url`, or the address the gateway
//! really bound. The inquiry service's verification links and the fees service's payment
//! return and sandbox-bank addresses derive from it unless set on their own, so moving the
//! portal (a new host, `estelam run --base-port N`) moves every link the system prints or
//! signs with it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{ConfigError, FeesSettings, InquirySettings, Settings};

impl Settings {
    /// The portal's public address without a trailing `/`: `gateway.public_base_url`, else
    /// `http://<bound>` with an unspecified address (`0.0.0.0`) read as loopback, which is
    /// what a browser on this machine can open.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.gateway.public_base_url {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => {
                let ip = match bound.ip() {
                    IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ip => ip,
                };
                format!("http://{}", SocketAddr::new(ip, bound.port()))
            }
        }
    }

    /// Points the links that were left at their defaults (`inquiry.public_base_url`,
    /// `fees.public_base_url`, `fees.psp_base_url`) at [`Settings::public_base`]. A value set
    /// explicitly (file or environment) is kept. The launcher calls it once the gateway's
    /// address is known: `estelam serve` with `listen.http`, `estelam run` with the port it
    /// bound.
    pub fn derive_public_links(&mut self, bound: SocketAddr) {
        let base = self.public_base(bound);
        let (inquiry, fees) = (InquirySettings::default(), FeesSettings::default());
        if self.inquiry.public_base_url == inquiry.public_base_url {
            self.inquiry.public_base_url = base.clone();
        }
        if self.fees.public_base_url == fees.public_base_url {
            self.fees.public_base_url = base.clone();
        }
        if self.fees.psp_base_url == fees.psp_base_url {
            self.fees.psp_base_url = format!("{base}/psp");
        }
    }

    /// Checks `fees.return_origins`: each an origin (`https://host[:port]`, nothing after).
    pub(super) fn validate_links(&self) -> Result<(), ConfigError> {
        for origin in &self.fees.return_origins {
            let ok = origin
                .parse::<http::Uri>()
                .map(|u| {
                    matches!(u.scheme_str(), Some("http" | "https"))
                        && u.host().is_some()
                        && u.path() == "/"
                        && !origin.ends_with('/')
                        && !origin.contains('@')
                })
                .unwrap_or(false);
            if !ok {
                return Err(ConfigError(format!(
                    "fees.return_origins: {origin:?} must be an origin like https://example.org"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_bound_port_unless_a_public_address_is_set() {
        let mut s = Settings::default();
        s.derive_public_links(SocketAddr::from(([0, 0, 0, 0], 18080)));
        assert_eq!(s.inquiry.public_base_url, "http://127.0.0.1:18080");
        assert_eq!(s.fees.public_base_url, "http://127.0.0.1:18080");
        assert_eq!(s.fees.psp_base_url, "http://127.0.0.1:18080/psp");

        let mut s = Settings::default();
        s.gateway.public_base_url = Some("https://estelam.example.org/".into());
        s.fees.psp_base_url = "https://bank.example/psp".into();
        s.derive_public_links(SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(s.inquiry.public_base_url, "https://estelam.example.org");
        assert_eq!(s.fees.public_base_url, "https://estelam.example.org");
        assert_eq!(
            s.fees.psp_base_url, "https://bank.example/psp",
            "set explicitly"
        );
    }

    #[test]
    fn a_return_origin_is_an_origin() {
        let mut s = Settings::default();
        s.fees.return_origins = vec!["https://notary.example".into()];
        assert!(s.validate_links().is_ok());
        for bad in [
            "https://notary.example/",
            "notary.example",
            "https://u@n.example",
        ] {
            s.fees.return_origins = vec![bad.into()];
            let err = s.validate_links().expect_err(bad).to_string();
            assert!(err.contains("fees.return_origins"), "{err}");
        }
    }
}
