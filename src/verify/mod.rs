//! `estelam verify`: checks a printed answer — its PDF, HTML copy, a photo of its QR code,
//! or the QR text — against a trust list and a status list, offline from saved files or
//! online from an Estelam address, and says valid / altered / revoked / expired / unknown
//! key with an exit code per verdict (`docs/certificate.md`).

mod read;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use estelam_inquiry::certificate::check::{self, Report};
use estelam_inquiry::certificate::{status_list, trust_list};

/// Where the trust list and status list come from.
#[derive(Debug, Clone)]
pub enum Sources {
    /// Saved files (offline).
    Files {
        /// The trust list (`GET /api/v1/answer-trust-list`, saved).
        trust_list: PathBuf,
        /// The status list (`GET /api/v1/answer-status-list`, saved); without it
        /// revocation is not checked and the report says so.
        status_list: Option<PathBuf>,
    },
    /// An Estelam address (`http://…`), both lists fetched from it.
    Online(String),
}

/// What `estelam verify` was asked.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// A file (PDF, HTML, PNG, JPEG or text), `-` for standard input, or the QR text.
    pub input: String,
    /// Where the lists come from.
    pub sources: Sources,
    /// The root key fingerprint the trust list must be signed under.
    pub root_fingerprint: Option<String>,
    /// The instant to check at, Unix seconds (now when absent).
    pub now: Option<i64>,
}

/// What the check found, and the root fingerprint the trust list was signed under.
pub struct Outcome {
    /// The verdict and the claims.
    pub report: Report,
    /// The trust list's root fingerprint.
    pub root_fingerprint: String,
    /// The QR text that was checked, as read from the input: what to paste into the
    /// offline verification page (`/verify/offline`).
    pub text: String,
}

/// The QR text found in a file's content (PDF, HTML copy, PNG/JPEG, or text).
pub fn qr_text_in(bytes: &[u8]) -> anyhow::Result<String> {
    read::qr_text(bytes)
}

/// Runs the check.
pub async fn verify(req: &VerifyRequest) -> anyhow::Result<Outcome> {
    let text = read::qr_text(&input_bytes(&req.input)?)?;
    let (trust_token, status_token) = match &req.sources {
        Sources::Files {
            trust_list,
            status_list,
        } => (
            read_file(trust_list)?,
            status_list.as_deref().map(read_file).transpose()?,
        ),
        Sources::Online(base) => {
            let base = base.trim_end_matches('/');
            (
                fetch(&format!("{base}/api/v1/answer-trust-list")).await?,
                Some(fetch(&format!("{base}/api/v1/answer-status-list")).await?),
            )
        }
    };
    let trust = trust_list::read(&trust_token, req.root_fingerprint.as_deref())
        .context("the trust list is not to be relied on")?;
    let status = status_token
        .map(|t| status_list::read(&t, &trust))
        .transpose()
        .context("the status list is not to be relied on")?;
    let now = req.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    Ok(Outcome {
        report: check::check(&text, &trust, status.as_ref(), now),
        root_fingerprint: trust.root_fingerprint,
        text,
    })
}

/// The report as a person reads it.
pub fn describe(outcome: &Outcome, pinned: bool) -> String {
    let r = &outcome.report;
    let mut out = format!("verdict: {}\n", r.verdict.as_str());
    if !r.detail.is_empty() {
        out.push_str(&format!("why: {}\n", r.detail));
    }
    if let Some(kid) = &r.kid {
        out.push_str(&format!("signing key: {kid}\n"));
    }
    if let Some(c) = &r.claims {
        out.push_str(&format!(
            "inquiry number: {}\nverification code: {}\nrenovation code: {}\n\
             registry plate: {} / {} section {}\ndebt: {}{}\nauthority: {}\n\
             issued: {}\nvalid until: {}\n",
            c.inquiry_number,
            c.verification_code,
            c.renovation_code,
            c.plate[0],
            c.plate[1],
            c.plate[2],
            c.debt_status,
            if c.tracking_code.is_empty() {
                String::new()
            } else {
                format!(
                    " (tracking code {}, {} rials)",
                    c.tracking_code, c.amount_paid_rials
                )
            },
            c.authority_name,
            estelam_inquiry::dates::rfc3339_seconds(c.issued_at),
            estelam_inquiry::dates::rfc3339_seconds(c.expires_at),
        ));
        for o in &c.owners {
            out.push_str(&format!(
                "owner: {} {} ({}/{} dang)\n",
                o.full_name, o.masked_code, o.share.0, o.share.1
            ));
        }
        let listed = u32::try_from(c.owners.len()).unwrap_or(u32::MAX);
        if c.owner_count > listed {
            out.push_str(&format!(
                "owners: {} more, listed by the online check\n",
                c.owner_count - listed
            ));
        }
        if !r.status_checked {
            out.push_str("revocation: NOT checked (no status list covering this answer)\n");
        }
    }
    out.push_str(&format!(
        "trust list root: {}{}\n",
        outcome.root_fingerprint,
        if pinned {
            ""
        } else {
            " (not pinned: compare it with the fingerprint the municipality publishes, or pass --root-fingerprint)"
        }
    ));
    out.push_str(&format!("qr text: {}\n", outcome.text));
    out
}

fn input_bytes(input: &str) -> anyhow::Result<Vec<u8>> {
    if input == "-" {
        use std::io::Read as _;
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf);
    }
    if input
        .trim_start()
        .starts_with(estelam_inquiry::certificate::cwt::PREFIX)
    {
        return Ok(input.as_bytes().to_vec());
    }
    std::fs::read(input).with_context(|| format!("cannot read {input}"))
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

async fn fetch(url: &str) -> anyhow::Result<String> {
    let response = reqwest::get(url)
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    Ok(response.text().await?)
}
