//! `estelam-bench`: the load generator. It drives the public HTTP API of a system (one
//! already running, or the whole system started in this process) with N concurrent
//! simulated applicants through the nine-step inquiry, without and with debt, then runs the
//! focused scenarios (map pick and parcel lookup through the gateway and straight over
//! gRPC, upload, public answer verification, the authority's bulk status), and reports
//! throughput and HDR latency percentiles as markdown. Figures go to `BENCHMARKS.md`; no
//! test ever asserts a speed.
//!
//! It is a crate of its own, not a command of `estelam`, so the production binary and image
//! carry none of it (its HTTP client, histograms, fixtures); it uses the launcher's library
//! (`estelam`) to start the system in its own process.
//!
//! One concern per file: [`target`] (what is loaded), [`setup`] (people and parcels made
//! through the system's own APIs), [`flow`] (one applicant's inquiry), [`scenarios`]
//! (focused calls), [`drive`] (closed-loop workers), [`stats`] (histograms, failures),
//! [`progress`] (the once-a-second line on stderr), [`cpu`] (CPU time a phase used,
//! in-process and multi-process runs), [`report`] (markdown), [`statements`] (SQL statements per step from
//! `pg_stat_statements`, `--statements-per-step`).

pub mod cpu;
pub mod drive;
pub mod flow;
pub mod http;
pub mod progress;
pub mod report;
pub mod scenarios;
pub mod setup;
pub mod statements;
pub mod stats;
pub mod target;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use estelam_runtime::config::Settings;

use self::flow::{FlowContext, Issued};
use self::progress::Progress;
use self::report::{Conditions, Phase};
use self::scenarios::{Scenario, Targets};
use self::setup::{Applicant, Clients, Plan};
use self::stats::Stats;
use self::target::{AdminLogin, Target};

/// What to run; the command line's options.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The gateway of a running system; `None` starts the whole system in this process.
    pub url: Option<String>,
    /// The admin to act as on a running system.
    pub admin: Option<AdminLogin>,
    /// Concurrent simulated applicants.
    pub applicants: usize,
    /// Flows per applicant in each of the no-debt and debt phases.
    pub flows_each: u32,
    /// Calls per focused scenario.
    pub requests: usize,
    /// Inquiry numbers per bulk-status call (at most 1,000).
    pub bulk_size: usize,
    /// Parcels in the in-process system's city.
    pub parcels: u32,
    /// Skip the debt phase.
    pub no_debt_only: bool,
    /// Skip the focused scenarios.
    pub flows_only: bool,
    /// Also write the report here (it always goes to stdout).
    pub markdown: Option<PathBuf>,
    /// Instead of the load: one applicant's flow without and with debt, one call at a time,
    /// counting the SQL statements of each step (PostgreSQL with `pg_stat_statements`).
    pub statements_per_step: bool,
    /// Start the system as separate `estelam serve` processes of this `estelam` binary, two
    /// replicas each of property, documents and inquiry (PostgreSQL and RabbitMQ required),
    /// instead of in this process.
    pub processes: Option<PathBuf>,
    /// The command line, quoted in the report.
    pub command: String,
}

/// What a run produced: the markdown and whether every unit of work completed.
pub struct BenchReport {
    /// The report.
    pub markdown: String,
    /// Units completed, over every phase.
    pub completed: u64,
    /// Units failed, over every phase.
    pub failed: u64,
    /// Flows completed (both flow phases).
    pub flows_completed: u64,
    /// Calls per replica of each replicated service while the phases ran (multi-process
    /// runs; empty otherwise).
    pub replicas: Vec<report::ReplicaCalls>,
}

/// Runs the benchmark described by `options` against the system `settings` describe.
pub async fn run(settings: Settings, options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let load_before = report::load_average();
    let target = match &options.url {
        Some(url) => {
            let admin = options.admin.as_ref().context(
                "a running system needs an admin to set up the applicants: --admin-national-code and ESTELAM_BENCH_ADMIN_PASSWORD",
            )?;
            Target::remote(url, settings, admin).await?
        }
        None => match &options.processes {
            Some(binary) => {
                eprintln!("estelam-bench: starting the system as separate processes …");
                Box::pin(Target::processes(settings, options.parcels, binary)).await?
            }
            None => {
                eprintln!("estelam-bench: starting the system in this process …");
                Target::in_process(settings, options.parcels).await?
            }
        },
    };
    let result = if options.statements_per_step {
        statements_per_step(&target, options).await
    } else {
        measure(&target, options, load_before).await
    };
    let stopped = target.stop().await;
    let report = result?;
    stopped?;
    if let Some(path) = &options.markdown {
        std::fs::write(path, &report.markdown)
            .with_context(|| format!("writing the report to {}", path.display()))?;
    }
    Ok(report)
}

async fn measure(
    target: &Target,
    options: &BenchOptions,
    load_before: String,
) -> anyhow::Result<BenchReport> {
    let api = http::Api::new(&target.gateway_url)?;
    let clients = Clients::new(&target.settings)?;
    let run_seed = u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() / 10)
            .unwrap_or(0)
            % 40_000,
    )
    .unwrap_or(0);
    eprintln!("estelam-bench: setting up staff, applicants and parcels …");
    let staff = setup::staff(&clients, &target.admin_token, run_seed).await?;
    let n = u32::try_from(options.applicants.max(1)).context("too many applicants")?;
    let mut plans = vec![(
        "flows, no debt",
        Plan {
            run_seed,
            first: 0,
            applicants: n,
            flows_each: options.flows_each.max(1),
            debt: false,
        },
    )];
    if !options.no_debt_only {
        plans.push((
            "flows, with debt",
            Plan {
                run_seed,
                first: n,
                applicants: n,
                flows_each: options.flows_each.max(1),
                debt: true,
            },
        ));
    }
    let mut groups: Vec<(&str, Vec<Applicant>)> = Vec::new();
    for (name, plan) in &plans {
        let done = std::sync::atomic::AtomicU32::new(0);
        let total = plan.applicants;
        let tick = || {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if d.is_multiple_of(10) || d == total {
                eprintln!("  setup ({name}): {d}/{total} applicants ready");
            }
        };
        let applicants = setup::applicants(&api, &clients, &staff, *plan, 4, &tick).await?;
        groups.push((*name, applicants));
    }

    let ctx = Arc::new(FlowContext {
        api: api.clone(),
        organization_id: staff.organization_id.clone(),
        request_type_code: staff.request_type_code.clone(),
        id_card: estelam_documents::inspect::fixtures::png(320, 200),
        deed: estelam_documents::inspect::fixtures::pdf("", 2_000),
        issue_deadline: Duration::from_secs(60),
    });
    let replicas_before = replica_calls(target).await?;
    let mut phases = Vec::new();
    let mut issued: Vec<Issued> = Vec::new();
    for (name, applicants) in &groups {
        let (phase, done) = flow_phase(name, &ctx, applicants, options, target).await;
        issued.extend(done);
        phases.push(phase);
    }

    if !options.flows_only {
        let first = groups.first().map(|(_, a)| a.clone()).unwrap_or_default();
        let targets = Arc::new(Targets {
            flow: ctx.clone(),
            property:
                estelam_proto::property::v1::property_service_client::PropertyServiceClient::new(
                    estelam_runtime::grpc::channel(
                        &target.settings.endpoints.property,
                        &target.settings.grpc,
                    )?,
                ),
            inquiry: estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient::new(
                estelam_runtime::grpc::channel(
                    &target.settings.endpoints.inquiry,
                    &target.settings.grpc,
                )?,
            ),
            citizen_tokens: first.iter().map(|a| a.token.clone()).collect(),
            tracker_token: staff.clerk_token.clone(),
            parcels: first
                .iter()
                .flat_map(|a| a.parcels.iter().cloned())
                .collect(),
            issued: issued.clone(),
            bulk_size: options.bulk_size,
        });
        for scenario in Scenario::ALL {
            let total = if scenario == Scenario::BulkStatus {
                options.requests.div_ceil(20).max(1)
            } else {
                options.requests
            };
            let stats = Arc::new(Stats::default());
            let progress = Progress::start(scenario.label().to_owned(), total, stats.clone());
            let cpu_before = cpu_sample(options, target);
            let outcome =
                scenarios::run(scenario, &targets, total, options.applicants, &stats).await;
            let cpu = spent_since(cpu_before, cpu_sample(options, target));
            drop(progress);
            let (wall, skipped) = match outcome {
                Ok(wall) => (wall, None),
                Err(why) => (Duration::ZERO, Some(why)),
            };
            eprintln!("estelam-bench: {} done", scenario.label());
            for (what, n) in stats.failures() {
                eprintln!("  {}: {n} × {what}", scenario.label());
            }
            phases.push(Phase {
                name: scenario.label().to_owned(),
                planned: total,
                workers: options.applicants,
                wall,
                stats,
                skipped,
                cpu,
            });
        }
    }

    let replicas_after = replica_calls(target).await?;
    let replicas: Vec<report::ReplicaCalls> = replicas_after
        .into_iter()
        .map(|after| {
            let before = replicas_before.iter().find(|b| b.service == after.service);
            report::ReplicaCalls {
                served: after
                    .served
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        n.saturating_sub(before.and_then(|b| b.served.get(i).copied()).unwrap_or(0))
                    })
                    .collect(),
                service: after.service,
            }
        })
        .collect();
    let conditions = Conditions {
        command: options.command.clone(),
        backends: target.backends.clone(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        load_after: report::load_average(),
        applicants: options.applicants,
        parcels: options.parcels,
        replicas: replicas.clone(),
    };
    let flows_completed = phases
        .iter()
        .filter(|p| p.name.starts_with("flows"))
        .map(|p| p.stats.ok_count())
        .sum();
    Ok(BenchReport {
        markdown: report::markdown(&conditions, &phases),
        completed: phases.iter().map(|p| p.stats.ok_count()).sum(),
        failed: phases.iter().map(|p| p.stats.failed_count()).sum(),
        flows_completed,
        replicas,
    })
}

/// `--statements-per-step`: one applicant files one inquiry on a parcel without debt and one
/// on a parcel with debt, one call at a time; after each call the counter waits for the
/// system to fall quiet and counts what the run's database executed (see [`statements`]).
async fn statements_per_step(
    target: &Target,
    options: &BenchOptions,
) -> anyhow::Result<BenchReport> {
    let (admin_url, database) = target.run_database().context(
        "--statements-per-step needs the in-process system on PostgreSQL (ESTELAM_DATABASE_URL)",
    )?;
    let api = http::Api::new(&target.gateway_url)?;
    let clients = Clients::new(&target.settings)?;
    let run_seed = 1;
    eprintln!("estelam-bench: setting up staff, one applicant and two parcels …");
    let staff = setup::staff(&clients, &target.admin_token, run_seed).await?;
    let mut flows = Vec::new();
    for (label, first, debt) in [("no debt", 0, false), ("with debt", 1, true)] {
        let plan = Plan {
            run_seed,
            first,
            applicants: 1,
            flows_each: 1,
            debt,
        };
        let applicants = setup::applicants(&api, &clients, &staff, plan, 1, &|| {}).await?;
        flows.push((label, applicants));
    }
    let counter = Arc::new(statements::StatementCounter::connect(admin_url, database).await?);
    eprintln!(
        "estelam-bench: watching the idle system for {} s …",
        statements::IDLE_WINDOW.as_secs()
    );
    let idle = counter.learn_pollers().await?;
    let ctx = FlowContext {
        api: api.counting_statements(counter.clone()),
        organization_id: staff.organization_id.clone(),
        request_type_code: staff.request_type_code.clone(),
        id_card: estelam_documents::inspect::fixtures::png(320, 200),
        deed: estelam_documents::inspect::fixtures::pdf("", 2_000),
        issue_deadline: Duration::from_secs(60),
    };
    let stats = Stats::default();
    let mut completed = 0;
    for (label, applicants) in &flows {
        for applicant in applicants {
            for parcel in &applicant.parcels {
                eprintln!("estelam-bench: counting the statements of a flow ({label}) …");
                counter.set_flow(&format!("{label}: "));
                flow::run(&ctx, &stats, applicant, parcel)
                    .await
                    .map_err(|f| anyhow::anyhow!("the flow ({label}) failed: {f:?}"))?;
                completed += 1;
            }
        }
    }
    let rows = counter.rows();
    counter.close().await;
    let markdown = format!(
        "# SQL statements per step\n\nCommand: `{}`; {}.\n\n{}",
        options.command,
        target.backends,
        statements::markdown(&rows, idle)
    );
    Ok(BenchReport {
        markdown,
        completed,
        failed: 0,
        flows_completed: completed,
        replicas: Vec::new(),
    })
}

/// Every applicant runs its flows one after another, all applicants at once.
async fn flow_phase(
    name: &str,
    ctx: &Arc<FlowContext>,
    applicants: &[Applicant],
    options: &BenchOptions,
    target: &Target,
) -> (Phase, Vec<Issued>) {
    let stats = Arc::new(Stats::default());
    let total = applicants.iter().map(|a| a.parcels.len()).sum();
    eprintln!(
        "estelam-bench: {name}: {} applicants, {total} flows …",
        applicants.len()
    );
    let progress = Progress::start(name.to_owned(), total, stats.clone());
    let cpu_before = cpu_sample(options, target);
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for a in applicants.iter().cloned() {
        let (ctx, stats) = (ctx.clone(), stats.clone());
        tasks.spawn(async move {
            let mut done = Vec::new();
            for parcel in &a.parcels {
                match flow::run(&ctx, &stats, &a, parcel).await {
                    Ok(issued) => {
                        stats.completed();
                        done.push(issued);
                    }
                    Err(f) => stats.failed(&f),
                }
            }
            done
        });
    }
    let mut issued = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => issued.extend(done),
            Err(_) => stats.failed(&stats::Failure::new(
                "worker",
                "an applicant's task stopped unexpectedly",
            )),
        }
    }
    let wall = started.elapsed();
    let cpu = spent_since(cpu_before, cpu_sample(options, target));
    drop(progress);
    for (what, n) in stats.failures() {
        eprintln!("  {name}: {n} × {what}");
    }
    (
        Phase {
            name: name.to_owned(),
            planned: total,
            workers: options.applicants.min(applicants.len()),
            wall,
            stats,
            skipped: None,
            cpu,
        },
        issued,
    )
}

/// CPU is only counted when the system runs on this machine (in this process, or as
/// processes this run started, whose own CPU is then counted too): against a remote system
/// this machine's counters would hold the generator alone.
fn cpu_sample(options: &BenchOptions, target: &Target) -> Option<cpu::CpuSample> {
    if options.url.is_some() {
        return None;
    }
    match target.deployment() {
        Some(deployment) => cpu::CpuSample::with_processes(&deployment.pids()),
        None => cpu::CpuSample::now(),
    }
}

/// The calls each replica of each replicated service has served so far (multi-process runs;
/// empty otherwise).
async fn replica_calls(target: &Target) -> anyhow::Result<Vec<report::ReplicaCalls>> {
    let Some(deployment) = target.deployment() else {
        return Ok(Vec::new());
    };
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for service in target::REPLICATED {
        out.push(report::ReplicaCalls {
            service: service.to_owned(),
            served: deployment.calls_served(service, &http).await?,
        });
    }
    Ok(out)
}

fn spent_since(before: Option<cpu::CpuSample>, now: Option<cpu::CpuSample>) -> Option<cpu::CpuUse> {
    Some(before?.until(&now?))
}
