//! Demo people: on first start in embedded mode, `estelam run` creates a clerk, an
//! authority user (a notary office) and two citizens who own demo parcels, one with no
//! debt and one with unpaid levies, each with a valid request number, and writes their
//! logins to `<data dir>/demo.json`, so a newcomer (or a script) can walk the nine steps.
//!
//! Who they are comes from the data file `demo/people.json` in this crate (compiled in);
//! everything is created through the other services' public APIs ([`DemoPorts`]), so the
//! demo exercises the same paths a municipality's staff would. The written file has the
//! shape:
//!
//! ```json
//! {"clerk": {"name", "national_code", "password"},
//!  "authority": {"name", "national_code", "password", "organization_id", "organization"},
//!  "citizens": [{"name", "national_code", "password", "renovation_code",
//!                "request_number", "ownership_type", "has_debt"}],
//!  "newcomer": {"name", "first_name", "last_name", "national_code", "mobile",
//!               "renovation_code", "lat", "lon", "request_number", "ownership_type",
//!               "has_debt"}}
//! ```
//!
//! The `newcomer` owns a parcel of the demo city but has no account yet: a person trying the
//! portal registers as them, picks their parcel on the map (it contains `lat`/`lon`) and walks
//! the nine steps to a paid debt and an answer. It is absent when the city has no parcel
//! that fits (no demo city loaded).
//!
//! A second start finds `demo.json` and creates nothing.

use std::path::Path;

use async_trait::async_trait;
use estelam_proto::common::v1 as cpb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use tonic::transport::Channel;

/// The compiled-in description of the demo people.
pub static PEOPLE_JSON: &str = include_str!("../demo/people.json");

/// A person in the data file.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonSpec {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// National code.
    pub national_code: String,
    /// Mobile number.
    pub mobile: String,
}

/// The notary office in the data file.
#[derive(Debug, Clone, Deserialize)]
pub struct OrgSpec {
    /// Persian name.
    pub name_fa: String,
    /// English name.
    pub name_en: String,
    /// Notary office number.
    pub registry_number: String,
    /// City.
    pub city: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: String,
}

/// A citizen and their parcel in the data file.
#[derive(Debug, Clone, Deserialize)]
pub struct CitizenSpec {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// National code.
    pub national_code: String,
    /// Mobile number.
    pub mobile: String,
    /// Their password (citizens choose theirs at registration).
    pub password: String,
    /// Their parcel.
    pub renovation_code: String,
    /// Its deed number.
    pub deed_number: String,
    /// Whether the parcel owes levies.
    pub has_debt: bool,
    /// How much, when it does.
    #[serde(default)]
    pub debt_rials: i64,
    /// The parcel's outline, `[lon, lat]` pairs, closed.
    pub polygon: Vec<[f64; 2]>,
}

/// The newcomer in the data file: which demo-city lots to choose their parcel from.
#[derive(Debug, Clone, Deserialize)]
pub struct NewcomerSpec {
    /// Candidate lots, in order; the first owned outright by one person with no demo
    /// account is the newcomer's.
    pub renovation_codes: Vec<String>,
    /// A mobile number for their registration.
    pub mobile: String,
    /// The unpaid levies charged to their parcel.
    pub debt_rials: i64,
}

/// The whole data file.
#[derive(Debug, Clone, Deserialize)]
pub struct PeopleSpec {
    /// The clerk.
    pub clerk: PersonSpec,
    /// The notary office.
    pub organization: OrgSpec,
    /// Its user.
    pub authority: PersonSpec,
    /// The citizens.
    pub citizens: Vec<CitizenSpec>,
    /// The owner without an account.
    #[serde(default)]
    pub newcomer: Option<NewcomerSpec>,
}

/// A staff login as written to `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffLogin {
    /// Display name.
    pub name: String,
    /// National code (the login name).
    pub national_code: String,
    /// Initial password (identity asks for a change on first use).
    pub password: String,
    /// The organization, for the authority user.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization: String,
}

/// A citizen as written to `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CitizenLogin {
    /// Display name.
    pub name: String,
    /// National code (the login name).
    pub national_code: String,
    /// Password.
    pub password: String,
    /// Their parcel.
    pub renovation_code: String,
    /// A valid request number for it.
    pub request_number: String,
    /// `full`, `shared`, …
    pub ownership_type: String,
    /// Whether the parcel owes levies.
    pub has_debt: bool,
}

/// The newcomer as written to `demo.json`: who to register as, and what to file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewcomerLogin {
    /// Full name as on the deed.
    pub name: String,
    /// Given name, for the registration form.
    pub first_name: String,
    /// Family name, for the registration form.
    pub last_name: String,
    /// National code.
    pub national_code: String,
    /// A mobile number for the registration form.
    pub mobile: String,
    /// Their parcel.
    pub renovation_code: String,
    /// A point inside it (WGS84), to pick it on the map.
    pub lat: f64,
    /// Longitude of that point.
    pub lon: f64,
    /// A valid request number for it.
    pub request_number: String,
    /// `full`.
    pub ownership_type: String,
    /// Whether the parcel owes levies.
    pub has_debt: bool,
}

/// `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DemoPeople {
    /// The clerk.
    pub clerk: StaffLogin,
    /// The notary office's user.
    pub authority: StaffLogin,
    /// The two citizens.
    pub citizens: Vec<CitizenLogin>,
    /// An owner with no account yet, when the demo city has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newcomer: Option<NewcomerLogin>,
}

/// What creating the demo needs from identity, property and fees.
#[async_trait]
pub trait DemoPorts: Send + Sync {
    /// Creates a clerk account (identity CreateStaffAccount, admin); returns the account's
    /// initial password.
    async fn create_clerk(&self, p: &PersonSpec) -> Result<String, ServiceError>;
    /// Registers an organization (identity CreateOrganization, admin); returns its id.
    async fn create_organization(&self, o: &OrgSpec) -> Result<String, ServiceError>;
    /// Creates an authority user (identity CreateAuthorityUser, admin); returns the
    /// initial password.
    async fn create_authority_user(
        &self,
        org_id: &str,
        p: &PersonSpec,
    ) -> Result<String, ServiceError>;
    /// Registers a citizen (identity RegisterCitizen, no token).
    async fn register_citizen(&self, c: &CitizenSpec) -> Result<(), ServiceError>;
    /// Creates a parcel (property UpsertParcel, clerk).
    async fn create_parcel(&self, parcel: ppb::Parcel) -> Result<(), ServiceError>;
    /// Issues a request number (property IssueRequestNumber, clerk).
    async fn issue_request_number(&self, renovation_code: &str) -> Result<String, ServiceError>;
    /// Charges unpaid levies to a parcel (fees AddAdjustment, clerk).
    async fn add_debt(&self, renovation_code: &str, rials: i64) -> Result<(), ServiceError>;
    /// The parcel with this code (property GetParcel, clerk), `None` when there is none.
    /// Without it no newcomer is chosen.
    async fn parcel(&self, _renovation_code: &str) -> Result<Option<ppb::Parcel>, ServiceError> {
        Ok(None)
    }
}

/// Reads `<data_dir>/demo.json`, or creates the demo people and writes it.
pub async fn ensure_demo_people(
    data_dir: &Path,
    ports: &dyn DemoPorts,
) -> anyhow::Result<DemoPeople> {
    let path = data_dir.join("demo.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(serde_json::from_str(&text)?);
    }
    let spec: PeopleSpec = serde_json::from_str(PEOPLE_JSON)?;
    let people = create_demo_people(&spec, ports).await?;
    std::fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join("demo.json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&people)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(people)
}

fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}")
}

/// Creates the people of `spec` through `ports`.
pub async fn create_demo_people(
    spec: &PeopleSpec,
    ports: &dyn DemoPorts,
) -> Result<DemoPeople, ServiceError> {
    let clerk_password = ports.create_clerk(&spec.clerk).await?;
    let org_id = ports.create_organization(&spec.organization).await?;
    let authority_password = ports
        .create_authority_user(&org_id, &spec.authority)
        .await?;
    let mut citizens = Vec::new();
    for c in &spec.citizens {
        ports.register_citizen(c).await?;
        ports.create_parcel(demo_parcel(c)).await?;
        let number = ports.issue_request_number(&c.renovation_code).await?;
        if c.has_debt && c.debt_rials > 0 {
            ports.add_debt(&c.renovation_code, c.debt_rials).await?;
        }
        citizens.push(CitizenLogin {
            name: full_name(&c.first_name, &c.last_name),
            national_code: c.national_code.clone(),
            password: c.password.clone(),
            renovation_code: c.renovation_code.clone(),
            request_number: number,
            ownership_type: "full".into(),
            has_debt: c.has_debt,
        });
    }
    let taken: Vec<&str> = [&spec.clerk.national_code, &spec.authority.national_code]
        .into_iter()
        .chain(spec.citizens.iter().map(|c| &c.national_code))
        .map(String::as_str)
        .collect();
    let newcomer = match &spec.newcomer {
        Some(n) => choose_newcomer(n, &taken, ports).await?,
        None => None,
    };
    Ok(DemoPeople {
        newcomer,
        clerk: StaffLogin {
            name: full_name(&spec.clerk.first_name, &spec.clerk.last_name),
            national_code: spec.clerk.national_code.clone(),
            password: clerk_password,
            organization_id: String::new(),
            organization: String::new(),
        },
        authority: StaffLogin {
            name: full_name(&spec.authority.first_name, &spec.authority.last_name),
            national_code: spec.authority.national_code.clone(),
            password: authority_password,
            organization_id: org_id,
            organization: spec.organization.name_fa.clone(),
        },
        citizens,
    })
}

/// Picks the newcomer's parcel among `spec`'s candidates, issues its request number and
/// charges its debt.
async fn choose_newcomer(
    spec: &NewcomerSpec,
    taken: &[&str],
    ports: &dyn DemoPorts,
) -> Result<Option<NewcomerLogin>, ServiceError> {
    for code in &spec.renovation_codes {
        let Some(parcel) = ports.parcel(code).await? else {
            continue;
        };
        let Some(owner) =
            sole_owner(&parcel).filter(|o| !taken.contains(&o.national_code.as_str()))
        else {
            continue;
        };
        let Some((first_name, last_name)) = owner.full_name.split_once(' ') else {
            continue;
        };
        let Some((lat, lon)) = inner_point(&parcel.geometry_geojson) else {
            continue;
        };
        let request_number = ports.issue_request_number(code).await?;
        if spec.debt_rials > 0 {
            ports.add_debt(code, spec.debt_rials).await?;
        }
        return Ok(Some(NewcomerLogin {
            name: owner.full_name.clone(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            national_code: owner.national_code.clone(),
            mobile: spec.mobile.clone(),
            renovation_code: parcel.renovation_code.clone(),
            lat,
            lon,
            request_number,
            ownership_type: "full".into(),
            has_debt: spec.debt_rials > 0,
        }));
    }
    Ok(None)
}

/// The one natural person owning all six dang of `parcel`, if that is its ownership.
fn sole_owner(parcel: &ppb::Parcel) -> Option<&ppb::Owner> {
    let own = parcel.ownership.as_ref()?;
    match own.owners.as_slice() {
        [owner]
            if own.ownership_type == ppb::OwnershipType::Full as i32
                && owner.kind == ppb::OwnerKind::NaturalPerson as i32 =>
        {
            Some(owner)
        }
        _ => None,
    }
}

/// The mean of a convex polygon's vertices, `(lat, lon)`: a point inside it.
fn inner_point(geojson: &str) -> Option<(f64, f64)> {
    let value: serde_json::Value = serde_json::from_str(geojson).ok()?;
    let ring = value.get("coordinates")?.get(0)?.as_array()?;
    // The closing vertex repeats the first.
    let open = &ring[..ring.len().checked_sub(1)?];
    if open.is_empty() {
        return None;
    }
    let (mut lat, mut lon) = (0.0, 0.0);
    for vertex in open {
        lon += vertex.get(0)?.as_f64()?;
        lat += vertex.get(1)?.as_f64()?;
    }
    let n = open.len() as f64;
    Some((lat / n, lon / n))
}

/// The parcel a demo citizen owns outright.
pub fn demo_parcel(c: &CitizenSpec) -> ppb::Parcel {
    let ring: Vec<String> = c
        .polygon
        .iter()
        .map(|[lon, lat]| format!("[{lon},{lat}]"))
        .collect();
    ppb::Parcel {
        renovation_code: c.renovation_code.clone(),
        registry_plate: Some(ppb::RegistryPlate {
            main: "9001".into(),
            sub: c.renovation_code.split('-').nth(3).unwrap_or("1").into(),
            section: "5".into(),
        }),
        address: format!("شاهین‌شهر، خیابان نمونه، پلاک {}", c.deed_number),
        land_use: ppb::LandUse::Residential as i32,
        land_area_dm2: 25_000,
        built_area_dm2: 40_000,
        floors: 2,
        land_value_rials_per_m2: 8_000_000,
        building_value_rials_per_m2: 5_000_000,
        geometry_geojson: format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
            ring.join(",")
        ),
        ownership: Some(ppb::Ownership {
            ownership_type: ppb::OwnershipType::Full as i32,
            deed_number: c.deed_number.clone(),
            owners: vec![ppb::Owner {
                kind: ppb::OwnerKind::NaturalPerson as i32,
                national_code: c.national_code.clone(),
                full_name: full_name(&c.first_name, &c.last_name),
                share: Some(cpb::DangShare {
                    numerator: 6,
                    denominator: 1,
                }),
                deed_number: String::new(),
            }],
        }),
        ..Default::default()
    }
}

/// [`DemoPorts`] over gRPC: identity with an admin token; property and fees with the
/// token of the clerk it creates (logged in with the initial password).
pub struct GrpcDemoPorts {
    identity: ipb::identity_service_client::IdentityServiceClient<Channel>,
    property: ppb::property_service_client::PropertyServiceClient<Channel>,
    fees: fpb::fee_service_client::FeeServiceClient<Channel>,
    admin_token: String,
    clerk: tokio::sync::Mutex<Option<(String, String)>>,
}

impl GrpcDemoPorts {
    /// Ports to the endpoints in `settings`, acting as the admin whose token is given.
    pub fn new(
        settings: &estelam_runtime::config::Settings,
        admin_token: String,
    ) -> anyhow::Result<Self> {
        let ch = |e: &str| estelam_runtime::grpc::channel(e, &settings.grpc);
        Ok(Self {
            identity: ipb::identity_service_client::IdentityServiceClient::new(ch(&settings
                .endpoints
                .identity)?),
            property: ppb::property_service_client::PropertyServiceClient::new(ch(&settings
                .endpoints
                .property)?),
            fees: fpb::fee_service_client::FeeServiceClient::new(ch(&settings.endpoints.fees)?),
            admin_token,
            clerk: tokio::sync::Mutex::new(None),
        })
    }

    async fn clerk_token(&self) -> Result<String, ServiceError> {
        let guard = self.clerk.lock().await;
        let (national_code, password) = guard.clone().ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("the demo clerk must be created first"))
        })?;
        drop(guard);
        let login = self
            .identity
            .clone()
            .login(outgoing(
                ipb::LoginRequest {
                    identifier: Some(ipb::login_request::Identifier::NationalCode(national_code)),
                    password,
                },
                None,
            ))
            .await
            .map_err(|s| crate::ports::dependency("identity", &s))?
            .into_inner();
        login
            .tokens
            .map(|t| t.access_token)
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("login returned no tokens")))
    }
}

fn dep(service: &str) -> impl Fn(tonic::Status) -> ServiceError + '_ {
    move |s| crate::ports::dependency(service, &s)
}

#[async_trait]
impl DemoPorts for GrpcDemoPorts {
    async fn create_clerk(&self, p: &PersonSpec) -> Result<String, ServiceError> {
        let r = self
            .identity
            .clone()
            .create_staff_account(outgoing(
                ipb::CreateStaffAccountRequest {
                    national_code: p.national_code.clone(),
                    first_name: p.first_name.clone(),
                    last_name: p.last_name.clone(),
                    mobile: p.mobile.clone(),
                    roles: vec![ipb::Role::Clerk as i32],
                },
                Some(&self.admin_token),
            ))
            .await
            .map_err(dep("identity"))?
            .into_inner();
        *self.clerk.lock().await = Some((p.national_code.clone(), r.initial_password.clone()));
        Ok(r.initial_password)
    }

    async fn create_organization(&self, o: &OrgSpec) -> Result<String, ServiceError> {
        let r = self
            .identity
            .clone()
            .create_organization(outgoing(
                ipb::CreateOrganizationRequest {
                    r#type: ipb::OrganizationType::NotaryOffice as i32,
                    name: Some(cpb::LocalizedText {
                        fa: o.name_fa.clone(),
                        en: o.name_en.clone(),
                    }),
                    registry_number: o.registry_number.clone(),
                    city: o.city.clone(),
                    address: o.address.clone(),
                    phone: o.phone.clone(),
                },
                Some(&self.admin_token),
            ))
            .await
            .map_err(dep("identity"))?
            .into_inner();
        r.organization
            .map(|o| o.organization_id)
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no organization returned")))
    }

    async fn create_authority_user(
        &self,
        org_id: &str,
        p: &PersonSpec,
    ) -> Result<String, ServiceError> {
        let r = self
            .identity
            .clone()
            .create_authority_user(outgoing(
                ipb::CreateAuthorityUserRequest {
                    organization_id: org_id.to_owned(),
                    national_code: p.national_code.clone(),
                    first_name: p.first_name.clone(),
                    last_name: p.last_name.clone(),
                    mobile: p.mobile.clone(),
                },
                Some(&self.admin_token),
            ))
            .await
            .map_err(dep("identity"))?
            .into_inner();
        Ok(r.initial_password)
    }

    async fn register_citizen(&self, c: &CitizenSpec) -> Result<(), ServiceError> {
        self.identity
            .clone()
            .register_citizen(outgoing(
                ipb::RegisterCitizenRequest {
                    national_code: c.national_code.clone(),
                    first_name: c.first_name.clone(),
                    last_name: c.last_name.clone(),
                    mobile: c.mobile.clone(),
                    password: c.password.clone(),
                },
                None,
            ))
            .await
            .map_err(dep("identity"))?;
        Ok(())
    }

    async fn create_parcel(&self, parcel: ppb::Parcel) -> Result<(), ServiceError> {
        let token = self.clerk_token().await?;
        self.property
            .clone()
            .upsert_parcel(outgoing(
                ppb::UpsertParcelRequest {
                    client_request_id: format!("demo-parcel-{}", parcel.renovation_code),
                    parcel: Some(parcel),
                    expected_version: 0,
                    reason: "demo data".into(),
                },
                Some(&token),
            ))
            .await
            .map_err(dep("property"))?;
        Ok(())
    }

    async fn issue_request_number(&self, renovation_code: &str) -> Result<String, ServiceError> {
        let token = self.clerk_token().await?;
        let r = self
            .property
            .clone()
            .issue_request_number(outgoing(
                ppb::IssueRequestNumberRequest {
                    renovation_code: renovation_code.to_owned(),
                    validity_days: 365,
                    note: "demo".into(),
                    client_request_id: format!("demo-request-number-{renovation_code}"),
                },
                Some(&token),
            ))
            .await
            .map_err(dep("property"))?
            .into_inner();
        r.request_number
            .map(|n| n.number)
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no request number returned")))
    }

    async fn parcel(&self, renovation_code: &str) -> Result<Option<ppb::Parcel>, ServiceError> {
        let token = self.clerk_token().await?;
        match self
            .property
            .clone()
            .get_parcel(outgoing(
                ppb::GetParcelRequest {
                    renovation_code: renovation_code.to_owned(),
                },
                Some(&token),
            ))
            .await
        {
            Ok(r) => Ok(r.into_inner().parcel),
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(dep("property")(s)),
        }
    }

    async fn add_debt(&self, renovation_code: &str, rials: i64) -> Result<(), ServiceError> {
        let token = self.clerk_token().await?;
        self.fees
            .clone()
            .add_adjustment(outgoing(
                fpb::AddAdjustmentRequest {
                    renovation_code: renovation_code.to_owned(),
                    amount_rials: rials,
                    jalali_year: 1402,
                    reason: "عوارض پرداخت‌نشدهٔ نمونه / demo unpaid levies".into(),
                    corrects_ledger_entry_id: String::new(),
                    client_request_id: format!("demo-debt-{renovation_code}"),
                },
                Some(&token),
            ))
            .await
            .map_err(dep("fees"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    #[async_trait]
    impl DemoPorts for Recorder {
        async fn create_clerk(&self, p: &PersonSpec) -> Result<String, ServiceError> {
            self.0
                .lock()
                .unwrap()
                .push(format!("clerk {}", p.national_code));
            Ok("clerk-pass".into())
        }
        async fn create_organization(&self, _o: &OrgSpec) -> Result<String, ServiceError> {
            Ok("org-1".into())
        }
        async fn create_authority_user(
            &self,
            org: &str,
            _p: &PersonSpec,
        ) -> Result<String, ServiceError> {
            self.0.lock().unwrap().push(format!("authority {org}"));
            Ok("auth-pass".into())
        }
        async fn register_citizen(&self, c: &CitizenSpec) -> Result<(), ServiceError> {
            self.0
                .lock()
                .unwrap()
                .push(format!("citizen {}", c.national_code));
            Ok(())
        }
        async fn create_parcel(&self, p: ppb::Parcel) -> Result<(), ServiceError> {
            self.0
                .lock()
                .unwrap()
                .push(format!("parcel {}", p.renovation_code));
            Ok(())
        }
        async fn issue_request_number(&self, code: &str) -> Result<String, ServiceError> {
            Ok(format!("rn-{code}"))
        }
        async fn add_debt(&self, code: &str, rials: i64) -> Result<(), ServiceError> {
            self.0.lock().unwrap().push(format!("debt {code} {rials}"));
            Ok(())
        }
    }

    #[tokio::test]
    async fn demo_people_are_created_once_and_written_in_the_documented_shape() {
        let dir = tempfile::tempdir().unwrap();
        let ports = Recorder::default();
        let people = ensure_demo_people(dir.path(), &ports).await.unwrap();
        assert_eq!(people.citizens.len(), 2);
        assert_eq!(people.citizens.iter().filter(|c| c.has_debt).count(), 1);
        let calls = ports.0.lock().unwrap().clone();
        assert!(calls.contains(&"debt 9-1-1-2-0-0 12500000".to_owned()));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("demo.json")).unwrap())
                .unwrap();
        let citizen = &json["citizens"][0];
        for key in [
            "name",
            "national_code",
            "password",
            "renovation_code",
            "request_number",
            "ownership_type",
            "has_debt",
        ] {
            assert!(citizen.get(key).is_some(), "{key} missing");
        }
        assert!(json["clerk"]["password"].is_string() && json["authority"]["password"].is_string());
        // A second start creates nothing.
        let again = Recorder::default();
        assert_eq!(
            ensure_demo_people(dir.path(), &again).await.unwrap(),
            people
        );
        assert!(again.0.lock().unwrap().is_empty());
    }

    #[test]
    fn demo_national_codes_are_valid() {
        let spec: PeopleSpec = serde_json::from_str(PEOPLE_JSON).unwrap();
        for nc in [&spec.clerk.national_code, &spec.authority.national_code]
            .into_iter()
            .chain(spec.citizens.iter().map(|c| &c.national_code))
        {
            estelam_domain::NationalCode::parse(nc).unwrap();
        }
        for c in &spec.citizens {
            estelam_domain::RenovationCode::parse(&c.renovation_code).unwrap();
        }
    }
}
