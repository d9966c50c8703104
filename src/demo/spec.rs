//! Who the demo people are: the shapes of `people.json`, the data file kept next to this
//! module and compiled into the binary, so `cargo run` needs no file beside it.

use serde::Deserialize;

/// `people.json`, compiled in. Kept as data rather than code so the people can be changed
/// (names, parcels, debts) without touching how they are created.
pub static PEOPLE_JSON: &str = include_str!("people.json");

/// A staff member in the data file; identity chooses their one-time password, which the
/// demo changes at once.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonSpec {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// A valid national code: it is the person's login name.
    pub national_code: String,
    /// Identity requires a mobile number for every account.
    pub mobile: String,
}

/// The notary office the demo authority user works for, so the demo can show an
/// organisation's view of inquiries named in a citizen's letter.
#[derive(Debug, Clone, Deserialize)]
pub struct OrgSpec {
    /// The name the portal shows in Persian.
    pub name_fa: String,
    /// The name the portal shows in English.
    pub name_en: String,
    /// The office's number in the registry of notary offices.
    pub registry_number: String,
    /// Where the office is.
    pub city: String,
    /// Its street address.
    pub address: String,
    /// Its phone number.
    pub phone: String,
}

/// A citizen with an account and a parcel of their own outside the synthetic city, so the
/// demo does not depend on which city was seeded.
#[derive(Debug, Clone, Deserialize)]
pub struct CitizenSpec {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// A valid national code: the login name, and the owner named on the parcel.
    pub national_code: String,
    /// Required at registration.
    pub mobile: String,
    /// Citizens choose their password at registration, so the data file names it.
    pub password: String,
    /// The parcel they own outright.
    pub renovation_code: String,
    /// The ownership deed the parcel records.
    pub deed_number: String,
    /// Whether the demo shows this citizen paying levies before the answer.
    pub has_debt: bool,
    /// How much the parcel owes, when it does.
    #[serde(default)]
    pub debt_rials: i64,
    /// The parcel's outline, `[lon, lat]` pairs, closed, so it can be picked on the map.
    pub polygon: Vec<[f64; 2]>,
}

/// The newcomer: an owner in the synthetic city with no account, for a person trying the
/// portal's registration. The file names candidate lots because which lot has a sole owner
/// depends on the city generator.
#[derive(Debug, Clone, Deserialize)]
pub struct NewcomerSpec {
    /// Candidate lots, in order; the first owned outright by one person with no demo
    /// account is the newcomer's.
    pub renovation_codes: Vec<String>,
    /// The mobile number to register with (the city's owners have none).
    pub mobile: String,
    /// Unpaid levies charged to their parcel, so the walk includes a payment.
    pub debt_rials: i64,
}

/// The whole data file.
#[derive(Debug, Clone, Deserialize)]
pub struct PeopleSpec {
    /// A clerk: staff who look up parcels and correct records.
    pub clerk: PersonSpec,
    /// The authority user's organisation.
    pub organization: OrgSpec,
    /// A user of that notary office.
    pub authority: PersonSpec,
    /// Citizens with accounts: one who owes nothing and one who owes levies.
    pub citizens: Vec<CitizenSpec>,
    /// Absent in a data file that wants no newcomer.
    #[serde(default)]
    pub newcomer: Option<NewcomerSpec>,
}

impl PeopleSpec {
    /// The compiled-in people.
    pub fn compiled_in() -> serde_json::Result<Self> {
        serde_json::from_str(PEOPLE_JSON)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_national_codes_are_valid() {
        let spec = PeopleSpec::compiled_in().expect("people.json parses");
        for nc in [&spec.clerk.national_code, &spec.authority.national_code]
            .into_iter()
            .chain(spec.citizens.iter().map(|c| &c.national_code))
        {
            estelam_domain::NationalCode::parse(nc).expect("a valid national code");
        }
        for c in &spec.citizens {
            estelam_domain::RenovationCode::parse(&c.renovation_code)
                .expect("a valid renovation code");
        }
    }
}
