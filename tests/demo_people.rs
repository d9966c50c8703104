//! `estelam run`'s first embedded start creates the demo people: a clerk, a notary office's
//! user and two citizens with parcels and request numbers, written to `demo.json` and
//! printed; they can log in, and the two parcels' debts are what the file says.

use estelam::SystemAddrs;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1::login_request::Identifier;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use tokio_util::sync::CancellationToken;

/// Unpaid levies (and what else a debt is made of), without any inquiry fee.
const DEBT_KINDS: [fpb::BillItemKind; 5] = [
    fpb::BillItemKind::RenewalLevy,
    fpb::BillItemKind::WasteFee,
    fpb::BillItemKind::Penalty,
    fpb::BillItemKind::Adjustment,
    fpb::BillItemKind::Discount,
];

#[tokio::test]
async fn the_first_start_writes_demo_people_who_log_in_and_own_what_it_says() {
    let data = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let shutdown = CancellationToken::new();
    let system = estelam::start(settings, SystemAddrs::ephemeral(), shutdown.clone())
        .await
        .expect("system starts");
    let text = std::fs::read_to_string(data.path().join("demo.json")).expect("demo.json written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    for key in ["name", "national_code", "password"] {
        assert!(json["clerk"][key].is_string(), "clerk.{key}");
        assert!(json["authority"][key].is_string(), "authority.{key}");
    }
    let citizens = json["citizens"].as_array().expect("citizens");
    assert_eq!(citizens.len(), 2);
    for c in citizens {
        for key in [
            "name",
            "national_code",
            "password",
            "renovation_code",
            "request_number",
            "ownership_type",
        ] {
            assert!(
                c[key].as_str().is_some_and(|v| !v.is_empty()),
                "citizen.{key}"
            );
        }
        assert!(c["has_debt"].is_boolean());
    }
    let people: estelam::demo::DemoPeople = serde_json::from_str(&text).unwrap();
    // What `estelam run` prints for a person is what the file says.
    assert_eq!(system.demo_people.as_ref(), Some(&people));
    let banner = system.banner();
    for expected in [
        people.clerk.password.as_str(),
        people.authority.password.as_str(),
        system.gateway_url.as_str(),
    ] {
        assert!(
            banner.contains(expected),
            "{expected:?} missing in:\n{banner}"
        );
    }

    let settings = system.settings().clone();
    let login = |nc: &str, password: &str| {
        let settings = settings.clone();
        let (nc, password) = (nc.to_owned(), password.to_owned());
        async move {
            estelam::log_in(&settings, Identifier::NationalCode(nc), &password)
                .await
                .expect("logs in")
        }
    };
    let clerk = login(&people.clerk.national_code, &people.clerk.password).await;
    login(&people.authority.national_code, &people.authority.password).await;
    for c in &people.citizens {
        login(&c.national_code, &c.password).await;
    }

    let mut fees = fpb::fee_service_client::FeeServiceClient::new(
        estelam_runtime::grpc::channel(&settings.endpoints.fees, &settings.grpc).unwrap(),
    );
    for c in &people.citizens {
        let bill = fees
            .assess(outgoing(
                fpb::AssessRequest {
                    renovation_code: c.renovation_code.clone(),
                    preview: true,
                    item_kinds: DEBT_KINDS.iter().map(|k| *k as i32).collect(),
                    ..Default::default()
                },
                Some(&clerk),
            ))
            .await
            .unwrap_or_else(|e| panic!("assessing {}: {e}", c.renovation_code))
            .into_inner()
            .bill
            .expect("a bill");
        if c.has_debt {
            assert!(bill.total_rials > 0, "{} owes levies", c.renovation_code);
        } else {
            assert_eq!(bill.total_rials, 0, "{} owes nothing", c.renovation_code);
        }
    }

    // A second start on the same data directory creates nobody and keeps the file.
    shutdown.cancel();
    system.wait().await.expect("stops cleanly");
    let shutdown = CancellationToken::new();
    let again = estelam::start(
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
        SystemAddrs::ephemeral(),
        shutdown.clone(),
    )
    .await
    .expect("second start");
    assert_eq!(
        std::fs::read_to_string(data.path().join("demo.json")).unwrap(),
        text
    );
    assert!(again.demo_people.is_none(), "nobody new");
    let banner = again.banner();
    assert!(
        banner.contains(&data.path().join("demo.json").display().to_string()),
        "a later start says where the demo people are:\n{banner}"
    );
    again.stop().await.expect("stops cleanly");
}
