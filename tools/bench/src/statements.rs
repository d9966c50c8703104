//! SQL statements per step, from PostgreSQL's `pg_stat_statements`: the run's system on a
//! server that preloads the extension (`tools/statements-per-step.sh` starts a private one),
//! one applicant's flows driven one HTTP call at a time, and after each call the statements
//! the run's database executed until the system fell quiet, then a reset.
//!
//! Per step the table gives the statements executed (calls), the distinct statements, the
//! explicit transactions (`BEGIN` … `COMMIT`/`ROLLBACK`), and the transactions that wrote
//! (transaction ids the cluster assigned: a read-only transaction gets none). A step's
//! window runs from the end of the call before it to the moment the system has been quiet
//! for [`QUIET`], so what a call sets going after it answers (the outbox relay publishing,
//! a consumer applying an event, the payment callback's issue) counts with that call.
//!
//! Background pollers (each service's outbox relay every 500 ms, the index refresh, the
//! sender loops) run the whole time. Before the flows the counter watches the idle system
//! for [`IDLE_WINDOW`]: the statements seen then are the pollers'; they do not keep a
//! window open, and each row says how many of its statements were theirs.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use estelam_runtime::db::{Database, DatabaseTarget};
use sqlx::Row as _;

/// How long the run's database must see none but the pollers' statements for a step to end.
pub const QUIET: Duration = Duration::from_millis(250);
/// How long the idle system is watched to learn the pollers' statements.
pub const IDLE_WINDOW: Duration = Duration::from_secs(3);
/// The longest a step's window stays open (a step that never falls quiet is cut here).
const LONGEST_WINDOW: Duration = Duration::from_secs(20);
/// How often the counters are read while waiting for quiet.
const READ_EVERY: Duration = Duration::from_millis(50);

/// One row of the table: a step, possibly several calls of the same label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepCounts {
    /// The step's label (the HTTP call's, as in the latency tables).
    pub step: String,
    /// HTTP calls made under that label.
    pub calls: u64,
    /// Statements executed.
    pub statements: u64,
    /// Statements of which the idle pollers' (the queries seen at idle).
    pub pollers: u64,
    /// Distinct statements (by `queryid`), over all the label's calls.
    pub distinct: u64,
    /// Explicit transactions (`BEGIN`).
    pub transactions: u64,
    /// Transactions that wrote (transaction ids assigned).
    pub writes: u64,
}

/// What the idle system's background pollers do, per second.
#[derive(Debug, Clone, Copy, Default)]
pub struct Idle {
    /// Statements.
    pub statements: f64,
    /// Explicit transactions.
    pub transactions: f64,
    /// Transactions that wrote.
    pub writes: f64,
}

/// One read of the counters.
struct Snapshot {
    /// Calls per queryid, with whether the statement is a `BEGIN`.
    calls: BTreeMap<i64, (u64, bool)>,
    /// The next transaction id the cluster will assign.
    next_xid: i64,
}

/// Counts the statements of the run's database per step.
pub struct StatementCounter {
    admin: Database,
    database: String,
    pollers: Mutex<HashSet<i64>>,
    rows: Mutex<Vec<(StepCounts, HashSet<i64>)>>,
    xid_at_reset: Mutex<i64>,
    /// The flow being counted ("no debt", "with debt"), prefixed to each row's label.
    flow: Mutex<String>,
}

impl StatementCounter {
    /// Connects to the server at `admin_url` (a database other than the run's) and makes
    /// sure `pg_stat_statements` can be read there; `database` is the run's database.
    pub async fn connect(admin_url: &str, database: &str) -> anyhow::Result<Self> {
        let admin = Database::connect(&DatabaseTarget {
            url: admin_url.to_owned(),
            schema: None,
            max_connections: 1,
        })
        .await
        .context("connecting to PostgreSQL for pg_stat_statements")?;
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(admin.pool())
            .await
            .context("CREATE EXTENSION pg_stat_statements")?;
        sqlx::query("SELECT count(*) FROM pg_stat_statements")
            .execute(admin.pool())
            .await
            .context(
                "reading pg_stat_statements: the server must preload it \
                 (shared_preload_libraries = pg_stat_statements); tools/statements-per-step.sh \
                 starts a private server that does",
            )?;
        let counter = Self {
            admin,
            database: database.to_owned(),
            pollers: Mutex::new(HashSet::new()),
            rows: Mutex::new(Vec::new()),
            xid_at_reset: Mutex::new(0),
            flow: Mutex::new(String::new()),
        };
        counter.reset().await?;
        Ok(counter)
    }

    async fn read(&self) -> anyhow::Result<Snapshot> {
        let rows = sqlx::query(
            "SELECT queryid, calls, upper(left(ltrim(query), 5)) = 'BEGIN' AS is_begin \
             FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)",
        )
        .bind(&self.database)
        .fetch_all(self.admin.pool())
        .await?;
        let mut calls = BTreeMap::new();
        for r in rows {
            let id: i64 = r.try_get("queryid")?;
            let n: i64 = r.try_get("calls")?;
            let begin: bool = r.try_get("is_begin")?;
            let entry = calls.entry(id).or_insert((0, begin));
            entry.0 += u64::try_from(n).unwrap_or(0);
        }
        let next_xid: i64 =
            sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
                .fetch_one(self.admin.pool())
                .await?;
        Ok(Snapshot { calls, next_xid })
    }

    async fn reset(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1 FROM (SELECT pg_stat_statements_reset()) AS reset")
            .execute(self.admin.pool())
            .await?;
        let xid: i64 =
            sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
                .fetch_one(self.admin.pool())
                .await?;
        *self.xid_at_reset.lock().unwrap_or_else(|e| e.into_inner()) = xid;
        Ok(())
    }

    /// Watches the idle system for [`IDLE_WINDOW`]; returns what the pollers do per second
    /// and remembers which statements are theirs.
    pub async fn learn_pollers(&self) -> anyhow::Result<Idle> {
        self.reset().await?;
        let xid_before = *self.xid_at_reset.lock().unwrap_or_else(|e| e.into_inner());
        tokio::time::sleep(IDLE_WINDOW).await;
        let seen = self.read().await?;
        let per_second = |n: u64| n as f64 / IDLE_WINDOW.as_secs_f64();
        let idle = Idle {
            statements: per_second(seen.calls.values().map(|(n, _)| n).sum()),
            transactions: per_second(
                seen.calls
                    .values()
                    .filter(|(_, begin)| *begin)
                    .map(|(n, _)| n)
                    .sum(),
            ),
            writes: per_second(u64::try_from(seen.next_xid - xid_before).unwrap_or(0)),
        };
        *self.pollers.lock().unwrap_or_else(|e| e.into_inner()) =
            seen.calls.keys().copied().collect();
        self.reset().await?;
        Ok(idle)
    }

    /// Names the flow the following steps belong to.
    pub fn set_flow(&self, flow: &str) {
        *self.flow.lock().unwrap_or_else(|e| e.into_inner()) = flow.to_owned();
    }

    /// After the call labelled `step` answered: waits until the system is quiet, counts the
    /// window into the step's row and starts the next window.
    pub async fn step_done(&self, step: &str) -> anyhow::Result<()> {
        let pollers = self
            .pollers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let own = |s: &Snapshot| -> u64 {
            s.calls
                .iter()
                .filter(|(id, _)| !pollers.contains(id))
                .map(|(_, (n, _))| n)
                .sum()
        };
        let opened = Instant::now();
        let mut last = self.read().await?;
        let mut quiet_since = Instant::now();
        loop {
            tokio::time::sleep(READ_EVERY).await;
            let now = self.read().await?;
            if own(&now) != own(&last) {
                quiet_since = Instant::now();
            }
            last = now;
            if quiet_since.elapsed() >= QUIET || opened.elapsed() >= LONGEST_WINDOW {
                break;
            }
        }
        let xid_before = *self.xid_at_reset.lock().unwrap_or_else(|e| e.into_inner());
        let statements: u64 = last.calls.values().map(|(n, _)| n).sum();
        let poller_calls = statements - own(&last);
        let begins: u64 = last
            .calls
            .values()
            .filter(|(_, begin)| *begin)
            .map(|(n, _)| n)
            .sum();
        let label = format!(
            "{}{step}",
            self.flow.lock().unwrap_or_else(|e| e.into_inner())
        );
        {
            let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
            let at = match rows.iter().position(|(r, _)| r.step == label) {
                Some(i) => i,
                None => {
                    rows.push((
                        StepCounts {
                            step: label.clone(),
                            ..StepCounts::default()
                        },
                        HashSet::new(),
                    ));
                    rows.len() - 1
                }
            };
            let (row, ids) = &mut rows[at];
            row.calls += 1;
            row.statements += statements;
            row.pollers += poller_calls;
            row.transactions += begins;
            row.writes += u64::try_from(last.next_xid - xid_before).unwrap_or(0);
            ids.extend(
                last.calls
                    .iter()
                    .filter(|(id, (n, _))| *n > 0 && !pollers.contains(id))
                    .map(|(id, _)| *id),
            );
            row.distinct = ids.len() as u64;
        }
        if std::env::var_os("ESTELAM_STATEMENTS_DETAIL").is_some() {
            self.print_statements(&label, &pollers).await?;
        }
        self.reset().await
    }

    /// Lists the step's own statements on stderr, most called first (each statement's text
    /// as `pg_stat_statements` normalised it), for finding which ones a step could do
    /// without; `tools/statements-per-step.sh` passes `ESTELAM_STATEMENTS_DETAIL` through.
    async fn print_statements(&self, label: &str, pollers: &HashSet<i64>) -> anyhow::Result<()> {
        let rows = sqlx::query(
            "SELECT queryid, calls, query FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) ORDER BY calls DESC",
        )
        .bind(&self.database)
        .fetch_all(self.admin.pool())
        .await?;
        eprintln!("== {label}");
        for r in rows {
            let id: i64 = r.try_get("queryid")?;
            if pollers.contains(&id) {
                continue;
            }
            let calls: i64 = r.try_get("calls")?;
            let query: String = r.try_get("query")?;
            let query: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!(
                "{calls:>4}  {}",
                query.chars().take(160).collect::<String>()
            );
        }
        Ok(())
    }

    /// The rows so far, in the order the steps first ran.
    pub fn rows(&self) -> Vec<StepCounts> {
        self.rows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Closes the connection.
    pub async fn close(&self) {
        self.admin.close().await;
    }
}

/// The markdown table of `rows`, with a total line per flow (rows labelled `flow: step`).
pub fn markdown(rows: &[StepCounts], idle: Idle) -> String {
    let mut out = String::from(
        "| step | HTTP calls | statements (the step's own) | distinct statements | transactions (BEGIN) | transactions that wrote | pollers' statements in the window |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let mut totals: Vec<(String, StepCounts)> = Vec::new();
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.step,
            r.calls,
            r.statements - r.pollers,
            r.distinct,
            r.transactions,
            r.writes,
            r.pollers
        ));
        let flow = r.step.split_once(": ").map_or("", |(f, _)| f).to_owned();
        let at = match totals.iter().position(|(f, _)| *f == flow) {
            Some(i) => i,
            None => {
                totals.push((flow, StepCounts::default()));
                totals.len() - 1
            }
        };
        let t = &mut totals[at].1;
        t.calls += r.calls;
        t.statements += r.statements;
        t.pollers += r.pollers;
        t.transactions += r.transactions;
        t.writes += r.writes;
    }
    for (flow, t) in totals {
        out.push_str(&format!(
            "| **{flow}: whole flow** | {} | **{}** | | **{}** | **{}** | {} |\n",
            t.calls,
            t.statements - t.pollers,
            t.transactions,
            t.writes,
            t.pollers
        ));
    }
    out.push_str(&format!(
        "\nIdle system, per second: {:.1} statements, {:.1} transactions (BEGIN), {:.1} that wrote, \
         from the background pollers (outbox relays, index refresh, senders). A step's window lasts \
         until {} ms pass without a statement other than the pollers'; the pollers' own statements \
         are counted apart, their transactions are in the transaction columns.\n",
        idle.statements,
        idle.transactions,
        idle.writes,
        QUIET.as_millis()
    ));
    out
}
