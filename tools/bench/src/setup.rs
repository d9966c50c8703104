//! Everything the simulated applicants need before the clock starts, created through the
//! system's own APIs as a municipality's staff would: a clerk, a notary office and its user
//! (identity, as the admin), one parcel per planned flow owned by its applicant (property
//! `UpsertParcel`, as the clerk), a request number for each (property
//! `IssueRequestNumber`), unpaid levies on the parcels of debt flows (fees `AddAdjustment`),
//! and each applicant registered and logged in once over the public HTTP API, so password
//! hashing stays out of the measured flows.

use std::sync::Arc;

use anyhow::Context as _;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as qpb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use futures::{StreamExt as _, TryStreamExt as _};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tonic::transport::Channel;

use super::http::{Api, text};
use super::stats::Stats;

/// A valid national code from its first nine digits (the tenth is the check digit).
pub fn national_code(first_nine: u32) -> String {
    let body = format!("{first_nine:09}");
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
        .sum();
    let r = sum % 11;
    let check = if r < 2 { r } else { 11 - r };
    format!("{body}{check}")
}

/// `n` written with letters (each decimal digit a Persian letter): names take no digits,
/// and every applicant's name must differ so a mismatch would be noticed.
pub fn letters(n: u32) -> String {
    const LETTERS: [char; 10] = ['ا', 'ب', 'پ', 'ت', 'ث', 'ج', 'چ', 'ح', 'خ', 'د'];
    n.to_string()
        .bytes()
        .map(|b| LETTERS[usize::from(b - b'0')])
        .collect()
}

/// One parcel an applicant owns, with a fresh request number.
#[derive(Debug, Clone)]
pub struct OwnedParcel {
    /// Canonical renovation code.
    pub renovation_code: String,
    /// The request number the clerk issued for it.
    pub request_number: String,
    /// A point strictly inside it (latitude, longitude).
    pub inside: (f64, f64),
    /// Whether levies were charged to it.
    pub has_debt: bool,
}

/// A simulated applicant: logged in, with the parcels its flows will use.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// National code (the login name and the owner's code on the parcels).
    pub national_code: String,
    /// Full name, as on the parcels.
    pub full_name: String,
    /// Access token from the one login.
    pub token: String,
    /// One parcel per flow, used in order.
    pub parcels: Vec<OwnedParcel>,
}

/// The staff the run acts as.
pub struct Staff {
    /// The clerk's access token (issues request numbers, creates parcels, adds debt).
    pub clerk_token: String,
    /// The notary office named in every letter.
    pub organization_id: String,
    /// The notary office user's access token (the bulk-status call).
    pub authority_token: String,
    /// The request type every flow files.
    pub request_type_code: String,
}

/// gRPC clients of the services the setup talks to: staff work (accounts, parcels, request
/// numbers, levies) goes straight to the services, as a municipality's back office would,
/// so that only the applicants' own calls go through the gateway being measured.
#[derive(Clone)]
pub struct Clients {
    /// Staff accounts, the notary office, logins.
    pub identity: ipb::identity_service_client::IdentityServiceClient<Channel>,
    /// Parcels and their request numbers.
    pub property: ppb::property_service_client::PropertyServiceClient<Channel>,
    /// Levies and prepayments on the parcels.
    pub fees: fpb::fee_service_client::FeeServiceClient<Channel>,
    /// The request types every flow files.
    pub inquiry: qpb::inquiry_service_client::InquiryServiceClient<Channel>,
}

impl Clients {
    /// Clients of the endpoints in `settings`; they connect on first use.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let ch = |e: &str| estelam_runtime::grpc::channel(e, &settings.grpc);
        Ok(Self {
            identity: ipb::identity_service_client::IdentityServiceClient::new(ch(&settings
                .endpoints
                .identity)?),
            property: ppb::property_service_client::PropertyServiceClient::new(ch(&settings
                .endpoints
                .property)?),
            fees: fpb::fee_service_client::FeeServiceClient::new(ch(&settings.endpoints.fees)?),
            inquiry: qpb::inquiry_service_client::InquiryServiceClient::new(ch(&settings
                .endpoints
                .inquiry)?),
        })
    }

    async fn login(&self, national_code: &str, password: &str) -> anyhow::Result<String> {
        let r = self
            .identity
            .clone()
            .login(outgoing(
                ipb::LoginRequest {
                    identifier: Some(ipb::login_request::Identifier::NationalCode(
                        national_code.to_owned(),
                    )),
                    password: password.to_owned(),
                },
                None,
            ))
            .await
            .with_context(|| format!("logging in as {national_code}"))?
            .into_inner();
        r.tokens
            .map(|t| t.access_token)
            .context("the login returned no tokens")
    }

    /// A staff member's first login: the password an admin's account creation returned is
    /// one-time, and nothing but changing it is allowed until it has been changed; the access
    /// token of the session the change returns.
    async fn first_login(&self, national_code: &str, one_time: &str) -> anyhow::Result<String> {
        let token = self.login(national_code, one_time).await?;
        let r = self
            .identity
            .clone()
            .change_password(outgoing(
                ipb::ChangePasswordRequest {
                    current_password: one_time.to_owned(),
                    new_password: format!("bench-staff-{national_code}-{one_time}"),
                },
                Some(&token),
            ))
            .await
            .with_context(|| format!("changing {national_code}'s one-time password"))?
            .into_inner();
        r.tokens
            .map(|t| t.access_token)
            .context("the password change returned no tokens")
    }
}

/// The applicants and parcels of one phase, made before its clock starts so that setting
/// up (password hashing above all) is not in the measured rate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Distinguishes this run's people and parcels from earlier runs' on a kept system.
    pub run_seed: u32,
    /// First applicant number (phases use disjoint ranges).
    pub first: u32,
    /// How many applicants run at once in the phase.
    pub applicants: u32,
    /// Parcels (flows) per applicant.
    pub flows_each: u32,
    /// Whether the parcels owe levies.
    pub debt: bool,
}

/// Unpaid levies charged to each debt parcel, rials.
const DEBT_RIALS: i64 = 12_500_000;

/// A parcel new to the fee records owes the current year's levies (assess.rs), so a
/// parcel with no debt is one whose owner prepaid them: a credit the clerk records, larger
/// than a year's levies on these parcels (about 21 million rials).
const PREPAID_RIALS: i64 = -100_000_000;

/// Creates the clerk, the notary office and its user, acting as the admin.
pub async fn staff(clients: &Clients, admin_token: &str, run_seed: u32) -> anyhow::Result<Staff> {
    let clerk_code = national_code(900_000_000 + run_seed * 2);
    let clerk = clients
        .identity
        .clone()
        .create_staff_account(outgoing(
            ipb::CreateStaffAccountRequest {
                national_code: clerk_code.clone(),
                first_name: "کارمند".into(),
                last_name: format!("سنجش {}", letters(run_seed)),
                mobile: "09130000001".into(),
                roles: vec![ipb::Role::Clerk as i32],
            },
            Some(admin_token),
        ))
        .await
        .context("creating the clerk (identity CreateStaffAccount as the admin)")?
        .into_inner();
    let clerk_token = clients
        .first_login(&clerk_code, &clerk.initial_password)
        .await?;
    let org = clients
        .identity
        .clone()
        .create_organization(outgoing(
            ipb::CreateOrganizationRequest {
                r#type: ipb::OrganizationType::NotaryOffice as i32,
                name: Some(estelam_proto::common::v1::LocalizedText {
                    fa: format!("دفتر اسناد رسمی سنجش {run_seed}"),
                    en: format!("Benchmark notary office {run_seed}"),
                }),
                registry_number: format!("{run_seed}"),
                city: "شاهین‌شهر".into(),
                address: "شاهین‌شهر".into(),
                phone: "03145200000".into(),
            },
            Some(admin_token),
        ))
        .await
        .context("creating the notary office (identity CreateOrganization)")?
        .into_inner()
        .organization
        .context("no organization returned")?;
    let authority_code = national_code(900_000_001 + run_seed * 2);
    let authority = clients
        .identity
        .clone()
        .create_authority_user(outgoing(
            ipb::CreateAuthorityUserRequest {
                organization_id: org.organization_id.clone(),
                national_code: authority_code.clone(),
                first_name: "سردفتر".into(),
                last_name: format!("سنجش {}", letters(run_seed)),
                mobile: "09130000002".into(),
            },
            Some(admin_token),
        ))
        .await
        .context("creating the notary office's user (identity CreateAuthorityUser)")?
        .into_inner();
    let authority_token = clients
        .first_login(&authority_code, &authority.initial_password)
        .await?;
    Ok(Staff {
        clerk_token,
        organization_id: org.organization_id,
        authority_token,
        request_type_code: REQUEST_TYPE.to_owned(),
    })
}

/// The request type every flow files: the seeded clearance, the owner's own inquiry with no
/// letter and no inquiry fee, so a parcel with no debt is answered within Submit and one
/// with debt bills the debt alone. (A property transfer a citizen files themselves carries
/// the inquiry fee on their bill — only an office that files it pays on account — so it
/// would leave no flow with nothing to pay.)
const REQUEST_TYPE: &str = "clearance";

/// Parcels are small squares on a grid south of the synthetic city (which starts at
/// 32.70° N), so they never overlap its lots; each run gets its own rows.
fn square(run_seed: u32, slot: u32) -> ([f64; 2], Vec<[f64; 2]>) {
    const STEP: f64 = 0.0003;
    const SIDE: f64 = 0.0002;
    let row = f64::from(slot / 1000) + f64::from(run_seed % 500) * 40.0;
    let col = f64::from(slot % 1000);
    let lat = 32.0 + (row * STEP) % 0.69;
    let lon = 51.0 + col * STEP;
    let ring = vec![
        [lon, lat],
        [lon + SIDE, lat],
        [lon + SIDE, lat + SIDE],
        [lon, lat + SIDE],
        [lon, lat],
    ];
    ([lat + SIDE / 2.0, lon + SIDE / 2.0], ring)
}

/// Registers and logs in the applicants of `plan` over HTTP and gives each its parcels,
/// `parallel` at a time; `on_done` is told after each applicant.
pub async fn applicants(
    api: &Api,
    clients: &Clients,
    staff: &Staff,
    plan: Plan,
    parallel: usize,
    on_done: &(dyn Fn() + Sync),
) -> anyhow::Result<Vec<Applicant>> {
    let stats = Arc::new(Stats::default());
    futures::stream::iter(plan.first..plan.first + plan.applicants)
        .map(|n| {
            let stats = stats.clone();
            async move {
                let a = applicant(api, clients, staff, plan, n, &stats).await;
                on_done();
                a
            }
        })
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await
}

async fn applicant(
    api: &Api,
    clients: &Clients,
    staff: &Staff,
    plan: Plan,
    n: u32,
    stats: &Stats,
) -> anyhow::Result<Applicant> {
    let code = national_code(100_000_000 + plan.run_seed * 20_000 + n);
    let (first_name, last_name) = ("متقاضی".to_owned(), format!("آزمون {}", letters(n)));
    let full_name = format!("{first_name} {last_name}");
    let password = format!("bench-applicant-{}-{n}", plan.run_seed);
    api.call(
        stats,
        "register",
        api.request(Method::POST, "/api/v1/auth/register", None)
            .json(&json!({"national_code": code, "first_name": first_name,
                          "last_name": last_name, "mobile": format!("0912{:07}", (plan.run_seed * 20_000 + n) % 10_000_000),
                          "password": password})),
        StatusCode::CREATED,
    )
    .await
    .map_err(|f| anyhow::anyhow!("registering applicant {n}: {f}"))?;
    let login = api
        .call(
            stats,
            "login",
            api.request(Method::POST, "/api/v1/auth/login", None)
                .json(&json!({"national_code": code, "password": password})),
            StatusCode::OK,
        )
        .await
        .map_err(|f| anyhow::anyhow!("logging applicant {n} in: {f}"))?;
    let token = text("login", &login, "tokens.access_token")
        .map_err(|f| anyhow::anyhow!("logging applicant {n} in: {f}"))?;
    let mut parcels = Vec::new();
    for k in 0..plan.flows_each {
        let slot = n * plan.flows_each + k;
        parcels.push(parcel(clients, staff, plan, slot, &code, &full_name).await?);
    }
    Ok(Applicant {
        national_code: code,
        full_name,
        token,
        parcels,
    })
}

async fn parcel(
    clients: &Clients,
    staff: &Staff,
    plan: Plan,
    slot: u32,
    owner: &str,
    owner_name: &str,
) -> anyhow::Result<OwnedParcel> {
    let renovation_code = format!(
        "77-{}-{}-{}-0-0",
        plan.run_seed % 99_999,
        slot / 1000,
        slot % 1000
    );
    let (inside, ring) = square(plan.run_seed, slot);
    let spec = estelam::demo::CitizenSpec {
        first_name: String::new(),
        last_name: String::new(),
        national_code: owner.to_owned(),
        mobile: String::new(),
        password: String::new(),
        renovation_code: renovation_code.clone(),
        deed_number: format!("{}", 700_000 + slot),
        has_debt: plan.debt,
        debt_rials: DEBT_RIALS,
        polygon: ring,
    };
    let mut p = estelam::demo::demo_parcel(&spec);
    if let Some(o) = p.ownership.as_mut() {
        for owner in &mut o.owners {
            owner.full_name = owner_name.to_owned();
        }
    }
    let clerk = Some(staff.clerk_token.as_str());
    clients
        .property
        .clone()
        .upsert_parcel(outgoing(
            ppb::UpsertParcelRequest {
                client_request_id: format!("bench-parcel-{renovation_code}"),
                parcel: Some(p),
                expected_version: 0,
                reason: "load test data".into(),
            },
            clerk,
        ))
        .await
        .with_context(|| format!("creating parcel {renovation_code} (property UpsertParcel)"))?;
    let number = clients
        .property
        .clone()
        .issue_request_number(outgoing(
            ppb::IssueRequestNumberRequest {
                renovation_code: renovation_code.clone(),
                validity_days: 30,
                note: "load test".into(),
                client_request_id: format!("bench-rn-{renovation_code}"),
            },
            clerk,
        ))
        .await
        .with_context(|| format!("issuing a request number for {renovation_code}"))?
        .into_inner()
        .request_number
        .context("no request number returned")?
        .number;
    let (amount, year, why) = if plan.debt {
        (
            DEBT_RIALS,
            1402,
            "عوارض پرداخت‌نشدهٔ آزمون بار / load-test unpaid levies",
        )
    } else {
        (
            PREPAID_RIALS,
            0,
            "پیش‌پرداخت عوارض آزمون بار / load-test prepaid levies",
        )
    };
    clients
        .fees
        .clone()
        .add_adjustment(outgoing(
            fpb::AddAdjustmentRequest {
                renovation_code: renovation_code.clone(),
                amount_rials: amount,
                jalali_year: year,
                reason: why.into(),
                corrects_ledger_entry_id: String::new(),
                client_request_id: format!("bench-ledger-{renovation_code}"),
                kind: fpb::AdjustmentKind::Correction.into(),
            },
            clerk,
        ))
        .await
        .with_context(|| format!("recording levies of {renovation_code} (fees AddAdjustment)"))?;
    Ok(OwnedParcel {
        renovation_code,
        request_number: number,
        inside: (inside[0], inside[1]),
        has_debt: plan.debt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_national_codes_pass_the_check_digit_rule() {
        for n in [100_000_000, 123_456_789, 900_000_001, 101_234_567] {
            let code = national_code(n);
            estelam_domain::NationalCode::parse(&code).unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }

    #[test]
    fn parcels_of_one_run_do_not_touch() {
        let (a, ra) = square(7, 0);
        let (b, rb) = square(7, 1);
        assert!(ra[1][0] < rb[0][0], "{ra:?} {rb:?}");
        assert!(a[1] < b[1]);
        let (c, _) = square(7, 1000);
        assert!(c[0] > a[0]);
    }
}
