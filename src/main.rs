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
    Run,
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
    let command = cli.command.unwrap_or(Command::Run);
    let process_name = match &command {
        Command::Run => "estelam".to_owned(),
        Command::Serve { service } => format!("estelam-{service}"),
        Command::Migrate { .. } => "estelam-migrate".to_owned(),
    };
    if std::io::stdout().is_terminal()
        && std::env::var_os("ESTELAM_TELEMETRY__LOG_FORMAT").is_none()
    {
        settings.telemetry.log_format = LogFormat::Pretty;
    }
    let _telemetry = estelam_runtime::telemetry::init(&settings.telemetry, &process_name)?;
    let shutdown = estelam_runtime::shutdown::on_signal();
    match command {
        Command::Run => {
            let system = estelam::start(settings, SystemAddrs::conventional(), shutdown).await?;
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
    }
}
