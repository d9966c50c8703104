//! [`DemoPorts`] over gRPC, as any client of the running system would make the calls: the
//! demo goes through the same checks a municipality's staff do.

use async_trait::async_trait;
use estelam_proto::common::v1 as cpb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::grpc::outgoing;
use tonic::transport::Channel;

use super::create::DemoPorts;
use super::spec::{CitizenSpec, OrgSpec, PersonSpec};

/// Identity is called with an admin's token; property and fees with the token of the clerk
/// this creates (logged in with the password the demo set at the clerk's first login), because creating parcels and debts
/// is clerks' work, which admins are not given.
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
            .map_err(refused_by("identity"))?
            .into_inner();
        login
            .tokens
            .map(|t| t.access_token)
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("login returned no tokens")))
    }
}

/// A service's refusal as the demo reports it. A refused token means the launcher's own
/// set-up is wrong (the admin's or the clerk's login), which nobody reading the message
/// could fix by changing their input, so it becomes an internal error that names the service.
fn refused_by(service: &'static str) -> impl Fn(tonic::Status) -> ServiceError {
    move |status| {
        let err = ServiceError::from_status(&status);
        match err.code {
            ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => ServiceError::internal(
                anyhow::anyhow!("{service} refused the demo's call: {status}"),
            ),
            _ => err,
        }
    }
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
            .map_err(refused_by("identity"))?
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
            .map_err(refused_by("identity"))?
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
            .map_err(refused_by("identity"))?
            .into_inner();
        Ok(r.initial_password)
    }

    async fn change_initial_password(
        &self,
        national_code: &str,
        initial: &str,
        chosen: &str,
    ) -> Result<(), ServiceError> {
        let mut identity = self.identity.clone();
        let login = identity
            .login(outgoing(
                ipb::LoginRequest {
                    identifier: Some(ipb::login_request::Identifier::NationalCode(
                        national_code.to_owned(),
                    )),
                    password: initial.to_owned(),
                },
                None,
            ))
            .await
            .map_err(refused_by("identity"))?
            .into_inner();
        let token = login
            .tokens
            .map(|t| t.access_token)
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("login returned no tokens")))?;
        identity
            .change_password(outgoing(
                ipb::ChangePasswordRequest {
                    current_password: initial.to_owned(),
                    new_password: chosen.to_owned(),
                },
                Some(&token),
            ))
            .await
            .map_err(refused_by("identity"))?;
        let mut clerk = self.clerk.lock().await;
        if let Some((code, password)) = clerk.as_mut()
            && code.as_str() == national_code
        {
            *password = chosen.to_owned();
        }
        Ok(())
    }

    async fn register_citizen(&self, c: &CitizenSpec) -> Result<String, ServiceError> {
        let r = self
            .identity
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
            .map_err(refused_by("identity"))?
            .into_inner();
        Ok(r.membership_code)
    }

    async fn create_organization_client(
        &self,
        org_id: &str,
    ) -> Result<(String, String), ServiceError> {
        let r = self
            .identity
            .clone()
            .create_organization_client(outgoing(
                ipb::CreateOrganizationClientRequest {
                    organization_id: org_id.to_owned(),
                    name: "demo-notary-desk".into(),
                    description: "The demo notary office's software".into(),
                },
                Some(&self.admin_token),
            ))
            .await
            .map_err(refused_by("identity"))?
            .into_inner();
        Ok((r.client_id, r.client_secret))
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
            .map_err(refused_by("property"))?;
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
            .map_err(refused_by("property"))?
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
            Err(s) => Err(refused_by("property")(s)),
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
                    kind: fpb::AdjustmentKind::Correction.into(),
                },
                Some(&token),
            ))
            .await
            .map_err(refused_by("fees"))?;
        Ok(())
    }
}
