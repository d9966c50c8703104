//! The focused scenarios: one kind of call, many times, closed loop. Map pick and parcel
//! lookup run twice, through the gateway (HTTP/JSON) and straight to the property
//! service over gRPC with the same token and points, as the side-by-side baseline of the
//! gateway's cost. Upload, public answer verification and the authority's bulk-status call
//! (gRPC, up to 1,000 inquiry numbers per call) run once each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as ipb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::grpc::outgoing;
use tonic::transport::Channel;

use super::drive::closed_loop;
use super::flow::{FlowContext, Issued, upload};
use super::setup::OwnedParcel;
use super::stats::{Failure, Stats};

/// One focused scenario's name and the label its calls are recorded under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /api/v1/parcels/at`.
    PickHttp,
    /// property `PickAt` over gRPC.
    PickGrpc,
    /// `GET /api/v1/parcels/{code}`.
    LookupHttp,
    /// property `GetParcel` over gRPC.
    LookupGrpc,
    /// `POST /api/v1/documents` (a 320×200 PNG).
    Upload,
    /// `GET /api/v1/answers/{verification_code}` (public, no login).
    Verify,
    /// inquiry `BulkStatus` over gRPC. Called as the clerk: an authority's user sees only
    /// the inquiries its office filed, and the flows' inquiries are the citizens' own; the
    /// lookup is the same for either role.
    BulkStatus,
}

impl Scenario {
    /// Every focused scenario, in report order.
    pub const ALL: [Scenario; 7] = [
        Scenario::PickHttp,
        Scenario::PickGrpc,
        Scenario::LookupHttp,
        Scenario::LookupGrpc,
        Scenario::Upload,
        Scenario::Verify,
        Scenario::BulkStatus,
    ];

    /// The label of its calls in the report.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::PickHttp => "map pick, gateway (HTTP)",
            Scenario::PickGrpc => "map pick, direct gRPC PickAt",
            Scenario::LookupHttp => "parcel lookup, gateway (HTTP)",
            Scenario::LookupGrpc => "parcel lookup, direct gRPC GetParcel",
            Scenario::Upload => "upload, gateway (HTTP multipart)",
            Scenario::Verify => "answer verification, gateway (public)",
            Scenario::BulkStatus => "BulkStatus (clerk), gRPC",
        }
    }
}

/// What the focused scenarios call with.
pub struct Targets {
    /// The gateway and the documents to upload.
    pub flow: Arc<FlowContext>,
    /// The property service, directly.
    pub property: ppb::property_service_client::PropertyServiceClient<Channel>,
    /// The inquiry service, directly.
    pub inquiry: ipb::inquiry_service_client::InquiryServiceClient<Channel>,
    /// Citizens' tokens, taken in turn (picks, lookups and uploads; each citizen has a
    /// document quota, so one citizen alone would soon be refused uploads).
    pub citizen_tokens: Vec<String>,
    /// The token the bulk-status calls carry (the clerk's).
    pub tracker_token: String,
    /// Parcels with a point inside each.
    pub parcels: Vec<OwnedParcel>,
    /// Issued inquiries of the flow phases.
    pub issued: Vec<Issued>,
    /// Inquiry numbers per bulk-status call.
    pub bulk_size: usize,
}

fn grpc_failure(step: &'static str, status: &tonic::Status) -> Failure {
    let e = estelam_runtime::error::ServiceError::from_status(status);
    Failure::new(step, format!("gRPC {:?} {}", status.code(), e.reason))
}

/// Runs `scenario` `total` times on `workers` workers; returns the wall time, or why it
/// cannot run (nothing to call it with).
pub async fn run(
    scenario: Scenario,
    t: &Arc<Targets>,
    total: usize,
    workers: usize,
    stats: &Arc<Stats>,
) -> Result<Duration, String> {
    if t.parcels.is_empty() || t.citizen_tokens.is_empty() {
        return Err("no parcels were set up".into());
    }
    if matches!(scenario, Scenario::Verify | Scenario::BulkStatus) && t.issued.is_empty() {
        return Err("no flow completed, so there is no answer to verify or track".into());
    }
    let label = scenario.label();
    let (t, st) = (t.clone(), stats.clone());
    Ok(closed_loop(total, workers, stats, move |i| {
        let (t, stats) = (t.clone(), st.clone());
        async move {
            let parcel = &t.parcels[i % t.parcels.len()];
            let api = &t.flow.api;
            let token = t.citizen_tokens[i % t.citizen_tokens.len()].as_str();
            match scenario {
                Scenario::PickHttp => {
                    let (lat, lon) = parcel.inside;
                    let path = format!("/api/v1/parcels/at?lat={lat}&lon={lon}");
                    let body = api.get(&stats, label, &path, Some(token)).await?;
                    if body["renovation_code"].as_str() != Some(parcel.renovation_code.as_str()) {
                        return Err(Failure::new(label, "picked another parcel"));
                    }
                }
                Scenario::PickGrpc => {
                    let (lat, lon) = parcel.inside;
                    let started = Instant::now();
                    let r = t
                        .property
                        .clone()
                        .pick_at(outgoing(
                            ppb::PickAtRequest {
                                point: Some(cpb::GeoPoint { lat, lon }),
                            },
                            Some(token),
                        ))
                        .await
                        .map_err(|s| grpc_failure(label, &s))?
                        .into_inner();
                    stats.record(label, started.elapsed());
                    if r.parcel.map(|p| p.renovation_code).as_deref()
                        != Some(parcel.renovation_code.as_str())
                    {
                        return Err(Failure::new(label, "picked another parcel"));
                    }
                }
                Scenario::LookupHttp => {
                    let path = format!("/api/v1/parcels/{}", parcel.renovation_code);
                    api.get(&stats, label, &path, Some(token)).await?;
                }
                Scenario::LookupGrpc => {
                    let started = Instant::now();
                    t.property
                        .clone()
                        .get_parcel(outgoing(
                            ppb::GetParcelRequest {
                                renovation_code: parcel.renovation_code.clone(),
                            },
                            Some(token),
                        ))
                        .await
                        .map_err(|s| grpc_failure(label, &s))?;
                    stats.record(label, started.elapsed());
                }
                Scenario::Upload => {
                    // Recorded under the flow's "upload" label; re-recorded under this one.
                    let started = Instant::now();
                    let scratch = Stats::default();
                    upload(
                        &t.flow,
                        &scratch,
                        token,
                        "national_id_card",
                        "card.png",
                        "image/png",
                        &t.flow.id_card,
                    )
                    .await
                    .map_err(|f| Failure::new(label, f.reason))?;
                    stats.record(label, started.elapsed());
                }
                Scenario::Verify => {
                    let code = &t.issued[i % t.issued.len()].verification_code;
                    let body = api
                        .get(&stats, label, &format!("/api/v1/answers/{code}"), None)
                        .await?;
                    if body.is_null() {
                        return Err(Failure::new(label, "empty verification"));
                    }
                }
                Scenario::BulkStatus => {
                    let n = t.bulk_size.clamp(1, 1000);
                    let numbers: Vec<String> = (0..n)
                        .map(|k| {
                            t.issued[(i * n + k) % t.issued.len()]
                                .inquiry_number
                                .clone()
                        })
                        .collect();
                    let started = Instant::now();
                    let r = t
                        .inquiry
                        .clone()
                        .bulk_status(outgoing(
                            ipb::BulkStatusRequest {
                                inquiry_numbers: numbers,
                            },
                            Some(&t.tracker_token),
                        ))
                        .await
                        .map_err(|s| grpc_failure(label, &s))?
                        .into_inner();
                    stats.record(label, started.elapsed());
                    if r.entries.len() != n || r.entries.iter().any(|e| !e.found) {
                        return Err(Failure::new(label, "an issued inquiry was not found"));
                    }
                }
            }
            Ok(())
        }
    })
    .await)
}
