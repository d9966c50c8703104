//! The orchestrator: every inquiry operation, from a checked caller to a committed change.
//!
//! Each step follows one pattern, so a reader who knows one knows them all:
//!
//! 1. a retried call (same caller, method and `client_request_id`) returns the stored first
//!    response and does nothing;
//! 2. the inquiry is loaded and the caller checked against it (NotFound when they may not
//!    see it), then `expected_version` and the state machine ([`crate::workflow`]);
//! 3. the input is validated, with the owning service where the seed says so, **outside
//!    any transaction**;
//! 4. one transaction writes the new inquiry only if its version is still the one read
//!    (else ABORTED), records the idempotent response and enqueues events.
//!
//! Issuing the answer is pure database work (the parcel snapshot and the request number's
//! use are settled at Submit), so it happens inside the transaction that decides it:
//! Submit's when nothing is owed, the `fees.debt.cleared` handler's when payment clears
//! the bill, or the recovery sweep's.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use estelam_domain::{CheckCode, CodeKind, DomainError, JalaliDate, NationalCode, RenovationCode};
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::events::v1 as epb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_proto::routing_keys;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::bus::Event;
use estelam_runtime::config::InquirySettings;
use estelam_runtime::db::{Database, now_micros};
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::outbox::{self, RelayHandle};
use prost::Message;
use sqlx::AnyConnection;

use crate::answer::{self, Facts, FeeFact, KeyPair, OwnerFact, ParcelFact, Plate, Share};
use crate::convert;
use crate::key_seal::KeySeal;
use crate::metrics;
use crate::model::{
    ApplicantStep, Attached, DocumentsStep, Inquiry, LetterStep, PropertyStep, Stamp,
    UndertakingsStep,
};
use crate::ports::Ports;
use crate::request_types::{self, FeeSettlement, Filer, RequestTypeDef, StoredRequestType, Text};
use crate::store::{self, DebtClearedRecord};
use crate::workflow::{self, Refusal, State, Step};

/// Most inquiry numbers one BulkStatus call may ask about.
pub const BULK_STATUS_LIMIT: usize = 1_000;
const DEFAULT_PAGE: i64 = 20;
const MAX_PAGE: i64 = 100;
const MAX_DOCUMENTS: usize = 20;

/// The inquiry orchestrator.
pub struct Engine {
    db: Database,
    ports: Ports,
    settings: InquirySettings,
    relay: Option<RelayHandle>,
    seal: KeySeal,
    /// Request-type versions already read: a stored version never changes (an edit makes a
    /// new one), so each step of each inquiry need not read and parse it again.
    type_versions: std::sync::Mutex<HashMap<(String, i64), RequestTypeDef>>,
}

fn refused(r: &Refusal) -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedPrecondition,
        r.reason(),
        r.message_fa(),
        r.message_en(),
    )
}

fn invalid_domain(field: &str, reason: &str, e: &DomainError) -> ServiceError {
    ServiceError::invalid_field(field, reason, e.message_fa(), e.to_string())
}

fn invalid(
    field: &str,
    reason: &str,
    fa: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::invalid_field(field, reason, fa, en)
}

fn inquiry_not_found() -> ServiceError {
    ServiceError::not_found("استعلام", "The inquiry")
}

fn stamp_of(caller: &Caller) -> Stamp {
    Stamp {
        actor: caller.subject.clone(),
        name: String::new(),
        at_us: now_micros(),
    }
}

fn system_stamp() -> Stamp {
    Stamp {
        actor: String::new(),
        name: String::new(),
        at_us: now_micros(),
    }
}

/// Whether `caller` may see `inq`: citizens their own, authority users their
/// organization's, staff and services all.
pub fn may_see(caller: &Caller, inq: &Inquiry) -> bool {
    caller.is_staff() || caller.has(Role::Service) || may_act(caller, inq)
}

/// Whether `caller` may take the steps of `inq`: the applicant, or a user of the filing
/// organization.
pub fn may_act(caller: &Caller, inq: &Inquiry) -> bool {
    let own = caller.has(Role::Citizen)
        && (inq.applicant_account_id == caller.subject
            || inq.filed_by_account_id == caller.subject);
    let org = caller.has(Role::Authority)
        && !inq.filed_by_organization_id.is_empty()
        && caller.organization.as_deref() == Some(inq.filed_by_organization_id.as_str());
    own || org
}

fn document_kind_names(kind: i32) -> (&'static str, &'static str) {
    match DocumentKind::try_from(kind) {
        Ok(DocumentKind::NationalIdCard) => ("کارت ملی", "national ID card"),
        Ok(DocumentKind::OwnershipDeed) => ("سند مالکیت", "ownership deed"),
        Ok(DocumentKind::AuthorityLetter) => ("نامهٔ مرجع", "authority letter"),
        _ => ("سایر مدارک", "other document"),
    }
}

impl Engine {
    /// An engine over the service's store and its dependencies.
    pub fn new(
        db: Database,
        ports: Ports,
        settings: InquirySettings,
        relay: Option<RelayHandle>,
        seal: KeySeal,
    ) -> Self {
        Self {
            db,
            ports,
            settings,
            relay,
            seal,
            type_versions: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// What the answer-signing keys are sealed with in the store.
    pub fn seal(&self) -> &KeySeal {
        &self.seal
    }

    /// The store.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The settings.
    pub fn settings(&self) -> &InquirySettings {
        &self.settings
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }

    fn wake_relay(&self) {
        if let Some(r) = &self.relay {
            r.notify();
        }
    }

    // ---- start-up ----------------------------------------------------------------------

    /// Stores the seeded request types that are missing and makes sure an answer-signing
    /// key exists (rotating it when it has signed long enough).
    pub async fn prepare(&self) -> Result<(), ServiceError> {
        let mut tx = self.db.begin().await?;
        for def in request_types::seeds() {
            if store::request_type(&mut tx, &def.code).await?.is_none() {
                store::put_request_type(&mut tx, &def, 0, "seed", "", "", now_micros()).await?;
            }
        }
        let sealed = store::seal_plaintext_keys(&mut tx, &self.seal).await?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "answer-signing keys stored in the clear are now encrypted"
            );
        }
        let keys = store::signing_keys(&mut tx, &self.seal).await?;
        let rotate_after = i64::from(self.settings.signing_key_rotation_days) * 86_400_000_000;
        let needs_key = match keys.iter().find(|k| k.retired_at_us.is_none()) {
            None => true,
            Some(k) => now_micros() - k.not_before_us > rotate_after,
        };
        if needs_key {
            store::install_signing_key(&mut tx, &KeyPair::generate(now_micros()), &self.seal)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the current answer-signing key with a new one; the old one stays published
    /// as the previous key and keeps verifying what it signed.
    pub async fn rotate_signing_key(&self) -> Result<String, ServiceError> {
        let key = KeyPair::generate(now_micros());
        let mut tx = self.db.begin().await?;
        store::install_signing_key(&mut tx, &key, &self.seal).await?;
        tx.commit().await?;
        Ok(key.kid)
    }

    // ---- request types -----------------------------------------------------------------

    /// ListRequestTypes.
    pub async fn list_request_types(
        &self,
        caller: Option<&Caller>,
        include_inactive: bool,
    ) -> Result<Vec<pb::RequestType>, ServiceError> {
        let admin = caller.is_some_and(|c| c.has(Role::Admin));
        if include_inactive && !admin {
            return Err(ServiceError::permission_denied());
        }
        let mut conn = self.conn().await?;
        let mut types = store::request_types(&mut conn).await?;
        types.retain(|t| t.def.active || include_inactive);
        if let Some(c) = caller
            && !c.is_staff()
            && !c.has(Role::Service)
        {
            types.retain(|t| {
                (c.has(Role::Citizen) && t.def.allowed.contains(&Filer::Citizen))
                    || (c.has(Role::Authority) && t.def.allowed.contains(&Filer::Authority))
            });
        }
        types.sort_by(|a, b| a.def.name.fa.cmp(&b.def.name.fa));
        Ok(types.iter().map(StoredRequestType::to_proto).collect())
    }

    /// GetRequestType.
    pub async fn get_request_type(&self, code: &str) -> Result<pb::RequestType, ServiceError> {
        let mut conn = self.conn().await?;
        store::request_type(&mut conn, code.trim())
            .await?
            .map(|t| t.to_proto())
            .ok_or_else(|| ServiceError::not_found("نوع درخواست", "The request type"))
    }

    /// PutRequestType (admin).
    pub async fn put_request_type(
        &self,
        caller: &Caller,
        req: pb::PutRequestTypeRequest,
    ) -> Result<pb::RequestType, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let scope = format!("{}:PutRequestType", caller.subject);
        if let Some(bytes) = self.replay(&scope, &req.client_request_id).await? {
            return pb::RequestType::decode(bytes.as_slice()).map_err(ServiceError::internal);
        }
        let rt = req.request_type.as_ref().ok_or_else(|| {
            invalid(
                "request_type",
                "REQUIRED",
                "نوع درخواست را بفرستید.",
                "Send the request type.",
            )
        })?;
        let def = request_types::from_proto(rt)?;
        let mut tx = self.db.begin().await?;
        let current = store::request_type(&mut tx, &def.code).await?;
        match (&current, req.expected_version) {
            (Some(_), 0) => {
                return Err(ServiceError::new(
                    ErrorCode::AlreadyExists,
                    "REQUEST_TYPE_EXISTS",
                    "نوع درخواستی با این کد وجود دارد.",
                    "A request type with this code exists.",
                ));
            }
            (None, v) if v != 0 => {
                return Err(ServiceError::not_found("نوع درخواست", "The request type"));
            }
            (Some(c), _) => request_types::check_undertaking_versions(&c.def, &def)?,
            _ => {}
        }
        let at = now_micros();
        if !store::put_request_type(
            &mut tx,
            &def,
            req.expected_version,
            &req.reason,
            &caller.subject,
            "",
            at,
        )
        .await?
        {
            return Err(ServiceError::conflict());
        }
        let stored = store::request_type(&mut tx, &def.code)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("request type vanished")))?;
        let out = stored.to_proto();
        if !req.client_request_id.is_empty()
            && !store::record_response(
                &mut tx,
                &scope,
                &req.client_request_id,
                &out.encode_to_vec(),
            )
            .await?
        {
            tx.rollback().await?;
            return self.get_request_type(&def.code).await;
        }
        tx.commit().await?;
        Ok(out)
    }

    fn known_type_version(&self, inq: &Inquiry) -> Option<RequestTypeDef> {
        let known = self.type_versions.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&(inq.request_type_code.clone(), inq.request_type_version))
            .cloned()
    }

    async fn type_version(
        &self,
        conn: &mut AnyConnection,
        inq: &Inquiry,
    ) -> Result<RequestTypeDef, ServiceError> {
        if let Some(def) = self.known_type_version(inq) {
            return Ok(def);
        }
        let def =
            store::request_type_version(conn, &inq.request_type_code, inq.request_type_version)
                .await?
                .ok_or_else(|| {
                    ServiceError::internal(anyhow::anyhow!(
                        "request type {}@{} missing",
                        inq.request_type_code,
                        inq.request_type_version
                    ))
                })?;
        self.type_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                (inq.request_type_code.clone(), inq.request_type_version),
                def.clone(),
            );
        Ok(def)
    }

    // ---- idempotency and saving --------------------------------------------------------

    async fn replay(&self, scope: &str, key: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        if key.is_empty() {
            return Ok(None);
        }
        let mut conn = self.conn().await?;
        Ok(store::idempotent_response(&mut conn, scope, key).await?)
    }

    /// Writes `inq` (already at its new version) if the stored version is still
    /// `expected`, with the idempotent response and events, in one transaction. Returns
    /// the first response when a concurrent retry recorded one.
    async fn save(
        &self,
        inq: &Inquiry,
        expected: i64,
        idem: Option<(&str, &str)>,
        events: &[Event],
    ) -> Result<Option<pb::Inquiry>, ServiceError> {
        let mut tx = self.db.begin().await?;
        if !store::update_inquiry(&mut tx, inq, expected).await? {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        if let Some((scope, key)) = idem
            && !key.is_empty()
            && !store::record_response(&mut tx, scope, key, &inq.to_proto().encode_to_vec()).await?
        {
            tx.rollback().await?;
            let mut conn = self.conn().await?;
            let bytes = store::idempotent_response(&mut conn, scope, key)
                .await?
                .unwrap_or_default();
            return Ok(Some(
                pb::Inquiry::decode(bytes.as_slice()).map_err(ServiceError::internal)?,
            ));
        }
        for event in events {
            outbox::enqueue(&mut tx, event).await?;
        }
        tx.commit().await?;
        if !events.is_empty() {
            self.wake_relay();
        }
        Ok(None)
    }

    /// The inquiry `id` if `caller` may see it, else NotFound.
    pub async fn load_visible(&self, caller: &Caller, id: &str) -> Result<Inquiry, ServiceError> {
        let mut conn = self.conn().await?;
        let inq = store::inquiry(&mut conn, id.trim())
            .await?
            .ok_or_else(inquiry_not_found)?;
        if may_see(caller, &inq) {
            Ok(inq)
        } else {
            Err(inquiry_not_found())
        }
    }

    /// The inquiry with an inquiry number, if `caller` may see it, else NotFound.
    pub async fn load_visible_by_number(
        &self,
        caller: &Caller,
        number: &str,
    ) -> Result<Inquiry, ServiceError> {
        let code = CheckCode::parse(CodeKind::Inquiry, number)
            .map_err(|e| invalid_domain("inquiry_number", "INVALID_INQUIRY_NUMBER", &e))?;
        let mut conn = self.conn().await?;
        let inq = store::inquiry_by_number(&mut conn, code.as_str())
            .await?
            .ok_or_else(inquiry_not_found)?;
        if may_see(caller, &inq) {
            Ok(inq)
        } else {
            Err(inquiry_not_found())
        }
    }

    // ---- creating ----------------------------------------------------------------------

    /// CreateInquiry (a citizen for themself).
    pub async fn create(
        &self,
        caller: &Caller,
        request_type_code: &str,
        client_request_id: &str,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Citizen])?;
        self.create_for(
            caller,
            "CreateInquiry",
            request_type_code,
            client_request_id,
            Filer::Citizen,
            caller.subject.clone(),
            String::new(),
        )
        .await
    }

    /// FileInquiryOnBehalf (an authority for a consenting citizen).
    pub async fn file_on_behalf(
        &self,
        caller: &Caller,
        req: pb::FileInquiryOnBehalfRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Authority])?;
        if caller.organization.as_deref().unwrap_or("").is_empty() {
            return Err(ServiceError::permission_denied());
        }
        let scope = format!("{}:FileInquiryOnBehalf", caller.subject);
        if let Some(bytes) = self.replay(&scope, &req.client_request_id).await? {
            return pb::Inquiry::decode(bytes.as_slice()).map_err(ServiceError::internal);
        }
        let national = NationalCode::parse(&req.applicant_national_code)
            .map_err(|e| invalid_domain("applicant_national_code", "INVALID_NATIONAL_CODE", &e))?;
        let membership = CheckCode::parse(CodeKind::Membership, &req.applicant_membership_code)
            .map_err(|e| {
                invalid_domain("applicant_membership_code", "INVALID_MEMBERSHIP_CODE", &e)
            })?;
        let consent = self
            .ports
            .identity
            .verify_membership_code(national.as_str(), membership.as_str())
            .await?;
        if !consent.matches || consent.account_id.is_empty() {
            return Err(invalid(
                "applicant_membership_code",
                "CONSENT_NOT_VERIFIED",
                "کد ملی و کد عضویت با هم مطابقت ندارند؛ کد عضویت را از متقاضی دوباره بپرسید.",
                "The national code and membership code do not belong to the same citizen; ask the applicant for their membership code again.",
            ));
        }
        self.create_for(
            caller,
            "FileInquiryOnBehalf",
            &req.request_type_code,
            &req.client_request_id,
            Filer::Authority,
            consent.account_id,
            national.as_str().to_owned(),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_for(
        &self,
        caller: &Caller,
        method: &str,
        request_type_code: &str,
        client_request_id: &str,
        filer: Filer,
        applicant_account_id: String,
        consented_national_code: String,
    ) -> Result<pb::Inquiry, ServiceError> {
        let scope = format!("{}:{method}", caller.subject);
        if let Some(bytes) = self.replay(&scope, client_request_id).await? {
            return pb::Inquiry::decode(bytes.as_slice()).map_err(ServiceError::internal);
        }
        let mut tx = self.db.begin().await?;
        let rt = store::request_type(&mut tx, request_type_code.trim())
            .await?
            .filter(|t| t.def.active)
            .ok_or_else(|| ServiceError::not_found("نوع درخواست", "The request type"))?;
        if !rt.def.allowed.contains(&filer) {
            return Err(ServiceError::new(
                ErrorCode::PermissionDenied,
                "REQUEST_TYPE_NOT_ALLOWED",
                "این نوع درخواست را با نقش شما نمی‌توان ثبت کرد.",
                "This request type cannot be filed in your role.",
            ));
        }
        let n = store::next_counter(&mut tx, "inquiry_number").await?;
        let number = CheckCode::from_sequence(CodeKind::Inquiry, u64::try_from(n).unwrap_or(0))
            .map_err(ServiceError::internal)?;
        let now = now_micros();
        let inq = Inquiry {
            id: uuid::Uuid::now_v7().to_string(),
            number: number.as_str().to_owned(),
            request_type_code: rt.def.code.clone(),
            request_type_version: rt.version,
            state: State::Draft,
            version: 1,
            applicant_account_id,
            filed_by_account_id: caller.subject.clone(),
            filed_by_organization_id: if filer == Filer::Authority {
                caller.organization.clone().unwrap_or_default()
            } else {
                String::new()
            },
            consented_national_code,
            undertakings: None,
            property: None,
            letter: None,
            documents: None,
            applicant: None,
            bill_id: String::new(),
            amount_due_rials: 0,
            bill_lines: Vec::new(),
            authority_fee: None,
            parcel_snapshot: None,
            payment_id: String::new(),
            tracking_code: String::new(),
            amount_paid_rials: 0,
            verification_code: String::new(),
            state_reason: None,
            history: Vec::new(),
            created_at_us: now,
            updated_at_us: now,
            submitted_at_us: None,
            issued_at_us: None,
            expires_at_us: Some(now + self.unfinished_validity_us()),
        };
        store::insert_inquiry(&mut tx, &inq).await?;
        let out = inq.to_proto();
        if !client_request_id.is_empty()
            && !store::record_response(&mut tx, &scope, client_request_id, &out.encode_to_vec())
                .await?
        {
            tx.rollback().await?;
            let bytes = self
                .replay(&scope, client_request_id)
                .await?
                .unwrap_or_default();
            return pb::Inquiry::decode(bytes.as_slice()).map_err(ServiceError::internal);
        }
        tx.commit().await?;
        Ok(out)
    }

    fn unfinished_validity_us(&self) -> i64 {
        i64::from(self.settings.unfinished_validity_days) * 86_400_000_000
    }

    // ---- the steps ---------------------------------------------------------------------

    /// Loads an inquiry for a step: replay, visibility, permission, version, state machine.
    async fn begin_step(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        step: Step,
    ) -> Result<(Inquiry, RequestTypeDef), ServiceError> {
        let inq = self.load_visible(caller, id).await?;
        if !may_act(caller, &inq) {
            return Err(ServiceError::permission_denied());
        }
        if expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        let def = match self.known_type_version(&inq) {
            Some(def) => def,
            None => self.type_version(&mut *self.conn().await?, &inq).await?,
        };
        workflow::take(inq.state, step, def.letter_required).map_err(|r| refused(&r))?;
        Ok((inq, def))
    }

    /// Records a step's result: moves to the step's state (back, when redone), forgets
    /// later steps, and saves.
    async fn finish_step(
        &self,
        caller: &Caller,
        method: &str,
        client_request_id: &str,
        mut inq: Inquiry,
        step: Step,
    ) -> Result<pb::Inquiry, ServiceError> {
        let expected = inq.version;
        let by = stamp_of(caller);
        let correction = workflow::is_correction(inq.state, step);
        let target = step.reaches();
        inq.clear_after(target);
        let reason = correction.then(|| {
            Text::new(
                &format!("مرحلهٔ «{}» دوباره انجام شد.", step.name_fa()),
                &format!("Step redone: {}.", step.name_en()),
            )
        });
        inq.transition(target, &by, reason);
        inq.version += 1;
        let scope = format!("{}:{method}", caller.subject);
        match self
            .save(&inq, expected, Some((&scope, client_request_id)), &[])
            .await?
        {
            Some(first) => Ok(first),
            None => Ok(inq.to_proto()),
        }
    }

    async fn replay_inquiry(
        &self,
        caller: &Caller,
        method: &str,
        key: &str,
    ) -> Result<Option<pb::Inquiry>, ServiceError> {
        let scope = format!("{}:{method}", caller.subject);
        match self.replay(&scope, key).await? {
            Some(bytes) => Ok(Some(
                pb::Inquiry::decode(bytes.as_slice()).map_err(ServiceError::internal)?,
            )),
            None => Ok(None),
        }
    }

    /// Step 3.
    pub async fn accept_undertakings(
        &self,
        caller: &Caller,
        req: pb::AcceptUndertakingsRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        const M: &str = "AcceptUndertakings";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let (mut inq, def) = self
            .begin_step(
                caller,
                &req.inquiry_id,
                req.expected_version,
                Step::AcceptUndertakings,
            )
            .await?;
        let given: Vec<String> = req
            .undertaking_version_ids
            .iter()
            .map(|s| s.trim().to_owned())
            .collect();
        let current: Vec<String> = def.undertakings.iter().map(|u| u.version_id()).collect();
        if let Some(unknown) = given.iter().find(|g| !current.contains(g)) {
            return Err(invalid(
                "undertaking_version_ids",
                "UNDERTAKING_VERSION_UNKNOWN",
                format!("تعهد «{unknown}» متن جاری این نوع درخواست نیست؛ صفحه را تازه کنید."),
                format!(
                    "{unknown:?} is not a current undertaking text of this request type; reload and accept the texts shown."
                ),
            ));
        }
        if let Some(missing) = current.iter().find(|c| !given.contains(c)) {
            return Err(invalid(
                "undertaking_version_ids",
                "UNDERTAKING_NOT_ACCEPTED",
                format!("همهٔ تعهدات را بپذیرید (تعهد «{missing}» پذیرفته نشده است)."),
                format!("Accept every undertaking ({missing:?} was not accepted)."),
            ));
        }
        inq.undertakings = Some(UndertakingsStep {
            version_ids: current,
            recorded: stamp_of(caller),
        });
        self.finish_step(
            caller,
            M,
            &req.client_request_id,
            inq,
            Step::AcceptUndertakings,
        )
        .await
    }

    /// Step 4.
    pub async fn set_property(
        &self,
        caller: &Caller,
        req: pb::SetPropertyRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        use pb::set_property_request::Location;
        const M: &str = "SetProperty";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let (mut inq, def) = self
            .begin_step(
                caller,
                &req.inquiry_id,
                req.expected_version,
                Step::SetProperty,
            )
            .await?;
        let (parcel, picked) = match &req.location {
            Some(Location::RenovationCode(code)) => {
                let code = RenovationCode::parse(code).map_err(|e| {
                    invalid_domain("renovation_code", "INVALID_RENOVATION_CODE", &e)
                })?;
                let parcel = self
                    .ports
                    .property
                    .get_parcel(&code.to_string())
                    .await?
                    .ok_or_else(|| {
                        invalid(
                            "renovation_code",
                            "PARCEL_NOT_FOUND",
                            "ملکی با این کد نوسازی ثبت نشده است؛ کد را با قبض عوارض یا سند مقایسه کنید یا ملک را روی نقشه انتخاب کنید.",
                            "No property has this renovation code; compare it with your levy bill or deed, or pick the property on the map.",
                        )
                    })?;
                (parcel, None)
            }
            Some(Location::PickedPoint(p)) => {
                if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
                    return Err(invalid(
                        "picked_point",
                        "POINT_OUT_OF_RANGE",
                        "نقطهٔ انتخاب‌شده روی نقشه معتبر نیست.",
                        "The point picked on the map is not a valid location.",
                    ));
                }
                let parcel = self.ports.property.pick_at(*p).await?.ok_or_else(|| {
                    invalid(
                        "picked_point",
                        "POINT_OUTSIDE_PARCELS",
                        "در نقطهٔ انتخاب‌شده ملکی ثبت نشده است؛ روی خود ملک کلیک کنید.",
                        "No property is registered at the point picked; click inside the property itself.",
                    )
                })?;
                (parcel, Some((p.lat, p.lon)))
            }
            None => {
                return Err(invalid(
                    "renovation_code",
                    "PROPERTY_REQUIRED",
                    "کد نوسازی را وارد کنید یا ملک را روی نقشه انتخاب کنید.",
                    "Enter the renovation code or pick the property on the map.",
                ));
            }
        };
        let mut request_number = String::new();
        if def.check_request_number {
            let number = CheckCode::parse(CodeKind::Request, &req.request_number)
                .map_err(|e| invalid_domain("request_number", "INVALID_REQUEST_NUMBER", &e))?;
            let verdict = self
                .ports
                .property
                .verify_request_number(&parcel.renovation_code, number.as_str())
                .await?;
            let status = ppb::RequestNumberStatus::try_from(verdict.status)
                .unwrap_or(ppb::RequestNumberStatus::Unspecified);
            if status != ppb::RequestNumberStatus::Valid {
                let (reason, fa, en) = match status {
                    ppb::RequestNumberStatus::OtherParcel => (
                        "REQUEST_NUMBER_OTHER_PARCEL",
                        "این شماره درخواست برای ملک دیگری صادر شده است.",
                        "This request number was issued for another property.",
                    ),
                    ppb::RequestNumberStatus::Expired => (
                        "REQUEST_NUMBER_EXPIRED",
                        "مهلت این شماره درخواست گذشته است؛ از شهرداری شماره درخواست تازه بگیرید.",
                        "This request number has expired; ask the municipality for a new one.",
                    ),
                    ppb::RequestNumberStatus::Used => (
                        "REQUEST_NUMBER_USED",
                        "این شماره درخواست پیش‌تر در استعلام دیگری به کار رفته است.",
                        "This request number was already used by another inquiry.",
                    ),
                    _ => (
                        "REQUEST_NUMBER_UNKNOWN",
                        "این شماره درخواست در سوابق شهرداری نیست؛ آن را با برگهٔ شهرداری مقایسه کنید.",
                        "This request number is not in the municipality's records; compare it with the municipality's slip.",
                    ),
                };
                let detail = verdict.reason.unwrap_or_default();
                let fa = if detail.fa.is_empty() {
                    fa.to_owned()
                } else {
                    format!("{fa} {}", detail.fa)
                };
                let en = if detail.en.is_empty() {
                    en.to_owned()
                } else {
                    format!("{en} {}", detail.en)
                };
                return Err(invalid("request_number", reason, fa, en));
            }
            request_number = number.as_str().to_owned();
        }
        inq.property = Some(PropertyStep {
            renovation_code: parcel.renovation_code.clone(),
            request_number,
            picked,
            address: parcel.address.clone(),
            recorded: stamp_of(caller),
        });
        self.finish_step(caller, M, &req.client_request_id, inq, Step::SetProperty)
            .await
    }

    /// Step 5a.
    pub async fn set_letter(
        &self,
        caller: &Caller,
        req: pb::SetLetterRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        const M: &str = "SetLetter";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let (mut inq, _def) = self
            .begin_step(
                caller,
                &req.inquiry_id,
                req.expected_version,
                Step::SetLetter,
            )
            .await?;
        let number = estelam_domain::normalize_digits(req.letter_number.trim());
        if number.is_empty() || number.chars().count() > 64 {
            return Err(invalid(
                "letter_number",
                "LETTER_NUMBER_REQUIRED",
                "شمارهٔ نامه را (حداکثر ۶۴ نویسه) وارد کنید.",
                "Enter the letter number (at most 64 characters).",
            ));
        }
        let date = JalaliDate::parse(&req.letter_date_jalali)
            .map_err(|e| invalid_domain("letter_date_jalali", "INVALID_LETTER_DATE", &e))?;
        let today = JalaliDate::today_in_iran(SystemTime::now()).map_err(ServiceError::internal)?;
        if date > today {
            return Err(invalid(
                "letter_date_jalali",
                "LETTER_DATE_IN_FUTURE",
                format!("تاریخ نامه ({date}) نمی‌تواند بعد از امروز ({today}) باشد."),
                format!("The letter's date ({date}) cannot be later than today ({today})."),
            ));
        }
        let mut org_id = req.authority_organization_id.trim().to_owned();
        if org_id.is_empty() {
            org_id = inq.filed_by_organization_id.clone();
        }
        if org_id.is_empty() {
            return Err(invalid(
                "authority_organization_id",
                "AUTHORITY_REQUIRED",
                "مرجع استعلام‌کننده را انتخاب کنید.",
                "Choose the inquiring authority.",
            ));
        }
        let org = self
            .ports
            .identity
            .get_organization(&org_id)
            .await?
            .filter(|o| o.active)
            .ok_or_else(|| {
                invalid(
                    "authority_organization_id",
                    "AUTHORITY_NOT_FOUND",
                    "این مرجع استعلام‌کننده در فهرست مراجع ثبت‌شده نیست.",
                    "This inquiring authority is not among the registered authorities.",
                )
            })?;
        inq.letter = Some(LetterStep {
            letter_number: number,
            letter_date_jalali: date.to_string(),
            organization_id: org.organization_id.clone(),
            organization_name: Text::from_proto(org.name.as_ref()),
            recorded: stamp_of(caller),
        });
        self.finish_step(caller, M, &req.client_request_id, inq, Step::SetLetter)
            .await
    }

    /// Step 5b.
    pub async fn attach_documents(
        &self,
        caller: &Caller,
        req: pb::AttachDocumentsRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        const M: &str = "AttachDocuments";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let (mut inq, def) = self
            .begin_step(
                caller,
                &req.inquiry_id,
                req.expected_version,
                Step::AttachDocuments,
            )
            .await?;
        let mut ids: Vec<String> = Vec::new();
        for id in &req.document_ids {
            let id = id.trim().to_owned();
            if !id.is_empty() && !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() > MAX_DOCUMENTS {
            return Err(invalid(
                "document_ids",
                "TOO_MANY_DOCUMENTS",
                format!("حداکثر {MAX_DOCUMENTS} مدرک پیوست کنید."),
                format!("Attach at most {MAX_DOCUMENTS} documents."),
            ));
        }
        let mut attached = Vec::new();
        for id in &ids {
            let doc = self.ports.documents.get_document_info(id).await?;
            let doc = doc
                .filter(|d| d.owner_account_id == inq.applicant_account_id)
                .ok_or_else(|| {
                    invalid(
                        "document_ids",
                        "DOCUMENT_NOT_FOUND",
                        format!("مدرک {id} در میان مدارک بارگذاری‌شدهٔ متقاضی نیست."),
                        format!("Document {id} is not among the applicant's uploads."),
                    )
                })?;
            attached.push(Attached {
                document_id: doc.document_id.clone(),
                kind: doc.kind,
                filename: doc.original_filename.clone(),
            });
        }
        let missing: Vec<i32> = def
            .required_documents
            .iter()
            .copied()
            .filter(|k| !attached.iter().any(|a| a.kind == *k))
            .collect();
        if !missing.is_empty() {
            let fa: Vec<&str> = missing.iter().map(|k| document_kind_names(*k).0).collect();
            let en: Vec<&str> = missing.iter().map(|k| document_kind_names(*k).1).collect();
            return Err(invalid(
                "document_ids",
                "MISSING_REQUIRED_DOCUMENT",
                format!(
                    "این مدارک لازم پیوست نشده است: {}. آن‌ها را بارگذاری و پیوست کنید.",
                    fa.join("، ")
                ),
                format!(
                    "These required documents are missing: {}. Upload and attach them.",
                    en.join(", ")
                ),
            ));
        }
        inq.documents = Some(DocumentsStep {
            documents: attached,
            recorded: stamp_of(caller),
        });
        self.finish_step(
            caller,
            M,
            &req.client_request_id,
            inq,
            Step::AttachDocuments,
        )
        .await
    }

    /// Step 6.
    pub async fn set_applicant(
        &self,
        caller: &Caller,
        req: pb::SetApplicantRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        const M: &str = "SetApplicant";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let (mut inq, def) = self
            .begin_step(
                caller,
                &req.inquiry_id,
                req.expected_version,
                Step::SetApplicant,
            )
            .await?;
        let name = req
            .full_name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid(
                "full_name",
                "NAME_REQUIRED",
                "نام و نام خانوادگی متقاضی را وارد کنید.",
                "Enter the applicant's full name.",
            ));
        }
        let national = NationalCode::parse(&req.national_code)
            .map_err(|e| invalid_domain("national_code", "INVALID_NATIONAL_CODE", &e))?;
        if !inq.consented_national_code.is_empty()
            && inq.consented_national_code != national.as_str()
        {
            return Err(invalid(
                "national_code",
                "NOT_THE_CONSENTING_APPLICANT",
                "کد ملی با کد ملی متقاضی‌ای که رضایت داده است یکی نیست.",
                "This national code is not that of the applicant who consented.",
            ));
        }
        let ownership = ppb::OwnershipType::try_from(req.ownership_type)
            .ok()
            .filter(|t| *t != ppb::OwnershipType::Unspecified)
            .ok_or_else(|| {
                invalid(
                    "ownership_type",
                    "OWNERSHIP_TYPE_REQUIRED",
                    "نوع مالکیت را انتخاب کنید.",
                    "Choose the ownership type.",
                )
            })?;
        let mut share = Share {
            numerator: 0,
            denominator: 1,
        };
        if def.check_ownership {
            let check = self
                .ports
                .property
                .check_applicant(ppb::CheckApplicantRequest {
                    renovation_code: inq.renovation_code().to_owned(),
                    national_code: national.as_str().to_owned(),
                    full_name: name.clone(),
                    ownership_type: ownership as i32,
                })
                .await?;
            let result = ppb::ApplicantCheckResult::try_from(check.result)
                .unwrap_or(ppb::ApplicantCheckResult::Unspecified);
            let (field, reason, fa, en) = match result {
                ppb::ApplicantCheckResult::Owner => ("", "", "", ""),
                ppb::ApplicantCheckResult::TypeMismatch => (
                    "ownership_type",
                    "OWNERSHIP_TYPE_MISMATCH",
                    "نوع مالکیت اعلام‌شده با سوابق ملک یکی نیست؛ نوع مالکیت را مطابق سند انتخاب کنید.",
                    "The declared ownership type differs from the property's record; choose the type on the deed.",
                ),
                ppb::ApplicantCheckResult::NameMismatch => (
                    "full_name",
                    "APPLICANT_NAME_MISMATCH",
                    "نام متقاضی با نام مالک در سوابق ملک یکی نیست؛ نام را مطابق سند وارد کنید.",
                    "The applicant's name differs from the owner's name on record; enter it as on the deed.",
                ),
                _ => (
                    "national_code",
                    "APPLICANT_NOT_OWNER",
                    "متقاضی با این کد ملی در میان مالکان این ملک نیست.",
                    "No owner of this property has this national code.",
                ),
            };
            if result != ppb::ApplicantCheckResult::Owner {
                return Err(invalid(field, reason, fa, en));
            }
            if let Some(s) = check.share {
                share = Share {
                    numerator: s.numerator,
                    denominator: s.denominator.max(1),
                };
            }
        }
        inq.applicant = Some(ApplicantStep {
            full_name: name,
            national_code: national.as_str().to_owned(),
            ownership_type: ownership as i32,
            share,
            recorded: stamp_of(caller),
        });
        self.finish_step(caller, M, &req.client_request_id, inq, Step::SetApplicant)
            .await
    }

    // ---- submit, issue -----------------------------------------------------------------

    /// Steps 7–9: assesses the bill; with nothing owed issues the answer in this call.
    pub async fn submit(
        &self,
        caller: &Caller,
        req: pb::SubmitRequest,
    ) -> Result<pb::SubmitResponse, ServiceError> {
        const M: &str = "Submit";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            let bill = self.bill_of(&r.bill_id).await.ok();
            return Ok(pb::SubmitResponse {
                inquiry: Some(r),
                bill,
            });
        }
        let (inq, def) = self
            .begin_step(caller, &req.inquiry_id, req.expected_version, Step::Submit)
            .await?;
        let renovation = inq.renovation_code().to_owned();
        let parcel = self
            .ports
            .property
            .get_parcel(&renovation)
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "PARCEL_GONE",
                    "این ملک دیگر در سوابق نیست؛ مرحلهٔ تعیین ملک را دوباره انجام دهید.",
                    "The property is no longer on record; redo the property step.",
                )
            })?;
        // The parcel changed hands since step 6: refuse after submission, with the reason.
        if def.check_ownership
            && let Some(applicant) = &inq.applicant
            && !parcel.ownership.as_ref().is_some_and(|o| {
                o.owners
                    .iter()
                    .any(|w| w.national_code == applicant.national_code)
            })
        {
            let mut rejected = inq.clone();
            let expected = inq.version;
            rejected.transition(
                State::Rejected,
                &system_stamp(),
                Some(Text::new(
                    "مالکیت ملک پس از تأیید متقاضی تغییر کرده و متقاضی دیگر مالک آن نیست؛ در صورت نیاز استعلام تازه‌ای ثبت کنید.",
                    "The property's ownership changed after the applicant was checked and the applicant no longer owns it; file a new inquiry if needed.",
                )),
            );
            rejected.version += 1;
            let scope = format!("{}:{M}", caller.subject);
            let out = match self
                .save(
                    &rejected,
                    expected,
                    Some((&scope, &req.client_request_id)),
                    &[],
                )
                .await?
            {
                Some(first) => first,
                None => rejected.to_proto(),
            };
            return Ok(pb::SubmitResponse {
                inquiry: Some(out),
                bill: None,
            });
        }
        if def.check_request_number
            && let Some(p) = &inq.property
            && !p.request_number.is_empty()
        {
            self.ports
                .property
                .mark_request_number_used(&renovation, &p.request_number, &inq.id)
                .await?;
        }
        let mut kinds: Vec<i32> = def.fee_items.clone();
        if !def.check_debt {
            kinds.retain(|k| *k == fpb::BillItemKind::InquiryFee as i32);
        }
        if def.repeat_free_within_validity {
            let mut conn = self.conn().await?;
            if store::has_valid_answer(&mut conn, &renovation, &def.code, now_micros()).await? {
                kinds.retain(|k| *k != fpb::BillItemKind::InquiryFee as i32);
            }
        }
        // An inquiry fee settled on account goes to the inquiring authority, not on the
        // applicant's bill: the bill then holds only what the parcel owes.
        let fee_kind = fpb::BillItemKind::InquiryFee as i32;
        let authority = inq
            .letter
            .as_ref()
            .map(|l| l.organization_id.clone())
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| inq.filed_by_organization_id.clone());
        let authority_fee = if def.inquiry_fee_settlement == FeeSettlement::OnAccount
            && kinds.contains(&fee_kind)
            && !authority.is_empty()
        {
            kinds.retain(|k| *k != fee_kind);
            let charge = self
                .ports
                .fees
                .charge_account(fpb::ChargeAccountRequest {
                    account_id: authority.clone(),
                    inquiry_id: inq.id.clone(),
                    request_type_code: def.code.clone(),
                    renovation_code: renovation.clone(),
                })
                .await?;
            // A fee of nothing (a tariff may set one) is not worth a line on the answer.
            (charge.amount_rials != 0).then(|| {
                (
                    charge.account_id.clone(),
                    FeeFact {
                        kind: fpb::BillItemKind::InquiryFee.as_str_name().to_owned(),
                        jalali_year: 0,
                        description: Text::from_proto(charge.description.as_ref()),
                        amount_rials: charge.amount_rials,
                    },
                )
            })
        } else {
            None
        };
        let bill =
            if kinds.is_empty() {
                None
            } else {
                let includes_fee = kinds.contains(&(fpb::BillItemKind::InquiryFee as i32));
                let assessed = self
                    .ports
                    .fees
                    .assess(fpb::AssessRequest {
                        renovation_code: renovation.clone(),
                        as_of: None,
                        request_type_code: if includes_fee {
                            def.code.clone()
                        } else {
                            String::new()
                        },
                        inquiry_id: inq.id.clone(),
                        preview: false,
                        client_request_id: format!("inquiry:{}:v{}", inq.id, inq.version),
                        item_kinds: kinds,
                    })
                    .await?;
                Some(assessed.bill.ok_or_else(|| {
                    ServiceError::internal(anyhow::anyhow!("fees returned no bill"))
                })?)
            };

        // Everything the answer needs is now known: decide in one transaction.
        let mut next = inq.clone();
        let by = stamp_of(caller);
        next.submitted_at_us = Some(by.at_us);
        next.parcel_snapshot = Some(parcel_fact(&parcel));
        next.authority_fee = authority_fee;
        if let Some(b) = &bill {
            next.bill_id = b.bill_id.clone();
            next.amount_due_rials = b.total_rials.max(0);
            next.bill_lines = b
                .lines
                .iter()
                .map(|l| FeeFact {
                    kind: fpb::BillItemKind::try_from(l.kind)
                        .unwrap_or_default()
                        .as_str_name()
                        .to_owned(),
                    jalali_year: l.jalali_year,
                    description: Text::from_proto(l.description.as_ref()),
                    amount_rials: l.total_rials,
                })
                .collect();
        }
        next.transition(State::Assessed, &by, None);
        let expected = inq.version;
        next.version += 1;
        let mut tx = self.db.begin().await?;
        // The row lock first: the debt-cleared handler takes it too, so the two never
        // decide about this inquiry at the same time.
        if !store::update_inquiry(&mut tx, &next, expected).await? {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        let mut events = Vec::new();
        match workflow::after_assessment(next.amount_due_rials) {
            State::Issued => {
                events.push(
                    self.issue_in_tx(&mut tx, &mut next, &def, None, &by)
                        .await?,
                );
            }
            _ => {
                next.transition(State::AwaitingPayment, &by, None);
                next.expires_at_us = Some(by.at_us + self.unfinished_validity_us());
                if let Some(paid) = store::debt_cleared(&mut tx, &next.bill_id).await? {
                    events.push(
                        self.issue_in_tx(&mut tx, &mut next, &def, Some(&paid), &system_stamp())
                            .await?,
                    );
                }
            }
        }
        store::update_inquiry(&mut tx, &next, next.version).await?;
        let scope = format!("{}:{M}", caller.subject);
        if !req.client_request_id.is_empty()
            && !store::record_response(
                &mut tx,
                &scope,
                &req.client_request_id,
                &next.to_proto().encode_to_vec(),
            )
            .await?
        {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        for e in &events {
            outbox::enqueue(&mut tx, e).await?;
        }
        tx.commit().await?;
        if !events.is_empty() {
            self.wake_relay();
            metrics::observe_issue(&next);
        }
        Ok(pb::SubmitResponse {
            inquiry: Some(next.to_proto()),
            bill,
        })
    }

    /// Signs and stores the answer of `inq`, moves it to Issued, and returns the
    /// `inquiry.answer.issued` event to enqueue in the same transaction.
    async fn issue_in_tx(
        &self,
        conn: &mut AnyConnection,
        inq: &mut Inquiry,
        def: &RequestTypeDef,
        paid: Option<&DebtClearedRecord>,
        by: &Stamp,
    ) -> Result<Event, ServiceError> {
        let keys = store::signing_keys(conn, &self.seal).await?;
        let key = keys
            .into_iter()
            .find(|k| k.retired_at_us.is_none())
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no answer-signing key")))?;
        let code = CheckCode::generate_random(CodeKind::Verification, &mut rand::rng());
        let issued_s = by.at_us.div_euclid(1_000_000);
        let valid_s = issued_s + i64::from(def.answer_validity_days) * 86_400;
        // The parcel facts, owners and debt were read at Submit; an answer issued later
        // (after a payment) says so.
        let checked_s = inq.submitted_at_us.map(|us| us.div_euclid(1_000_000));
        if let Some(p) = paid {
            inq.payment_id = p.payment_id.clone();
            inq.tracking_code = p.tracking_code.clone();
            inq.amount_paid_rials = p.amount_rials;
        }
        let debt_status = if !def.check_debt {
            pb::DebtStatus::NotChecked
        } else if paid.is_some() {
            pb::DebtStatus::Cleared
        } else {
            pb::DebtStatus::None
        };
        let letter = inq.letter.clone();
        let applicant = inq.applicant.clone();
        let facts = Facts {
            format: answer::FORMAT.into(),
            inquiry_number: inq.number.clone(),
            request_type_code: def.code.clone(),
            request_type_name: def.name.clone(),
            parcel: inq.parcel_snapshot.clone().unwrap_or_default(),
            applicant_full_name: applicant
                .as_ref()
                .map(|a| a.full_name.clone())
                .unwrap_or_default(),
            applicant_national_code: applicant
                .as_ref()
                .map(|a| a.national_code.clone())
                .unwrap_or_default(),
            debt_status: debt_status.as_str_name().to_owned(),
            tracking_code: inq.tracking_code.clone(),
            amount_paid_rials: inq.amount_paid_rials,
            fees_paid: if paid.is_some() {
                inq.bill_lines.clone()
            } else {
                Vec::new()
            },
            authority_organization_id: letter
                .as_ref()
                .map(|l| l.organization_id.clone())
                .unwrap_or_else(|| inq.filed_by_organization_id.clone()),
            authority_name: letter
                .as_ref()
                .map(|l| l.organization_name.clone())
                .unwrap_or_default(),
            letter_number: letter
                .as_ref()
                .map(|l| l.letter_number.clone())
                .unwrap_or_default(),
            letter_date_jalali: letter
                .as_ref()
                .map(|l| l.letter_date_jalali.clone())
                .unwrap_or_default(),
            issued_at: convert::rfc3339_seconds(issued_s),
            issued_at_jalali: convert::jalali_date_time(issued_s),
            valid_until: convert::rfc3339_seconds(valid_s),
            valid_until_jalali: convert::jalali_date(valid_s),
            fees_charged_to_authority: inq
                .authority_fee
                .iter()
                .map(|(_, fee)| fee.clone())
                .collect(),
            facts_checked_at: checked_s.map(convert::rfc3339_seconds).unwrap_or_default(),
            facts_checked_at_jalali: checked_s.map(convert::jalali_date_time).unwrap_or_default(),
        };
        let payload = facts.canonical_bytes();
        let signature = key.sign(&payload);
        let row = store::AnswerRow {
            inquiry_id: inq.id.clone(),
            inquiry_number: inq.number.clone(),
            verification_code: code.as_str().to_owned(),
            request_type_code: def.code.clone(),
            renovation_code: inq.renovation_code().to_owned(),
            applicant_account_id: inq.applicant_account_id.clone(),
            organization_id: inq.filed_by_organization_id.clone(),
            signed_payload: payload,
            signature: signature.to_vec(),
            signing_key_id: key.kid.clone(),
            issued_at_us: issued_s * 1_000_000,
            valid_until_us: valid_s * 1_000_000,
            revoked_reason: None,
            revoked_by: None,
            revoked_at_us: None,
        };
        if !store::insert_answer(conn, &row).await? {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "inquiry {} already has an answer",
                inq.id
            )));
        }
        inq.verification_code = row.verification_code.clone();
        inq.issued_at_us = Some(by.at_us);
        inq.expires_at_us = Some(row.valid_until_us);
        inq.transition(State::Issued, by, None);
        let event = epb::AnswerIssued {
            event_id: String::new(),
            occurred_at: Some(convert::ts(row.issued_at_us)),
            inquiry_id: inq.id.clone(),
            inquiry_number: inq.number.clone(),
            request_type_code: def.code.clone(),
            verification_code: row.verification_code.clone(),
            renovation_code: row.renovation_code.clone(),
            organization_id: inq.filed_by_organization_id.clone(),
            issued_at: Some(convert::ts(row.issued_at_us)),
            valid_until: Some(convert::ts(row.valid_until_us)),
        };
        Ok(make_event(
            routing_keys::ANSWER_ISSUED,
            "estelam.events.v1.AnswerIssued",
            |id| {
                let mut e = event.clone();
                e.event_id = id.to_owned();
                e.encode_to_vec()
            },
        ))
    }

    /// Applies a debt clearance inside the caller's transaction (the inbox consumer's, or
    /// the recovery sweep's): records it once per bill, and issues the answer when the
    /// inquiry is waiting for exactly this bill. Returns the issued inquiry, if any.
    pub async fn apply_debt_cleared(
        &self,
        conn: &mut AnyConnection,
        record: &DebtClearedRecord,
    ) -> Result<Option<Inquiry>, ServiceError> {
        store::record_debt_cleared(conn, record).await?;
        if record.inquiry_id.is_empty() {
            return Ok(None);
        }
        // Lock first, then read: Submit holds the same lock while it decides.
        store::lock_inquiry(conn, &record.inquiry_id).await?;
        let Some(mut inq) = store::inquiry(conn, &record.inquiry_id).await? else {
            return Ok(None);
        };
        if !workflow::may_issue_on_payment(inq.state) || inq.bill_id != record.bill_id {
            return Ok(None);
        }
        let paid = store::debt_cleared(conn, &record.bill_id)
            .await?
            .unwrap_or_else(|| record.clone());
        let def = self.type_version(conn, &inq).await?;
        let expected = inq.version;
        let event = self
            .issue_in_tx(conn, &mut inq, &def, Some(&paid), &system_stamp())
            .await?;
        inq.version += 1;
        if !store::update_inquiry(conn, &inq, expected).await? {
            return Err(ServiceError::conflict());
        }
        outbox::enqueue(conn, &event).await?;
        Ok(Some(inq))
    }

    /// Called after a transaction that issued answers committed.
    pub fn after_issue(&self, inq: &Inquiry) {
        self.wake_relay();
        metrics::observe_issue(inq);
    }

    // ---- recovery ----------------------------------------------------------------------

    /// Resumes whatever was left between steps: inquiries waiting for a payment that is
    /// already recorded (or that fees reports paid, in case its event never came), and
    /// expires unfinished inquiries past their time. Safe to run at any time, on any
    /// number of replicas. Returns how many answers it issued.
    pub async fn recover(&self) -> Result<usize, ServiceError> {
        let mut issued = 0;
        let ids = {
            let mut conn = self.conn().await?;
            store::waiting_but_cleared(&mut conn, 500).await?
        };
        for id in ids {
            let record = {
                let mut conn = self.conn().await?;
                let Some(inq) = store::inquiry(&mut conn, &id).await? else {
                    continue;
                };
                store::debt_cleared(&mut conn, &inq.bill_id).await?
            };
            if let Some(record) = record {
                issued += usize::from(self.apply_recovered(&record).await?);
            }
        }
        // Waiting inquiries whose event may have been lost: ask fees about their bill.
        let waiting = {
            let mut conn = self.conn().await?;
            store::inquiry_ids_in_state(&mut conn, State::AwaitingPayment, now_micros(), 200)
                .await?
        };
        for id in waiting {
            let inq = {
                let mut conn = self.conn().await?;
                store::inquiry(&mut conn, &id).await?
            };
            let Some(inq) = inq else { continue };
            if inq.bill_id.is_empty() {
                continue;
            }
            let bill = match self.ports.fees.get_bill(&inq.bill_id).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(inquiry = %id, error = %e, "recovery could not ask fees about a bill");
                    continue;
                }
            };
            if bill.status == fpb::BillStatus::Paid as i32 {
                let record = DebtClearedRecord {
                    bill_id: bill.bill_id.clone(),
                    inquiry_id: inq.id.clone(),
                    renovation_code: bill.renovation_code.clone(),
                    payment_id: bill.payment_id.clone(),
                    tracking_code: bill.tracking_code.clone(),
                    amount_rials: bill.total_rials,
                    event_id: format!("recovery:{}", bill.bill_id),
                    occurred_at_us: bill
                        .paid_at
                        .as_ref()
                        .map(convert::micros)
                        .unwrap_or_else(now_micros),
                };
                issued += usize::from(self.apply_recovered(&record).await?);
            }
        }
        // Expire what was left unfinished too long.
        let expired = {
            let mut conn = self.conn().await?;
            store::expired_unfinished(&mut conn, now_micros(), 500).await?
        };
        for id in expired {
            let mut tx = self.db.begin().await?;
            store::lock_inquiry(&mut tx, &id).await?;
            if let Some(mut inq) = store::inquiry(&mut tx, &id).await?
                && !inq.state.is_final()
                && inq.expires_at_us.is_some_and(|e| e < now_micros())
            {
                let expected = inq.version;
                inq.transition(
                    State::Expired,
                    &system_stamp(),
                    Some(Text::new(
                        "مهلت تکمیل یا پرداخت این استعلام گذشت؛ استعلام تازه‌ای ثبت کنید.",
                        "The time to finish or pay this inquiry ran out; file a new inquiry.",
                    )),
                );
                inq.version += 1;
                store::update_inquiry(&mut tx, &inq, expected).await?;
            }
            tx.commit().await?;
        }
        Ok(issued)
    }

    async fn apply_recovered(&self, record: &DebtClearedRecord) -> Result<bool, ServiceError> {
        let mut tx = self.db.begin().await?;
        let issued = self.apply_debt_cleared(&mut tx, record).await?;
        tx.commit().await?;
        if let Some(inq) = &issued {
            tracing::info!(inquiry = %inq.id, "recovery issued an answer left waiting");
            self.after_issue(inq);
        }
        Ok(issued.is_some())
    }

    /// Runs [`Engine::recover`] now and then every `every`, until `shutdown`.
    pub async fn run_recovery(
        self: std::sync::Arc<Self>,
        every: Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        loop {
            if let Err(e) = self.recover().await {
                tracing::warn!(error = %e, "recovery sweep failed; will try again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    // ---- payment -----------------------------------------------------------------------

    async fn bill_of(&self, bill_id: &str) -> Result<fpb::Bill, ServiceError> {
        self.ports.fees.get_bill(bill_id).await
    }

    /// GetBill.
    pub async fn get_bill(&self, caller: &Caller, id: &str) -> Result<fpb::Bill, ServiceError> {
        let inq = self.load_visible(caller, id).await?;
        if inq.bill_id.is_empty() {
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "NO_BILL",
                "برای این استعلام صورت‌حسابی صادر نشده است.",
                "This inquiry has no bill (it is not submitted, or nothing was charged).",
            ));
        }
        self.bill_of(&inq.bill_id).await
    }

    /// StartPayment.
    pub async fn start_payment(
        &self,
        caller: &Caller,
        req: pb::StartPaymentRequest,
    ) -> Result<fpb::Payment, ServiceError> {
        let inq = self.load_visible(caller, &req.inquiry_id).await?;
        if !may_act(caller, &inq) {
            return Err(ServiceError::permission_denied());
        }
        if req.expected_version != 0 && req.expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        if inq.state != State::AwaitingPayment {
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "NOT_AWAITING_PAYMENT",
                "این استعلام منتظر پرداخت نیست.",
                "This inquiry is not waiting for payment.",
            ));
        }
        let key = if req.client_request_id.is_empty() {
            format!("inquiry:{}:pay", inq.id)
        } else {
            format!("inquiry:{}:{}", inq.id, req.client_request_id)
        };
        self.ports
            .fees
            .start_payment(fpb::StartPaymentRequest {
                bill_id: inq.bill_id.clone(),
                idempotency_key: key,
                return_url: req.return_url,
                amount_rials: inq.amount_due_rials,
            })
            .await
    }

    // ---- cancel ------------------------------------------------------------------------

    /// CancelInquiry.
    pub async fn cancel(
        &self,
        caller: &Caller,
        req: pb::CancelInquiryRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        const M: &str = "CancelInquiry";
        if let Some(r) = self
            .replay_inquiry(caller, M, &req.client_request_id)
            .await?
        {
            return Ok(r);
        }
        let mut inq = self.load_visible(caller, &req.inquiry_id).await?;
        if !(may_act(caller, &inq) || caller.is_staff()) {
            return Err(ServiceError::permission_denied());
        }
        if req.expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        if !workflow::may_cancel(inq.state) {
            return Err(refused(&Refusal::NotEditable(inq.state)));
        }
        let reason = req.reason.trim();
        let reason = if reason.is_empty() {
            Text::new("به درخواست کاربر لغو شد.", "Cancelled on request.")
        } else {
            Text::new(reason, reason)
        };
        let expected = inq.version;
        inq.transition(State::Cancelled, &stamp_of(caller), Some(reason));
        inq.version += 1;
        let scope = format!("{}:{M}", caller.subject);
        match self
            .save(&inq, expected, Some((&scope, &req.client_request_id)), &[])
            .await?
        {
            Some(first) => Ok(first),
            None => Ok(inq.to_proto()),
        }
    }

    // ---- answers -----------------------------------------------------------------------

    /// The stored answer of a visible inquiry.
    pub async fn answer_of(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Inquiry, store::AnswerRow), ServiceError> {
        let inq = self.load_visible(caller, id).await?;
        let mut conn = self.conn().await?;
        let row = store::answer(&mut conn, &inq.id).await?.ok_or_else(|| {
            ServiceError::new(
                ErrorCode::FailedPrecondition,
                "NOT_ISSUED",
                "پاسخ این استعلام هنوز صادر نشده است.",
                "This inquiry's answer has not been issued yet.",
            )
        })?;
        Ok((inq, row))
    }

    /// The answer on the wire; `public` masks national codes and leaves out the payload.
    pub fn answer_proto(
        &self,
        row: &store::AnswerRow,
        public: bool,
    ) -> Result<pb::Answer, ServiceError> {
        let facts = Facts::decode(&row.signed_payload).map_err(ServiceError::internal)?;
        Ok(pb::Answer {
            inquiry_id: row.inquiry_id.clone(),
            inquiry_number: row.inquiry_number.clone(),
            verification_code: row.verification_code.clone(),
            verification_url: self.verification_url(&row.verification_code),
            facts: Some(facts.to_proto(public)),
            signed_payload: if public {
                Vec::new()
            } else {
                row.signed_payload.clone()
            },
            signature: if public {
                Vec::new()
            } else {
                row.signature.clone()
            },
            signing_key_id: row.signing_key_id.clone(),
            signature_algorithm: answer::ALGORITHM.into(),
            status: answer_status(row, now_micros()) as i32,
            revocation: row.revoked_at_us.map(|at| pb::Revocation {
                reason: row.revoked_reason.clone().unwrap_or_default(),
                revoked: Some(convert::stamp(
                    row.revoked_by.as_deref().unwrap_or(""),
                    "",
                    at,
                )),
            }),
        })
    }

    /// `<public base url>/verify/<code>`.
    pub fn verification_url(&self, code: &str) -> String {
        format!(
            "{}/verify/{code}",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    /// VerifyAnswer: no login; every check audited; an unknown code is a result.
    pub async fn verify(
        &self,
        caller: Option<&Caller>,
        req: pb::VerifyAnswerRequest,
    ) -> Result<pb::VerifyAnswerResponse, ServiceError> {
        let now = now_micros();
        let who = caller.map(|c| c.subject.clone()).unwrap_or_default();
        let presented = estelam_domain::normalize_digits(req.verification_code.trim());
        let code = match CheckCode::parse(CodeKind::Verification, &req.verification_code) {
            Ok(c) => c,
            Err(e) => {
                let mut conn = self.conn().await?;
                store::audit_verification(&mut conn, &presented, "MALFORMED", "", &who, now)
                    .await?;
                return Err(invalid_domain(
                    "verification_code",
                    "INVALID_VERIFICATION_CODE",
                    &e,
                ));
            }
        };
        let mut conn = self.conn().await?;
        let row = store::answer_by_code(&mut conn, code.as_str()).await?;
        let Some(row) = row else {
            store::audit_verification(&mut conn, code.as_str(), "UNKNOWN", "", &who, now).await?;
            return Ok(pb::VerifyAnswerResponse {
                result: pb::VerificationResult::Unknown as i32,
                answer: None,
                signature_valid: false,
                message: Some(Text::new(
                    "پاسخی با این کد تصدیق صادر نشده است. این برگه را معتبر ندانید.",
                    "No answer was issued with this verification code. Do not rely on this paper.",
                ).to_proto()),
                checked_at: Some(convert::ts(now)),
            });
        };
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let signature_valid = keys
            .iter()
            .find(|k| k.kid == row.signing_key_id)
            .is_some_and(|k| answer::verify(&k.public(), &row.signed_payload, &row.signature));
        let copy_presented = !req.signed_payload.is_empty() || !req.signature.is_empty();
        let copy_matches =
            req.signed_payload == row.signed_payload && req.signature == row.signature;
        let (result, fa, en) = if row.revoked_at_us.is_some() {
            (
                pb::VerificationResult::Revoked,
                format!(
                    "این پاسخ استعلام باطل شده است. علت: {}",
                    row.revoked_reason.clone().unwrap_or_default()
                ),
                format!(
                    "This answer was revoked. Reason: {}",
                    row.revoked_reason.clone().unwrap_or_default()
                ),
            )
        } else if copy_presented && !copy_matches {
            (
                pb::VerificationResult::CopyMismatch,
                "نسخهٔ ارائه‌شده با پاسخ صادرشده یکی نیست؛ به آن اعتماد نکنید.".to_owned(),
                "The copy presented differs from the answer issued; do not rely on it.".to_owned(),
            )
        } else if row.valid_until_us < now {
            (
                pb::VerificationResult::Expired,
                "مدت اعتبار این پاسخ استعلام به پایان رسیده است.".to_owned(),
                "This answer is past its validity.".to_owned(),
            )
        } else if !signature_valid {
            (
                pb::VerificationResult::CopyMismatch,
                "امضای پاسخ نامعتبر است؛ با شهرداری تماس بگیرید.".to_owned(),
                "The answer's signature does not verify; contact the municipality.".to_owned(),
            )
        } else {
            (
                pb::VerificationResult::Valid,
                "این پاسخ استعلام را شهرداری صادر کرده و معتبر است.".to_owned(),
                "This answer was issued by the municipality and is valid.".to_owned(),
            )
        };
        store::audit_verification(
            &mut conn,
            code.as_str(),
            result.as_str_name(),
            &row.inquiry_id,
            &who,
            now,
        )
        .await?;
        Ok(pb::VerifyAnswerResponse {
            result: result as i32,
            answer: Some(self.answer_proto(&row, true)?),
            signature_valid,
            message: Some(Text { fa, en }.to_proto()),
            checked_at: Some(convert::ts(now)),
        })
    }

    /// ListAnswerSigningKeys: current and previous.
    pub async fn signing_keys(
        &self,
    ) -> Result<Vec<estelam_proto::identity::v1::SigningKey>, ServiceError> {
        let mut conn = self.conn().await?;
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        Ok(keys
            .iter()
            .take(2)
            .map(|k| estelam_proto::identity::v1::SigningKey {
                kid: k.kid.clone(),
                algorithm: "EdDSA".into(),
                public_key: k.public().to_vec(),
                public_key_pem: answer::public_pem(&k.public()),
                not_before: Some(convert::ts(k.not_before_us)),
                // Answer keys never stop verifying what they signed; the previous key is
                // simply no longer signing.
                not_after: None,
            })
            .collect())
    }

    /// RevokeAnswer (clerk).
    pub async fn revoke(
        &self,
        caller: &Caller,
        req: pb::RevokeAnswerRequest,
    ) -> Result<pb::Answer, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let reason = req.reason.trim();
        if reason.is_empty() {
            return Err(invalid(
                "reason",
                "REASON_REQUIRED",
                "علت ابطال را بنویسید؛ به تصدیق‌کنندگان نشان داده می‌شود.",
                "Give the reason for revoking; verifiers are shown it.",
            ));
        }
        let (mut inq, row) = self.answer_of(caller, &req.inquiry_id).await?;
        if row.revoked_at_us.is_some() {
            return self.answer_proto(&row, false);
        }
        if req.expected_version != inq.version {
            return Err(ServiceError::conflict());
        }
        let at = now_micros();
        let expected = inq.version;
        inq.version += 1;
        inq.updated_at_us = at;
        let payload = epb::AnswerRevoked {
            event_id: String::new(),
            occurred_at: Some(convert::ts(at)),
            inquiry_id: inq.id.clone(),
            inquiry_number: inq.number.clone(),
            verification_code: row.verification_code.clone(),
            renovation_code: row.renovation_code.clone(),
            reason: reason.to_owned(),
        };
        let event = make_event(
            routing_keys::ANSWER_REVOKED,
            "estelam.events.v1.AnswerRevoked",
            |id| {
                let mut e = payload.clone();
                e.event_id = id.to_owned();
                e.encode_to_vec()
            },
        );
        let mut tx = self.db.begin().await?;
        if !store::update_inquiry(&mut tx, &inq, expected).await? {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        if store::revoke_answer(&mut tx, &inq.id, reason, &caller.subject, at).await? {
            outbox::enqueue(&mut tx, &event).await?;
        }
        tx.commit().await?;
        self.wake_relay();
        let mut conn = self.conn().await?;
        let row = store::answer(&mut conn, &inq.id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("answer vanished")))?;
        self.answer_proto(&row, false)
    }

    // ---- lists -------------------------------------------------------------------------

    /// ListInquiries.
    pub async fn list(
        &self,
        caller: &Caller,
        req: pb::ListInquiriesRequest,
    ) -> Result<pb::ListInquiriesResponse, ServiceError> {
        let mut f = store::ListFilter {
            request_type_code: req.request_type_code.trim().to_owned(),
            organization_id: req.organization_id.trim().to_owned(),
            created_after_us: req.created_after.as_ref().map(convert::micros).unwrap_or(0),
            created_before_us: req
                .created_before
                .as_ref()
                .map(convert::micros)
                .unwrap_or(i64::MAX),
            ..Default::default()
        };
        if !req.renovation_code.trim().is_empty() {
            f.renovation_code = RenovationCode::parse(&req.renovation_code)
                .map_err(|e| invalid_domain("renovation_code", "INVALID_RENOVATION_CODE", &e))?
                .to_string();
        }
        if !req.applicant_national_code.trim().is_empty() {
            f.applicant_national_code = NationalCode::parse(&req.applicant_national_code)
                .map_err(|e| {
                    invalid_domain("applicant_national_code", "INVALID_NATIONAL_CODE", &e)
                })?
                .as_str()
                .to_owned();
        }
        let states: Vec<&str> = req
            .states
            .iter()
            .filter_map(|s| pb::InquiryState::try_from(*s).ok())
            .filter_map(State::from_proto)
            .map(State::as_str)
            .collect();
        if !states.is_empty() {
            f.states_csv = format!(",{},", states.join(","));
        }
        if !(caller.is_staff() || caller.has(Role::Service)) {
            if caller.has(Role::Authority) {
                f.organization_id = caller.organization.clone().unwrap_or_else(|| "-".into());
            } else {
                f.account_id = caller.subject.clone();
            }
        }
        let limit = match i64::from(req.page_size) {
            n if n <= 0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let cursor = if req.page_token.is_empty() {
            None
        } else {
            Some(decode_token(&req.page_token)?)
        };
        let mut conn = self.conn().await?;
        let mut page = store::list_inquiries(&mut conn, &f, cursor, limit + 1).await?;
        let next = if page.len() as i64 > limit {
            page.truncate(usize::try_from(limit).unwrap_or(0));
            page.last()
                .map(|l| encode_token(l.created_at_us, &l.id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListInquiriesResponse {
            inquiries: page.iter().map(Inquiry::to_proto).collect(),
            next_page_token: next,
        })
    }

    /// BulkStatus.
    pub async fn bulk_status(
        &self,
        caller: &Caller,
        numbers: &[String],
    ) -> Result<Vec<pb::InquiryStatusEntry>, ServiceError> {
        if numbers.len() > BULK_STATUS_LIMIT {
            return Err(invalid(
                "inquiry_numbers",
                "TOO_MANY_INQUIRY_NUMBERS",
                format!(
                    "در هر درخواست حداکثر {BULK_STATUS_LIMIT} شمارهٔ استعلام بفرستید ({} فرستاده شد).",
                    numbers.len()
                ),
                format!(
                    "Send at most {BULK_STATUS_LIMIT} inquiry numbers per call ({} were sent); split the list.",
                    numbers.len()
                ),
            ));
        }
        let mut conn = self.conn().await?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            let canonical = estelam_domain::normalize_digits(n.trim());
            let found = match CheckCode::parse(CodeKind::Inquiry, n) {
                Ok(code) => store::inquiry_by_number(&mut conn, code.as_str())
                    .await?
                    .filter(|i| may_see(caller, i)),
                Err(_) => None,
            };
            out.push(match found {
                Some(i) => pb::InquiryStatusEntry {
                    inquiry_number: i.number.clone(),
                    found: true,
                    inquiry_id: i.id.clone(),
                    state: i.state.to_proto() as i32,
                    state_reason: i.state_reason.as_ref().map(Text::to_proto),
                    updated_at: Some(convert::ts(i.updated_at_us)),
                    verification_code: i.verification_code.clone(),
                },
                None => pb::InquiryStatusEntry {
                    inquiry_number: canonical,
                    found: false,
                    ..Default::default()
                },
            });
        }
        Ok(out)
    }
}

fn encode_token(at: i64, id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}:{id}"))
}

fn decode_token(token: &str) -> Result<(i64, String), ServiceError> {
    use base64::Engine as _;
    let bad = || {
        invalid(
            "page_token",
            "INVALID_PAGE_TOKEN",
            "نشانهٔ صفحه نامعتبر است؛ از صفحهٔ اول شروع کنید.",
            "The page token is not valid; start from the first page.",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = s.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// Whether an answer stands at `now_us`.
pub fn answer_status(row: &store::AnswerRow, now_us: i64) -> pb::AnswerStatus {
    if row.revoked_at_us.is_some() {
        pb::AnswerStatus::Revoked
    } else if row.valid_until_us < now_us {
        pb::AnswerStatus::Expired
    } else {
        pb::AnswerStatus::Valid
    }
}

/// An outbox event whose payload's `event_id` equals the event's id.
fn make_event(routing_key: &str, message_type: &str, payload: impl Fn(&str) -> Vec<u8>) -> Event {
    let mut event = Event::new(routing_key, message_type, Vec::new());
    event.payload = payload(&event.id);
    event
}

/// The parcel as an answer states it.
pub fn parcel_fact(p: &ppb::Parcel) -> ParcelFact {
    let plate = p.registry_plate.clone().unwrap_or_default();
    let own = p.ownership.clone().unwrap_or_default();
    ParcelFact {
        renovation_code: p.renovation_code.clone(),
        registry_plate: Plate {
            main: plate.main,
            sub: plate.sub,
            section: plate.section,
        },
        address: p.address.clone(),
        land_use: ppb::LandUse::try_from(p.land_use)
            .unwrap_or_default()
            .as_str_name()
            .to_owned(),
        land_area_dm2: p.land_area_dm2,
        built_area_dm2: p.built_area_dm2,
        floors: p.floors,
        ownership_type: ppb::OwnershipType::try_from(own.ownership_type)
            .unwrap_or_default()
            .as_str_name()
            .to_owned(),
        deed_number: own.deed_number.clone(),
        owners: own
            .owners
            .iter()
            .map(|o| OwnerFact {
                kind: ppb::OwnerKind::try_from(o.kind)
                    .unwrap_or_default()
                    .as_str_name()
                    .to_owned(),
                national_code: o.national_code.clone(),
                full_name: o.full_name.clone(),
                share: o
                    .share
                    .map(|s| Share {
                        numerator: s.numerator,
                        denominator: s.denominator,
                    })
                    .unwrap_or_default(),
                deed_number: o.deed_number.clone(),
            })
            .collect(),
        parcel_version: p.version,
    }
}
