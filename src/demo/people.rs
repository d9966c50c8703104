//! What `<data dir>/demo.json` holds: the logins a person (or a script: the browser tests,
//! schemathesis) needs to walk the nine steps. Its field names are a contract with those
//! scripts and with the README.

use serde::{Deserialize, Serialize};

/// A staff member's login.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffLogin {
    /// The name the portal greets them with.
    pub name: String,
    /// The login name.
    pub national_code: String,
    /// The password the demo set at the person's first login, in place of the one-time
    /// password identity chose (which the account had to change before anything else).
    pub password: String,
    /// The authority user's organisation, which the citizen's letter names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    /// That organisation's Persian name, as the portal lists it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization: String,
}

/// A citizen's login and what they can file with it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CitizenLogin {
    /// Full name, as on the deed: step 6 checks it.
    pub name: String,
    /// The login name.
    pub national_code: String,
    /// The password chosen at registration.
    pub password: String,
    /// The parcel they own.
    pub renovation_code: String,
    /// A valid request number for it (step 4).
    pub request_number: String,
    /// The ownership type step 6 expects (`full`).
    pub ownership_type: String,
    /// Whether the parcel owes levies, so that even a clearance (no inquiry fee) leads to a
    /// bill to pay before the answer. A property transfer the citizen files themselves is
    /// billed its inquiry fee either way (an office pays only for what it files itself).
    pub has_debt: bool,
    /// Their membership code (کد عضویت): the consent an office gives when it files on
    /// their behalf. Empty in a `demo.json` written before it was recorded.
    #[serde(default)]
    pub membership_code: String,
}

/// The demo office's API client (OAuth 2.0 client credentials): what an integrator's
/// software needs to get a token (`POST /oauth/token` or identity's
/// `ClientCredentialsToken`) and file on a citizen's behalf.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfficeClient {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The organisation the client acts for (the notary office).
    pub organization_id: String,
}

/// The newcomer: who to register as, and what to file once registered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewcomerLogin {
    /// Full name as on the deed.
    pub name: String,
    /// Given name, for the registration form.
    pub first_name: String,
    /// Family name, for the registration form.
    pub last_name: String,
    /// The national code to register with.
    pub national_code: String,
    /// A mobile number for the registration form.
    pub mobile: String,
    /// Their parcel.
    pub renovation_code: String,
    /// The parcel's address as the municipality records it: all a newcomer may know of
    /// their home, and what they type into the map's search.
    #[serde(default)]
    pub address: String,
    /// Latitude of a point inside the parcel (WGS84), to pick it on the map.
    pub lat: f64,
    /// Longitude of that point.
    pub lon: f64,
    /// A valid request number for the parcel.
    pub request_number: String,
    /// The ownership type step 6 expects (`full`).
    pub ownership_type: String,
    /// Whether filing leads to a bill to pay.
    pub has_debt: bool,
}

/// `demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DemoPeople {
    /// Staff who look up parcels and correct records.
    pub clerk: StaffLogin,
    /// The notary office's user.
    pub authority: StaffLogin,
    /// Citizens with accounts: one who owes nothing, one who owes levies.
    pub citizens: Vec<CitizenLogin>,
    /// The notary office's API client; absent in a `demo.json` written before clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_client: Option<OfficeClient>,
    /// An owner with no account yet; absent when no demo city is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newcomer: Option<NewcomerLogin>,
}
