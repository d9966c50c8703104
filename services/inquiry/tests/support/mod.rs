//! Fake property, documents, fees and identity services for the inquiry service's tests:
//! real gRPC servers (behind the runtime's server stack, so they verify tokens like the
//! real ones) that implement only the RPCs the inquiry service calls, from a scripted
//! [`World`]; every other RPC answers UNIMPLEMENTED. Plus a [`Harness`] that starts the
//! fakes and the inquiry service over real gRPC, and can restart the inquiry service over
//! the same store and bus.

#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use estelam_inquiry::ports::{Ports, StaticBearer};
use estelam_proto::common::v1 as cpb;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::events::v1 as epb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::inquiry::v1::inquiry_service_client::InquiryServiceClient;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::auth::{Role, caller};
use estelam_runtime::bus::{AmqpBus, AmqpOptions, Event, EventBus, MemoryBus};
use estelam_runtime::config::Settings;
use estelam_runtime::db::Database;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;
use estelam_runtime::testing::{self, SpawnedServer, TokenMint};
use prost::Message;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

pub const PARCEL_CLEAN: &str = "3-12-405-7-0-0";
pub const PARCEL_DEBT: &str = "3-12-405-8-0-0";
pub const OWNER_NC: &str = "0076229645";
pub const OWNER_NAME: &str = "علی رضایی";
pub const OTHER_NC: &str = "1583250689";
pub const ORG_ID: &str = "0190f1c2-0000-7000-8000-0000000000aa";
pub const DEBT_RIALS: i64 = 12_500_000;
pub const FEE_RIALS: i64 = 500_000;

/// A request number with a valid check digit for sequence `n`.
pub fn request_number(n: u64) -> String {
    estelam_domain::CheckCode::from_sequence(estelam_domain::CodeKind::Request, n)
        .unwrap()
        .to_string()
}

/// A membership code with a valid check digit.
pub fn membership_code(n: u64) -> String {
    // Membership codes are random in production; any valid check digit will do here.
    let payload = format!("{n:09}");
    (0..10)
        .map(|d| format!("{payload}{d}"))
        .find(|c| estelam_domain::CheckCode::parse(estelam_domain::CodeKind::Membership, c).is_ok())
        .unwrap()
}

/// What the fakes know and what they were asked.
#[derive(Default)]
pub struct WorldState {
    pub parcels: HashMap<String, ppb::Parcel>,
    /// number → (parcel, used by inquiry)
    pub request_numbers: HashMap<String, (String, Option<String>)>,
    pub documents: HashMap<String, dpb::Document>,
    pub organizations: HashMap<String, ipb::Organization>,
    /// (national code, membership code) → account id
    pub memberships: HashMap<(String, String), String>,
    /// Levies owed per parcel.
    pub debts: HashMap<String, i64>,
    pub bills: HashMap<String, fpb::Bill>,
    /// Assess idempotency: client_request_id → bill id.
    pub assessed: HashMap<String, String>,
    /// The id the next stored bill gets, when a test wants to know it in advance.
    pub next_bill_id: Option<String>,
    /// Inquiry fees charged to authority accounts: inquiry id → charge.
    pub account_charges: HashMap<String, fpb::AccountCharge>,
    /// The tariffs fees has published (ListTariffs filters them by year).
    pub tariffs: Vec<fpb::Tariff>,
    /// Every call, `Service.Method`.
    pub calls: Vec<String>,
    /// Calls (`Service.Method`) held until as many of them are in flight as the barrier
    /// counts: a test makes two requests overlap for certain, not by luck of timing.
    pub rendezvous: HashMap<String, Arc<tokio::sync::Barrier>>,
}

#[derive(Clone, Default)]
pub struct World(pub Arc<Mutex<WorldState>>);

impl World {
    pub fn with<T>(&self, f: impl FnOnce(&mut WorldState) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }

    pub fn calls(&self, name: &str) -> usize {
        self.with(|w| w.calls.iter().filter(|c| *c == name).count())
    }

    fn log(&self, name: &str) {
        self.with(|w| w.calls.push(name.to_owned()));
    }

    /// Waits at the call's rendezvous, if a test set one; a partner that never comes fails
    /// the call after a deadline instead of hanging the test.
    async fn meet(&self, name: &str) {
        let Some(barrier) = self.with(|w| w.rendezvous.get(name).cloned()) else {
            return;
        };
        if tokio::time::timeout(Duration::from_secs(20), barrier.wait())
            .await
            .is_err()
        {
            panic!("{name}: the other call of the rendezvous never came");
        }
    }

    /// The standard world: two parcels (one clean, one owing levies) owned by
    /// [`OWNER_NC`], a request number for each, an organization, the applicant's
    /// documents.
    pub fn standard(applicant_account: &str) -> Self {
        let world = World::default();
        world.with(|w| {
            for (i, code) in [PARCEL_CLEAN, PARCEL_DEBT].iter().enumerate() {
                w.parcels.insert((*code).into(), parcel(code, i as i64));
                w.request_numbers
                    .insert(request_number(100 + i as u64), ((*code).into(), None));
            }
            w.debts.insert(PARCEL_DEBT.into(), DEBT_RIALS);
            w.tariffs.push(this_years_tariff(&[
                "property-transfer",
                "mortgage",
                "court",
                "building-permit-check",
            ]));
            w.organizations.insert(
                ORG_ID.into(),
                ipb::Organization {
                    organization_id: ORG_ID.into(),
                    r#type: ipb::OrganizationType::NotaryOffice as i32,
                    name: Some(cpb::LocalizedText {
                        fa: "دفتر اسناد رسمی شماره ۱۲ شاهین‌شهر".into(),
                        en: "Notary office No. 12, Shahin Shahr".into(),
                    }),
                    registry_number: "12".into(),
                    active: true,
                    ..Default::default()
                },
            );
            for (id, kind) in [
                ("doc-id-card", dpb::DocumentKind::NationalIdCard),
                ("doc-deed", dpb::DocumentKind::OwnershipDeed),
            ] {
                w.documents.insert(
                    id.into(),
                    dpb::Document {
                        document_id: id.into(),
                        owner_account_id: applicant_account.into(),
                        kind: kind as i32,
                        original_filename: format!("{id}.pdf"),
                        content_type: "application/pdf".into(),
                        ..Default::default()
                    },
                );
            }
            w.documents.insert(
                "doc-someone-elses-deed".into(),
                dpb::Document {
                    document_id: "doc-someone-elses-deed".into(),
                    owner_account_id: "someone-else".into(),
                    kind: dpb::DocumentKind::OwnershipDeed as i32,
                    ..Default::default()
                },
            );
        });
        world
    }
}

/// The current Jalali year in Iran.
pub fn this_jalali_year() -> i32 {
    estelam_domain::JalaliDate::today_in_iran(std::time::SystemTime::now())
        .unwrap()
        .year()
}

/// A tariff of the current Jalali year in force since its first day: the yearly levies and
/// an inquiry fee for each of `inquiry_fee_codes`.
pub fn this_years_tariff(inquiry_fee_codes: &[&str]) -> fpb::Tariff {
    let year = this_jalali_year();
    let start = estelam_domain::JalaliDate::new(year, 1, 1)
        .unwrap()
        .start_in_iran_unix_seconds();
    let item = |kind: fpb::TariffItemKind, code: &str| fpb::TariffItem {
        kind: kind as i32,
        basis: fpb::TariffBasis::Fixed as i32,
        amount_rials: FEE_RIALS,
        request_type_code: code.into(),
        ..Default::default()
    };
    let mut items = vec![
        item(fpb::TariffItemKind::RenewalLevy, ""),
        item(fpb::TariffItemKind::WasteFee, ""),
    ];
    items.extend(
        inquiry_fee_codes
            .iter()
            .map(|c| item(fpb::TariffItemKind::InquiryFee, c)),
    );
    fpb::Tariff {
        tariff_id: uuid::Uuid::now_v7().to_string(),
        jalali_year: year,
        effective_from: Some(prost_types::Timestamp {
            seconds: start,
            nanos: 0,
        }),
        items,
        version: 1,
        ..Default::default()
    }
}

pub fn parcel(code: &str, i: i64) -> ppb::Parcel {
    ppb::Parcel {
        renovation_code: code.into(),
        registry_plate: Some(ppb::RegistryPlate {
            main: "123".into(),
            sub: format!("{}", 45 + i),
            section: "5".into(),
        }),
        address: format!("شاهین‌شهر، خیابان عطار، کوچهٔ {}", 12 + i),
        land_use: ppb::LandUse::Residential as i32,
        land_area_dm2: 24_537,
        built_area_dm2: 40_000,
        floors: 2,
        land_value_rials_per_m2: 8_000_000,
        building_value_rials_per_m2: 5_000_000,
        ownership: Some(ppb::Ownership {
            ownership_type: ppb::OwnershipType::Full as i32,
            deed_number: format!("98765{i}"),
            owners: vec![ppb::Owner {
                kind: ppb::OwnerKind::NaturalPerson as i32,
                national_code: OWNER_NC.into(),
                full_name: OWNER_NAME.into(),
                share: Some(cpb::DangShare {
                    numerator: 6,
                    denominator: 1,
                }),
                deed_number: String::new(),
            }],
        }),
        version: 3,
        ..Default::default()
    }
}

/// Every fake requires the inquiry service's service token, as the real services will.
fn service_caller<T>(req: &Request<T>) -> Result<(), Status> {
    let c = caller(req).map_err(Status::from)?;
    if c.has(Role::Service) {
        Ok(())
    } else {
        Err(Status::permission_denied("service role required"))
    }
}

macro_rules! fake_service {
    ($trait:path => $ty:ty { $($body:tt)* } unimplemented { $($name:ident($req:ty) -> $resp:ty;)* }) => {
        #[tonic::async_trait]
        impl $trait for $ty {
            $($body)*
            $(
                async fn $name(&self, _r: Request<$req>) -> Result<Response<$resp>, Status> {
                    Err(Status::unimplemented(stringify!($name)))
                }
            )*
        }
    };
}

#[derive(Clone)]
pub struct FakeProperty(pub World);

fake_service! {
    ppb::property_service_server::PropertyService => FakeProperty {
        async fn get_parcel(&self, r: Request<ppb::GetParcelRequest>) -> Result<Response<ppb::GetParcelResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Property.GetParcel");
            let code = estelam_domain::RenovationCode::parse(&r.get_ref().renovation_code)
                .map_err(|e| Status::invalid_argument(e.to_string()))?
                .to_string();
            self.0
                .with(|w| w.parcels.get(&code).cloned())
                .map(|p| Response::new(ppb::GetParcelResponse { parcel: Some(p) }))
                .ok_or_else(|| Status::not_found("no such parcel"))
        }
        async fn pick_at(&self, r: Request<ppb::PickAtRequest>) -> Result<Response<ppb::PickAtResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Property.PickAt");
            // The clean parcel sits around (32.86, 51.55); anything else is outside.
            let p = r.get_ref().point.unwrap_or_default();
            if (p.lat - 32.86).abs() < 0.001 && (p.lon - 51.55).abs() < 0.001 {
                let parcel = self.0.with(|w| w.parcels.get(PARCEL_CLEAN).cloned());
                Ok(Response::new(ppb::PickAtResponse { parcel }))
            } else {
                Err(Status::not_found("no parcel here"))
            }
        }
        async fn verify_request_number(&self, r: Request<ppb::VerifyRequestNumberRequest>) -> Result<Response<ppb::VerifyRequestNumberResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Property.VerifyRequestNumber");
            let req = r.into_inner();
            let status = self.0.with(|w| match w.request_numbers.get(&req.number) {
                None => ppb::RequestNumberStatus::Unknown,
                Some((parcel, _)) if *parcel != req.renovation_code => ppb::RequestNumberStatus::OtherParcel,
                Some((_, Some(_))) => ppb::RequestNumberStatus::Used,
                Some(_) => ppb::RequestNumberStatus::Valid,
            });
            Ok(Response::new(ppb::VerifyRequestNumberResponse { status: status as i32, reason: None, expires_at: None }))
        }
        async fn mark_request_number_used(&self, r: Request<ppb::MarkRequestNumberUsedRequest>) -> Result<Response<ppb::MarkRequestNumberUsedResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Property.MarkRequestNumberUsed");
            let req = r.into_inner();
            self.0.with(|w| match w.request_numbers.get_mut(&req.number) {
                Some((parcel, used)) if *parcel == req.renovation_code => match used {
                    Some(by) if *by != req.inquiry_id => Err(Status::failed_precondition("used by another inquiry")),
                    _ => {
                        *used = Some(req.inquiry_id.clone());
                        Ok(Response::new(ppb::MarkRequestNumberUsedResponse { request_number: None }))
                    }
                },
                _ => Err(Status::failed_precondition("not this parcel's number")),
            })
        }
        async fn check_applicant(&self, r: Request<ppb::CheckApplicantRequest>) -> Result<Response<ppb::CheckApplicantResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Property.CheckApplicant");
            self.0.meet("Property.CheckApplicant").await;
            let req = r.into_inner();
            let parcel = self.0.with(|w| w.parcels.get(&req.renovation_code).cloned())
                .ok_or_else(|| Status::not_found("no such parcel"))?;
            let own = parcel.ownership.unwrap_or_default();
            let owner = own.owners.iter().find(|o| o.national_code == req.national_code);
            let (result, share) = match owner {
                None => (ppb::ApplicantCheckResult::NotOwner, None),
                Some(o) if !estelam_domain::names_match(&o.full_name, &req.full_name) => (ppb::ApplicantCheckResult::NameMismatch, o.share),
                Some(o) if own.ownership_type != req.ownership_type => (ppb::ApplicantCheckResult::TypeMismatch, o.share),
                Some(o) => (ppb::ApplicantCheckResult::Owner, o.share),
            };
            Ok(Response::new(ppb::CheckApplicantResponse {
                result: result as i32,
                share,
                reason: None,
                recorded_ownership_type: own.ownership_type,
                parcel_version: parcel.version,
            }))
        }
    }
    unimplemented {
        find_parcels_by_registry_plate(ppb::FindParcelsByRegistryPlateRequest) -> ppb::FindParcelsByRegistryPlateResponse;
        find_parcels_by_owner(ppb::FindParcelsByOwnerRequest) -> ppb::FindParcelsByOwnerResponse;
        list_my_parcels(ppb::ListMyParcelsRequest) -> ppb::ListMyParcelsResponse;
        search_parcels(ppb::SearchParcelsRequest) -> ppb::SearchParcelsResponse;
        parcels_in_box(ppb::ParcelsInBoxRequest) -> ppb::ParcelsInBoxResponse;
        list_map_labels(ppb::ListMapLabelsRequest) -> ppb::ListMapLabelsResponse;
        get_parcel_history(ppb::GetParcelHistoryRequest) -> ppb::GetParcelHistoryResponse;
        upsert_parcel(ppb::UpsertParcelRequest) -> ppb::UpsertParcelResponse;
        update_ownership(ppb::UpdateOwnershipRequest) -> ppb::UpdateOwnershipResponse;
        issue_request_number(ppb::IssueRequestNumberRequest) -> ppb::IssueRequestNumberResponse;
        list_request_numbers(ppb::ListRequestNumbersRequest) -> ppb::ListRequestNumbersResponse;
        list_audit_records(ppb::ListAuditRecordsRequest) -> ppb::ListAuditRecordsResponse;
    }
}

#[derive(Clone)]
pub struct FakeDocuments(pub World);

type DownloadStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<dpb::DownloadDocumentResponse, Status>> + Send>,
>;

fake_service! {
    dpb::document_service_server::DocumentService => FakeDocuments {
        type DownloadDocumentStream = DownloadStream;
        async fn upload_document(&self, _r: Request<tonic::Streaming<dpb::UploadDocumentRequest>>) -> Result<Response<dpb::UploadDocumentResponse>, Status> {
            Err(Status::unimplemented("upload_document"))
        }
        async fn download_document(&self, _r: Request<dpb::DownloadDocumentRequest>) -> Result<Response<DownloadStream>, Status> {
            Err(Status::unimplemented("download_document"))
        }
        async fn get_document_info(&self, r: Request<dpb::GetDocumentInfoRequest>) -> Result<Response<dpb::GetDocumentInfoResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Documents.GetDocumentInfo");
            self.0
                .with(|w| w.documents.get(&r.get_ref().document_id).cloned())
                .map(|d| Response::new(dpb::GetDocumentInfoResponse { document: Some(d) }))
                .ok_or_else(|| Status::not_found("no such document"))
        }
        async fn list_document_kinds(&self, r: Request<dpb::ListDocumentKindsRequest>) -> Result<Response<dpb::ListDocumentKindsResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Documents.ListDocumentKinds");
            // The five kinds the documents service seeds, as it names them.
            let kinds = [
                (dpb::DocumentKind::NationalIdCard, "کارت ملی", "national ID card"),
                (dpb::DocumentKind::OwnershipDeed, "سند مالکیت", "ownership deed"),
                (dpb::DocumentKind::AuthorityLetter, "نامهٔ مرجع", "authority letter"),
                (dpb::DocumentKind::Other, "سایر مدارک", "other document"),
                (dpb::DocumentKind::PowerOfAttorney, "وکالت‌نامه", "power of attorney"),
            ]
            .into_iter()
            .map(|(kind, fa, en)| dpb::DocumentKindInfo {
                code: kind.code().unwrap_or_default().to_owned(),
                name: Some(estelam_proto::common::v1::LocalizedText { fa: fa.into(), en: en.into() }),
                kind: kind as i32,
                active: true,
                ..Default::default()
            })
            .collect();
            Ok(Response::new(dpb::ListDocumentKindsResponse { kinds }))
        }
    }
    unimplemented {
        put_document_kind(dpb::PutDocumentKindRequest) -> dpb::PutDocumentKindResponse;
        list_documents(dpb::ListDocumentsRequest) -> dpb::ListDocumentsResponse;
        get_quota(dpb::GetQuotaRequest) -> dpb::GetQuotaResponse;
        list_audit_records(dpb::ListAuditRecordsRequest) -> dpb::ListAuditRecordsResponse;
    }
}

#[derive(Clone)]
pub struct FakeFees(pub World);

fake_service! {
    fpb::fee_service_server::FeeService => FakeFees {
        async fn assess(&self, r: Request<fpb::AssessRequest>) -> Result<Response<fpb::AssessResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.Assess");
            self.0.meet("Fees.Assess").await;
            let req = r.into_inner();
            let bill = self.0.with(|w| {
                if let Some(id) = w.assessed.get(&req.client_request_id) {
                    return w.bills[id].clone();
                }
                let kinds = &req.item_kinds;
                let wants = |k: fpb::BillItemKind| kinds.is_empty() || kinds.contains(&(k as i32));
                let mut lines = Vec::new();
                let owed = w.debts.get(&req.renovation_code).copied().unwrap_or(0);
                if owed > 0 && wants(fpb::BillItemKind::RenewalLevy) {
                    lines.push(fpb::BillLine {
                        jalali_year: 1402,
                        kind: fpb::BillItemKind::RenewalLevy as i32,
                        description: Some(cpb::LocalizedText { fa: "عوارض نوسازی ۱۴۰۲".into(), en: "Renewal levy 1402".into() }),
                        base_rials: owed,
                        total_rials: owed,
                        ..Default::default()
                    });
                }
                // The inquiry fee is charged only with debt in this world, so a clean
                // parcel owes nothing at all.
                if owed > 0 && wants(fpb::BillItemKind::InquiryFee) && !req.request_type_code.is_empty() {
                    lines.push(fpb::BillLine {
                        kind: fpb::BillItemKind::InquiryFee as i32,
                        description: Some(cpb::LocalizedText { fa: "هزینهٔ استعلام".into(), en: "Inquiry fee".into() }),
                        base_rials: FEE_RIALS,
                        total_rials: FEE_RIALS,
                        ..Default::default()
                    });
                }
                let total: i64 = lines.iter().map(|l| l.total_rials).sum();
                let id = w.next_bill_id.take().unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
                let bill = fpb::Bill {
                    bill_id: id.clone(),
                    renovation_code: req.renovation_code.clone(),
                    inquiry_id: req.inquiry_id.clone(),
                    request_type_code: req.request_type_code.clone(),
                    status: if total == 0 { fpb::BillStatus::Paid } else { fpb::BillStatus::Open } as i32,
                    lines,
                    total_base_rials: total,
                    total_rials: total,
                    ..Default::default()
                };
                w.bills.insert(id.clone(), bill.clone());
                w.assessed.insert(req.client_request_id.clone(), id);
                bill
            });
            Ok(Response::new(fpb::AssessResponse { balance_rials: bill.total_rials, bill: Some(bill) }))
        }
        async fn get_bill(&self, r: Request<fpb::GetBillRequest>) -> Result<Response<fpb::GetBillResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.GetBill");
            self.0
                .with(|w| w.bills.get(&r.get_ref().bill_id).cloned())
                .map(|b| Response::new(fpb::GetBillResponse { bill: Some(b) }))
                .ok_or_else(|| Status::not_found("no such bill"))
        }
        async fn charge_account(&self, r: Request<fpb::ChargeAccountRequest>) -> Result<Response<fpb::ChargeAccountResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.ChargeAccount");
            let req = r.into_inner();
            let charge = self.0.with(|w| {
                w.account_charges
                    .entry(req.inquiry_id.clone())
                    .or_insert_with(|| fpb::AccountCharge {
                        charge_id: uuid::Uuid::now_v7().to_string(),
                        account_id: req.account_id.clone(),
                        inquiry_id: req.inquiry_id.clone(),
                        request_type_code: req.request_type_code.clone(),
                        renovation_code: req.renovation_code.clone(),
                        amount_rials: FEE_RIALS,
                        description: Some(cpb::LocalizedText { fa: "هزینهٔ استعلام".into(), en: "Inquiry fee".into() }),
                        ..Default::default()
                    })
                    .clone()
            });
            Ok(Response::new(fpb::ChargeAccountResponse { charge: Some(charge), balance_rials: FEE_RIALS }))
        }
        async fn reverse_account_charge(&self, r: Request<fpb::ReverseAccountChargeRequest>) -> Result<Response<fpb::ReverseAccountChargeResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.ReverseAccountCharge");
            let inquiry_id = r.into_inner().inquiry_id;
            let charge = self.0.with(|w| {
                w.account_charges.get_mut(&inquiry_id).map(|c| {
                    c.reversed_at.get_or_insert(prost_types::Timestamp { seconds: 1, nanos: 0 });
                    c.clone()
                })
            });
            Ok(Response::new(fpb::ReverseAccountChargeResponse { charge, balance_rials: 0 }))
        }
        async fn list_tariffs(&self, r: Request<fpb::ListTariffsRequest>) -> Result<Response<fpb::ListTariffsResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.ListTariffs");
            let year = r.get_ref().jalali_year;
            let tariffs = self.0.with(|w| {
                w.tariffs.iter().filter(|t| year == 0 || t.jalali_year == year).cloned().collect()
            });
            Ok(Response::new(fpb::ListTariffsResponse { tariffs, next_page_token: String::new() }))
        }
        async fn start_payment(&self, r: Request<fpb::StartPaymentRequest>) -> Result<Response<fpb::StartPaymentResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Fees.StartPayment");
            let req = r.into_inner();
            let bill = self.0.with(|w| w.bills.get(&req.bill_id).cloned()).ok_or_else(|| Status::not_found("no such bill"))?;
            if bill.total_rials != req.amount_rials {
                return Err(Status::invalid_argument("amount differs from the bill"));
            }
            Ok(Response::new(fpb::StartPaymentResponse {
                payment: Some(fpb::Payment {
                    payment_id: format!("pay-{}", req.idempotency_key),
                    bill_id: bill.bill_id,
                    amount_rials: req.amount_rials,
                    status: fpb::PaymentStatus::Pending as i32,
                    provider: "sandbox".into(),
                    redirect_url: "https://sandbox.example/pay".into(),
                    ..Default::default()
                }),
            }))
        }
    }
    unimplemented {
        handle_psp_callback(fpb::HandlePspCallbackRequest) -> fpb::HandlePspCallbackResponse;
        get_payment(fpb::GetPaymentRequest) -> fpb::GetPaymentResponse;
        get_ledger(fpb::GetLedgerRequest) -> fpb::GetLedgerResponse;
        add_adjustment(fpb::AddAdjustmentRequest) -> fpb::AddAdjustmentResponse;
        get_tariff(fpb::GetTariffRequest) -> fpb::GetTariffResponse;
        put_tariff(fpb::PutTariffRequest) -> fpb::PutTariffResponse;
        get_clearance(fpb::GetClearanceRequest) -> fpb::GetClearanceResponse;
        reconcile_payments(fpb::ReconcilePaymentsRequest) -> fpb::ReconcilePaymentsResponse;
        get_sandbox_payment(fpb::GetSandboxPaymentRequest) -> fpb::GetSandboxPaymentResponse;
        decide_sandbox_payment(fpb::DecideSandboxPaymentRequest) -> fpb::DecideSandboxPaymentResponse;
        get_account_statement(fpb::GetAccountStatementRequest) -> fpb::GetAccountStatementResponse;
        preview_tariff(fpb::PreviewTariffRequest) -> fpb::PreviewTariffResponse;
        list_adjustment_proposals(fpb::ListAdjustmentProposalsRequest) -> fpb::ListAdjustmentProposalsResponse;
        decide_adjustment(fpb::DecideAdjustmentRequest) -> fpb::DecideAdjustmentResponse;
        list_audit_records(fpb::ListAuditRecordsRequest) -> fpb::ListAuditRecordsResponse;
        file_dispute(fpb::FileDisputeRequest) -> fpb::FileDisputeResponse;
        get_dispute(fpb::GetDisputeRequest) -> fpb::GetDisputeResponse;
        list_disputes(fpb::ListDisputesRequest) -> fpb::ListDisputesResponse;
        decide_dispute(fpb::DecideDisputeRequest) -> fpb::DecideDisputeResponse;
    }
}

impl FakeFees {
    /// What fees does when a payment confirms: settle the bill (the event is published
    /// separately by the test, as fees' outbox would).
    pub fn settle(world: &World, bill_id: &str, tracking_code: &str) -> fpb::Bill {
        world.with(|w| {
            let bill = w.bills.get_mut(bill_id).unwrap();
            bill.status = fpb::BillStatus::Paid as i32;
            bill.payment_id = format!("pay-{bill_id}");
            bill.tracking_code = tracking_code.into();
            bill.clone()
        })
    }
}

#[derive(Clone)]
pub struct FakeIdentity(pub World);

fake_service! {
    ipb::identity_service_server::IdentityService => FakeIdentity {
        async fn get_organization(&self, r: Request<ipb::GetOrganizationRequest>) -> Result<Response<ipb::GetOrganizationResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Identity.GetOrganization");
            self.0
                .with(|w| w.organizations.get(&r.get_ref().organization_id).cloned())
                .map(|o| Response::new(ipb::GetOrganizationResponse { organization: Some(o) }))
                .ok_or_else(|| Status::not_found("no such organization"))
        }
        async fn verify_membership_code(&self, r: Request<ipb::VerifyMembershipCodeRequest>) -> Result<Response<ipb::VerifyMembershipCodeResponse>, Status> {
            service_caller(&r)?;
            self.0.log("Identity.VerifyMembershipCode");
            let req = r.into_inner();
            let account = self.0.with(|w| w.memberships.get(&(req.national_code.clone(), req.membership_code.clone())).cloned());
            Ok(Response::new(ipb::VerifyMembershipCodeResponse {
                matches: account.is_some(),
                account_id: account.unwrap_or_default(),
                display_name: String::new(),
            }))
        }
    }
    unimplemented {
        register_citizen(ipb::RegisterCitizenRequest) -> ipb::RegisterCitizenResponse;
        get_contact(ipb::GetContactRequest) -> ipb::GetContactResponse;
        send_mobile_code(ipb::SendMobileCodeRequest) -> ipb::SendMobileCodeResponse;
        verify_mobile(ipb::VerifyMobileRequest) -> ipb::VerifyMobileResponse;
        login(ipb::LoginRequest) -> ipb::LoginResponse;
        refresh(ipb::RefreshRequest) -> ipb::RefreshResponse;
        logout(ipb::LogoutRequest) -> ipb::LogoutResponse;
        change_password(ipb::ChangePasswordRequest) -> ipb::ChangePasswordResponse;
        get_me(ipb::GetMeRequest) -> ipb::GetMeResponse;
        get_signing_keys(ipb::GetSigningKeysRequest) -> ipb::GetSigningKeysResponse;
        client_credentials_token(ipb::ClientCredentialsTokenRequest) -> ipb::ClientCredentialsTokenResponse;
        create_staff_account(ipb::CreateStaffAccountRequest) -> ipb::CreateStaffAccountResponse;
        create_authority_user(ipb::CreateAuthorityUserRequest) -> ipb::CreateAuthorityUserResponse;
        create_service_account(ipb::CreateServiceAccountRequest) -> ipb::CreateServiceAccountResponse;
        create_organization_client(ipb::CreateOrganizationClientRequest) -> ipb::CreateOrganizationClientResponse;
        rotate_client_secret(ipb::RotateClientSecretRequest) -> ipb::RotateClientSecretResponse;
        register_client_key(ipb::RegisterClientKeyRequest) -> ipb::RegisterClientKeyResponse;
        list_client_keys(ipb::ListClientKeysRequest) -> ipb::ListClientKeysResponse;
        revoke_client_key(ipb::RevokeClientKeyRequest) -> ipb::RevokeClientKeyResponse;
        reset_password(ipb::ResetPasswordRequest) -> ipb::ResetPasswordResponse;
        get_account(ipb::GetAccountRequest) -> ipb::GetAccountResponse;
        list_accounts(ipb::ListAccountsRequest) -> ipb::ListAccountsResponse;
        disable_account(ipb::DisableAccountRequest) -> ipb::DisableAccountResponse;
        enable_account(ipb::EnableAccountRequest) -> ipb::EnableAccountResponse;
        create_organization(ipb::CreateOrganizationRequest) -> ipb::CreateOrganizationResponse;
        disable_organization(ipb::DisableOrganizationRequest) -> ipb::DisableOrganizationResponse;
        enable_organization(ipb::EnableOrganizationRequest) -> ipb::EnableOrganizationResponse;
        list_organizations(ipb::ListOrganizationsRequest) -> ipb::ListOrganizationsResponse;
        list_audit_events(ipb::ListAuditEventsRequest) -> ipb::ListAuditEventsResponse;
        reseal_token_signing_keys(ipb::ResealTokenSigningKeysRequest) -> ipb::ResealTokenSigningKeysResponse;
    }
}

/// Which bus a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusKind {
    Memory,
    Amqp,
}

/// The bus kinds available: in-process always, RabbitMQ when configured.
pub fn buses() -> Vec<BusKind> {
    let mut v = vec![BusKind::Memory];
    if testing::amqp_url().is_some() {
        v.push(BusKind::Amqp);
    }
    v
}

/// The fakes and the inquiry service, over real gRPC.
pub struct Harness {
    pub mint: TokenMint,
    pub world: World,
    pub db: Database,
    pub bus: Arc<dyn EventBus>,
    amqp: Option<Arc<AmqpBus>>,
    pub settings: Arc<Settings>,
    pub service_token: String,
    fakes: Vec<SpawnedServer>,
    inquiry: Option<SpawnedServer>,
    inquiry_shutdown: tokio_util::sync::CancellationToken,
    pub client: InquiryServiceClient<Channel>,
    pub citizen_id: String,
    pub citizen: String,
    pub other_citizen: String,
    pub authority: String,
    pub clerk: String,
    pub admin: String,
}

impl Harness {
    /// The seal the service keeps its signing keys under (same settings, same KEK).
    pub fn seal(&self) -> estelam_inquiry::key_seal::KeySeal {
        estelam_inquiry::key_seal::load(
            self.settings.inquiry.signing_key_encryption_key.as_ref(),
            self.settings
                .inquiry
                .signing_key_encryption_key_previous
                .as_ref(),
            &self.settings.data_dir,
        )
        .unwrap()
    }

    pub async fn start(db: Database, bus: BusKind) -> Harness {
        Self::start_with(db, bus, |_| {}).await
    }

    /// Starts with the settings changed by `tweak`.
    pub async fn start_with(
        db: Database,
        bus: BusKind,
        tweak: impl FnOnce(&mut Settings),
    ) -> Harness {
        let mint = TokenMint::new();
        let citizen_id = format!("citizen-{}", testing::unique_suffix());
        let world = World::standard(&citizen_id);
        let verifier = mint.verifier();
        let grpc = estelam_runtime::config::GrpcSettings::default();
        let serve = |routes: tonic::service::Routes| {
            testing::spawn_grpc(GrpcServer::new(
                "fake",
                routes,
                grpc.clone(),
                verifier.clone(),
            ))
        };
        use tonic::service::Routes;
        let property = serve(Routes::new(
            ppb::property_service_server::PropertyServiceServer::new(FakeProperty(world.clone())),
        ))
        .await;
        let documents = serve(Routes::new(
            dpb::document_service_server::DocumentServiceServer::new(FakeDocuments(world.clone())),
        ))
        .await;
        let fees = serve(Routes::new(fpb::fee_service_server::FeeServiceServer::new(
            FakeFees(world.clone()),
        )))
        .await;
        let identity = serve(Routes::new(
            ipb::identity_service_server::IdentityServiceServer::new(FakeIdentity(world.clone())),
        ))
        .await;
        let mut settings = Settings::default();
        settings.endpoints.property = property.endpoint.clone();
        settings.endpoints.documents = documents.endpoint.clone();
        settings.endpoints.fees = fees.endpoint.clone();
        settings.endpoints.identity = identity.endpoint.clone();
        settings.inquiry.public_base_url = "https://estelam.example".into();
        // The answer-signing keys' encryption key: configured, so nothing is written into
        // the working directory's data dir; one per test process, as one per installation,
        // since a test may start several harnesses over one database.
        static KEK: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                rand::random::<[u8; 32]>(),
            )
        });
        settings.inquiry.signing_key_encryption_key =
            Some(secrecy::SecretString::from(KEK.clone()));
        settings.inquiry.debt_cleared_queue =
            format!("inquiry.debt-cleared.t{}", testing::unique_suffix());
        // The sweep runs at every start; tests restart to trigger it instead of waiting.
        settings.inquiry.recovery_interval_secs = 3600;
        tweak(&mut settings);
        let amqp = match bus {
            BusKind::Memory => None,
            BusKind::Amqp => Some(Arc::new(
                AmqpBus::connect(
                    &testing::amqp_url().unwrap(),
                    AmqpOptions {
                        connection_name: "inquiry-test".into(),
                        ..AmqpOptions::default()
                    },
                )
                .await
                .unwrap(),
            )),
        };
        let bus: Arc<dyn EventBus> = match &amqp {
            Some(a) => a.clone(),
            None => Arc::new(MemoryBus::new()),
        };
        let service_token = mint.token("inquiry-service", &[Role::Service]);
        let mut authority_claims = mint.claims("authority-user", &[Role::Authority]);
        authority_claims.org = Some(ORG_ID.into());
        // The citizen is the parcel's owner: a citizen files only as themselves, and who
        // they are comes from the token's national code.
        let mut citizen_claims = mint.claims(&citizen_id, &[Role::Citizen]);
        citizen_claims.nc = Some(OWNER_NC.into());
        let mut h = Harness {
            citizen: mint.sign(&citizen_claims),
            other_citizen: mint.token("another-citizen", &[Role::Citizen]),
            authority: mint.sign(&authority_claims),
            clerk: mint.token("clerk-1", &[Role::Clerk]),
            admin: mint.token("admin-1", &[Role::Admin]),
            citizen_id,
            mint,
            world,
            db,
            bus,
            amqp,
            settings: Arc::new(settings),
            service_token,
            fakes: vec![property, documents, fees, identity],
            inquiry: None,
            inquiry_shutdown: tokio_util::sync::CancellationToken::new(),
            client: InquiryServiceClient::new(
                estelam_runtime::grpc::channel("http://127.0.0.1:1", &grpc).unwrap(),
            ),
        };
        h.start_inquiry().await;
        h
    }

    /// Starts (or starts again) the inquiry service over the same store and bus.
    pub async fn start_inquiry(&mut self) {
        if let Err(e) = self.try_start_inquiry().await {
            panic!("the inquiry service starts: {e}");
        }
    }

    /// Starts the inquiry service, or says (the whole error chain) why it would not.
    pub async fn try_start_inquiry(&mut self) -> Result<(), String> {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let ctx = ServiceContext {
            settings: self.settings.clone(),
            db: self.db.clone(),
            verifier: self.mint.verifier(),
            bus: self.bus.clone(),
            shutdown: shutdown.clone(),
        };
        let ports = Ports::grpc(
            &self.settings,
            Arc::new(StaticBearer(self.service_token.clone())),
        )
        .unwrap();
        let server = match estelam_inquiry::build_with(&ctx, ports).await {
            Ok(server) => server,
            Err(e) => {
                // Stop what it started before it gave up (the outbox relay).
                shutdown.cancel();
                return Err(format!("{e:#}"));
            }
        };
        let spawned = testing::spawn_grpc(server).await;
        self.client = InquiryServiceClient::new(spawned.channel());
        self.inquiry = Some(spawned);
        self.inquiry_shutdown = shutdown;
        Ok(())
    }

    /// Stops the inquiry service: its server, consumer, relay and sweep.
    pub async fn stop_inquiry(&mut self) {
        self.inquiry_shutdown.cancel();
        if let Some(s) = self.inquiry.take() {
            s.stop().await;
        }
    }

    pub async fn stop(mut self) {
        self.stop_inquiry().await;
        // Tests leave no durable queues behind on the broker.
        if let Some(amqp) = &self.amqp {
            amqp.delete_queue(&self.settings.inquiry.debt_cleared_queue)
                .await
                .unwrap();
        }
        for f in self.fakes.drain(..) {
            f.stop().await;
        }
    }

    /// Publishes `fees.debt.cleared` as the fees service's relay would.
    pub async fn publish_debt_cleared(
        &self,
        inquiry_id: &str,
        bill_id: &str,
        parcel: &str,
        tracking: &str,
        amount: i64,
    ) -> String {
        let mut event = Event::new(
            estelam_proto::routing_keys::DEBT_CLEARED,
            "estelam.events.v1.DebtCleared",
            Vec::new(),
        );
        event.payload = epb::DebtCleared {
            event_id: event.id.clone(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_760_000_000,
                nanos: 0,
            }),
            renovation_code: parcel.into(),
            bill_id: bill_id.into(),
            inquiry_id: inquiry_id.into(),
            payment_id: format!("pay-{bill_id}"),
            tracking_code: tracking.into(),
            amount_rials: amount,
            balance_rials: 0,
            disputes: Vec::new(),
        }
        .encode_to_vec();
        self.bus.publish(&event).await.unwrap();
        event.id
    }

    /// Republishes an event with the same id (a relay that published twice).
    pub async fn republish(&self, event: &Event) {
        self.bus.publish(event).await.unwrap();
    }

    pub async fn get(&self, token: &str, id: &str) -> Result<pb::Inquiry, Status> {
        self.client
            .clone()
            .get_inquiry(testing::with_token(
                pb::GetInquiryRequest {
                    key: Some(pb::get_inquiry_request::Key::InquiryId(id.into())),
                },
                token,
            ))
            .await
            .map(|r| r.into_inner().inquiry.unwrap())
    }

    /// Polls until the inquiry reaches `state` (never sleeps a fixed time to wait).
    pub async fn wait_for_state(&self, id: &str, state: pb::InquiryState) -> pb::Inquiry {
        testing::eventually(
            &format!("inquiry {id} to reach {state:?}"),
            Duration::from_secs(20),
            async || {
                let inq = self.get(&self.clerk, id).await.unwrap();
                if inq.state == state as i32 {
                    Ok(inq)
                } else {
                    Err(pb::InquiryState::try_from(inq.state))
                }
            },
        )
        .await
    }

    /// Walks a new inquiry of `type_code` through steps 3–6 for `parcel`; returns it at
    /// APPLICANT_VERIFIED.
    pub async fn ready_to_submit(
        &self,
        type_code: &str,
        parcel: &str,
        number: &str,
    ) -> pb::Inquiry {
        let inq = self
            .ready_for_applicant(
                &self.citizen,
                type_code,
                parcel,
                number,
                &["doc-id-card", "doc-deed"],
            )
            .await;
        self.client
            .clone()
            .set_applicant(testing::with_token(
                pb::SetApplicantRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: uuid::Uuid::now_v7().to_string(),
                    full_name: "علي  رضايي".into(),
                    national_code: "۰۰۷۶۲۲۹۶۴۵".into(),
                    ownership_type: ppb::OwnershipType::Full as i32,
                    representation: None,
                },
                &self.citizen,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap()
    }

    /// Walks a new inquiry of `type_code` through steps 3–5 as the holder of `t`, attaching
    /// `documents` (theirs); returns it ready for the applicant step.
    pub async fn ready_for_applicant(
        &self,
        t: &str,
        type_code: &str,
        parcel: &str,
        number: &str,
        documents: &[&str],
    ) -> pb::Inquiry {
        let mut c = self.client.clone();
        let inq = c
            .create_inquiry(testing::with_token(
                pb::CreateInquiryRequest {
                    request_type_code: type_code.into(),
                    client_request_id: uuid::Uuid::now_v7().to_string(),
                },
                t,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        let rt = c
            .get_request_type(testing::with_token(
                pb::GetRequestTypeRequest {
                    code: type_code.into(),
                },
                t,
            ))
            .await
            .unwrap()
            .into_inner()
            .request_type
            .unwrap();
        let inq = c
            .accept_undertakings(testing::with_token(
                pb::AcceptUndertakingsRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: uuid::Uuid::now_v7().to_string(),
                    undertaking_version_ids: rt
                        .undertakings
                        .iter()
                        .map(|u| u.undertaking_version_id.clone())
                        .collect(),
                },
                t,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        let inq = c
            .set_property(testing::with_token(
                pb::SetPropertyRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: uuid::Uuid::now_v7().to_string(),
                    location: Some(pb::set_property_request::Location::RenovationCode(
                        parcel.replace('-', "/"),
                    )),
                    request_number: estelam_domain::to_persian_digits(number),
                },
                t,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap();
        let inq = if rt.letter_required {
            c.set_letter(testing::with_token(
                pb::SetLetterRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: uuid::Uuid::now_v7().to_string(),
                    letter_number: "۱۲۳/ن/۴۵".into(),
                    letter_date_jalali: "1403/05/12".into(),
                    authority_organization_id: ORG_ID.into(),
                },
                t,
            ))
            .await
            .unwrap()
            .into_inner()
            .inquiry
            .unwrap()
        } else {
            inq
        };
        c.attach_documents(testing::with_token(
            pb::AttachDocumentsRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: uuid::Uuid::now_v7().to_string(),
                document_ids: documents.iter().map(|d| (*d).to_owned()).collect(),
            },
            t,
        ))
        .await
        .unwrap()
        .into_inner()
        .inquiry
        .unwrap()
    }

    pub async fn submit(&self, inq: &pb::Inquiry, key: &str) -> Result<pb::SubmitResponse, Status> {
        self.submit_as(&self.citizen, inq, key).await
    }

    /// Submit by the holder of `token`.
    pub async fn submit_as(
        &self,
        token: &str,
        inq: &pb::Inquiry,
        key: &str,
    ) -> Result<pb::SubmitResponse, Status> {
        self.client
            .clone()
            .submit(testing::with_token(
                pb::SubmitRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: key.into(),
                },
                token,
            ))
            .await
            .map(|r| r.into_inner())
    }

    /// How many `inquiry.answer.issued` events the inquiry service's outbox holds for an
    /// inquiry (every one it will ever publish).
    pub async fn answer_events(&self, inquiry_id: &str) -> usize {
        let rows = sqlx::query("SELECT id, payload FROM outbox WHERE routing_key = $1")
            .bind(estelam_proto::routing_keys::ANSWER_ISSUED)
            .fetch_all(self.db.pool())
            .await
            .unwrap();
        use sqlx::Row;
        rows.iter()
            .filter(|r| {
                let p: Vec<u8> = r.try_get("payload").unwrap();
                let id: String = r.try_get("id").unwrap();
                let event = epb::AnswerIssued::decode(p.as_slice()).unwrap();
                assert_eq!(
                    event.event_id, id,
                    "the payload's event_id is the message id"
                );
                event.inquiry_id == inquiry_id
            })
            .count()
    }

    pub async fn answers_stored(&self, inquiry_id: &str) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM answers WHERE inquiry_id = $1")
            .bind(inquiry_id)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }
}

/// The localized messages of a refusal, for asserting both languages are present.
pub fn messages(status: &Status) -> (String, String, String) {
    let e = estelam_runtime::error::ServiceError::from_status(status);
    (e.reason, e.message_fa, e.message_en)
}
