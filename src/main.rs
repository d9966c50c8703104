//! `estelam`: one binary for every Estelam process. Thin: parses the command line, loads
//! the settings, starts telemetry, and hands over to the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use estelam::SystemAddrs;
use estelam_runtime::config::Settings;

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
    /// `estelam run`'s options, so that plain `estelam --base-port 0` (and
    /// `cargo run -- --base-port 0`) work as `estelam run` does.
    #[command(flatten)]
    run: RunArgs,
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
    /// Check a printed answer offline or online: its PDF, HTML copy, a PNG/JPEG of its QR
    /// code, or the QR text (EQ1:…). Exit code: 0 valid, 10 altered, 11 revoked,
    /// 12 expired, 13 unknown key, 14 no answer code found, 1 error.
    Verify(VerifyArgs),
    /// The load generator moved to its own binary, `estelam-bench` (so this one does not
    /// carry it); this only says so.
    #[command(hide = true)]
    Bench {
        /// Whatever options were given; `estelam-bench` takes the same ones.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Where `estelam run` listens and tells it.
#[derive(clap::Args)]
struct RunArgs {
    /// The gateway's port; the admin port is the next one, the six gRPC ports follow.
    /// 0 lets the OS choose every port (print them, or write them with --urls-file).
    /// Without it: gateway 8080, admin 9090, gRPC 50051-50056.
    #[arg(long, env = "ESTELAM_RUN_BASE_PORT")]
    base_port: Option<u16>,
    /// Once everything listens (and the demo people exist), write the addresses here as
    /// JSON: {"gateway", "admin", "grpc": {service: endpoint}, "data_dir"}.
    #[arg(long, env = "ESTELAM_RUN_URLS_FILE")]
    urls_file: Option<PathBuf>,
}

/// What `estelam verify` checks, and against what.
#[derive(clap::Args)]
struct VerifyArgs {
    /// A file (PDF, HTML, PNG, JPEG, or text holding the code), `-` for standard input, or
    /// the QR text itself.
    input: String,
    /// The saved trust list (GET /api/v1/answer-trust-list); offline mode.
    #[arg(long, conflicts_with = "online", required_unless_present = "online")]
    trust_list: Option<PathBuf>,
    /// The saved status list (GET /api/v1/answer-status-list); without it revocation is
    /// not checked.
    #[arg(long, requires = "trust_list")]
    status_list: Option<PathBuf>,
    /// Fetch both lists from this Estelam address (e.g. http://127.0.0.1:8080) instead.
    #[arg(long)]
    online: Option<String>,
    /// The root key fingerprint the trust list must be signed under (as the municipality
    /// publishes it; spaces and case do not matter).
    #[arg(long)]
    root_fingerprint: Option<String>,
    /// Check as at this instant (Unix seconds) rather than now.
    #[arg(long, hide = true)]
    at: Option<i64>,
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
    /// The city's label layer the map draws (street names along their lines, block numbers
    /// and landmarks at their points), a GeoJSON FeatureCollection (estelam_parcel_geo::labels);
    /// replaces the layer there was, all or nothing.
    Labels {
        /// The GeoJSON file.
        file: PathBuf,
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
    let cli = Cli::parse();
    if let Some(Command::Verify(args)) = &cli.command {
        // Verifying needs no configuration, store or telemetry: it may run on a notary's
        // laptop with nothing but the binary and two saved files.
        return verify(args).await;
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("estelam: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn verify(args: &VerifyArgs) -> std::process::ExitCode {
    let sources = match (&args.online, &args.trust_list) {
        (Some(base), _) => estelam::verify::Sources::Online(base.clone()),
        (None, Some(trust_list)) => estelam::verify::Sources::Files {
            trust_list: trust_list.clone(),
            status_list: args.status_list.clone(),
        },
        // clap requires one of the two.
        (None, None) => return std::process::ExitCode::from(2),
    };
    let request = estelam::verify::VerifyRequest {
        input: args.input.clone(),
        sources,
        root_fingerprint: args.root_fingerprint.clone(),
        now: args.at,
    };
    match estelam::verify::verify(&request).await {
        Ok(outcome) => {
            print!(
                "{}",
                estelam::verify::describe(&outcome, args.root_fingerprint.is_some())
            );
            std::process::ExitCode::from(outcome.report.verdict.exit_code())
        }
        Err(err) => {
            eprintln!("estelam verify: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Run(cli.run));
    let mut settings = Settings::load(cli.config.as_deref())?;
    let process_name = match &command {
        Command::Run(_) => "estelam".to_owned(),
        Command::Bench { .. } => "estelam-bench".to_owned(),
        Command::Serve { service } => format!("estelam-{service}"),
        Command::Migrate { .. } => "estelam-migrate".to_owned(),
        Command::Documents { .. } => "estelam-documents".to_owned(),
        Command::Seed { .. } | Command::Import { .. } => "estelam-data".to_owned(),
        Command::Verify(_) => "estelam-verify".to_owned(),
    };
    let _telemetry = estelam_runtime::telemetry::init(&settings.telemetry, &process_name)?;
    let shutdown = estelam_runtime::shutdown::on_signal();
    match command {
        Command::Run(args) => {
            // One machine, a developer's or a demo's: a webhook receiver on this machine
            // over plain http is what one tries first. `serve` (production) keeps https and
            // public addresses only unless configured.
            settings.inquiry.webhooks.allow_http = true;
            settings.inquiry.webhooks.allow_loopback = true;
            let addrs = match args.base_port {
                Some(base) => SystemAddrs::from_base_port(base)?,
                None => SystemAddrs::conventional(),
            };
            let system = estelam::start(settings, addrs, shutdown).await?;
            if let Some(path) = &args.urls_file {
                estelam::write_urls_file(path, &system.urls_json())?;
            }
            println!("{}", system.banner());
            system.wait().await
        }
        Command::Serve { service } if service == "gateway" => {
            estelam::serve_gateway(settings, shutdown).await
        }
        Command::Serve { service } => estelam::serve_one(settings, &service, shutdown).await,
        Command::Migrate { service } => estelam::migrate(&settings, service.as_deref()).await,
        Command::Documents {
            command: DocumentsCommand::Verify,
        } => estelam::data::verify_documents(&settings).await,
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
            println!("{}", estelam::data::seed_summary(&report));
            Ok(())
        }
        Command::Import {
            what: ImportCommand::Parcels { file, reason },
        } => {
            let n = estelam::import_parcels(&settings, &file, &reason).await?;
            println!("Imported {n} parcels from {}.", file.display());
            Ok(())
        }
        Command::Import {
            what: ImportCommand::Labels { file },
        } => {
            let n = estelam::import_labels(&settings, &file).await?;
            println!("Imported {n} labels from {}.", file.display());
            Ok(())
        }
        // main handles `verify` before any of this.
        Command::Verify(_) => Ok(()),
        Command::Bench { args } => anyhow::bail!(
            "the load generator is its own binary now: `estelam-bench {}` \
             (from the source tree: `cargo run --release -p estelam-bench -- …`)",
            args.join(" ")
        ),
    }
}
