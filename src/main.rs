//! `estelam`: one binary for every Estelam process. Thin: parses the command line, loads
//! the settings, starts telemetry, and hands over to the library.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use estelam::SystemAddrs;
use estelam_runtime::config::{LogFormat, Settings};

#[derive(Parser)]
#[command(
    name = "estelam",
    version,
    about = "Estelam municipal e-services: the property inquiry (استعلام ملک)"
)]
struct Cli {
    /// A TOML settings file (also `ESTELAM_CONFIG`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The whole system in one process on embedded defaults (the default command).
    Run(RunArgs),
    /// One service, as Kubernetes runs it: identity, property, documents, fees, inquiry or gateway.
    Serve {
        /// The service to host.
        service: String,
    },
    /// Bring every store (or one service's) up to date, then exit.
    Migrate {
        /// Only this service.
        service: Option<String>,
    },
    /// Document store maintenance.
    Documents {
        #[command(subcommand)]
        command: DocumentsCommand,
    },
    /// Fill an empty property store with the deterministic synthetic city around Shahin Shahr.
    Seed {
        /// How many parcels (the demo city has 2000; up to millions for benchmarks).
        #[arg(long, default_value_t = 2000)]
        parcels: u64,
    },
    /// Load data from files.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Load generator: simulated applicants through the nine steps and focused scenarios
    /// over the public API; prints a markdown report (figures for BENCHMARKS.md).
    Bench(BenchArgs),
}

#[derive(clap::Args)]
struct BenchArgs {
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
}

/// Where `estelam run` listens and tells it.
#[derive(clap::Args, Default)]
struct RunArgs {
    /// The gateway's port; the admin port is the next one, the five gRPC ports follow.
    /// 0 lets the OS choose every port (print them, or write them with --urls-file).
    /// Without it: gateway 8080, admin 9090, gRPC 50051-50055.
    #[arg(long, env = "ESTELAM_RUN_BASE_PORT")]
    base_port: Option<u16>,
    /// Once everything listens (and the demo people exist), write the addresses here as
    /// JSON: {"gateway", "admin", "grpc": {service: endpoint}, "data_dir"}.
    #[arg(long, env = "ESTELAM_RUN_URLS_FILE")]
    urls_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum DocumentsCommand {
    /// Read every stored document, check it against its SHA-256, and list what is damaged
    /// (exits non-zero if anything is).
    Verify,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A municipality's parcel layer, a GeoJSON FeatureCollection (field mapping:
    /// estelam_property::import); all or nothing.
    Parcels {
        /// The GeoJSON file.
        file: PathBuf,
        /// Why, kept in every parcel's history.
        #[arg(long, default_value = "import of the municipal GIS layer")]
        reason: String,
    },
}

/// mimalloc rather than glibc's malloc: glibc keeps each freed 19 MiB argon2id working area
/// in the arena of whichever blocking thread hashed it (its mmap threshold rises after the
/// first free), so a handful of logins left a few hundred MB resident on an idle system;
/// mimalloc returns freed memory to the OS and is quicker with the many small, short-lived
/// allocations of request handling.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("estelam: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref())?;
    let command = cli
        .command
        .unwrap_or_else(|| Command::Run(RunArgs::default()));
    let process_name = match &command {
        Command::Run(_) => "estelam".to_owned(),
        Command::Serve { service } => format!("estelam-{service}"),
        Command::Migrate { .. } => "estelam-migrate".to_owned(),
        Command::Documents { .. } => "estelam-documents".to_owned(),
        Command::Seed { .. } | Command::Import { .. } => "estelam-data".to_owned(),
        Command::Bench(_) => {
            // The report goes to stdout; the in-process system's logs keep to warnings.
            if std::env::var_os("ESTELAM_TELEMETRY__LOG_FILTER").is_none() {
                settings.telemetry.log_filter = "warn".into();
            }
            "estelam-bench".to_owned()
        }
    };
    if std::io::stdout().is_terminal()
        && std::env::var_os("ESTELAM_TELEMETRY__LOG_FORMAT").is_none()
    {
        settings.telemetry.log_format = LogFormat::Pretty;
    }
    let _telemetry = estelam_runtime::telemetry::init(&settings.telemetry, &process_name)?;
    let shutdown = estelam_runtime::shutdown::on_signal();
    match command {
        Command::Run(args) => {
            let addrs = match args.base_port {
                Some(base) => SystemAddrs::from_base_port(base)?,
                None => SystemAddrs::conventional(),
            };
            let system = estelam::start(settings, addrs, shutdown).await?;
            if let Some(path) = &args.urls_file {
                estelam::write_urls_file(path, &system.urls_json())?;
            }
            println!();
            println!("Estelam is running. Open {}", system.gateway_url);
            for (service, endpoint) in &system.endpoints {
                println!("  gRPC {service:<10} {endpoint}");
            }
            println!(
                "  admin           {} (/healthz, /readyz, /metrics)",
                system.admin_url
            );
            println!("Press Ctrl-C to stop.");
            system.wait().await
        }
        Command::Serve { service } if service == "gateway" => {
            estelam::serve_gateway(settings, shutdown).await
        }
        Command::Serve { service } => estelam::serve_one(settings, &service, shutdown).await,
        Command::Migrate { service } => estelam::migrate(&settings, service.as_deref()).await,
        Command::Documents {
            command: DocumentsCommand::Verify,
        } => {
            if estelam_documents::verify_command(&settings).await? {
                Ok(())
            } else {
                anyhow::bail!("damaged documents found (listed above)")
            }
        }
        Command::Seed { parcels } => {
            let bar = indicatif::ProgressBar::new(parcels).with_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {pos}/{len} parcels ({per_sec}, eta {eta})",
                )?
                .progress_chars("=> "),
            );
            let report =
                estelam::seed(&settings, parcels, &mut |done| bar.set_position(done)).await?;
            bar.finish();
            println!(
                "Seeded {} parcels and {} request numbers in {:.1?}.",
                report.parcels, report.request_numbers, report.elapsed
            );
            let demo = report.demo;
            println!(
                "Demo: {} ({}) owns {} with request numbers {} and {}; {} ({}) owns 3 dang of {} (expired {}, used {}).",
                demo.citizen_with_valid_numbers.full_name,
                demo.citizen_with_valid_numbers.national_code,
                demo.parcels[0],
                demo.valid_request_numbers[0],
                demo.valid_request_numbers[1],
                demo.citizen_with_spent_numbers.full_name,
                demo.citizen_with_spent_numbers.national_code,
                demo.parcels[1],
                demo.expired_request_number,
                demo.used_request_number,
            );
            Ok(())
        }
        Command::Bench(args) => Box::pin(bench(settings, args)).await,
        Command::Import {
            what: ImportCommand::Parcels { file, reason },
        } => {
            let n = estelam::import_parcels(&settings, &file, &reason).await?;
            println!("Imported {n} parcels from {}.", file.display());
            Ok(())
        }
    }
}

async fn bench(settings: Settings, args: BenchArgs) -> anyhow::Result<()> {
    let admin = match (
        args.admin_national_code,
        std::env::var("ESTELAM_BENCH_ADMIN_PASSWORD"),
    ) {
        (Some(national_code), Ok(password)) => Some(estelam::bench::target::AdminLogin {
            national_code,
            password: password.into(),
        }),
        (Some(_), Err(_)) => {
            anyhow::bail!("--admin-national-code needs ESTELAM_BENCH_ADMIN_PASSWORD")
        }
        (None, _) => None,
    };
    let options = estelam::bench::BenchOptions {
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
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let report = estelam::bench::run(settings, &options).await?;
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
