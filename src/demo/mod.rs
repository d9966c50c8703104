//! Demo people: on its first embedded start `estelam run` creates a clerk, a notary
//! office's user, two citizens who own demo parcels (one with no debt, one with unpaid
//! levies, each with a valid request number) and a newcomer with no account, and writes their
//! logins to `<data dir>/demo.json`, so a newcomer to the project (or a script) can walk the
//! nine steps at once. A second start finds `demo.json` and creates nobody.
//!
//! Staff accounts an admin creates get a one-time password they must change before doing
//! anything else; the demo does that first login for its clerk and notary user (as each
//! would), choosing a random password that it prints and writes to `demo.json`.
//!
//! The demo lives in the launcher, not in a service, because it drives three services
//! (identity, property, fees) and belongs to none. Everything is created through their
//! public gRPC APIs, so it exercises the paths a municipality's staff would.
//!
//! * [`spec`]: who the people are, from the compiled-in data file `people.json`;
//! * [`people`]: the shape of `demo.json`, a contract with the browser tests and scripts;
//! * [`create`]: creating them once, over [`DemoPorts`]; [`grpc`]: those ports over gRPC;
//! * [`parcels`]: the demo's parcels and the choice of the newcomer's, with no I/O;
//! * [`terminal`]: the lines printed for a person at the terminal.
//!
//! `demo.json` has the shape:
//!
//! ```json
//! {"clerk": {"name", "national_code", "password"},
//!  "authority": {"name", "national_code", "password", "organization_id", "organization"},
//!  "citizens": [{"name", "national_code", "password", "renovation_code",
//!                "request_number", "ownership_type", "has_debt", "membership_code"}],
//!  "office_client": {"client_id", "client_secret", "organization_id"},
//!  "newcomer": {"name", "first_name", "last_name", "national_code", "mobile",
//!               "renovation_code", "address", "lat", "lon", "request_number", "ownership_type",
//!               "has_debt"}}
//! ```
//!
//! `office_client` is the notary office's API client (OAuth 2.0 client credentials): with it
//! and a citizen's `membership_code` an integrator's software files on that citizen's
//! behalf, as `docs/integrators.md` shows.
//!
//! The `newcomer` owns a parcel of the demo city but has no account yet: a person trying the
//! portal registers as them, picks their parcel on the map (it contains `lat`/`lon`) and walks
//! the nine steps to a paid debt and an answer. It is absent when the city has no parcel
//! that fits (no demo city loaded).

pub mod create;
pub mod grpc;
pub mod parcels;
pub mod people;
pub mod spec;
pub mod terminal;

use anyhow::Context as _;
use estelam_runtime::config::Settings;

pub use create::{DemoPorts, create_people, ensure_demo_people};
pub use grpc::GrpcDemoPorts;
pub use parcels::demo_parcel;
pub use people::{CitizenLogin, DemoPeople, NewcomerLogin, OfficeClient, StaffLogin};
pub use spec::{CitizenSpec, NewcomerSpec, OrgSpec, PEOPLE_JSON, PeopleSpec, PersonSpec};

/// Creates (once: `demo.json` in the data directory says it is done) the demo people,
/// acting as the admin whose token is given. Tests that start a system with their own
/// admin call it to get the same people `estelam run` would have.
pub async fn create_demo_people(
    settings: &Settings,
    admin_token: String,
) -> anyhow::Result<DemoPeople> {
    let ports = GrpcDemoPorts::new(settings, admin_token)?;
    ensure_demo_people(&settings.data_dir, &ports).await
}

/// The first embedded start's step: identity has just generated the first admin and handed
/// the launcher, in-process, a set-up session for them (the printed one-time password stays
/// flagged: whoever logs in with it must change it first). The demo people are created
/// over gRPC with that session, which is then logged out.
pub(crate) async fn create_as_first_admin(
    settings: &Settings,
    admin: &estelam_identity::BootstrapAdmin,
) -> anyhow::Result<DemoPeople> {
    use secrecy::ExposeSecret as _;
    let people = create_demo_people(
        settings,
        admin.setup_access_token.expose_secret().to_owned(),
    )
    .await;
    let channel = estelam_runtime::grpc::channel(&settings.endpoints.identity, &settings.grpc)?;
    estelam_proto::identity::v1::identity_service_client::IdentityServiceClient::new(channel)
        .logout(estelam_proto::identity::v1::LogoutRequest {
            refresh_token: admin.setup_refresh_token.expose_secret().to_owned(),
            all_sessions: false,
        })
        .await
        .context("ending the first admin's set-up session")?;
    people
}
