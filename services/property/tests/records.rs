//! Records over real gRPC, on every backend: request numbers, the applicant check,
//! versioning and history, lookups, and who may do what.

mod common;

use common::{harnesses, reason};
use estelam_property::city::{DEMO_CITIZENS, DEMO_CO_OWNER, DEMO_PARCELS};
use estelam_property::seed::demo_city;
use estelam_proto::common::v1::DangShare;
use estelam_proto::property::v1 as pb;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::with_token;
use tonic::Code;

const A: &str = DEMO_PARCELS[0];
const B: &str = DEMO_PARCELS[1];

fn verify(code: &str, number: &str) -> pb::VerifyRequestNumberRequest {
    pb::VerifyRequestNumberRequest {
        renovation_code: code.into(),
        number: number.into(),
    }
}

fn mark(code: &str, number: &str, inquiry: &str) -> pb::MarkRequestNumberUsedRequest {
    pb::MarkRequestNumberUsedRequest {
        renovation_code: code.into(),
        number: number.into(),
        inquiry_id: inquiry.into(),
    }
}

#[tokio::test]
async fn an_expired_used_or_foreign_request_number_is_refused_with_its_own_reason() {
    for mut h in harnesses("request_numbers", 100, |_| {}).await {
        let (clerk, svc) = (h.clerk(), h.service());
        let issue = |code: &str, days: i32| pb::IssueRequestNumberRequest {
            renovation_code: code.into(),
            validity_days: days,
            note: "for inquiry".into(),
            client_request_id: String::new(),
        };
        let for_a = h
            .client
            .issue_request_number(with_token(issue(A, 3), &clerk))
            .await
            .unwrap()
            .into_inner()
            .request_number
            .unwrap();
        let for_b = h
            .client
            .issue_request_number(with_token(issue("1/1/1/2/0/0", 3), &clerk))
            .await
            .unwrap()
            .into_inner()
            .request_number
            .unwrap();
        assert_eq!(for_b.renovation_code, B);
        let status = |r: pb::VerifyRequestNumberResponse| {
            pb::RequestNumberStatus::try_from(r.status).unwrap()
        };

        let ok = h
            .client
            .verify_request_number(with_token(verify(A, &for_a.number), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            status(ok.clone()),
            pb::RequestNumberStatus::Valid,
            "{}",
            h.label
        );
        assert_eq!(ok.expires_at, for_a.expires_at);

        // Foreign: B's number named with parcel A.
        let foreign = h
            .client
            .verify_request_number(with_token(verify(A, &for_b.number), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            status(foreign.clone()),
            pb::RequestNumberStatus::OtherParcel
        );
        assert!(foreign.reason.unwrap().en.contains("another property"));
        let refused = h
            .client
            .mark_request_number_used(with_token(mark(A, &for_b.number, "inq-1"), &svc))
            .await
            .unwrap_err();
        assert_eq!(
            (refused.code(), reason(&refused).as_str()),
            (Code::FailedPrecondition, "REQUEST_NUMBER_OTHER_PARCEL")
        );

        // Used: marking is idempotent for the same inquiry, refused for another.
        let used = h
            .client
            .mark_request_number_used(with_token(mark(A, &for_a.number, "inq-1"), &svc))
            .await
            .unwrap()
            .into_inner();
        let again = h
            .client
            .mark_request_number_used(with_token(mark(A, &for_a.number, "inq-1"), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(used, again);
        assert_eq!(used.request_number.unwrap().used_by_inquiry_id, "inq-1");
        let other = h
            .client
            .mark_request_number_used(with_token(mark(A, &for_a.number, "inq-2"), &svc))
            .await
            .unwrap_err();
        assert_eq!(
            (other.code(), reason(&other).as_str()),
            (Code::FailedPrecondition, "REQUEST_NUMBER_USED")
        );
        let seen = h
            .client
            .verify_request_number(with_token(verify(A, &for_a.number), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status(seen), pb::RequestNumberStatus::Used);

        // Expired: four days later B's number is past its three days.
        h.advance_days(4);
        let late = h
            .client
            .verify_request_number(with_token(verify(B, &for_b.number), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status(late.clone()), pb::RequestNumberStatus::Expired);
        assert!(late.expires_at.is_none());
        let refused = h
            .client
            .mark_request_number_used(with_token(mark(B, &for_b.number, "inq-3"), &svc))
            .await
            .unwrap_err();
        assert_eq!(
            (refused.code(), reason(&refused).as_str()),
            (Code::FailedPrecondition, "REQUEST_NUMBER_EXPIRED")
        );
        // …but the inquiry that used A's number may repeat its call.
        h.client
            .mark_request_number_used(with_token(mark(A, &for_a.number, "inq-1"), &svc))
            .await
            .unwrap();

        // Unknown, and malformed (a typo caught by the check digit).
        let unknown =
            estelam_domain::CheckCode::from_sequence(estelam_domain::CodeKind::Request, 987_654)
                .unwrap();
        let r = h
            .client
            .verify_request_number(with_token(verify(A, unknown.as_str()), &svc))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status(r), pb::RequestNumberStatus::Unknown);
        let mut typo = for_a.number.clone().into_bytes();
        typo[3] = if typo[3] == b'9' { b'8' } else { typo[3] + 1 };
        let bad = h
            .client
            .verify_request_number(with_token(
                verify(A, &String::from_utf8(typo).unwrap()),
                &svc,
            ))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);

        // The demo fixtures are in each state too.
        h.advance_days(-4);
        let demo = demo_city();
        for (number, code, expected) in [
            (
                &demo.valid_request_numbers[0],
                A,
                pb::RequestNumberStatus::Valid,
            ),
            (
                &demo.valid_request_numbers[1],
                A,
                pb::RequestNumberStatus::Valid,
            ),
            (
                &demo.expired_request_number,
                B,
                pb::RequestNumberStatus::Expired,
            ),
            (&demo.used_request_number, B, pb::RequestNumberStatus::Used),
        ] {
            let r = h
                .client
                .verify_request_number(with_token(verify(code, number), &svc))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(status(r), expected, "{}: demo number {number}", h.label);
        }

        // Clerks list them, newest first, in pages; citizens may not issue or verify.
        let list = h
            .client
            .list_request_numbers(with_token(
                pb::ListRequestNumbersRequest {
                    renovation_code: A.into(),
                    page_size: 2,
                    page_token: String::new(),
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.request_numbers[0].number, for_a.number);
        assert!(!list.next_page_token.is_empty());
        let citizen = h.citizen();
        assert_eq!(
            h.client
                .issue_request_number(with_token(issue(A, 3), &citizen))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            h.client
                .verify_request_number(with_token(verify(A, &for_a.number), &citizen))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn the_applicant_is_checked_against_the_owners() {
    for mut h in harnesses("applicant", 100, |_| {}).await {
        let svc = h.service();
        let check = |code: &str, national: &str, name: &str, t: pb::OwnershipType| {
            pb::CheckApplicantRequest {
                renovation_code: code.into(),
                national_code: national.into(),
                full_name: name.into(),
                ownership_type: t as i32,
            }
        };
        let [ali, maryam] = DEMO_CITIZENS;
        let r = h
            .client
            .check_applicant(with_token(
                check(A, "۰۰۷۶۲۲۹۶۴۵", "علي رضايي", pb::OwnershipType::Full),
                &svc,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.result,
            pb::ApplicantCheckResult::Owner as i32,
            "{}",
            h.label
        );
        assert_eq!(
            r.share,
            Some(DangShare {
                numerator: 6,
                denominator: 1
            })
        );
        assert_eq!(r.parcel_version, 1);
        let r = h
            .client
            .check_applicant(with_token(
                check(
                    B,
                    maryam.national_code,
                    maryam.full_name,
                    pb::OwnershipType::Full,
                ),
                &svc,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.result, pb::ApplicantCheckResult::TypeMismatch as i32);
        assert_eq!(r.recorded_ownership_type, pb::OwnershipType::Shared as i32);
        assert_eq!(
            r.share,
            Some(DangShare {
                numerator: 3,
                denominator: 1
            })
        );
        let r = h
            .client
            .check_applicant(with_token(
                check(
                    B,
                    DEMO_CO_OWNER.national_code,
                    "حسین محمدی",
                    pb::OwnershipType::Shared,
                ),
                &svc,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.result, pb::ApplicantCheckResult::NameMismatch as i32);
        let r = h
            .client
            .check_applicant(with_token(
                check(
                    A,
                    maryam.national_code,
                    maryam.full_name,
                    pb::OwnershipType::Full,
                ),
                &svc,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.result, pb::ApplicantCheckResult::NotOwner as i32);
        assert!(r.share.is_none() && !r.reason.unwrap().fa.is_empty());
        let bad = h
            .client
            .check_applicant(with_token(
                check(A, "0076229646", ali.full_name, pb::OwnershipType::Full),
                &svc,
            ))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        h.stop().await;
    }
}

#[tokio::test]
async fn every_change_is_a_new_version_and_nothing_is_overwritten() {
    for mut h in harnesses("versions", 100, |_| {}).await {
        let clerk = h.clerk();
        let current = h
            .client
            .get_parcel(with_token(
                pb::GetParcelRequest {
                    renovation_code: A.into(),
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        let [ali, maryam] = DEMO_CITIZENS;
        let transfer = |expected: i64, request_id: &str| pb::UpdateOwnershipRequest {
            renovation_code: A.into(),
            ownership: Some(pb::Ownership {
                ownership_type: pb::OwnershipType::Shared as i32,
                deed_number: "777".into(),
                owners: [(ali, 1, 3), (maryam, 17, 3)]
                    .iter()
                    .map(|(c, n, d)| pb::Owner {
                        kind: 1,
                        national_code: c.national_code.into(),
                        full_name: c.full_name.into(),
                        share: Some(DangShare {
                            numerator: *n,
                            denominator: *d,
                        }),
                        deed_number: String::new(),
                    })
                    .collect(),
            }),
            expected_version: expected,
            reason: "sale of 17/3 dang".into(),
            client_request_id: request_id.into(),
        };
        let v2 = h
            .client
            .update_ownership(with_token(transfer(1, "t-1"), &clerk))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!(v2.version, 2);
        // A retry with the same key returns the first result; a stale version is a conflict.
        let retry = h
            .client
            .update_ownership(with_token(transfer(1, "t-1"), &clerk))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!(retry.version, 2);
        let stale = h
            .client
            .update_ownership(with_token(transfer(1, "t-2"), &clerk))
            .await
            .unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);
        // Shares that do not add up to 6 dang are refused with the field named.
        let mut short = transfer(2, "t-3");
        short.ownership.as_mut().unwrap().owners[0].share = Some(DangShare {
            numerator: 1,
            denominator: 4,
        });
        let refused = h
            .client
            .update_ownership(with_token(short, &clerk))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "SHARES_NOT_SIX_DANG");

        let mut facts = current.clone();
        facts.floors = 5;
        let v3 = h
            .client
            .upsert_parcel(with_token(
                pb::UpsertParcelRequest {
                    parcel: Some(facts),
                    expected_version: 2,
                    reason: "new floors".into(),
                    client_request_id: String::new(),
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!((v3.version, v3.floors), (3, 5));
        assert_eq!(
            v3.ownership.unwrap().ownership_type,
            pb::OwnershipType::Full as i32,
            "an upsert replaces every writable field"
        );

        let history = h
            .client
            .get_parcel_history(with_token(
                pb::GetParcelHistoryRequest {
                    renovation_code: A.into(),
                    page_size: 2,
                    page_token: String::new(),
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            history
                .versions
                .iter()
                .map(|v| v.parcel.as_ref().unwrap().version)
                .collect::<Vec<_>>(),
            vec![3, 2]
        );
        assert!(history.versions[0].valid_to.is_none() && history.versions[1].valid_to.is_some());
        assert_eq!(
            history.versions[1].change_kind,
            pb::ParcelChangeKind::OwnershipChanged as i32
        );
        assert_eq!(history.versions[1].reason, "sale of 17/3 dang");
        assert_eq!(
            history.versions[1]
                .parcel
                .as_ref()
                .unwrap()
                .changed
                .as_ref()
                .unwrap()
                .actor_account_id,
            "acct-clerk"
        );
        let older = h
            .client
            .get_parcel_history(with_token(
                pb::GetParcelHistoryRequest {
                    renovation_code: A.into(),
                    page_size: 2,
                    page_token: history.next_page_token,
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(older.versions.len(), 1);
        assert_eq!(
            older.versions[0].change_kind,
            pb::ParcelChangeKind::Created as i32
        );
        assert_eq!(
            older.versions[0].parcel.as_ref().unwrap().floors,
            current.floors,
            "the original facts are kept"
        );
        assert!(older.next_page_token.is_empty());
        h.stop().await;
    }
}

#[tokio::test]
async fn lookups_by_code_plate_and_owner_respect_who_is_asking() {
    for mut h in harnesses("lookups", 300, |_| {}).await {
        let (clerk, citizen) = (h.clerk(), h.citizen());
        let get = |code: &str| pb::GetParcelRequest {
            renovation_code: code.into(),
        };
        // Either separator, either digit set.
        let seen = h
            .client
            .get_parcel(with_token(get("۱/۱/۱/۱/۰/۰"), &citizen))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!(seen.renovation_code, A);
        assert_eq!(
            seen.ownership.as_ref().unwrap().owners[0].national_code,
            "007****645",
            "masked for citizens"
        );
        let full = h
            .client
            .get_parcel(with_token(get(A), &clerk))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!(
            full.ownership.as_ref().unwrap().owners[0].national_code,
            "0076229645"
        );
        assert_eq!(
            h.client
                .get_parcel(with_token(get("9-9-9-9-9-9"), &citizen))
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        assert_eq!(
            h.client
                .get_parcel(with_token(get("1-2-3"), &citizen))
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );

        let plate = full.registry_plate.clone().unwrap();
        let by_plate = h
            .client
            .find_parcels_by_registry_plate(with_token(
                pb::FindParcelsByRegistryPlateRequest {
                    registry_plate: Some(pb::RegistryPlate {
                        sub: String::new(),
                        ..plate
                    }),
                    page_size: 0,
                    page_token: String::new(),
                },
                &citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(by_plate.parcels.iter().any(|p| p.renovation_code == A));

        // By owner: staff and services only (tokens carry no national code to match).
        let by_owner = |token: &str| {
            with_token(
                pb::FindParcelsByOwnerRequest {
                    national_code: DEMO_CO_OWNER.national_code.into(),
                    page_size: 1,
                    page_token: String::new(),
                },
                token,
            )
        };
        assert_eq!(
            h.client
                .find_parcels_by_owner(by_owner(&citizen))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        let found = h
            .client
            .find_parcels_by_owner(by_owner(&h.service()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.parcels[0].renovation_code, B);

        // Writes are for clerks and admins.
        let write = pb::UpsertParcelRequest {
            parcel: Some(full),
            expected_version: 1,
            reason: "x".into(),
            client_request_id: String::new(),
        };
        assert_eq!(
            h.client
                .upsert_parcel(with_token(write.clone(), &citizen))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            h.client
                .upsert_parcel(with_token(write.clone(), &h.token(&[Role::Service])))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            h.client.upsert_parcel(write).await.unwrap_err().code(),
            Code::Unauthenticated
        );
        h.stop().await;
    }
}
