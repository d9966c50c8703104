//! A bounded run of the load generator (`estelam-bench`) against the whole system started
//! in process (PostgreSQL and RabbitMQ when the test URLs are set, as in CI): every flow,
//! with and without debt, and every focused scenario completes, and the markdown report is
//! written with the targets' rows and the latency tables. No speed is asserted; figures
//! come from full runs recorded in BENCHMARKS.md.

use estelam_bench::{BenchOptions, run};
use estelam_runtime::config::Settings;
use secrecy::SecretString;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_applicants_complete_every_flow_and_scenario_and_the_report_is_written() {
    let mut settings = Settings::default();
    if let Some(url) = estelam_runtime::testing::postgres_url() {
        settings.database.url = Some(SecretString::from(url));
    }
    if let Some(url) = estelam_runtime::testing::amqp_url() {
        settings.bus.amqp_url = Some(SecretString::from(url));
    }
    let out = tempfile::tempdir().expect("temp dir");
    let path = out.path().join("report.md");
    let options = BenchOptions {
        url: None,
        admin: None,
        applicants: 3,
        flows_each: 2,
        requests: 12,
        bulk_size: 5,
        parcels: 200,
        no_debt_only: false,
        flows_only: false,
        markdown: Some(path.clone()),
        statements_per_step: false,
        processes: None,
        command: "estelam-bench (smoke test)".into(),
    };
    let report = Box::pin(run(settings, &options))
        .await
        .expect("the bench runs");
    assert_eq!(report.failed, 0, "{}", report.markdown);
    assert_eq!(
        report.flows_completed, 12,
        "3 applicants × 2 flows × (no debt, debt):\n{}",
        report.markdown
    );
    let written = std::fs::read_to_string(&path).expect("the report file is written");
    assert_eq!(written, report.markdown);
    for row in [
        "| no-debt submit → answer, p99 | ≤ 100 ms |",
        "| debt paid (PSP callback) → answer issued, p99 | ≤ 250 ms |",
        "| complete nine-step flows per second",
        "| gateway cost, map pick",
        "| gateway cost, parcel lookup",
        "| bank: pay (PSP callback) | 6 |",
        "| submit → answer (no debt) | 6 |",
        "**BulkStatus (clerk), gRPC**: 3 workers; 1 of 1 completed, 0 failed",
        "**answer verification, gateway (public)**: 3 workers; 12 of 12 completed",
    ] {
        assert!(written.contains(row), "missing {row:?} in:\n{written}");
    }
}
