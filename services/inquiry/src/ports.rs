//! The inquiry service's seams to the services it depends on.
//!
//! One trait per dependency, with only the calls the engine makes, so the engine depends on
//! what it uses rather than on whole generated clients, and [`crate::build_with`] can be
//! given other implementations. Each trait has a gRPC implementation over the generated
//! tonic client, authenticating with a service-account token from a [`BearerSource`]; the
//! tests serve scripted fake services over real gRPC behind these same implementations.
//!
//! Calls and roles (the other services must grant these to the `service` role):
//!
//! | port | RPC | when |
//! |---|---|---|
//! | property | `GetParcel` | step 4 (by code), Submit (the parcel snapshot in the answer) |
//! | property | `PickAt` | step 4 (by a map point) |
//! | property | `VerifyRequestNumber` | step 4, for types that check the request number |
//! | property | `CheckApplicant` | step 6, for types that check ownership |
//! | property | `MarkRequestNumberUsed` | Submit (idempotent per inquiry id) |
//! | documents | `GetDocumentInfo` | step 5b (owner and kind of each document) |
//! | fees | `Assess` | Submit (idempotent: `client_request_id = inquiry:<id>:v<version>`) |
//! | fees | `ListTariffs` | PutRequestType of an active type (is there a tariff this year for each fee item?) |
//! | fees | `ChargeAccount` | Submit, for types whose inquiry fee goes on the authority's account (once per inquiry) |
//! | fees | `GetBill` | GetBill, a retried Submit (the bill as it is now), and the recovery sweep (was a waiting bill paid?) |
//! | fees | `StartPayment` | StartPayment (idempotent per key derived from the inquiry) |
//! | fees | `FileDispute` | DisputeBill, for the applicant (idempotent: the same lines are the same dispute) |
//! | identity | `GetOrganization` | step 5a (the inquiring authority) |
//! | identity | `VerifyMembershipCode` | FileInquiryOnBehalf (the citizen's consent) |
//! | identity | `GetContact` | DecideReview (the clerk's name on the timeline) |

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::common::v1::GeoPoint;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::documents::v1::document_service_client::DocumentServiceClient;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::fees::v1::fee_service_client::FeeServiceClient;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_proto::property::v1 as ppb;
use estelam_proto::property::v1::property_service_client::PropertyServiceClient;
use estelam_runtime::config::Settings;
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::grpc::{channel, outgoing, retry_idempotent};
use tonic::transport::Channel;

pub use estelam_runtime::auth::{BearerSource, StaticBearer};

/// Property and GIS, as the engine uses it.
#[async_trait]
pub trait PropertyPort: Send + Sync {
    /// The parcel with this renovation code; `None` when there is none.
    async fn get_parcel(&self, renovation_code: &str) -> Result<Option<ppb::Parcel>, ServiceError>;
    /// The parcel containing a point; `None` when no parcel does.
    async fn pick_at(&self, point: GeoPoint) -> Result<Option<ppb::Parcel>, ServiceError>;
    /// Checks a request number against a parcel.
    async fn verify_request_number(
        &self,
        renovation_code: &str,
        number: &str,
    ) -> Result<ppb::VerifyRequestNumberResponse, ServiceError>;
    /// Marks a request number used by an inquiry (idempotent per inquiry).
    async fn mark_request_number_used(
        &self,
        renovation_code: &str,
        number: &str,
        inquiry_id: &str,
    ) -> Result<(), ServiceError>;
    /// Checks an applicant against the parcel's owners.
    async fn check_applicant(
        &self,
        request: ppb::CheckApplicantRequest,
    ) -> Result<ppb::CheckApplicantResponse, ServiceError>;
}

/// The document store, as the engine uses it.
#[async_trait]
pub trait DocumentsPort: Send + Sync {
    /// A document's metadata; `None` when it does not exist (or may not be seen).
    async fn get_document_info(
        &self,
        document_id: &str,
    ) -> Result<Option<dpb::Document>, ServiceError>;
    /// The active document kinds (the documents service owns them as data).
    async fn document_kinds(&self) -> Result<Vec<dpb::DocumentKindInfo>, ServiceError>;
}

/// Fees and debt, as the engine uses it.
#[async_trait]
pub trait FeesPort: Send + Sync {
    /// Assesses a parcel's bill for an inquiry.
    async fn assess(
        &self,
        request: fpb::AssessRequest,
    ) -> Result<fpb::AssessResponse, ServiceError>;
    /// A bill as fees has it now (open, paid, …).
    async fn get_bill(&self, bill_id: &str) -> Result<fpb::Bill, ServiceError>;
    /// Starts paying a bill; the request's idempotency key makes a retry resume the same
    /// payment.
    async fn start_payment(
        &self,
        request: fpb::StartPaymentRequest,
    ) -> Result<fpb::Payment, ServiceError>;
    /// Files an objection to lines of a bill for an inquiry's applicant (the same lines
    /// again return the same dispute).
    async fn file_dispute(
        &self,
        request: fpb::FileDisputeRequest,
    ) -> Result<fpb::Dispute, ServiceError>;
    /// Charges an inquiry fee to an authority's account, once per inquiry.
    async fn charge_account(
        &self,
        request: fpb::ChargeAccountRequest,
    ) -> Result<fpb::AccountCharge, ServiceError>;
    /// Reverses the charge taken for an inquiry, if any (once; asking again is harmless).
    async fn reverse_account_charge(&self, inquiry_id: &str) -> Result<(), ServiceError>;
    /// The tariffs published for a Jalali year (the current version of each land use and
    /// zone), every page.
    async fn tariffs_of_year(&self, jalali_year: i32) -> Result<Vec<fpb::Tariff>, ServiceError>;
}

/// Identity, as the engine uses it.
#[async_trait]
pub trait IdentityPort: Send + Sync {
    /// An organization; `None` when unknown.
    async fn get_organization(
        &self,
        organization_id: &str,
    ) -> Result<Option<ipb::Organization>, ServiceError>;
    /// Whether a national code and membership code belong to one active citizen, asked for
    /// `organization_id`: identity counts wrong codes per (organisation, citizen).
    async fn verify_membership_code(
        &self,
        organization_id: &str,
        national_code: &str,
        membership_code: &str,
    ) -> Result<ipb::VerifyMembershipCodeResponse, ServiceError>;
    /// The name to show for an account (a clerk's, on the timeline of what they decided);
    /// `None` when identity does not know it. Implementations that cannot ask say `None`.
    async fn display_name(&self, _account_id: &str) -> Result<Option<String>, ServiceError> {
        Ok(None)
    }
}

/// Every dependency of the engine, one port each.
#[derive(Clone)]
pub struct Ports {
    /// Parcels, owners, the map and request numbers.
    pub property: Arc<dyn PropertyPort>,
    /// The applicant's uploaded documents.
    pub documents: Arc<dyn DocumentsPort>,
    /// Bills, payments and authority accounts.
    pub fees: Arc<dyn FeesPort>,
    /// Organisations and citizens' consent.
    pub identity: Arc<dyn IdentityPort>,
}

impl Ports {
    /// gRPC ports to the endpoints in `settings`, authenticating with `bearer`.
    pub fn grpc(settings: &Settings, bearer: Arc<dyn BearerSource>) -> anyhow::Result<Self> {
        let ch = |s: &str| channel(s, &settings.grpc);
        Ok(Self {
            property: Arc::new(GrpcProperty {
                client: PropertyServiceClient::new(ch(&settings.endpoints.property)?),
                bearer: bearer.clone(),
            }),
            documents: Arc::new(GrpcDocuments {
                client: DocumentServiceClient::new(ch(&settings.endpoints.documents)?),
                bearer: bearer.clone(),
            }),
            fees: Arc::new(GrpcFees {
                client: FeeServiceClient::new(ch(&settings.endpoints.fees)?),
                bearer: bearer.clone(),
            }),
            identity: Arc::new(GrpcIdentity {
                client: IdentityServiceClient::new(ch(&settings.endpoints.identity)?),
                bearer,
            }),
        })
    }
}

/// A failure of a dependency as the inquiry's caller should see it: the dependency's own
/// Estelam error (reason and both messages) passes through; a transport failure becomes
/// "temporarily unavailable"; the dependency refusing *us* (a missing grant) is our
/// internal problem, never the caller's.
pub fn dependency(service: &str, status: &tonic::Status) -> ServiceError {
    let err = ServiceError::from_status(status);
    match err.code {
        ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => ServiceError::internal(
            anyhow::anyhow!("{service} refused the inquiry service's call: {status}"),
        ),
        _ => err,
    }
}

fn not_found_is_none<T>(
    service: &str,
    result: Result<tonic::Response<T>, tonic::Status>,
) -> Result<Option<T>, ServiceError> {
    match result {
        Ok(r) => Ok(Some(r.into_inner())),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(dependency(service, &s)),
    }
}

struct GrpcProperty {
    client: PropertyServiceClient<Channel>,
    bearer: Arc<dyn BearerSource>,
}

#[async_trait]
impl PropertyPort for GrpcProperty {
    async fn get_parcel(&self, renovation_code: &str) -> Result<Option<ppb::Parcel>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                ppb::GetParcelRequest {
                    renovation_code: renovation_code.to_owned(),
                },
                Some(&token),
            );
            async move { c.get_parcel(req).await }
        })
        .await;
        Ok(not_found_is_none("property", result)?.and_then(|r| r.parcel))
    }

    async fn pick_at(&self, point: GeoPoint) -> Result<Option<ppb::Parcel>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(ppb::PickAtRequest { point: Some(point) }, Some(&token));
            async move { c.pick_at(req).await }
        })
        .await;
        Ok(not_found_is_none("property", result)?.and_then(|r| r.parcel))
    }

    async fn verify_request_number(
        &self,
        renovation_code: &str,
        number: &str,
    ) -> Result<ppb::VerifyRequestNumberResponse, ServiceError> {
        let token = self.bearer.bearer().await?;
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                ppb::VerifyRequestNumberRequest {
                    renovation_code: renovation_code.to_owned(),
                    number: number.to_owned(),
                },
                Some(&token),
            );
            async move { c.verify_request_number(req).await }
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| dependency("property", &s))
    }

    async fn mark_request_number_used(
        &self,
        renovation_code: &str,
        number: &str,
        inquiry_id: &str,
    ) -> Result<(), ServiceError> {
        let token = self.bearer.bearer().await?;
        // Idempotent per inquiry id (the contract says so), hence safe to retry.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                ppb::MarkRequestNumberUsedRequest {
                    renovation_code: renovation_code.to_owned(),
                    number: number.to_owned(),
                    inquiry_id: inquiry_id.to_owned(),
                },
                Some(&token),
            );
            async move { c.mark_request_number_used(req).await }
        })
        .await
        .map(|_| ())
        .map_err(|s| dependency("property", &s))
    }

    async fn check_applicant(
        &self,
        request: ppb::CheckApplicantRequest,
    ) -> Result<ppb::CheckApplicantResponse, ServiceError> {
        let token = self.bearer.bearer().await?;
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(request.clone(), Some(&token));
            async move { c.check_applicant(req).await }
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| dependency("property", &s))
    }
}

struct GrpcDocuments {
    client: DocumentServiceClient<Channel>,
    bearer: Arc<dyn BearerSource>,
}

#[async_trait]
impl DocumentsPort for GrpcDocuments {
    async fn get_document_info(
        &self,
        document_id: &str,
    ) -> Result<Option<dpb::Document>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                dpb::GetDocumentInfoRequest {
                    document_id: document_id.to_owned(),
                },
                Some(&token),
            );
            async move { c.get_document_info(req).await }
        })
        .await;
        Ok(not_found_is_none("documents", result)?.and_then(|r| r.document))
    }

    async fn document_kinds(&self) -> Result<Vec<dpb::DocumentKindInfo>, ServiceError> {
        let token = self.bearer.bearer().await?;
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                dpb::ListDocumentKindsRequest {
                    include_inactive: false,
                },
                Some(&token),
            );
            async move { c.list_document_kinds(req).await }
        })
        .await
        .map(|r| r.into_inner().kinds)
        .map_err(|s| dependency("documents", &s))
    }
}

struct GrpcFees {
    client: FeeServiceClient<Channel>,
    bearer: Arc<dyn BearerSource>,
}

#[async_trait]
impl FeesPort for GrpcFees {
    async fn assess(
        &self,
        request: fpb::AssessRequest,
    ) -> Result<fpb::AssessResponse, ServiceError> {
        let token = self.bearer.bearer().await?;
        // Carries a client_request_id, so a retry returns the same bill.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(request.clone(), Some(&token));
            async move { c.assess(req).await }
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| dependency("fees", &s))
    }

    async fn get_bill(&self, bill_id: &str) -> Result<fpb::Bill, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                fpb::GetBillRequest {
                    bill_id: bill_id.to_owned(),
                },
                Some(&token),
            );
            async move { c.get_bill(req).await }
        })
        .await;
        result
            .map_err(|s| dependency("fees", &s))?
            .into_inner()
            .bill
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("fees returned no bill")))
    }

    async fn start_payment(
        &self,
        request: fpb::StartPaymentRequest,
    ) -> Result<fpb::Payment, ServiceError> {
        let token = self.bearer.bearer().await?;
        // Carries an idempotency key, so a retry returns the same payment.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(request.clone(), Some(&token));
            async move { c.start_payment(req).await }
        })
        .await
        .map_err(|s| dependency("fees", &s))?
        .into_inner()
        .payment
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("fees returned no payment")))
    }

    async fn file_dispute(
        &self,
        request: fpb::FileDisputeRequest,
    ) -> Result<fpb::Dispute, ServiceError> {
        let token = self.bearer.bearer().await?;
        // The same lines again are the same dispute, so a retry files nothing twice.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(request.clone(), Some(&token));
            async move { c.file_dispute(req).await }
        })
        .await
        .map_err(|s| dependency("fees", &s))?
        .into_inner()
        .dispute
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("fees returned no dispute")))
    }

    async fn charge_account(
        &self,
        request: fpb::ChargeAccountRequest,
    ) -> Result<fpb::AccountCharge, ServiceError> {
        let token = self.bearer.bearer().await?;
        // One charge per inquiry id: a retry returns the first charge.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(request.clone(), Some(&token));
            async move { c.charge_account(req).await }
        })
        .await
        .map_err(|s| dependency("fees", &s))?
        .into_inner()
        .charge
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("fees returned no charge")))
    }

    async fn reverse_account_charge(&self, inquiry_id: &str) -> Result<(), ServiceError> {
        let token = self.bearer.bearer().await?;
        // Reversing is idempotent in fees: a retry finds the charge reversed already.
        retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                fpb::ReverseAccountChargeRequest {
                    inquiry_id: inquiry_id.to_owned(),
                },
                Some(&token),
            );
            async move { c.reverse_account_charge(req).await }
        })
        .await
        .map_err(|s| dependency("fees", &s))?;
        Ok(())
    }

    async fn tariffs_of_year(&self, jalali_year: i32) -> Result<Vec<fpb::Tariff>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let mut tariffs = Vec::new();
        let mut page_token = String::new();
        // A year has one current version per land use and zone: a handful of pages at most,
        // bounded so that a misbehaving peer cannot keep the publisher waiting for ever.
        for _ in 0..64 {
            let page = retry_idempotent(|| {
                let mut c = self.client.clone();
                let req = outgoing(
                    fpb::ListTariffsRequest {
                        jalali_year,
                        page_size: 100,
                        page_token: page_token.clone(),
                        ..Default::default()
                    },
                    Some(&token),
                );
                async move { c.list_tariffs(req).await }
            })
            .await
            .map_err(|s| dependency("fees", &s))?
            .into_inner();
            tariffs.extend(page.tariffs);
            if page.next_page_token.is_empty() {
                return Ok(tariffs);
            }
            page_token = page.next_page_token;
        }
        Ok(tariffs)
    }
}

struct GrpcIdentity {
    client: IdentityServiceClient<Channel>,
    bearer: Arc<dyn BearerSource>,
}

#[async_trait]
impl IdentityPort for GrpcIdentity {
    async fn get_organization(
        &self,
        organization_id: &str,
    ) -> Result<Option<ipb::Organization>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                ipb::GetOrganizationRequest {
                    organization_id: organization_id.to_owned(),
                },
                Some(&token),
            );
            async move { c.get_organization(req).await }
        })
        .await;
        Ok(not_found_is_none("identity", result)?.and_then(|r| r.organization))
    }

    async fn verify_membership_code(
        &self,
        organization_id: &str,
        national_code: &str,
        membership_code: &str,
    ) -> Result<ipb::VerifyMembershipCodeResponse, ServiceError> {
        let token = self.bearer.bearer().await?;
        // Throttled like a login: no retries, one attempt per consent check.
        let mut c = self.client.clone();
        c.verify_membership_code(outgoing(
            ipb::VerifyMembershipCodeRequest {
                national_code: national_code.to_owned(),
                membership_code: membership_code.to_owned(),
                organization_id: organization_id.to_owned(),
            },
            Some(&token),
        ))
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| dependency("identity", &s))
    }

    async fn display_name(&self, account_id: &str) -> Result<Option<String>, ServiceError> {
        let token = self.bearer.bearer().await?;
        let result = retry_idempotent(|| {
            let mut c = self.client.clone();
            let req = outgoing(
                ipb::GetContactRequest {
                    account_id: account_id.to_owned(),
                    ..Default::default()
                },
                Some(&token),
            );
            async move { c.get_contact(req).await }
        })
        .await;
        Ok(not_found_is_none("identity", result)?
            .map(|r| r.display_name)
            .filter(|n| !n.trim().is_empty()))
    }
}
