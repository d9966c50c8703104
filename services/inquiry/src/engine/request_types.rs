//! Request types: listing what a caller may file, admins' edits (each a new version), and
//! the cached versions inquiries follow.

use estelam_domain::{JalaliDate, clean_text};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::Engine;
use super::idempotency::Idempotency;
use crate::errors;
use crate::model::Inquiry;
use crate::request_type_publish;
use crate::request_types::{self, Filer, RequestTypeDef, StoredRequestType, Text};
use crate::store;
use crate::wizard;
use estelam_proto::documents::v1::DocumentKind;

impl Engine {
    /// The request types a caller may file, by Persian name; staff may ask for inactive
    /// ones (and those outside their active window) too, for the e-service editor. Without
    /// a caller (the portal before login) every type open now is listed.
    pub async fn list_request_types(
        &self,
        caller: Option<&Caller>,
        include_inactive: bool,
    ) -> Result<Vec<pb::RequestType>, ServiceError> {
        let staff = caller.is_some_and(Caller::is_staff);
        if include_inactive && !staff {
            return Err(ServiceError::permission_denied());
        }
        let mut conn = self.conn().await?;
        let mut types = store::request_types(&mut conn).await?;
        let now = now_micros();
        types.retain(|t| include_inactive || t.def.open_at(now));
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

    /// The current version of a request type; public, since the portal shows a type's
    /// undertakings and documents before anyone logs in.
    pub async fn get_request_type(&self, code: &str) -> Result<pb::RequestType, ServiceError> {
        let mut conn = self.conn().await?;
        store::request_type(&mut conn, code.trim())
            .await?
            .map(|t| t.to_proto())
            .ok_or_else(errors::request_type_not_found)
    }

    /// Creates a request type (`expected_version` 0) or stores a new version of one (the
    /// current version): an admin's edit never changes what earlier inquiries follow.
    pub async fn put_request_type(
        &self,
        caller: &Caller,
        req: pb::PutRequestTypeRequest,
    ) -> Result<pb::RequestType, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let idem = Idempotency::new(caller, "PutRequestType", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let rt = req
                    .request_type
                    .as_ref()
                    .ok_or_else(errors::request_type_definition_required)?;
                let def = request_types::from_proto(rt)?;
                self.check_document_kinds(&def).await?;
                self.check_tariffs(&def).await?;
                let reason = clean_text(errors::REQUEST_TYPE_CHANGE_REASON, &req.reason)
                    .map_err(errors::text_refused)?;
                let mut tx = self.db.begin().await?;
                let current = store::request_type(&mut tx, &def.code).await?;
                match (&current, req.expected_version) {
                    (Some(_), 0) => return Err(errors::request_type_exists()),
                    (None, v) if v != 0 => return Err(errors::request_type_not_found()),
                    (Some(c), _) => request_types::check_undertaking_versions(&c.def, &def)?,
                    _ => {}
                }
                let stored = store::put_request_type(
                    &mut tx,
                    &def,
                    req.expected_version,
                    &reason,
                    &caller.subject,
                    "",
                    now_micros(),
                )
                .await?;
                if !stored {
                    return Err(ServiceError::conflict());
                }
                let out = store::request_type(&mut tx, &def.code)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::internal(anyhow::anyhow!("request type vanished"))
                    })?
                    .to_proto();
                if !first.record(&mut tx, &out).await? {
                    tx.rollback().await?;
                    return Err(ServiceError::conflict());
                }
                tx.commit().await?;
                Ok((out, ()))
            })
            .await?;
        Ok(done.response)
    }

    /// The wizard a citizen will see for a type's current version, with its fee lines as
    /// this Jalali year's tariffs price them now (staff, for the e-service editor).
    pub async fn preview_request_type(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<pb::PreviewRequestTypeResponse, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let stored = store::request_type(&mut *self.conn().await?, code.trim())
            .await?
            .ok_or_else(errors::request_type_not_found)?;
        let def = &stored.def;
        let now = now_micros();
        let year = current_jalali_year(now)?;
        let names = self.kind_names().await?;
        let tariffs = if def.fee_items.is_empty() {
            Vec::new()
        } else {
            self.ports.fees.tariffs_of_year(year).await?
        };
        Ok(pb::PreviewRequestTypeResponse {
            request_type: Some(stored.to_proto()),
            steps: wizard::steps(def, &names),
            documents: wizard::documents(def, &names)
                .into_iter()
                .map(|(code, name)| pb::WizardDocument {
                    kind: DocumentKind::from_code(&code).map_or(0, |k| k as i32),
                    name: Some(name.to_proto()),
                    kind_code: code,
                })
                .collect(),
            checks: wizard::texts(&wizard::checks(def)),
            fee_lines: wizard::fee_lines(def, &tariffs, now),
            jalali_year: year,
            answer_title: Some(wizard::title_of(def).to_proto()),
            answer_statements: wizard::texts(&def.answer_statements),
            open_now: def.open_at(now),
        })
    }

    /// The active document kinds' names by code, as the documents service lists them.
    pub(crate) async fn kind_names(&self) -> Result<wizard::KindNames, ServiceError> {
        Ok(self
            .ports
            .documents
            .document_kinds()
            .await?
            .into_iter()
            .map(|k| (k.code, Text::from_proto(k.name.as_ref())))
            .collect())
    }

    /// Refuses a type requiring a document kind the documents service does not know or
    /// has retired, naming its place in the list (asked before any transaction opens).
    async fn check_document_kinds(&self, def: &RequestTypeDef) -> Result<(), ServiceError> {
        if def.required_documents.is_empty() {
            return Ok(());
        }
        let known = self.kind_names().await?;
        match def
            .required_documents
            .iter()
            .position(|code| !known.contains_key(code))
        {
            Some(i) => Err(errors::document_kind_unknown(i + 1)),
            None => Ok(()),
        }
    }

    /// Refuses an active type charging a fee item that no tariff of the current Jalali year
    /// prices now, asked of fees before any transaction opens.
    async fn check_tariffs(&self, def: &RequestTypeDef) -> Result<(), ServiceError> {
        if !request_type_publish::needs_tariffs(def) {
            return Ok(());
        }
        let now = now_micros();
        let year = current_jalali_year(now)?;
        let tariffs = self.ports.fees.tariffs_of_year(year).await?;
        match request_type_publish::unpriced_fee_item(def, &tariffs, now) {
            Some(kind) => Err(errors::request_type_tariff_missing(
                &request_type_publish::fee_item_name(kind),
                &def.code,
                year,
            )),
            None => Ok(()),
        }
    }

    /// Stores the seeded request types an installation does not have yet; an admin's edits
    /// of a seeded type are kept.
    pub(super) async fn seed_request_types(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<(), ServiceError> {
        for def in request_types::seeds() {
            if store::request_type(conn, &def.code).await?.is_none() {
                store::put_request_type(conn, &def, 0, "seed", "", "", now_micros()).await?;
            }
        }
        Ok(())
    }

    /// The request type version `inq` follows, read through `conn` (a transaction's, when
    /// the caller holds one) unless it is cached.
    pub(super) async fn type_version(
        &self,
        conn: &mut AnyConnection,
        inq: &Inquiry,
    ) -> Result<RequestTypeDef, ServiceError> {
        if let Some(def) = self.cached_type_version(inq) {
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

    /// The request type version `inq` follows, from the cache or a pooled connection.
    pub(super) async fn type_version_of(
        &self,
        inq: &Inquiry,
    ) -> Result<RequestTypeDef, ServiceError> {
        match self.cached_type_version(inq) {
            Some(def) => Ok(def),
            None => self.type_version(&mut *self.conn().await?, inq).await,
        }
    }

    fn cached_type_version(&self, inq: &Inquiry) -> Option<RequestTypeDef> {
        self.type_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(inq.request_type_code.clone(), inq.request_type_version))
            .cloned()
    }
}

/// The Jalali year in Iran at `now_us`, whose tariffs price what is filed now.
fn current_jalali_year(now_us: i64) -> Result<i32, ServiceError> {
    Ok(
        JalaliDate::from_unix_seconds_in_iran(now_us.div_euclid(1_000_000))
            .map_err(ServiceError::internal)?
            .year(),
    )
}
