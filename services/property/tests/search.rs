//! Finding a parcel the way a person names it (`SearchParcels`) and the caller's own parcels
//! (`ListMyParcels`), over gRPC on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set)
//! PostgreSQL: the address scan is the one query these add.

mod common;

use common::{harnesses, reason};
use estelam_property::city::DEMO_PARCELS;
use estelam_proto::property::v1 as pb;
use estelam_runtime::testing::with_token;
use tonic::Code;

/// The demo parcel every harness has.
const A: &str = DEMO_PARCELS[0];

fn search(query: &str) -> pb::SearchParcelsRequest {
    pb::SearchParcelsRequest {
        query: query.into(),
        page_size: 0,
    }
}

#[tokio::test]
async fn a_parcel_is_found_by_its_address_code_or_plate_and_nothing_is_not_an_error() {
    for mut h in harnesses("search", 300, |_| {}).await {
        let citizen = h.citizen();
        let parcel = h
            .client
            .get_parcel(with_token(
                pb::GetParcelRequest {
                    renovation_code: A.into(),
                },
                &citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        // Street and plate as the address says them, typed with Persian digits and an
        // Arabic yeh, as a phone keyboard may give them.
        let parts: Vec<&str> = parcel.address.split('،').map(str::trim).collect();
        let street = parts
            .iter()
            .find_map(|p| p.strip_prefix("خیابان "))
            .unwrap_or_else(|| panic!("a street in {}", parcel.address));
        let plate = parts
            .iter()
            .find_map(|p| p.strip_prefix("پلاک "))
            .unwrap_or_else(|| panic!("a plate in {}", parcel.address));
        let alley = parts
            .iter()
            .find(|p| p.starts_with("کوچ"))
            .and_then(|p| p.split(' ').next_back())
            .map(|n| format!(" کوچه {n}"))
            .unwrap_or_default();
        let typed = estelam_domain::to_persian_digits(&format!(
            "خيابان {}{alley} پلاک {plate}",
            street.replace('ی', "ي")
        ));
        let found = h
            .client
            .search_parcels(with_token(search(&typed), &citizen))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.kind(), pb::ParcelSearchKind::Address);
        assert!(
            found.parcels.iter().any(|p| p.renovation_code == A),
            "{typed}: {:?}",
            found.parcels.iter().map(|p| &p.address).collect::<Vec<_>>()
        );
        assert!(found.parcels.len() <= 20);

        let by_code = h
            .client
            .search_parcels(with_token(
                search(&estelam_domain::to_persian_digits(&A.replace('-', "/"))),
                &citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_code.kind(), pb::ParcelSearchKind::RenovationCode);
        assert_eq!(by_code.parcels[0].renovation_code, A);

        let plate = parcel.registry_plate.clone().unwrap();
        let by_plate = h
            .client
            .search_parcels(with_token(
                search(&format!("{}/{}", plate.main, plate.sub)),
                &citizen,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_plate.kind(), pb::ParcelSearchKind::RegistryPlate);
        assert!(by_plate.parcels.iter().any(|p| p.renovation_code == A));

        let none = h
            .client
            .search_parcels(with_token(search("خیابان ناموجود پلاک ۱"), &citizen))
            .await
            .unwrap()
            .into_inner();
        assert!(none.parcels.is_empty());
        let empty = h
            .client
            .search_parcels(with_token(search("  "), &citizen))
            .await
            .unwrap_err();
        assert_eq!(empty.code(), Code::InvalidArgument);
        assert_eq!(reason(&empty), "SEARCH_QUERY_INVALID");

        // A token with no national code (a service's) owns nothing; no token, no answer.
        let mine = h
            .client
            .list_my_parcels(with_token(
                pb::ListMyParcelsRequest { page_size: 0 },
                &h.service(),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(mine.parcels.is_empty());
        let refused = h
            .client
            .list_my_parcels(pb::ListMyParcelsRequest { page_size: 0 })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
        h.stop().await;
    }
}
