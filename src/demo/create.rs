//! Creating the demo people, once per data directory, through [`DemoPorts`]: the other
//! services' public APIs in the running system, or a recorder in the tests below.

use std::path::Path;

use async_trait::async_trait;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::ServiceError;

use super::parcels::{demo_parcel, full_name, inner_point, sole_owner};
use super::people::{CitizenLogin, DemoPeople, NewcomerLogin, OfficeClient, StaffLogin};
use super::spec::{CitizenSpec, NewcomerSpec, OrgSpec, PeopleSpec, PersonSpec};

/// What creating the demo needs from identity, property and fees. A trait so that the
/// order of the calls and the written file can be tested without a running system.
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
    /// Logs in as the staff member `national_code` with the one-time password `initial` and
    /// changes it to `chosen` (identity ChangePassword), as the person would at their first
    /// login: until then the account may do nothing else.
    async fn change_initial_password(
        &self,
        national_code: &str,
        initial: &str,
        chosen: &str,
    ) -> Result<(), ServiceError>;
    /// Registers a citizen (identity RegisterCitizen, no token); returns their membership
    /// code.
    async fn register_citizen(&self, c: &CitizenSpec) -> Result<String, ServiceError>;
    /// Registers an API client for the organisation (identity CreateOrganizationClient,
    /// admin); returns its client id and secret.
    async fn create_organization_client(
        &self,
        org_id: &str,
    ) -> Result<(String, String), ServiceError>;
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

/// Reads `<data_dir>/demo.json`, or creates the compiled-in people and writes it. The file
/// is what makes a second start create nobody, so it is written whole (through a temporary
/// file and a rename) or not at all.
pub async fn ensure_demo_people(
    data_dir: &Path,
    ports: &dyn DemoPorts,
) -> anyhow::Result<DemoPeople> {
    let path = data_dir.join("demo.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(serde_json::from_str(&text)?);
    }
    let spec = PeopleSpec::compiled_in()?;
    let people = create_people(&spec, ports).await?;
    // The demo people's passwords are in it: private to the owner, like every secret file.
    estelam_runtime::key_seal::private_dir(data_dir)?;
    estelam_runtime::key_seal::replace_private(
        &path,
        serde_json::to_string_pretty(&people)?.as_bytes(),
    )?;
    Ok(people)
}

/// Creates the people of `spec` through `ports`, staff first: the clerk's login is what
/// property and fees accept for the parcels, request numbers and debts that follow.
pub async fn create_people(
    spec: &PeopleSpec,
    ports: &dyn DemoPorts,
) -> Result<DemoPeople, ServiceError> {
    let clerk_initial = ports.create_clerk(&spec.clerk).await?;
    let clerk_password = first_login(ports, &spec.clerk, &clerk_initial).await?;
    let org_id = ports.create_organization(&spec.organization).await?;
    let authority_initial = ports
        .create_authority_user(&org_id, &spec.authority)
        .await?;
    let authority_password = first_login(ports, &spec.authority, &authority_initial).await?;
    let (client_id, client_secret) = ports.create_organization_client(&org_id).await?;
    let mut citizens = Vec::new();
    for c in &spec.citizens {
        let membership_code = ports.register_citizen(c).await?;
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
            membership_code,
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
        office_client: Some(OfficeClient {
            client_id,
            client_secret,
            organization_id: org_id.clone(),
        }),
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

/// The staff member's first login: the one-time password identity chose is changed to a
/// new random one (which the demo prints), so the demo login works at once.
async fn first_login(
    ports: &dyn DemoPorts,
    person: &PersonSpec,
    initial: &str,
) -> Result<String, ServiceError> {
    let chosen = estelam_identity::password::generate();
    ports
        .change_initial_password(&person.national_code, initial, &chosen)
        .await?;
    Ok(chosen)
}

/// Picks the newcomer's parcel among `spec`'s candidates, issues its request number and
/// charges its debt. A candidate is skipped, not refused, when the city has no such lot or
/// its owner would not do, so a different city generator still gets a newcomer.
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
            address: parcel.address.clone(),
            lat,
            lon,
            request_number,
            ownership_type: "full".into(),
            has_debt: spec.debt_rials > 0,
        }));
    }
    Ok(None)
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
        async fn change_initial_password(
            &self,
            national_code: &str,
            initial: &str,
            chosen: &str,
        ) -> Result<(), ServiceError> {
            assert_ne!(initial, chosen);
            self.0
                .lock()
                .unwrap()
                .push(format!("first login {national_code}"));
            Ok(())
        }
        async fn register_citizen(&self, c: &CitizenSpec) -> Result<String, ServiceError> {
            self.0
                .lock()
                .unwrap()
                .push(format!("citizen {}", c.national_code));
            Ok(format!("m-{}", c.national_code))
        }
        async fn create_organization_client(
            &self,
            org: &str,
        ) -> Result<(String, String), ServiceError> {
            self.0.lock().unwrap().push(format!("client {org}"));
            Ok(("desk-1".into(), "desk-secret".into()))
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
            "membership_code",
        ] {
            assert!(citizen.get(key).is_some(), "{key} missing");
        }
        assert!(json["clerk"]["password"].is_string() && json["authority"]["password"].is_string());
        // An integrator's software files on behalf with the office's client and a code.
        assert_eq!(
            json["citizens"][0]["membership_code"],
            format!("m-{}", people.citizens[0].national_code)
        );
        assert_eq!(json["office_client"]["client_id"], "desk-1");
        assert_eq!(json["office_client"]["client_secret"], "desk-secret");
        assert_eq!(json["office_client"]["organization_id"], "org-1");
        // The staff's one-time passwords were changed at once, so the written ones work.
        assert!(calls.iter().any(|c| c.starts_with("first login ")));
        assert_ne!(json["clerk"]["password"], "clerk-pass");
        assert_ne!(json["authority"]["password"], "auth-pass");
        // A second start creates nothing.
        let again = Recorder::default();
        assert_eq!(
            ensure_demo_people(dir.path(), &again).await.unwrap(),
            people
        );
        assert!(again.0.lock().unwrap().is_empty());
    }
}
