//! Who asks and who is charged (issue 16): the two ways a caller could make the
//! municipality sign or bill in someone else's name, kept fixed.
//!
//! * **Impersonation**: a citizen fills in another person (a demo owner) as the applicant,
//!   with the owner's parcel, request number, name and national code; the gateway answers
//!   403 `APPLICANT_NOT_CALLER` and the inquiry stays where it was.
//! * **Billing**: a notary office's user names another office as the inquiring authority
//!   (whose account would pay the fee); refused `AUTHORITY_NOT_OWN_ORGANIZATION` over gRPC.

use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use reqwest::StatusCode;
use tonic::Code;

use crate::rules::Who::{Admin, Authority, OtherCitizen};
use crate::support::nine_steps::grpc::{self, Once};
use crate::support::nine_steps::http::{Applicant, Filing};
use crate::support::nine_steps::key;
use crate::world::{World, channel};

/// The other citizen (a demo owner of their own parcel) names the first demo citizen on the
/// first citizen's parcel.
pub async fn a_citizen_cannot_file_as_someone_else(w: &World) {
    let label = w.label;
    let owner = &w.people.citizens[0];
    let token = w.token(OtherCitizen).expect("the other citizen's token");
    let a = Applicant::new(&w.system.gateway_url, token);
    let mut f = Filing::up_to_applicant(
        &a,
        "property-transfer",
        &owner.renovation_code,
        &owner.request_number,
        &w.people.authority.organization_id,
    )
    .await;
    let before = f.inquiry["version"].clone();
    let reply = f
        .applicant(&owner.name, &owner.national_code, &owner.ownership_type)
        .await
        .expect_err("naming another person is refused");
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {reply}");
    assert_eq!(
        reply.body["reason"], "APPLICANT_NOT_CALLER",
        "{label}: {reply}"
    );
    let now = a.get(&f.path("")).await.success().expect("read back");
    assert_eq!(now["version"], before, "{label}: nothing changed: {now}");
    assert!(now["applicant"].is_null(), "{label}: {now}");
}

/// The demo notary office files for a consenting citizen and names an office the admin
/// registered; the letter step refuses it.
pub async fn an_office_cannot_charge_another_office(w: &World) {
    let label = w.label;
    let mut identity = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &w.settings.endpoints.identity,
        &w.settings,
    ));
    let other = identity
        .create_organization(outgoing(
            ipb::CreateOrganizationRequest {
                r#type: ipb::OrganizationType::NotaryOffice as i32,
                name: Some(estelam_proto::common::v1::LocalizedText {
                    fa: "دفتر دیگر".into(),
                    en: "Another office".into(),
                }),
                registry_number: "4321".into(),
                city: "اصفهان".into(),
                address: "خیابان دیگر".into(),
                phone: "03131234568".into(),
            },
            w.token(Admin),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: another office: {e}"))
        .into_inner()
        .organization
        .expect("the office")
        .organization_id;
    let national = "0012345717";
    let membership = identity
        .register_citizen(ipb::RegisterCitizenRequest {
            national_code: national.into(),
            first_name: "زهرا".into(),
            last_name: "کریمی".into(),
            mobile: "09127654329".into(),
            password: "a consenting citizen's passphrase".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{label}: the citizen registers: {e}"))
        .into_inner()
        .membership_code;

    let office = w.token(Authority).expect("the office user's token");
    let mut inquiry = pb::inquiry_service_client::InquiryServiceClient::new(channel(
        &w.settings.endpoints.inquiry,
        &w.settings,
    ));
    let inq = inquiry
        .file_inquiry_on_behalf(outgoing(
            pb::FileInquiryOnBehalfRequest {
                request_type_code: "court".into(),
                applicant_national_code: national.into(),
                applicant_membership_code: membership,
                client_request_id: key(),
            },
            Some(office),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the office files: {e}"))
        .into_inner()
        .inquiry
        .expect("inquiry");
    let rt = grpc::request_type(&Once, &inquiry, office, "court")
        .await
        .expect("the request type");
    let mut filing = grpc::Filing::resume(&Once, &inquiry, office, &rt, inq)
        .await
        .unwrap_or_else(|e| panic!("{label}: undertakings: {e}"));
    let parcel = &w.people.citizens[0];
    filing
        .property(&parcel.renovation_code, &parcel.request_number)
        .await
        .unwrap_or_else(|e| panic!("{label}: property: {e}"));
    let refused = filing
        .letter(&grpc::Letter::from_authority(&other))
        .await
        .expect_err("naming another office is refused");
    assert_eq!(refused.code(), Code::PermissionDenied, "{label}: {refused}");
    assert_eq!(
        ServiceError::from_status(&refused).reason,
        "AUTHORITY_NOT_OWN_ORGANIZATION",
        "{label}"
    );
}
