//! Who asks and who is charged (issue 16): the two ways a caller could make the
//! municipality sign or bill in someone else's name, kept fixed.
//!
//! * **Impersonation**: a citizen fills in another person (a demo owner) as the applicant,
//!   with the owner's parcel, request number, name and national code; the gateway answers
//!   403 `APPLICANT_NOT_CALLER` and the inquiry stays where it was.
//! * **Billing**: a notary office's user names another office as the inquiring authority
//!   (whose account would pay the fee); refused `AUTHORITY_NOT_OWN_ORGANIZATION` over gRPC.
//!   A citizen who names the office in their own inquiry's letter does not charge it: the
//!   inquiry fee is on the citizen's bill, the office's account is untouched, and the office
//!   (only that one) may read the inquiry.

use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use reqwest::StatusCode;
use tonic::Code;

use crate::rules::Who::{Admin, Authority, Clerk, OtherCitizen};
use crate::support::nine_steps::grpc::{self, Once};
use crate::support::nine_steps::http::{Applicant, Filing};
use crate::support::nine_steps::key;
use crate::world::{World, channel};
use estelam_proto::fees::v1 as fpb;
use estelam_proto::property::v1 as ppb;

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

/// The other citizen files a property transfer on their own parcel naming the demo notary
/// office in the letter; the office is not charged, the citizen's bill carries the fee, and
/// an office the letter does not name sees no such inquiry.
pub async fn a_citizen_cannot_charge_an_office(w: &World) {
    let label = w.label;
    let citizen = &w.people.citizens[1];
    let office_id = &w.people.authority.organization_id;
    let clerk = w.token(Clerk).expect("a clerk");
    let property = ppb::property_service_client::PropertyServiceClient::new(channel(
        &w.settings.endpoints.property,
        &w.settings,
    ));
    let number =
        grpc::issue_request_number(&Once, &property, clerk, &citizen.renovation_code, "billing")
            .await
            .expect("the clerk issues a request number");
    let token = w.token(OtherCitizen).expect("the other citizen's token");
    let a = Applicant::new(&w.system.gateway_url, token);
    let mut f = Filing::up_to_applicant(
        &a,
        "property-transfer",
        &citizen.renovation_code,
        &number,
        office_id,
    )
    .await;
    f.applicant(&citizen.name, "", &citizen.ownership_type)
        .await
        .unwrap_or_else(|r| panic!("{label}: the citizen's own applicant step: {r}"));
    let submitted = f
        .submit()
        .await
        .unwrap_or_else(|r| panic!("{label}: submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{label}: the fee is the citizen's to pay: {submitted}"
    );
    let lines = submitted["bill"]["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        lines.iter().any(|l| l["kind"] == "inquiry_fee"),
        "{label}: the inquiry fee is on the citizen's bill: {submitted}"
    );

    // Nothing reached the office's account for it.
    let statement = estelam_proto::fees::v1::fee_service_client::FeeServiceClient::new(channel(
        &w.settings.endpoints.fees,
        &w.settings,
    ))
    .get_account_statement(outgoing(
        fpb::GetAccountStatementRequest {
            account_id: office_id.clone(),
            page_size: 100,
            page_token: String::new(),
        },
        Some(clerk),
    ))
    .await
    .unwrap_or_else(|e| panic!("{label}: the office's statement: {e}"))
    .into_inner();
    assert!(
        statement.charges.iter().all(|c| c.inquiry_id != f.id),
        "{label}: the office was charged: {:?}",
        statement.charges
    );

    // The named office reads it and lists it among those addressed to it; another office
    // (a valid token of another organisation's user) finds nothing.
    let office = Applicant::new(
        &w.system.gateway_url,
        w.token(Authority).expect("the office"),
    );
    let seen = office.get(&f.path("")).await;
    assert_eq!(seen.status, StatusCode::OK, "{label}: {seen}");
    let listed = office
        .get(&format!(
            "/api/v1/inquiries?letter_organization_id={office_id}"
        ))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: the office's list: {r}"));
    assert!(
        listed["inquiries"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["inquiry_id"] == f.id.as_str())),
        "{label}: {listed}"
    );
    let stranger = w.mint(|c| {
        c["roles"] = serde_json::json!(["authority"]);
        c["org"] = serde_json::json!(uuid::Uuid::now_v7().to_string());
    });
    let other = Applicant::new(&w.system.gateway_url, &stranger);
    let hidden = other.get(&f.path("")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{label}: {hidden}");
    let listed = other
        .get(&format!(
            "/api/v1/inquiries?letter_organization_id={office_id}"
        ))
        .await
        .success()
        .unwrap_or_else(|r| panic!("{label}: another office's list: {r}"));
    assert_eq!(
        listed["inquiries"],
        serde_json::json!([]),
        "{label}: {listed}"
    );
    // Nor can the named office act on it: it reads, the citizen files.
    let moved = office
        .put(
            &f.path("letter"),
            serde_json::json!({"expected_version": submitted["inquiry"]["version"],
                "client_request_id": key(), "letter_number": "1", "letter_date_jalali": "1403/05/12",
                "authority_organization_id": office_id}),
        )
        .await;
    assert!(
        moved.status == StatusCode::FORBIDDEN || moved.status == StatusCode::NOT_FOUND,
        "{label}: {moved}"
    );
}
