//! The gRPC API: check the caller, translate the request into domain types, delegate to the
//! [`Property`] service, translate the answer. No SQL and no rules here.
//!
//! Who may call what (the token's roles; every method needs a valid access token):
//!
//! | methods | roles |
//! |---|---|
//! | GetParcel, FindParcelsByRegistryPlate, PickAt, ParcelsInBox | any authenticated caller; owners' national codes masked unless clerk, admin or service |
//! | GetParcelHistory, FindParcelsByOwner | clerk, admin, service |
//! | UpsertParcel, UpdateOwnership, IssueRequestNumber, ListRequestNumbers | clerk, admin |
//! | VerifyRequestNumber, MarkRequestNumberUsed, CheckApplicant | service (the inquiry), clerk, admin |
//!
//! FindParcelsByOwner for "the owner themself": access tokens carry an account id, not a
//! national code, so the service cannot tell that a citizen is asking about their own code.
//! Until identity puts a verified national-code claim in tokens, the method is for staff and
//! services only; the gateway answers a citizen's "my parcels" by calling it with its service
//! token for the national code on the citizen's verified account.

use estelam_domain::{CheckCode, CodeKind, RenovationCode};
use estelam_parcel_geo::dang::Dang;
use estelam_parcel_geo::identifiers::mask_national_code;
use estelam_parcel_geo::ownership::{ApplicantCheck, OwnerInput, OwnershipType};
use estelam_parcel_geo::parcel::{GeometryInput, ParcelInput, RegistryPlate};
use estelam_proto::common::v1 as common;
use estelam_proto::property::v1 as pb;
use estelam_proto::property::v1::property_service_server::PropertyService;
use estelam_runtime::audit::AuditQuery;
use estelam_runtime::auth::{Caller, Role, caller};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;
use tonic::{Request, Response, Status};

use crate::errors;
use crate::request_number::Verdict;
use crate::service::Property;
use crate::service::map::{BoundingBox, Point};
use crate::service::parcels::OwnershipInput;
use crate::service::search::Query;
use crate::store::{Actor, StoredParcel, StoredRequestNumber};

const STAFF: [Role; 2] = [Role::Clerk, Role::Admin];
const STAFF_OR_SERVICE: [Role; 3] = [Role::Clerk, Role::Admin, Role::Service];

/// The property service's gRPC handlers.
pub struct Api {
    service: Property,
}

impl Api {
    /// Handlers over the service.
    pub fn new(service: Property) -> Self {
        Self { service }
    }
}

fn actor(caller: &Caller) -> Actor {
    // Tokens carry no display name; the account id is what the history shows.
    Actor {
        account_id: caller.subject.clone(),
        display_name: String::new(),
    }
}

fn parse_code(field: &str, s: &str) -> Result<RenovationCode, ServiceError> {
    RenovationCode::parse(s).map_err(|e| errors::renovation_code_invalid(field, &e))
}

fn parse_request_number(s: &str) -> Result<CheckCode, ServiceError> {
    CheckCode::parse(CodeKind::Request, s).map_err(|e| errors::request_number_malformed(&e))
}

fn share(d: Dang) -> common::DangShare {
    common::DangShare {
        numerator: d.numerator(),
        denominator: d.denominator(),
    }
}

fn stamp(actor: &Actor, at: i64) -> common::AuditStamp {
    common::AuditStamp {
        actor_account_id: actor.account_id.clone(),
        actor_display_name: actor.display_name.clone(),
        at: Some(timestamp(at)),
    }
}

/// The wire form of a stored parcel; owners' codes masked unless `full_codes`.
pub fn to_proto(p: &StoredParcel, full_codes: bool) -> pb::Parcel {
    let r = &p.record;
    pb::Parcel {
        renovation_code: r.code.to_string(),
        registry_plate: Some(pb::RegistryPlate {
            main: r.plate.main.clone(),
            sub: r.plate.sub.clone(),
            section: r.plate.section.clone(),
        }),
        address: r.address.clone(),
        postal_code: r.postal_code.clone(),
        land_use: r.land_use.to_i32(),
        land_area_dm2: r.land_area_dm2,
        built_area_dm2: r.built_area_dm2,
        floors: r.floors,
        zone: r.code.zone() as i32,
        district: r.code.district() as i32,
        land_value_rials_per_m2: r.land_value_rials_per_m2,
        building_value_rials_per_m2: r.building_value_rials_per_m2,
        geometry_geojson: r.geometry_geojson.clone(),
        label_point: Some(common::GeoPoint {
            lat: r.label[1],
            lon: r.label[0],
        }),
        ownership: Some(pb::Ownership {
            ownership_type: r.ownership.kind.map_or(0, OwnershipType::to_i32),
            deed_number: r.ownership.deed_number.clone(),
            owners: r
                .ownership
                .owners
                .iter()
                .map(|o| pb::Owner {
                    kind: o.kind.to_i32(),
                    national_code: if full_codes {
                        o.national_code.clone()
                    } else {
                        mask_national_code(&o.national_code)
                    },
                    full_name: o.full_name.clone(),
                    share: Some(share(o.share)),
                    deed_number: o.deed_number.clone(),
                })
                .collect(),
        }),
        version: p.version,
        changed: Some(stamp(&p.change.actor, p.change.at)),
    }
}

fn request_number_to_proto(n: &StoredRequestNumber) -> pb::RequestNumber {
    pb::RequestNumber {
        number: n.number.clone(),
        renovation_code: n.renovation_code.clone(),
        issued_at: Some(timestamp(n.issued_at)),
        expires_at: Some(timestamp(n.expires_at)),
        issued_by: Some(stamp(&n.issued_by, n.issued_at)),
        note: n.note.clone(),
        used_by_inquiry_id: n.used_by_inquiry_id.clone().unwrap_or_default(),
        used_at: n.used_at.map(timestamp),
    }
}

fn ownership_input(o: Option<&pb::Ownership>) -> OwnershipInput {
    let Some(o) = o else {
        return OwnershipInput::default();
    };
    let owners = o
        .owners
        .iter()
        .map(|x| OwnerInput {
            kind: x.kind,
            national_code: x.national_code.clone(),
            full_name: x.full_name.clone(),
            share: x
                .share
                .as_ref()
                .map_or((0, 0), |s| (s.numerator, s.denominator)),
            deed_number: x.deed_number.clone(),
        })
        .collect();
    OwnershipInput {
        ownership_type: o.ownership_type,
        deed_number: o.deed_number.clone(),
        owners,
    }
}

/// A caller's parcel as a [`ParcelInput`].
pub fn parcel_input(p: &pb::Parcel) -> ParcelInput {
    let plate = p.registry_plate.clone().unwrap_or_default();
    let ownership = ownership_input(p.ownership.as_ref());
    ParcelInput {
        renovation_code: p.renovation_code.clone(),
        plate: (plate.main, plate.sub, plate.section),
        address: p.address.clone(),
        postal_code: p.postal_code.clone(),
        land_use: p.land_use,
        land_area_dm2: p.land_area_dm2,
        built_area_dm2: p.built_area_dm2,
        floors: p.floors,
        land_value_rials_per_m2: p.land_value_rials_per_m2,
        building_value_rials_per_m2: p.building_value_rials_per_m2,
        geometry: GeometryInput::Text(p.geometry_geojson.clone()),
        ownership_type: ownership.ownership_type,
        deed_number: ownership.deed_number,
        owners: ownership.owners,
    }
}

fn parcels_to_proto(parcels: &[StoredParcel], full_codes: bool) -> Vec<pb::Parcel> {
    parcels.iter().map(|p| to_proto(p, full_codes)).collect()
}

fn applicant_result(outcome: &ApplicantCheck) -> (pb::ApplicantCheckResult, Option<Dang>, i32) {
    match *outcome {
        ApplicantCheck::Owner { share, recorded } => (
            pb::ApplicantCheckResult::Owner,
            Some(share),
            recorded.to_i32(),
        ),
        ApplicantCheck::NotOwner => (pb::ApplicantCheckResult::NotOwner, None, 0),
        ApplicantCheck::TypeMismatch { share, recorded } => (
            pb::ApplicantCheckResult::TypeMismatch,
            Some(share),
            recorded.to_i32(),
        ),
        ApplicantCheck::NameMismatch { share } => {
            (pb::ApplicantCheckResult::NameMismatch, Some(share), 0)
        }
    }
}

#[tonic::async_trait]
impl PropertyService for Api {
    async fn get_parcel(
        &self,
        request: Request<pb::GetParcelRequest>,
    ) -> Result<Response<pb::GetParcelResponse>, Status> {
        let full = caller(&request)?.has_any(&STAFF_OR_SERVICE);
        let code = parse_code("renovation_code", &request.get_ref().renovation_code)?;
        let parcel = self.service.parcel(&code).await?;
        Ok(Response::new(pb::GetParcelResponse {
            parcel: Some(to_proto(&parcel, full)),
        }))
    }

    async fn find_parcels_by_registry_plate(
        &self,
        request: Request<pb::FindParcelsByRegistryPlateRequest>,
    ) -> Result<Response<pb::FindParcelsByRegistryPlateResponse>, Status> {
        let full = caller(&request)?.has_any(&STAFF_OR_SERVICE);
        let req = request.get_ref();
        let given = req.registry_plate.clone().unwrap_or_default();
        let plate = RegistryPlate::from_parts(&given.main, &given.sub, &given.section)
            .ok_or_else(errors::registry_plate_invalid)?;
        let (parcels, next_page_token) = self
            .service
            .parcels_by_plate(&plate, req.page_size, &req.page_token)
            .await?;
        Ok(Response::new(pb::FindParcelsByRegistryPlateResponse {
            parcels: parcels_to_proto(&parcels, full),
            next_page_token,
        }))
    }

    async fn find_parcels_by_owner(
        &self,
        request: Request<pb::FindParcelsByOwnerRequest>,
    ) -> Result<Response<pb::FindParcelsByOwnerResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = crate::service::owner_code(&req.national_code)?;
        let (parcels, next_page_token) = self
            .service
            .parcels_by_owner(&code, req.page_size, &req.page_token)
            .await?;
        Ok(Response::new(pb::FindParcelsByOwnerResponse {
            parcels: parcels_to_proto(&parcels, true),
            next_page_token,
        }))
    }

    async fn pick_at(
        &self,
        request: Request<pb::PickAtRequest>,
    ) -> Result<Response<pb::PickAtResponse>, Status> {
        let full = caller(&request)?.has_any(&STAFF_OR_SERVICE);
        let p = request
            .get_ref()
            .point
            .as_ref()
            .ok_or_else(errors::point_invalid)?;
        let parcel = self.service.pick(Point::new(p.lat, p.lon)?).await?;
        Ok(Response::new(pb::PickAtResponse {
            parcel: Some(to_proto(&parcel, full)),
        }))
    }

    async fn parcels_in_box(
        &self,
        request: Request<pb::ParcelsInBoxRequest>,
    ) -> Result<Response<pb::ParcelsInBoxResponse>, Status> {
        caller(&request)?;
        let req = request.get_ref();
        let b = req.bbox.as_ref().ok_or_else(errors::bbox_invalid)?;
        let bbox = BoundingBox::new(b.min_lon, b.min_lat, b.max_lon, b.max_lat)?;
        let page = self
            .service
            .parcels_in_box(bbox, req.limit, &req.page_token)
            .await?;
        Ok(Response::new(pb::ParcelsInBoxResponse {
            feature_collection_geojson: page.feature_collection_geojson,
            number_returned: i32::try_from(page.number_returned).unwrap_or(i32::MAX),
            next_page_token: page.next_page_token,
        }))
    }

    async fn list_map_labels(
        &self,
        request: Request<pb::ListMapLabelsRequest>,
    ) -> Result<Response<pb::ListMapLabelsResponse>, Status> {
        caller(&request)?;
        let b = request
            .get_ref()
            .bbox
            .as_ref()
            .ok_or_else(errors::bbox_invalid)?;
        let bbox = BoundingBox::new(b.min_lon, b.min_lat, b.max_lon, b.max_lat)?;
        let page = self.service.labels_in_box(bbox).await?;
        Ok(Response::new(pb::ListMapLabelsResponse {
            feature_collection_geojson: page.feature_collection_geojson,
            number_returned: i32::try_from(page.number_returned).unwrap_or(i32::MAX),
        }))
    }

    async fn get_parcel_history(
        &self,
        request: Request<pb::GetParcelHistoryRequest>,
    ) -> Result<Response<pb::GetParcelHistoryResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let (versions, next_page_token) = self
            .service
            .history(&code, req.page_size, &req.page_token)
            .await?;
        Ok(Response::new(pb::GetParcelHistoryResponse {
            versions: versions
                .iter()
                .map(|v| pb::ParcelVersion {
                    parcel: Some(to_proto(v, true)),
                    change_kind: v.change.kind.to_i32(),
                    reason: v.change.reason.clone(),
                    valid_from: Some(timestamp(v.change.at)),
                    valid_to: v.valid_to.map(timestamp),
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn upsert_parcel(
        &self,
        request: Request<pb::UpsertParcelRequest>,
    ) -> Result<Response<pb::UpsertParcelResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_any(&STAFF)?;
        let req = request.get_ref();
        let given = req.parcel.clone().unwrap_or_default();
        let stored = self
            .service
            .upsert(
                &parcel_input(&given),
                req.expected_version,
                &req.reason,
                &actor(caller),
                &req.client_request_id,
            )
            .await?;
        Ok(Response::new(pb::UpsertParcelResponse {
            parcel: Some(to_proto(&stored, true)),
        }))
    }

    async fn update_ownership(
        &self,
        request: Request<pb::UpdateOwnershipRequest>,
    ) -> Result<Response<pb::UpdateOwnershipResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_any(&STAFF)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let stored = self
            .service
            .update_ownership(
                &code,
                &ownership_input(req.ownership.as_ref()),
                req.expected_version,
                &req.reason,
                &actor(caller),
                &req.client_request_id,
            )
            .await?;
        Ok(Response::new(pb::UpdateOwnershipResponse {
            parcel: Some(to_proto(&stored, true)),
        }))
    }

    async fn issue_request_number(
        &self,
        request: Request<pb::IssueRequestNumberRequest>,
    ) -> Result<Response<pb::IssueRequestNumberResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_any(&STAFF)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let issued = self
            .service
            .issue_request_number(
                &code,
                req.validity_days,
                &req.note,
                &actor(caller),
                &req.client_request_id,
            )
            .await?;
        Ok(Response::new(pb::IssueRequestNumberResponse {
            request_number: Some(request_number_to_proto(&issued)),
        }))
    }

    async fn verify_request_number(
        &self,
        request: Request<pb::VerifyRequestNumberRequest>,
    ) -> Result<Response<pb::VerifyRequestNumberResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let number = parse_request_number(&req.number)?;
        let (verdict, issued) = self.service.verify_request_number(&code, &number).await?;
        let (fa, en) = verdict.message();
        Ok(Response::new(pb::VerifyRequestNumberResponse {
            status: verdict.to_i32(),
            reason: Some(common::LocalizedText {
                fa: fa.into(),
                en: en.into(),
            }),
            expires_at: match (verdict, issued) {
                (Verdict::Valid, Some(n)) => Some(timestamp(n.expires_at)),
                _ => None,
            },
        }))
    }

    async fn mark_request_number_used(
        &self,
        request: Request<pb::MarkRequestNumberUsedRequest>,
    ) -> Result<Response<pb::MarkRequestNumberUsedResponse>, Status> {
        let caller = caller(&request)?;
        caller.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let number = parse_request_number(&req.number)?;
        let used = self
            .service
            .mark_request_number_used(&code, &number, &req.inquiry_id, &actor(caller))
            .await?;
        Ok(Response::new(pb::MarkRequestNumberUsedResponse {
            request_number: Some(request_number_to_proto(&used)),
        }))
    }

    async fn list_request_numbers(
        &self,
        request: Request<pb::ListRequestNumbersRequest>,
    ) -> Result<Response<pb::ListRequestNumbersResponse>, Status> {
        caller(&request)?.require_any(&STAFF)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let (rows, next_page_token) = self
            .service
            .request_numbers(&code, req.page_size, &req.page_token)
            .await?;
        Ok(Response::new(pb::ListRequestNumbersResponse {
            request_numbers: rows.iter().map(request_number_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn check_applicant(
        &self,
        request: Request<pb::CheckApplicantRequest>,
    ) -> Result<Response<pb::CheckApplicantResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let verdict = self
            .service
            .check_applicant(
                &code,
                &req.national_code,
                &req.full_name,
                req.ownership_type,
            )
            .await?;
        let (result, owned, recorded_ownership_type) = applicant_result(&verdict.outcome);
        Ok(Response::new(pb::CheckApplicantResponse {
            result: result as i32,
            share: owned.map(share),
            reason: Some(common::LocalizedText {
                fa: verdict.message_fa,
                en: verdict.message_en,
            }),
            recorded_ownership_type,
            parcel_version: verdict.parcel_version,
        }))
    }
    async fn list_my_parcels(
        &self,
        request: Request<pb::ListMyParcelsRequest>,
    ) -> Result<Response<pb::ListMyParcelsResponse>, Status> {
        // The caller's own national code, from their token: nobody lists another's parcels
        // here (clerks have FindParcelsByOwner). An account with none owns nothing.
        let who = caller(&request)?;
        let Some(code) = who.national_code.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(Response::new(pb::ListMyParcelsResponse::default()));
        };
        let code = crate::service::owner_code(code)?;
        let parcels = self.service.own_parcels(&code).await?;
        Ok(Response::new(pb::ListMyParcelsResponse {
            parcels: parcels_to_proto(&parcels, false),
        }))
    }

    async fn search_parcels(
        &self,
        request: Request<pb::SearchParcelsRequest>,
    ) -> Result<Response<pb::SearchParcelsResponse>, Status> {
        let full = caller(&request)?.has_any(&STAFF_OR_SERVICE);
        let req = request.get_ref();
        let (query, parcels) = self.service.search(&req.query, req.page_size).await?;
        let kind = match query {
            Query::Code(_) => pb::ParcelSearchKind::RenovationCode,
            Query::Plate(_) => pb::ParcelSearchKind::RegistryPlate,
            Query::Address { .. } => pb::ParcelSearchKind::Address,
        };
        Ok(Response::new(pb::SearchParcelsResponse {
            parcels: parcels_to_proto(&parcels, full),
            kind: kind as i32,
        }))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        caller(&request)?.require_any(&STAFF)?;
        let req = request.get_ref();
        let q = AuditQuery::parse(
            req.filter.as_ref(),
            req.page_size,
            &req.page_token,
            crate::service::audit::filter_text,
        )?;
        let (records, next_page_token) = self.service.audit_records(&q).await?;
        Ok(Response::new(pb::ListAuditRecordsResponse {
            records,
            next_page_token,
        }))
    }
}
