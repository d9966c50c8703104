//! The scrub behind `estelam documents verify`: reads every stored object, checks it against
//! the SHA-256 it is named by, and reports what is damaged, what is missing, and what no
//! document refers to.

use std::collections::BTreeMap;

use futures::StreamExt;
use sha2::{Digest, Sha256};

use estelam_runtime::config::Settings;
use estelam_runtime::db::Database;

use crate::storage::{Blobs, StorageError};
use crate::{SERVICE, migrations, store};

/// An object whose bytes do not match its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedObject {
    /// The hash it is stored under (what it should be).
    pub sha256: String,
    /// What it reads as now, or why it could not be read.
    pub problem: String,
    /// The documents that refer to it.
    pub documents: Vec<String>,
}

/// What a scrub found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Objects read.
    pub objects_checked: u64,
    /// Bytes read.
    pub bytes_checked: u64,
    /// Objects whose content is not what their name says (or could not be read).
    pub damaged: Vec<DamagedObject>,
    /// Hashes documents refer to with no object at all, with those documents.
    pub missing: Vec<DamagedObject>,
    /// Objects no document refers to (a crash between storing and recording; harmless).
    pub orphans: Vec<String>,
}

impl ScrubReport {
    /// True when every document's content is intact.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty() && self.missing.is_empty()
    }
}

/// Observes a scrub's progress: the total once known, then bytes as they are read.
pub trait Progress {
    /// The scrub will read `objects` objects of `bytes` bytes in all.
    fn start(&self, objects: u64, bytes: u64);
    /// `bytes` more were read.
    fn advance(&self, bytes: u64);
    /// One object was found damaged.
    fn damaged(&self, sha256: &str);
}

/// A [`Progress`] that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
    fn damaged(&self, _: &str) {}
}

/// Reads and checks every object in `blobs` against the documents in `db`.
pub async fn scrub(
    db: &Database,
    blobs: &Blobs,
    progress: &dyn Progress,
) -> anyhow::Result<ScrubReport> {
    let objects = blobs.list_objects().await?;
    let mut referenced: BTreeMap<String, Vec<String>> = store::referenced_hashes(db).await?;
    let total: u64 = objects.iter().map(|(_, size)| size).sum();
    progress.start(objects.len() as u64, total);
    let mut report = ScrubReport::default();
    for (name, _) in &objects {
        let documents = referenced.remove(name);
        if let Some(problem) = check_object(blobs, name, progress, &mut report).await {
            progress.damaged(name);
            crate::metrics::INTEGRITY_FAILURES
                .with_label_values(&["scrub"])
                .inc();
            tracing::error!(sha256 = %name, %problem, "INTEGRITY: stored object is damaged");
            report.damaged.push(DamagedObject {
                sha256: name.clone(),
                problem,
                documents: documents.unwrap_or_default(),
            });
        } else if documents.is_none() {
            report.orphans.push(name.clone());
        }
    }
    for (sha256, documents) in referenced {
        tracing::error!(%sha256, "INTEGRITY: stored object is missing");
        crate::metrics::INTEGRITY_FAILURES
            .with_label_values(&["scrub"])
            .inc();
        report.missing.push(DamagedObject {
            sha256,
            problem: "missing".into(),
            documents,
        });
    }
    Ok(report)
}

/// Hashes one object; the problem, if any.
async fn check_object(
    blobs: &Blobs,
    name: &str,
    progress: &dyn Progress,
    report: &mut ScrubReport,
) -> Option<String> {
    let (_, mut stream) = match blobs.open_object(name).await {
        Ok(opened) => opened,
        Err(StorageError::Missing(_)) => return Some("vanished during the scrub".into()),
        Err(err) => return Some(format!("unreadable: {err}")),
    };
    let mut hasher = Sha256::new();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(piece) => {
                hasher.update(&piece);
                report.bytes_checked += piece.len() as u64;
                progress.advance(piece.len() as u64);
            }
            Err(err) => return Some(format!("unreadable: {err}")),
        }
    }
    report.objects_checked += 1;
    let actual = hex::encode(hasher.finalize());
    (actual != name).then(|| format!("content hashes to {actual}"))
}

/// A progress bar on the terminal (drawn on stderr; hidden when stderr is not a terminal).
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    /// A bar that appears once the total is known.
    pub fn new() -> Self {
        Self(indicatif::ProgressBar::hidden())
    }

    /// Removes the bar, so the summary printed after it stands alone.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bar {
    fn start(&self, objects: u64, bytes: u64) {
        self.0
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.0.set_length(bytes);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} verifying {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.0.set_style(style);
        self.0.set_message(format!("{objects} objects"));
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn damaged(&self, sha256: &str) {
        self.0.println(format!("damaged: {sha256}"));
    }
}

/// `estelam documents verify`: scrubs the whole store with a progress bar, prints what is
/// damaged or missing, and returns whether everything is intact.
pub async fn verify_command(settings: &Settings) -> anyhow::Result<bool> {
    settings.documents.validate()?;
    let db = estelam_runtime::host::open_store(settings, SERVICE, &migrations()).await?;
    let blobs = Blobs::open(settings)?;
    let bar = Bar::new();
    let report = scrub(&db, &blobs, &bar).await;
    bar.finish();
    db.close().await;
    let report = report?;
    println!(
        "checked {} objects ({} bytes): {} damaged, {} missing, {} unreferenced",
        report.objects_checked,
        report.bytes_checked,
        report.damaged.len(),
        report.missing.len(),
        report.orphans.len()
    );
    for d in report.damaged.iter().chain(&report.missing) {
        let documents = if d.documents.is_empty() {
            "(none)".to_owned()
        } else {
            d.documents.join(", ")
        };
        println!(
            "DAMAGED {} ({}) documents: {documents}",
            d.sha256, d.problem
        );
    }
    for o in &report.orphans {
        println!("unreferenced {o}");
    }
    Ok(report.is_clean())
}
