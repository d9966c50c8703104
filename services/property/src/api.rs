//! The gRPC API: check the caller, translate the request, delegate to the registry and the
//! domain rules, translate the answer.
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

use std::sync::Arc;

use estelam_domain::{CheckCode, CodeKind, NationalCode, RenovationCode};
use estelam_proto::common::v1 as common;
use estelam_proto::property::v1 as pb;
use estelam_proto::property::v1::property_service_server::PropertyService;
use estelam_runtime::auth::{Caller, Role, caller};
use estelam_runtime::config::PropertySettings;
use estelam_runtime::error::{ErrorCode, ServiceError};
use tonic::{Request, Response, Status};

use crate::features;
use crate::index::rect;
use crate::ownership::{
    ApplicantCheck, Dang, OwnerInput, OwnershipType, check_applicant, legal_id_is_valid,
    mask_national_code, validate_ownership,
};
use crate::paging;
use crate::parcel::{GeometryInput, ParcelInput, RegistryPlate, validate};
use crate::registry::{Registry, invalid};
use crate::store::{self, Actor, ChangeKind, StoredParcel, StoredRequestNumber};

/// Rows per page of the list methods when the caller gives no page size.
const DEFAULT_PAGE: u32 = 50;
/// Most rows per page of the list methods.
const MAX_PAGE: u32 = 500;

const STAFF: [Role; 2] = [Role::Clerk, Role::Admin];
const STAFF_OR_SERVICE: [Role; 3] = [Role::Clerk, Role::Admin, Role::Service];

/// The property service's gRPC handlers.
pub struct Api {
    registry: Arc<Registry>,
    settings: PropertySettings,
}

impl Api {
    /// Handlers over a registry.
    pub fn new(registry: Arc<Registry>, settings: PropertySettings) -> Self {
        Self { registry, settings }
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
    RenovationCode::parse(s).map_err(|e| {
        ServiceError::invalid_field(
            field,
            "RENOVATION_CODE_INVALID",
            e.message_fa(),
            e.to_string(),
        )
    })
}

fn parse_request_number(s: &str) -> Result<CheckCode, ServiceError> {
    CheckCode::parse(CodeKind::Request, s).map_err(|e| {
        ServiceError::invalid_field(
            "number",
            "REQUEST_NUMBER_MALFORMED",
            e.message_fa(),
            e.to_string(),
        )
    })
}

fn reason_required(reason: &str) -> Result<String, ServiceError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 1000 {
        return Err(ServiceError::invalid_field(
            "reason",
            "REASON_REQUIRED",
            "علت تغییر را (حداکثر ۱۰۰۰ نویسه) بنویسید؛ در تاریخچه می‌ماند.",
            "Say why the change is made (at most 1000 characters); it is kept in the history.",
        ));
    }
    Ok(r.to_owned())
}

fn request_id(id: &str) -> Result<Option<&str>, ServiceError> {
    match id.trim() {
        "" => Ok(None),
        s if s.len() <= 128 => Ok(Some(s)),
        _ => Err(ServiceError::invalid_field(
            "client_request_id",
            "CLIENT_REQUEST_ID_TOO_LONG",
            "شناسهٔ درخواست حداکثر ۱۲۸ نویسه است.",
            "The client request id is at most 128 characters.",
        )),
    }
}

fn not_found() -> ServiceError {
    ServiceError::not_found("ملک با این کد نوسازی", "A parcel with this renovation code")
}

/// A protobuf timestamp of µs since the epoch.
pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
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

fn owner_inputs(o: Option<&pb::Ownership>) -> (i32, String, Vec<OwnerInput>) {
    let Some(o) = o else {
        return (0, String::new(), Vec::new());
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
    (o.ownership_type, o.deed_number.clone(), owners)
}

/// A caller's parcel as a [`ParcelInput`].
pub fn parcel_input(p: &pb::Parcel) -> ParcelInput {
    let plate = p.registry_plate.clone().unwrap_or_default();
    let (ownership_type, deed_number, owners) = owner_inputs(p.ownership.as_ref());
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
        ownership_type,
        deed_number,
        owners,
    }
}

fn check_point(p: Option<&common::GeoPoint>) -> Result<(f64, f64), ServiceError> {
    let bad = || {
        ServiceError::invalid_field(
            "point",
            "POINT_INVALID",
            "نقطه باید عرض جغرافیایی بین -۹۰ و ۹۰ و طول بین -۱۸۰ و ۱۸۰ داشته باشد.",
            "The point needs a latitude in -90..90 and a longitude in -180..180.",
        )
    };
    let p = p.ok_or_else(bad)?;
    if !(p.lat.is_finite()
        && p.lon.is_finite()
        && (-90.0..=90.0).contains(&p.lat)
        && (-180.0..=180.0).contains(&p.lon))
    {
        return Err(bad());
    }
    Ok((p.lon, p.lat))
}

fn check_bbox(b: Option<&common::BoundingBox>) -> Result<[f64; 4], ServiceError> {
    let bad = || {
        ServiceError::invalid_field(
            "bbox",
            "BBOX_INVALID",
            "محدوده باید به ترتیب کمینهٔ طول، کمینهٔ عرض، بیشینهٔ طول و بیشینهٔ عرض در WGS84 باشد.",
            "The bounding box must be min lon, min lat, max lon, max lat in WGS84, with min ≤ max.",
        )
    };
    let b = b.ok_or_else(bad)?;
    let v = [b.min_lon, b.min_lat, b.max_lon, b.max_lat];
    let ok = v.iter().all(|x| x.is_finite())
        && (-180.0..=180.0).contains(&b.min_lon)
        && (-180.0..=180.0).contains(&b.max_lon)
        && (-90.0..=90.0).contains(&b.min_lat)
        && (-90.0..=90.0).contains(&b.max_lat)
        && b.min_lon <= b.max_lon
        && b.min_lat <= b.max_lat;
    if ok { Ok(v) } else { Err(bad()) }
}

fn page_token_last(items: &[String], more: bool) -> String {
    if more {
        items.last().cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

impl Api {
    async fn current(&self, code: &RenovationCode) -> Result<StoredParcel, ServiceError> {
        store::current(self.registry.db(), code)
            .await?
            .ok_or_else(not_found)
    }

    async fn parcels_page(
        &self,
        codes: Vec<String>,
        limit: usize,
        filter: &str,
        full_codes: bool,
    ) -> Result<(Vec<pb::Parcel>, String), ServiceError> {
        let more = codes.len() > limit;
        let codes: Vec<String> = codes.into_iter().take(limit).collect();
        let parsed = codes
            .iter()
            .map(|c| parse_code("renovation_code", c))
            .collect::<Result<Vec<_>, _>>()?;
        let parcels = store::current_many_with_owners(self.registry.db(), &parsed).await?;
        let last = page_token_last(&codes, more);
        let token = if last.is_empty() {
            String::new()
        } else {
            paging::encode(&last, filter)
        };
        Ok((
            parcels.iter().map(|p| to_proto(p, full_codes)).collect(),
            token,
        ))
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
        let parcel = self.current(&code).await?;
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
        let plate = RegistryPlate::from_parts(&given.main, &given.sub, &given.section).ok_or_else(
            || {
                ServiceError::invalid_field(
                    "registry_plate",
                    "REGISTRY_PLATE_INVALID",
                    "پلاک ثبتی: پلاک اصلی (الزامی)، فرعی و بخش فقط رقم.",
                    "Registry plate: main (required), sub and section are digits only.",
                )
            },
        )?;
        let filter = format!("plate:{}/{}/{}", plate.main, plate.sub, plate.section);
        let after = paging::decode(&req.page_token, &filter)?;
        let limit = paging::size(req.page_size, DEFAULT_PAGE, MAX_PAGE, "page_size")?;
        let codes = store::codes_by_plate(self.registry.db(), &plate, &after, limit as i64 + 1)
            .await
            .map_err(ServiceError::from)?;
        let (parcels, next_page_token) = self.parcels_page(codes, limit, &filter, full).await?;
        Ok(Response::new(pb::FindParcelsByRegistryPlateResponse {
            parcels,
            next_page_token,
        }))
    }

    async fn find_parcels_by_owner(
        &self,
        request: Request<pb::FindParcelsByOwnerRequest>,
    ) -> Result<Response<pb::FindParcelsByOwnerResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let digits = estelam_domain::normalize_digits(req.national_code.trim());
        let code = if digits.len() == 11 && legal_id_is_valid(&digits) {
            digits
        } else {
            NationalCode::parse(&req.national_code)
                .map_err(|e| {
                    ServiceError::invalid_field(
                        "national_code",
                        "NATIONAL_CODE_INVALID",
                        e.message_fa(),
                        e.to_string(),
                    )
                })?
                .as_str()
                .to_owned()
        };
        let filter = format!("owner:{code}");
        let after = paging::decode(&req.page_token, &filter)?;
        let limit = paging::size(req.page_size, DEFAULT_PAGE, MAX_PAGE, "page_size")?;
        let codes = store::codes_by_owner(self.registry.db(), &code, &after, limit as i64 + 1)
            .await
            .map_err(ServiceError::from)?;
        let (parcels, next_page_token) = self.parcels_page(codes, limit, &filter, true).await?;
        Ok(Response::new(pb::FindParcelsByOwnerResponse {
            parcels,
            next_page_token,
        }))
    }

    async fn pick_at(
        &self,
        request: Request<pb::PickAtRequest>,
    ) -> Result<Response<pb::PickAtResponse>, Status> {
        let full = caller(&request)?.has_any(&STAFF_OR_SERVICE);
        let (lon, lat) = check_point(request.get_ref().point.as_ref())?;
        let not_here = || {
            ServiceError::new(
                ErrorCode::NotFound,
                "NO_PARCEL_AT_POINT",
                "در این نقطه ملکی ثبت نشده است؛ روی خود قطعه کلیک کنید.",
                "No parcel is registered at this point; click inside a parcel.",
            )
        };
        let code = self.registry.index().pick(lon, lat).ok_or_else(not_here)?;
        let parcel = store::current(self.registry.db(), &code)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(not_here)?;
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
        let b = check_bbox(req.bbox.as_ref())?;
        let filter = format!("bbox:{},{},{},{}", b[0], b[1], b[2], b[3]);
        let after = paging::decode(&req.page_token, &filter)?;
        let limit = paging::size(
            req.limit,
            self.settings.box_default_limit,
            self.settings.box_max_limit,
            "limit",
        )?;
        let (codes, more) =
            self.registry
                .index()
                .in_box_page(&rect(b[0], b[1], b[2], b[3]), &after, limit);
        let parcels = store::current_many(self.registry.db(), &codes)
            .await
            .map_err(ServiceError::from)?;
        let next_page_token = match codes.last() {
            Some(last) if more => paging::encode(&last.to_string(), &filter),
            _ => String::new(),
        };
        Ok(Response::new(pb::ParcelsInBoxResponse {
            feature_collection_geojson: features::collection(&parcels, self.registry.now()),
            number_returned: parcels.len() as i32,
            next_page_token,
        }))
    }

    async fn get_parcel_history(
        &self,
        request: Request<pb::GetParcelHistoryRequest>,
    ) -> Result<Response<pb::GetParcelHistoryResponse>, Status> {
        caller(&request)?.require_any(&STAFF_OR_SERVICE)?;
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let filter = format!("history:{code}");
        let after = paging::decode(&req.page_token, &filter)?;
        let before = if after.is_empty() {
            i64::MAX
        } else {
            after.parse().unwrap_or(0)
        };
        let limit = paging::size(req.page_size, DEFAULT_PAGE, MAX_PAGE, "page_size")?;
        let versions = store::history(self.registry.db(), &code, before, limit as i64 + 1)
            .await
            .map_err(ServiceError::from)?;
        if versions.is_empty() && after.is_empty() {
            return Err(not_found().into());
        }
        let more = versions.len() > limit;
        let versions: Vec<_> = versions.into_iter().take(limit).collect();
        let next_page_token = match versions.last() {
            Some(v) if more => paging::encode(&v.version.to_string(), &filter),
            _ => String::new(),
        };
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
        let actor = actor(caller);
        let req = request.get_ref();
        let reason = reason_required(&req.reason)?;
        let request_id = request_id(&req.client_request_id)?;
        if req.expected_version < 0 {
            return Err(ServiceError::invalid_field(
                "expected_version",
                "EXPECTED_VERSION_NEGATIVE",
                "نسخهٔ مورد انتظار نمی‌تواند منفی باشد.",
                "The expected version cannot be negative.",
            )
            .into());
        }
        let given = req.parcel.clone().unwrap_or_default();
        let (record, shape) = validate(&parcel_input(&given)).map_err(invalid)?;
        let stored = self
            .registry
            .upsert(
                record,
                shape,
                req.expected_version,
                &reason,
                &actor,
                request_id,
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
        let actor = actor(caller);
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let reason = reason_required(&req.reason)?;
        let request_id = request_id(&req.client_request_id)?;
        let (kind, deed, owners) = owner_inputs(req.ownership.as_ref());
        let ownership = validate_ownership(kind, &deed, &owners).map_err(invalid)?;
        let stored = self
            .registry
            .update_ownership(
                &code,
                ownership,
                req.expected_version,
                &reason,
                &actor,
                request_id,
            )
            .await?;
        debug_assert_eq!(stored.change.kind, ChangeKind::OwnershipChanged);
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
        let actor = actor(caller);
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let days = match req.validity_days {
            0 => self.settings.request_number_validity_days,
            d if d > 0 && (d as u32) <= self.settings.request_number_max_validity_days => d as u32,
            _ => {
                return Err(ServiceError::invalid_field(
                    "validity_days",
                    "VALIDITY_DAYS_OUT_OF_RANGE",
                    format!(
                        "مدت اعتبار باید بین ۱ و {} روز باشد.",
                        self.settings.request_number_max_validity_days
                    ),
                    format!(
                        "The validity must be 1 to {} days.",
                        self.settings.request_number_max_validity_days
                    ),
                )
                .into());
            }
        };
        let note = req.note.trim();
        if note.chars().count() > 500 {
            return Err(ServiceError::invalid_field(
                "note",
                "NOTE_TOO_LONG",
                "یادداشت حداکثر ۵۰۰ نویسه است.",
                "The note is at most 500 characters.",
            )
            .into());
        }
        let issued = self
            .registry
            .issue_request_number(
                &code,
                days,
                note,
                &actor,
                request_id(&req.client_request_id)?,
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
        let (verdict, issued) = self.registry.verify_request_number(&code, &number).await?;
        let (fa, en) = verdict.message();
        Ok(Response::new(pb::VerifyRequestNumberResponse {
            status: verdict.to_i32(),
            reason: Some(common::LocalizedText {
                fa: fa.into(),
                en: en.into(),
            }),
            expires_at: match (verdict, issued) {
                (crate::request_number::Verdict::Valid, Some(n)) => Some(timestamp(n.expires_at)),
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
        let actor = actor(caller);
        let req = request.get_ref();
        let code = parse_code("renovation_code", &req.renovation_code)?;
        let number = parse_request_number(&req.number)?;
        let inquiry = req.inquiry_id.trim();
        if inquiry.is_empty() || inquiry.len() > 64 {
            return Err(ServiceError::invalid_field(
                "inquiry_id",
                "INQUIRY_ID_REQUIRED",
                "شناسهٔ استعلام لازم است.",
                "The inquiry id is required (at most 64 characters).",
            )
            .into());
        }
        let used = self
            .registry
            .mark_request_number_used(&code, &number, inquiry, &actor)
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
        let filter = format!("rn:{code}");
        let after = paging::decode(&req.page_token, &filter)?;
        let before = if after.is_empty() {
            i64::MAX
        } else {
            after.parse().unwrap_or(0)
        };
        let limit = paging::size(req.page_size, DEFAULT_PAGE, MAX_PAGE, "page_size")?;
        let rows = store::request_numbers_of(
            self.registry.db(),
            &code.to_string(),
            before,
            limit as i64 + 1,
        )
        .await
        .map_err(ServiceError::from)?;
        let more = rows.len() > limit;
        let rows: Vec<_> = rows.into_iter().take(limit).collect();
        let next_page_token = match rows.last() {
            Some(r) if more => paging::encode(&r.seq.to_string(), &filter),
            _ => String::new(),
        };
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
        let digits = estelam_domain::normalize_digits(req.national_code.trim());
        let national = if digits.len() == 11 && legal_id_is_valid(&digits) {
            digits
        } else {
            NationalCode::parse(&req.national_code)
                .map_err(|e| {
                    ServiceError::invalid_field(
                        "national_code",
                        "NATIONAL_CODE_INVALID",
                        e.message_fa(),
                        e.to_string(),
                    )
                })?
                .as_str()
                .to_owned()
        };
        let declared = OwnershipType::from_i32(req.ownership_type).ok_or_else(|| {
            ServiceError::invalid_field(
                "ownership_type",
                "OWNERSHIP_TYPE_REQUIRED",
                "نوع مالکیت را مشخص کنید.",
                "Give the ownership type.",
            )
        })?;
        if req.full_name.trim().is_empty() {
            return Err(ServiceError::invalid_field(
                "full_name",
                "FULL_NAME_REQUIRED",
                "نام متقاضی را وارد کنید.",
                "Give the applicant's name.",
            )
            .into());
        }
        let parcel = self.current(&code).await?;
        let outcome = check_applicant(
            &parcel.record.ownership,
            &national,
            &req.full_name,
            declared,
        );
        let text = |fa: String, en: String| Some(common::LocalizedText { fa, en });
        let response = match outcome {
            ApplicantCheck::Owner { share: s, recorded } => pb::CheckApplicantResponse {
                result: pb::ApplicantCheckResult::Owner as i32,
                share: Some(share(s)),
                reason: text(
                    format!("متقاضی مالک {s} دانگ از این ملک است.", s = s),
                    format!("The applicant owns {s} dang of this parcel."),
                ),
                recorded_ownership_type: recorded.to_i32(),
                parcel_version: parcel.version,
            },
            ApplicantCheck::NotOwner => pb::CheckApplicantResponse {
                result: pb::ApplicantCheckResult::NotOwner as i32,
                share: None,
                reason: text(
                    "کد ملی متقاضی در میان مالکان این ملک نیست؛ استعلام را باید مالک یا وکیل او ثبت کند.".into(),
                    "The applicant's national code is not among this parcel's owners; an owner (or their attorney) must apply.".into(),
                ),
                recorded_ownership_type: 0,
                parcel_version: parcel.version,
            },
            ApplicantCheck::TypeMismatch { share: s, recorded } => pb::CheckApplicantResponse {
                result: pb::ApplicantCheckResult::TypeMismatch as i32,
                share: Some(share(s)),
                reason: text(
                    format!("نوع مالکیت ثبت‌شده «{}» است، نه «{}»؛ نوع مالکیت را اصلاح کنید.", recorded.name_fa(), declared.name_fa()),
                    format!("The recorded ownership type is {}, not {}; correct the ownership type.", recorded.name(), declared.name()),
                ),
                recorded_ownership_type: recorded.to_i32(),
                parcel_version: parcel.version,
            },
            ApplicantCheck::NameMismatch { share: s } => pb::CheckApplicantResponse {
                result: pb::ApplicantCheckResult::NameMismatch as i32,
                share: Some(share(s)),
                reason: text(
                    "نام واردشده با نام مالک این کد ملی در سند یکی نیست؛ نام را مطابق سند بنویسید.".into(),
                    "The name given does not match the recorded owner with this national code; write the name as on the deed.".into(),
                ),
                recorded_ownership_type: 0,
                parcel_version: parcel.version,
            },
        };
        Ok(Response::new(response))
    }
}
