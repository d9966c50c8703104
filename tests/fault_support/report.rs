//! The figures each fault run reports: requests acknowledged, completed, lost and
//! duplicated, printed as a markdown table row (BENCHMARKS.md quotes them).

use std::collections::BTreeMap;
use std::time::Duration;

/// One fault's outcome.
#[derive(Debug, Default)]
pub struct Report {
    /// Which fault.
    pub fault: String,
    /// Requests sent (payments, or calls under the fault).
    pub attempted: usize,
    /// Requests the system said yes to.
    pub acknowledged: usize,
    /// Acknowledged work that finished (an answer issued, a record readable).
    pub completed: usize,
    /// Acknowledged work that never finished.
    pub lost: usize,
    /// Work done more than once (answers or `inquiry.answer.issued` events beyond one per
    /// inquiry).
    pub duplicated: usize,
    /// Refusals callers saw during the fault, by gRPC code.
    pub refusals: BTreeMap<String, usize>,
    /// From the fault's start to the last completion.
    pub elapsed: Duration,
}

impl Report {
    /// The table header matching [`Report::row`].
    pub const HEADER: &'static str = "| fault | attempted | acknowledged | completed | lost | duplicated | refusals seen | time |\n|---|---:|---:|---:|---:|---:|---|---:|";

    /// One markdown row.
    pub fn row(&self) -> String {
        let refusals = if self.refusals.is_empty() {
            "none".to_owned()
        } else {
            self.refusals
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            self.fault,
            self.attempted,
            self.acknowledged,
            self.completed,
            self.lost,
            self.duplicated,
            refusals,
            self.elapsed.as_secs_f64()
        )
    }

    /// Prints the row (visible with `--nocapture`) and appends it to
    /// `ESTELAM_FAULTS_REPORT` when set.
    pub fn publish(&self) {
        println!("{}\n{}", Self::HEADER, self.row());
        if let Ok(path) = std::env::var("ESTELAM_FAULTS_REPORT") {
            use std::io::Write as _;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{}", self.row());
            }
        }
    }

    /// Fails the test unless nothing acknowledged was lost or duplicated.
    pub fn assert_clean(&self) {
        assert_eq!(
            self.lost, 0,
            "{}: acknowledged work lost: {self:?}",
            self.fault
        );
        assert_eq!(
            self.duplicated, 0,
            "{}: work done twice: {self:?}",
            self.fault
        );
        assert_eq!(
            self.completed, self.acknowledged,
            "{}: {self:?}",
            self.fault
        );
    }
}
