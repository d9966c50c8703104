//! The fee-and-debt operations: each one a short transaction over the store, the pure rules
//! in [`crate::assess`] and [`crate::tariff`], and the outbox. No gRPC types here; `api.rs`
//! translates.
//!
//! Every ledger change takes the parcel's lock first
//! ([`store::ledger::lock_account`](crate::store::ledger::lock_account)), so two
//! payments, an adjustment and an assessment of one parcel never interleave; a bill records
//! the ledger version it was computed against and can only be settled while the ledger is
//! still at that version.
//!
//! One module per use-case group, each adding its operations to [`Fees`]:
//! * `assess`: bills and clearance.
//! * `payments`: starting payments, provider callbacks, settling, reconciliation.
//! * `ledger`: reading the ledger, and what settling a bill writes.
//! * `adjustments`: clerk adjustments, and those above the limit proposed to a second
//!   approver.
//! * `disputes`: objections to bill lines, their deposit and a clerk's decision.
//! * `tariffs`: listing, reading, previewing and adding tariff versions.
//! * `accounts`: inquiry fees charged to an inquiring authority's account.

mod accounts;
mod adjustments;
mod assess;
pub mod audit;
mod disputes;
mod ledger;
mod payments;
mod tariffs;

use std::collections::HashMap;
use std::sync::Arc;

use estelam_domain::RenovationCode;
use estelam_runtime::config::FeesSettings;
use estelam_runtime::db::Database;
use estelam_runtime::error::ServiceError;
use estelam_runtime::host::ServiceContext;
use estelam_runtime::outbox::RelayHandle;
use estelam_runtime::paging::PageSizes;
use sqlx::Any;

pub use self::adjustments::{Adjusted, AdjustmentArgs, Decided};
pub use self::assess::{AssessArgs, Assessed, ClearanceFacts, effective_bill_status};
pub use self::disputes::{Decision, DisputeArgs, DisputeView};
pub use self::payments::Reconciled;
pub use self::tariffs::NewTariff;
use crate::clock::{Clock, SystemClock};
use crate::errors;
use crate::parcels::{BearerSource, GrpcParcelFacts, ParcelFacts};
use crate::psp::{self, PaymentProvider, SandboxPsp};
use crate::seed;
use crate::store::audit::{self as audit_log, Audit};

/// How many rows a page of any list holds when the caller names no size, and at most.
const PAGE_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 500,
};

/// One page of a list and the token that resumes after it (empty on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// Opaque, bound to the list's filters; empty when nothing follows.
    pub next_page_token: String,
}

/// What the service depends on outside its store, so tests can choose: the launcher uses
/// [`Dependencies::production`].
pub struct Dependencies {
    /// Where "now" comes from: bills' penalties depend on the day.
    pub clock: Arc<dyn Clock>,
    /// Where parcel facts (land use, areas, regional values) come from.
    pub parcel_facts: Arc<dyn ParcelFacts>,
}

impl Dependencies {
    /// The system clock and the property service at `settings.endpoints.property`, called
    /// with the token `bearer` supplies.
    pub fn production(ctx: &ServiceContext, bearer: Arc<dyn BearerSource>) -> anyhow::Result<Self> {
        let channel =
            estelam_runtime::grpc::channel(&ctx.settings.endpoints.property, &ctx.settings.grpc)?;
        Ok(Self {
            clock: Arc::new(SystemClock),
            parcel_facts: Arc::new(GrpcParcelFacts::new(channel, bearer)),
        })
    }
}

/// The fee-and-debt service's operations, shared by the gRPC handlers and the
/// reconciliation job.
pub struct Fees {
    db: Database,
    clock: Arc<dyn Clock>,
    facts: Arc<dyn ParcelFacts>,
    providers: HashMap<String, Arc<dyn PaymentProvider>>,
    default_provider: String,
    sandbox: Option<Arc<SandboxPsp>>,
    relay: Option<RelayHandle>,
    settings: FeesSettings,
}

/// Reads a renovation code from the request field `field`, in any of the forms people write
/// it; the canonical form is the ledger's key.
pub fn parse_code(field: &str, input: &str) -> Result<RenovationCode, ServiceError> {
    RenovationCode::parse(input).map_err(|e| errors::renovation_code_invalid(field, &e))
}

impl Fees {
    /// The operations over `db`, reading time from `clock` and parcels from `facts`, paying
    /// through `providers` (the first is the default for new payments).
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        facts: Arc<dyn ParcelFacts>,
        providers: Vec<Arc<dyn PaymentProvider>>,
        settings: FeesSettings,
    ) -> Self {
        let default_provider = providers
            .first()
            .map(|p| p.name().to_owned())
            .unwrap_or_default();
        Self {
            db,
            clock,
            facts,
            providers: providers
                .into_iter()
                .map(|p| (p.name().to_owned(), p))
                .collect(),
            default_provider,
            sandbox: None,
            relay: None,
            settings,
        }
    }

    /// The operations a running service uses: the demo data seeded when configured, the
    /// sandbox PSP as the provider (its secret from the settings, or the one kept in the
    /// store), and the context's outbox relay woken after every commit with events.
    pub async fn start(ctx: &ServiceContext, deps: Dependencies) -> anyhow::Result<Arc<Self>> {
        let settings = ctx.settings.fees.clone();
        if settings.seed_demo_data {
            seed::seed_demo(&ctx.db, deps.clock.now_us())
                .await
                .map_err(|e| anyhow::anyhow!("seeding the demo tariffs: {e}"))?;
        }
        let secret = match settings.psp_shared_secret.clone() {
            Some(secret) => secret,
            None => psp::stored_sandbox_secret(&ctx.db).await?,
        };
        let sandbox = Arc::new(SandboxPsp::new(
            ctx.db.clone(),
            secret,
            settings.psp_base_url.clone(),
        ));
        let relay = ctx.start_outbox_relay();
        Ok(Arc::new(
            Self::new(
                ctx.db.clone(),
                deps.clock,
                deps.parcel_facts,
                Vec::new(),
                settings,
            )
            .with_sandbox(sandbox)
            .with_relay(relay),
        ))
    }

    /// Adds the sandbox PSP as a provider (and the default, unless another was given).
    #[must_use]
    pub fn with_sandbox(mut self, sandbox: Arc<SandboxPsp>) -> Self {
        if self.default_provider.is_empty() {
            self.default_provider = psp::SANDBOX.to_owned();
        }
        self.providers
            .insert(psp::SANDBOX.to_owned(), sandbox.clone());
        self.sandbox = Some(sandbox);
        self
    }

    /// Wakes `relay` after every commit that wrote events, so they leave at once instead of
    /// at the relay's next poll.
    #[must_use]
    pub fn with_relay(mut self, relay: RelayHandle) -> Self {
        self.relay = Some(relay);
        self
    }

    /// The service's settings (bill validity, reconciliation defaults, the PSP).
    pub fn settings(&self) -> &FeesSettings {
        &self.settings
    }

    /// The store, for tests that check what the operations wrote.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Now, by the service's clock; what a bill's status is judged against.
    pub fn now_us(&self) -> i64 {
        self.clock.now_us()
    }

    /// The sandbox PSP, when this deployment runs it (its pages' calls need it).
    pub fn sandbox(&self) -> Option<&Arc<SandboxPsp>> {
        self.sandbox.as_ref()
    }

    /// The sandbox PSP, or NOT_FOUND for the calls of its pages where it does not run.
    pub fn require_sandbox(&self) -> Result<&Arc<SandboxPsp>, ServiceError> {
        self.sandbox().ok_or_else(errors::sandbox_not_found)
    }

    fn notify(&self) {
        if let Some(relay) = &self.relay {
            relay.notify();
        }
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }

    /// Writes an audit record outside any transaction, so it stays even when the request
    /// it describes is refused.
    async fn audit(&self, actor: &str, action: &str, subject: &str, outcome: &str, detail: String) {
        let record = Audit {
            at_us: self.now_us(),
            actor_id: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            outcome: outcome.to_owned(),
            detail,
        };
        let result = async {
            let mut conn = self.db.pool().acquire().await?;
            audit_log::audit(&mut conn, &record).await
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, action, subject, outcome, "could not write an audit record");
        }
    }
}
