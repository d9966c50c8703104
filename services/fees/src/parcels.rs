//! Parcel facts (land use, areas, regional values) come from the property service; this is
//! the seam. [`ParcelFacts`] is what the fees logic asks; [`GrpcParcelFacts`] asks the
//! property service's `GetParcel` over gRPC with a service-account token from a
//! [`BearerSource`].

use std::sync::Arc;

use async_trait::async_trait;
use estelam_domain::{RenovationCode, Rial};
use estelam_proto::property::v1::GetParcelRequest;
use estelam_proto::property::v1::property_service_client::PropertyServiceClient;
use estelam_runtime::error::{ErrorCode, ServiceError};
use tonic::transport::Channel;

use crate::errors;

/// What a bill needs to know about a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The parcel the facts are of.
    pub renovation_code: RenovationCode,
    /// `LandUse` wire value (0 when unknown: only all-use tariffs apply).
    pub land_use: i32,
    /// Zone, the first part of the renovation code.
    pub zone: i32,
    /// Land area, dm².
    pub land_area_dm2: i64,
    /// Built area of all floors, dm².
    pub built_area_dm2: i64,
    /// Regional land value, rials per m².
    pub land_value_per_m2: Rial,
    /// Regional building value, rials per m².
    pub building_value_per_m2: Rial,
}

/// Where parcel facts come from.
#[async_trait]
pub trait ParcelFacts: Send + Sync {
    /// The facts of a parcel; `NotFound` when the registry has no such parcel.
    async fn facts(&self, renovation_code: &RenovationCode) -> Result<Facts, ServiceError>;
}

pub use estelam_runtime::auth::{BearerSource, NoBearer, StaticBearer};

/// [`ParcelFacts`] over the property service's gRPC API.
#[derive(Clone)]
pub struct GrpcParcelFacts {
    client: PropertyServiceClient<Channel>,
    bearer: Arc<dyn BearerSource>,
}

impl GrpcParcelFacts {
    /// Asks the property service behind `channel`, authenticating with `bearer`.
    pub fn new(channel: Channel, bearer: Arc<dyn BearerSource>) -> Self {
        Self {
            client: PropertyServiceClient::new(channel),
            bearer,
        }
    }
}

#[async_trait]
impl ParcelFacts for GrpcParcelFacts {
    async fn facts(&self, renovation_code: &RenovationCode) -> Result<Facts, ServiceError> {
        let token = self.bearer.bearer().await?;
        let code = renovation_code.to_string();
        // GetParcel is a read: safe to retry when the property service is briefly away.
        let response = estelam_runtime::grpc::retry_idempotent(|| {
            let mut client = self.client.clone();
            let request = estelam_runtime::grpc::outgoing(
                GetParcelRequest {
                    renovation_code: code.clone(),
                },
                Some(&token),
            );
            async move { client.get_parcel(request).await }
        })
        .await
        .map_err(|status| {
            let err = ServiceError::from_status(&status);
            match err.code {
                ErrorCode::NotFound => errors::parcel_not_found(),
                ErrorCode::Unavailable | ErrorCode::DeadlineExceeded => err,
                _ => ServiceError::internal(anyhow::anyhow!("property GetParcel failed: {status}")),
            }
        })?;
        let parcel = response.into_inner().parcel.ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("GetParcel returned no parcel"))
        })?;
        let zone = if parcel.zone > 0 {
            parcel.zone
        } else {
            i32::try_from(renovation_code.zone()).unwrap_or(0)
        };
        Ok(Facts {
            renovation_code: *renovation_code,
            land_use: parcel.land_use,
            zone,
            land_area_dm2: parcel.land_area_dm2.max(0),
            built_area_dm2: parcel.built_area_dm2.max(0),
            land_value_per_m2: Rial::new(parcel.land_value_rials_per_m2.max(0)),
            building_value_per_m2: Rial::new(parcel.building_value_rials_per_m2.max(0)),
        })
    }
}
