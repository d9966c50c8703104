//! Parcels: read one, find by registry plate or owner, read the history, and write (a new
//! parcel, a new version, or only a new ownership). Every write goes through the
//! [`Registry`](crate::registry::Registry), which keeps the map index in step.

use estelam_domain::RenovationCode;
use estelam_parcel_geo::ownership::{OwnerInput, validate_ownership};
use estelam_parcel_geo::parcel::{ParcelInput, RegistryPlate, validate};
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;

use super::{LIST_SIZES, Property, change_reason, client_request_id};
use crate::errors;
use crate::store::{self, Actor, StoredParcel};

/// A page of parcels and the token of the next page (empty on the last).
pub type ParcelPage = (Vec<StoredParcel>, String);

/// An ownership as a caller gives it: type, deed number and owners, unchecked.
#[derive(Debug, Clone, Default)]
pub struct OwnershipInput {
    /// Wire number of the ownership type.
    pub ownership_type: i32,
    /// The deed's number.
    pub deed_number: String,
    /// The owners, in the caller's order.
    pub owners: Vec<OwnerInput>,
}

impl Property {
    /// The current version of a parcel.
    pub async fn parcel(&self, code: &RenovationCode) -> Result<StoredParcel, ServiceError> {
        store::current(self.registry.db(), code)
            .await?
            .ok_or_else(errors::parcel_not_found)
    }

    /// Current parcels on a registry plate, in code order.
    pub async fn parcels_by_plate(
        &self,
        plate: &RegistryPlate,
        page_size: i32,
        page_token: &str,
    ) -> Result<ParcelPage, ServiceError> {
        let filter = format!("plate:{}/{}/{}", plate.main, plate.sub, plate.section);
        let paging = Paging::parse(page_size, page_token, filter, LIST_SIZES)?;
        let codes = store::codes_by_plate(
            self.registry.db(),
            plate,
            paging.after().unwrap_or_default(),
            paging.fetch_limit(),
        )
        .await?;
        self.parcels_page(&paging, codes).await
    }

    /// Current parcels a person or legal entity (by `owner_code`, already checked) owns a
    /// share of, in code order.
    pub async fn parcels_by_owner(
        &self,
        owner_code: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<ParcelPage, ServiceError> {
        let filter = format!("owner:{owner_code}");
        let paging = Paging::parse(page_size, page_token, filter, LIST_SIZES)?;
        let codes = store::codes_by_owner(
            self.registry.db(),
            owner_code,
            paging.after().unwrap_or_default(),
            paging.fetch_limit(),
        )
        .await?;
        self.parcels_page(&paging, codes).await
    }

    /// Cuts the codes a list query found to a page and loads those parcels with owners.
    async fn parcels_page(
        &self,
        paging: &Paging,
        codes: Vec<String>,
    ) -> Result<ParcelPage, ServiceError> {
        let (codes, next) = paging.finish(codes, Clone::clone);
        let parsed = codes
            .iter()
            .map(|c| RenovationCode::parse(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ServiceError::internal(anyhow::anyhow!("stored renovation code: {e}")))?;
        let parcels = store::current_many_with_owners(self.registry.db(), &parsed).await?;
        Ok((parcels, next))
    }

    /// A parcel's versions, newest first; a parcel that never existed is `NotFound`.
    pub async fn history(
        &self,
        code: &RenovationCode,
        page_size: i32,
        page_token: &str,
    ) -> Result<ParcelPage, ServiceError> {
        let paging = Paging::parse(page_size, page_token, format!("history:{code}"), LIST_SIZES)?;
        let before = paging.after().map_or(i64::MAX, |v| v.parse().unwrap_or(0));
        let versions =
            store::history(self.registry.db(), code, before, paging.fetch_limit()).await?;
        if versions.is_empty() && paging.after().is_none() {
            return Err(errors::parcel_not_found());
        }
        Ok(paging.finish(versions, |v| v.version.to_string()))
    }

    /// Creates a parcel (`expected_version` 0) or replaces its current version, after the
    /// parcel rules and the overlap check; a retry with the same `client_request_id` returns
    /// the version the first call wrote.
    pub async fn upsert(
        &self,
        input: &ParcelInput,
        expected_version: i64,
        reason: &str,
        actor: &Actor,
        request_id: &str,
    ) -> Result<StoredParcel, ServiceError> {
        let reason = change_reason(reason)?;
        let request_id = client_request_id(request_id)?;
        if expected_version < 0 {
            return Err(errors::expected_version_negative());
        }
        let (record, shape) = validate(input).map_err(errors::invalid)?;
        self.registry
            .upsert(record, shape, expected_version, &reason, actor, request_id)
            .await
    }

    /// Replaces only the owners of a parcel, as a new version.
    pub async fn update_ownership(
        &self,
        code: &RenovationCode,
        ownership: &OwnershipInput,
        expected_version: i64,
        reason: &str,
        actor: &Actor,
        request_id: &str,
    ) -> Result<StoredParcel, ServiceError> {
        let reason = change_reason(reason)?;
        let request_id = client_request_id(request_id)?;
        let ownership = validate_ownership(
            ownership.ownership_type,
            &ownership.deed_number,
            &ownership.owners,
        )
        .map_err(errors::invalid)?;
        self.registry
            .update_ownership(
                code,
                ownership,
                expected_version,
                &reason,
                actor,
                request_id,
            )
            .await
    }
}
