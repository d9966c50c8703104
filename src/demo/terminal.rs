//! The demo people as `estelam run` prints them at a first start, for a person at the
//! terminal: who to log in as, and what each can file.

use std::fmt::Write as _;
use std::path::Path;

use super::people::DemoPeople;

/// The lines `estelam run` prints, naming the file that keeps them (`demo.json` in
/// `data_dir`) for when the terminal has scrolled past.
pub fn describe(people: &DemoPeople, data_dir: &Path) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  Demo people (also in {}):",
        data_dir.join("demo.json").display()
    );
    let _ = writeln!(
        out,
        "    clerk      {} ({}), password {}",
        people.clerk.name, people.clerk.national_code, people.clerk.password
    );
    let _ = writeln!(
        out,
        "    authority  {} ({}, {}), password {}",
        people.authority.name,
        people.authority.national_code,
        people.authority.organization,
        people.authority.password
    );
    for c in &people.citizens {
        let _ = writeln!(
            out,
            "    citizen    {} ({}), password {}, membership code {}; parcel {}, request number {}, {}",
            c.name,
            c.national_code,
            c.password,
            c.membership_code,
            c.renovation_code,
            c.request_number,
            if c.has_debt { "owes levies" } else { "no debt" }
        );
    }
    if let Some(client) = &people.office_client {
        let _ = writeln!(
            out,
            "    API client {} of {} (OAuth client credentials; the secret is in the file)",
            client.client_id, people.authority.organization,
        );
    }
    if let Some(n) = &people.newcomer {
        let _ = writeln!(
            out,
            "    newcomer   {} ({}) owns parcel {} (at {:.6}, {:.6} on the map) with request \
             number {}{}, but has no account yet: register as them (mobile {}) and file an inquiry",
            n.name,
            n.national_code,
            n.renovation_code,
            n.lat,
            n.lon,
            n.request_number,
            if n.has_debt { " and owes levies" } else { "" },
            n.mobile,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::people::{CitizenLogin, StaffLogin};

    fn staff(name: &str, code: &str) -> StaffLogin {
        StaffLogin {
            name: name.into(),
            national_code: code.into(),
            password: format!("{code}-pass"),
            organization_id: String::new(),
            organization: String::new(),
        }
    }

    #[test]
    fn every_login_is_printed_with_where_the_file_keeps_it() {
        let people = DemoPeople {
            clerk: staff("مریم کارمند", "0499370899"),
            authority: staff("حسن سردفتر", "1583250689"),
            citizens: vec![CitizenLogin {
                name: "زهرا احمدی".into(),
                national_code: "0013542419".into(),
                password: "demo-citizen-two-1403".into(),
                renovation_code: "9-1-1-2-0-0".into(),
                request_number: "12345".into(),
                ownership_type: "full".into(),
                has_debt: true,
                membership_code: "100000000009".into(),
            }],
            office_client: None,
            newcomer: None,
        };
        let text = describe(&people, Path::new("data"));
        assert!(text.contains("data/demo.json"), "{text}");
        for expected in [
            "0499370899-pass",
            "1583250689-pass",
            "demo-citizen-two-1403",
            "request number 12345, owes levies",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
        }
        assert!(!text.contains("newcomer"), "{text}");
    }
}
