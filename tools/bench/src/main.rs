//! `estelam-bench`: parses the command line, loads the settings the way `estelam` does
//! (defaults, `--config` / `ESTELAM_CONFIG`, `ESTELAM_…` variables) and runs the load
//! generator, printing its markdown report on standard output.

use std::path::PathBuf;

use clap::Parser;
use estelam_bench::target::AdminLogin;
use estelam_bench::{BenchOptions, run};
use estelam_runtime::config::Settings;

/// Simulated applicants through the nine steps and focused scenarios over the public API;
/// prints a markdown report (figures for BENCHMARKS.md).
#[derive(Parser)]
#[command(name = "estelam-bench", version)]
struct Args {
    /// A TOML settings file (also `ESTELAM_CONFIG`): the running system's endpoints, or
    /// the backends of the in-process one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The gateway of a running system (its gRPC endpoints come from the settings);
    /// without it the whole system is started in this process on free ports.
    #[arg(long)]
    url: Option<String>,
    /// On a running system: the national code of an admin to set up applicants with
    /// (password in ESTELAM_BENCH_ADMIN_PASSWORD).
    #[arg(long)]
    admin_national_code: Option<String>,
    /// Concurrent simulated applicants.
    #[arg(long, default_value_t = 50)]
    applicants: usize,
    /// Flows per applicant, in each of the no-debt and the debt phase.
    #[arg(long, default_value_t = 4)]
    flows: u32,
    /// Calls per focused scenario (bulk status: a twentieth as many calls).
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Inquiry numbers per bulk-status call (at most 1000).
    #[arg(long, default_value_t = 1000)]
    bulk_size: usize,
    /// Parcels in the in-process system's synthetic city.
    #[arg(long, default_value_t = 2000)]
    parcels: u32,
    /// Only the no-debt flows (no payments).
    #[arg(long)]
    no_debt_only: bool,
    /// Only the flows, no focused scenarios.
    #[arg(long)]
    flows_only: bool,
    /// Also write the markdown report to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Instead of the load: one applicant's flow without and with debt, one call at a time,
    /// with the SQL statements, distinct statements and transactions of each step from
    /// pg_stat_statements (PostgreSQL that preloads it; tools/statements-per-step.sh).
    #[arg(long)]
    statements_per_step: bool,
    /// Start the system as separate `estelam serve` processes, two replicas each of
    /// property, documents and inquiry behind one address each, as Kubernetes runs it
    /// (needs ESTELAM_DATABASE_URL and ESTELAM_AMQP_URL); the report adds the calls each
    /// replica served and the CPU of the processes.
    #[arg(long, conflicts_with = "url")]
    processes: bool,
    /// The `estelam` binary the processes run (default: `estelam` beside this binary).
    #[arg(long, requires = "processes")]
    estelam_bin: Option<PathBuf>,
}

/// The allocator of the `estelam` binary (see its src/main.rs for why), so an in-process
/// run measures the system as it runs in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match bench().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("estelam-bench: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn bench() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut settings = Settings::load(args.config.as_deref())?;
    // The report goes to stdout; the in-process system's logs keep to warnings.
    if std::env::var_os("ESTELAM_TELEMETRY__LOG_FILTER").is_none() {
        settings.telemetry.log_filter = "warn".into();
    }
    let _telemetry = estelam_runtime::telemetry::init(&settings.telemetry, "estelam-bench")?;
    let admin = match (
        args.admin_national_code,
        std::env::var("ESTELAM_BENCH_ADMIN_PASSWORD"),
    ) {
        (Some(national_code), Ok(password)) => Some(AdminLogin {
            national_code,
            password: password.into(),
        }),
        (Some(_), Err(_)) => {
            anyhow::bail!("--admin-national-code needs ESTELAM_BENCH_ADMIN_PASSWORD")
        }
        (None, _) => None,
    };
    let processes = if args.processes {
        Some(match args.estelam_bin {
            Some(path) => path,
            None => std::env::current_exe()?.with_file_name("estelam"),
        })
    } else {
        None
    };
    let options = BenchOptions {
        url: args.url,
        admin,
        applicants: args.applicants,
        flows_each: args.flows,
        requests: args.requests,
        bulk_size: args.bulk_size,
        parcels: args.parcels,
        no_debt_only: args.no_debt_only,
        flows_only: args.flows_only,
        markdown: args.markdown,
        statements_per_step: args.statements_per_step,
        processes,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let report = Box::pin(run(settings, &options)).await?;
    println!("{}", report.markdown);
    if report.failed > 0 {
        anyhow::bail!(
            "{} of {} units of work failed (counted by reason in the report)",
            report.failed,
            report.failed + report.completed
        );
    }
    Ok(())
}
