//! What a bulk-filing test needs (`tests/batches.rs`, `tests/batch_faults.rs`): parcels of
//! the test's own, owned outright by one demo citizen (registered by the clerk, each with a
//! request number), and the batch request an office's software sends for them.

use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use tonic::transport::Channel;

use super::nine_steps::grpc::{self, DocumentsClient, Once, PropertyClient};
use super::nine_steps::{LETTER_DATE, LETTER_NUMBER, key};

/// The request type a batch files: an authority's (a court's) inquiry, its fee charged to
/// the office's account, needing only the applicant's national ID card.
pub const REQUEST_TYPE: &str = "court";

/// A parcel of the test's own and the request number the clerk issued for it.
#[derive(Debug, Clone)]
pub struct OwnParcel {
    pub renovation_code: String,
    pub request_number: String,
}

/// A gRPC channel to `endpoint`.
pub fn channel(settings: &Settings, endpoint: &str) -> Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("an endpoint")
}

/// Registers `n` parcels in zone `zone` (a zone no other test of the run uses), each a small
/// square away from the demo city owned outright by the owner, and issues a request number
/// for each, as the clerk; retries while a service is briefly unavailable.
pub async fn register_parcels(
    settings: &Settings,
    clerk: &str,
    owner_national_code: &str,
    owner_name: &str,
    zone: u32,
    n: usize,
) -> Vec<OwnParcel> {
    use futures::StreamExt as _;
    let property = PropertyClient::new(channel(settings, &settings.endpoints.property));
    futures::stream::iter(0..n)
        .map(|i| {
            let property = property.clone();
            async move {
                let code = format!("{zone}-{}-1-{}-0-0", 2 + i / 500, 1 + i % 500);
                let (x, y) = (
                    51.0 + f64::from(zone % 10) * 0.1 + (i % 100) as f64 * 0.0005,
                    32.3 + (i / 100) as f64 * 0.0005,
                );
                let ring = [
                    [x, y],
                    [x + 0.0004, y],
                    [x + 0.0004, y + 0.0004],
                    [x, y + 0.0004],
                    [x, y],
                ]
                .iter()
                .map(|[lon, lat]| format!("[{lon},{lat}]"))
                .collect::<Vec<_>>()
                .join(",");
                let parcel = ppb::Parcel {
                    renovation_code: code.clone(),
                    registry_plate: Some(ppb::RegistryPlate {
                        main: format!("{}", 8000 + zone),
                        sub: (i + 1).to_string(),
                        section: "5".into(),
                    }),
                    address: format!("شاهین‌شهر، خیابان دسته، پلاک {}", i + 1),
                    land_use: ppb::LandUse::Residential as i32,
                    land_area_dm2: 25_000,
                    built_area_dm2: 40_000,
                    floors: 2,
                    land_value_rials_per_m2: 8_000_000,
                    building_value_rials_per_m2: 5_000_000,
                    geometry_geojson: format!(
                        "{{\"type\":\"Polygon\",\"coordinates\":[[{ring}]]}}"
                    ),
                    ownership: Some(ppb::Ownership {
                        ownership_type: ppb::OwnershipType::Full as i32,
                        deed_number: format!("{zone}{i:05}"),
                        owners: vec![ppb::Owner {
                            kind: ppb::OwnerKind::NaturalPerson as i32,
                            national_code: owner_national_code.to_owned(),
                            full_name: owner_name.to_owned(),
                            share: Some(estelam_proto::common::v1::DangShare {
                                numerator: 6,
                                denominator: 1,
                            }),
                            deed_number: String::new(),
                        }],
                    }),
                    ..Default::default()
                };
                let request = ppb::UpsertParcelRequest {
                    client_request_id: key(),
                    parcel: Some(parcel),
                    expected_version: 0,
                    reason: "batch test".into(),
                };
                property
                    .clone()
                    .upsert_parcel(outgoing(request, Some(clerk)))
                    .await
                    .unwrap_or_else(|e| panic!("registering parcel {code}: {e}"));
                let request_number =
                    grpc::issue_request_number(&Once, &property, clerk, &code, "batch test")
                        .await
                        .unwrap_or_else(|e| panic!("a request number for {code}: {e}"));
                OwnParcel {
                    renovation_code: code,
                    request_number,
                }
            }
        })
        .buffered(8)
        .collect()
        .await
}

/// The citizen uploads their national ID card, which every item of the batch attaches.
pub async fn upload_id_card(settings: &Settings, citizen_token: &str) -> String {
    let documents = DocumentsClient::new(channel(settings, &settings.endpoints.documents));
    grpc::upload(
        &Once,
        &documents,
        citizen_token,
        dpb::DocumentKind::NationalIdCard,
        "card.png",
        fixtures::png(320, 200),
    )
    .await
    .expect("the ID card uploads")
}

/// The applicant every item names: an owner who consented with their membership code.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub national_code: String,
    pub membership_code: String,
    pub full_name: String,
    /// Their uploaded national ID card.
    pub id_card: String,
}

/// The batch request for `parcels`, all for `applicant`, under `client_batch_id`, with the
/// request type's current undertakings accepted.
pub fn request(
    client_batch_id: &str,
    request_type: &pb::RequestType,
    applicant: &Applicant,
    parcels: &[OwnParcel],
) -> pb::CreateBatchRequest {
    pb::CreateBatchRequest {
        client_batch_id: client_batch_id.to_owned(),
        request_type_code: request_type.code.clone(),
        letter_number: LETTER_NUMBER.into(),
        letter_date_jalali: LETTER_DATE.into(),
        undertaking_version_ids: request_type
            .undertakings
            .iter()
            .map(|u| u.undertaking_version_id.clone())
            .collect(),
        items: parcels
            .iter()
            .map(|p| pb::BatchItemInput {
                renovation_code: p.renovation_code.clone(),
                request_number: p.request_number.clone(),
                applicant_national_code: applicant.national_code.clone(),
                applicant_membership_code: applicant.membership_code.clone(),
                applicant_full_name: applicant.full_name.clone(),
                ownership_type: ppb::OwnershipType::Full as i32,
                document_ids: vec![applicant.id_card.clone()],
                letter_number: String::new(),
            })
            .collect(),
    }
}

/// Every item of the batch, read a page of `page_size` at a time.
pub async fn all_items(
    inquiry: &grpc::InquiryClient,
    token: &str,
    batch_id: &str,
    page_size: i32,
) -> Result<Vec<pb::BatchItem>, tonic::Status> {
    let mut items = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = inquiry
            .clone()
            .list_batch_items(outgoing(
                pb::ListBatchItemsRequest {
                    batch_id: batch_id.to_owned(),
                    page_size,
                    page_token: page_token.clone(),
                    outcome: 0,
                },
                Some(token),
            ))
            .await?
            .into_inner();
        items.extend(page.items);
        if page.next_page_token.is_empty() {
            return Ok(items);
        }
        page_token = page.next_page_token;
    }
}
