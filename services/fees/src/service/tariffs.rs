//! Tariffs as data: listing and reading the stored versions, previewing the bill a draft
//! version would give a parcel, and adding a new version, which applies from its effective
//! date and never rewrites the past.

use estelam_domain::{JalaliDate, RenovationCode};
use estelam_proto::property::v1::LandUse;
use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;

use super::{AssessArgs, Assessed, Fees, PAGE_SIZES, Page};
use crate::assess::{self, jalali_at};
use crate::errors;
use crate::store::audit::{self, Audit};
use crate::store::tariffs;
use crate::tariff::{self, ListKey, Tariff, TariffFilter, TariffRules};

/// A tariff version an admin adds, before it has an id and a version number.
#[derive(Debug, Clone)]
pub struct NewTariff {
    /// The Jalali year whose levies it defines.
    pub jalali_year: i32,
    /// The day it applies from; today or later.
    pub effective_from: JalaliDate,
    /// The `LandUse` it is for; 0 for all land uses.
    pub land_use: i32,
    /// The zone it is for; 0 for all zones.
    pub zone: i32,
    /// Its items, penalty and discounts.
    pub rules: TariffRules,
    /// Why it was added (a council resolution, say), kept with the version and audited.
    pub reason: String,
}

impl Fees {
    /// A page of the tariffs `filter` selects, by year (newest first), land use, zone and
    /// version. There are few tariffs, so the list is chosen from all of them in memory;
    /// pages are keyed on a tariff's place in that order.
    pub async fn list_tariffs(
        &self,
        filter: TariffFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Tariff>, ServiceError> {
        let paging = Paging::parse(page_size, page_token, filter.fingerprint(), PAGE_SIZES)?;
        let after = paging
            .after()
            .map(|key| ListKey::parse(key).ok_or_else(errors::page_token_invalid))
            .transpose()?;
        let all = tariffs::all_tariffs(&mut *self.conn().await?).await?;
        let limit = usize::try_from(paging.fetch_limit()).unwrap_or(usize::MAX);
        let rows: Vec<Tariff> = tariff::list(&all, &filter, after)
            .into_iter()
            .take(limit)
            .cloned()
            .collect();
        let (items, next_page_token) = paging.finish(rows, |t| ListKey::of(t).to_string());
        Ok(Page {
            items,
            next_page_token,
        })
    }

    /// One tariff version by id.
    pub async fn tariff(&self, id: &str) -> Result<Tariff, ServiceError> {
        tariffs::tariff(&mut *self.conn().await?, id.trim())
            .await?
            .ok_or_else(errors::tariff_not_found)
    }

    /// What publishing `t` would be refused for, the reason aside: its rules, its land use
    /// (one of the property service's `LandUse`s, or 0 for all), its zone (one a renovation
    /// code can name, or 0 for all) and an effective date before today.
    fn check_draft(&self, t: &NewTariff, now: i64) -> Result<(), ServiceError> {
        tariff::validate(t.jalali_year, &t.rules).map_err(errors::tariff_invalid)?;
        if LandUse::try_from(t.land_use).is_err() {
            return Err(errors::tariff_scope_invalid());
        }
        if u32::try_from(t.zone)
            .ok()
            .is_none_or(|z| z > RenovationCode::MAX_PART)
        {
            return Err(errors::tariff_zone_invalid());
        }
        let today = jalali_at(now).map_err(errors::computation)?;
        if t.effective_from < today {
            return Err(errors::tariff_effective_in_past());
        }
        Ok(())
    }

    /// The bill the parcel `code` would get with the draft `t` published now, and the bill
    /// under the published tariffs, both as of the later of now and the draft's effective
    /// day, storing nothing. The draft is checked as [`Self::put_tariff`] checks it (its
    /// reason may still be empty) and counts as the newest version of its scope; lines it
    /// computes carry the tariff id `draft`.
    pub async fn preview_tariff(
        &self,
        actor: &str,
        t: NewTariff,
        code: &str,
        request_type_code: &str,
    ) -> Result<(Assessed, Assessed), ServiceError> {
        if code.trim().is_empty() {
            return Err(errors::preview_parcel_required());
        }
        let now = self.now_us();
        self.check_draft(&t, now)?;
        let reason = errors::clean(errors::TARIFF_REASON, "tariff.reason", &t.reason)?;
        let latest = tariffs::latest_tariff_version(
            &mut *self.conn().await?,
            t.jalali_year,
            t.land_use,
            t.zone,
        )
        .await?;
        let effective_from_us = assess::start_of_day_us(t.effective_from);
        let draft = Tariff {
            tariff_id: "draft".to_owned(),
            jalali_year: t.jalali_year,
            effective_from_us,
            effective_from: t.effective_from,
            land_use: t.land_use,
            zone: t.zone,
            version: latest + 1,
            rules: t.rules,
            reason,
            actor_id: actor.to_owned(),
            created_at_us: now,
        };
        let args = AssessArgs {
            renovation_code: code.to_owned(),
            as_of_us: Some(now.max(effective_from_us)),
            request_type_code: request_type_code.to_owned(),
            preview: true,
            ..AssessArgs::default()
        };
        let current = self.assess(actor, args.clone()).await?;
        let with_draft = self
            .assess(
                actor,
                AssessArgs {
                    draft: Some(draft),
                    ..args
                },
            )
            .await?;
        Ok((with_draft, current))
    }

    /// Adds a tariff version of (year, land use, zone), once per `client_request_id`, if
    /// `expected_version` is still the latest (ABORTED otherwise: someone else changed it
    /// first). Audited.
    pub async fn put_tariff(
        &self,
        actor: &str,
        t: NewTariff,
        expected_version: i64,
        client_request_id: &str,
    ) -> Result<Tariff, ServiceError> {
        let now = self.now_us();
        self.check_draft(&t, now)?;
        let reason = errors::clean(errors::TARIFF_REASON, "tariff.reason", &t.reason)?;
        if reason.is_empty() {
            return Err(errors::tariff_reason_required());
        }
        let request_key = (!client_request_id.is_empty()).then(|| client_request_id.to_owned());
        if let Some(id) = &request_key
            && let Some(existing) = tariffs::tariff_by_request(&mut *self.conn().await?, id).await?
        {
            return Ok(existing);
        }
        let mut tx = self.db.begin().await?;
        let latest =
            tariffs::latest_tariff_version(&mut tx, t.jalali_year, t.land_use, t.zone).await?;
        if latest != expected_version {
            return Err(ServiceError::conflict());
        }
        let stored = Tariff {
            tariff_id: uuid::Uuid::now_v7().to_string(),
            jalali_year: t.jalali_year,
            effective_from_us: assess::start_of_day_us(t.effective_from),
            effective_from: t.effective_from,
            land_use: t.land_use,
            zone: t.zone,
            version: latest + 1,
            rules: t.rules,
            reason,
            actor_id: actor.to_owned(),
            created_at_us: now,
        };
        if let Err(e) = tariffs::insert_tariff(&mut tx, &stored, request_key.as_deref()).await {
            tx.rollback().await?;
            if is_unique_violation(&e) {
                if let Some(id) = &request_key
                    && let Some(existing) =
                        tariffs::tariff_by_request(&mut *self.conn().await?, id).await?
                {
                    return Ok(existing);
                }
                return Err(ServiceError::conflict());
            }
            return Err(e.into());
        }
        audit::audit(
            &mut tx,
            &Audit {
                at_us: now,
                actor_id: actor.to_owned(),
                action: "tariff.put".into(),
                subject: stored.tariff_id.clone(),
                outcome: "accepted".into(),
                detail: serde_json::json!({
                    "jalali_year": stored.jalali_year,
                    "land_use": stored.land_use,
                    "zone": stored.zone,
                    "version": stored.version,
                    "effective_from": stored.effective_from.to_string(),
                    "reason": stored.reason,
                    "rules": stored.rules,
                })
                .to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }
}
