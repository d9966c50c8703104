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
        Command::Import {
            what: ImportCommand::Parcels { file, reason },
        } => {
            let n = estelam::import_parcels(&settings, &file, &reason).await?;
            println!("Imported {n} parcels from {}.", file.display());
            Ok(())
        }
    }
}
