//! The nine steps over gRPC, straight to the services (as an authority's software calls
//! them). How each call is sent is the caller's choice ([`Calls`]): once, so that a test sees
//! every refusal ([`Once`]), or retried while the system is broken (the fault workload),
//! always with the same request and so the same idempotency key.

use std::future::Future;

use bytes::Bytes;
use estelam_documents::inspect::fixtures;
use estelam_proto::documents::v1 as dpb;
use estelam_proto::fees::v1 as fpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::grpc::outgoing;
use futures::future::BoxFuture;
use tonic::Status;
use tonic::transport::Channel;

use super::{LETTER_DATE, LETTER_NUMBER, key};

// Short names for the generated clients the steps call.
pub type InquiryClient = pb::inquiry_service_client::InquiryServiceClient<Channel>;
pub type DocumentsClient = dpb::document_service_client::DocumentServiceClient<Channel>;
pub type PropertyClient = ppb::property_service_client::PropertyServiceClient<Channel>;
pub type FeesClient = fpb::fee_service_client::FeeServiceClient<Channel>;

/// How one RPC is sent: `attempt` makes the call afresh each time it is run (the same
/// request, so the same idempotency key), and the policy decides how often to run it.
///
/// The answer is a boxed future: the driver's futures run on spawned tasks, and a boxed
/// `Send` future spares the compiler proving that the attempts' futures are `Send` for
/// every lifetime (which it cannot do for closures returning `async` blocks).
pub trait Calls: Sync {
    /// Runs `attempt` until the policy is satisfied; returns its last answer.
    fn call<'a, T, F, Fut>(&'a self, attempt: F) -> BoxFuture<'a, Result<T, Status>>
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T, Status>> + Send + 'a;
}

/// Each call once: a refusal is the test's to check.
pub struct Once;

impl Calls for Once {
    fn call<'a, T, F, Fut>(&'a self, mut attempt: F) -> BoxFuture<'a, Result<T, Status>>
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T, Status>> + Send + 'a,
    {
        Box::pin(attempt())
    }
}

/// Sends `$request` by `$calls` to `$client.$method`, with `$token`; evaluates to the
/// future of the response message.
macro_rules! rpc {
    ($calls:expr, $client:expr, $token:expr, $method:ident, $request:expr) => {{
        let (client, request, token) = ($client.clone(), $request, $token.to_owned());
        $calls.call(move || {
            let mut client = client.clone();
            let request = outgoing(request.clone(), Some(token.as_str()));
            async move {
                client
                    .$method(request)
                    .await
                    .map(tonic::Response::into_inner)
            }
        })
    }};
}

/// `status`, its message prefixed with the step that was refused (the code and the
/// details a test asserts on are kept).
fn at_step(step: &str, status: Status) -> Status {
    Status::with_details_and_metadata(
        status.code(),
        format!("{step}: {}", status.message()),
        Bytes::copy_from_slice(status.details()),
        status.metadata().clone(),
    )
}

/// The inquiring authority's letter of step 5, which the answer will cite.
#[derive(Debug, Clone)]
pub struct Letter {
    pub number: String,
    /// Jalali, `YYYY/MM/DD`; a date in the future is refused.
    pub date_jalali: String,
    pub authority_organization_id: String,
}

impl Letter {
    /// A letter from `authority`, numbered and dated as in every driven inquiry.
    pub fn from_authority(authority: &str) -> Self {
        Self {
            number: LETTER_NUMBER.into(),
            date_jalali: LETTER_DATE.into(),
            authority_organization_id: authority.into(),
        }
    }
}

/// What an applicant gives in steps 4 to 6, all good.
#[derive(Debug, Clone)]
pub struct Application {
    pub renovation_code: String,
    /// Issued by a clerk for this parcel; checked against the property's records.
    pub request_number: String,
    /// Sent when the request type asks for a letter.
    pub letter: Letter,
    /// Uploaded documents: the national ID card and the ownership deed.
    pub documents: Vec<String>,
    /// As on the deed: checked against the parcel's owners.
    pub full_name: String,
    pub national_code: String,
    pub ownership_type: ppb::OwnershipType,
}

/// A request type, as an applicant reads it before filing.
pub async fn request_type(
    calls: &impl Calls,
    client: &InquiryClient,
    token: &str,
    code: &str,
) -> Result<pb::RequestType, Status> {
    let request = pb::GetRequestTypeRequest { code: code.into() };
    let response = rpc!(calls, client, token, get_request_type, request).await?;
    Ok(response
        .request_type
        .expect("a request type in the response"))
}

/// One inquiry being filed by one applicant; each step keeps the inquiry it answered, so
/// the next one names the version it changes.
pub struct Filing<'c, C: Calls> {
    calls: &'c C,
    client: InquiryClient,
    token: String,
    /// The type filed, as read before filing.
    pub request_type: pb::RequestType,
    /// The inquiry as the last step that succeeded left it.
    pub inquiry: pb::Inquiry,
}

impl<'c, C: Calls> Filing<'c, C> {
    /// Steps 3: creates an inquiry of `request_type` and accepts every one of its
    /// undertakings.
    pub async fn open(
        calls: &'c C,
        client: &InquiryClient,
        token: &str,
        request_type: &pb::RequestType,
    ) -> Result<Self, Status> {
        let request = pb::CreateInquiryRequest {
            request_type_code: request_type.code.clone(),
            client_request_id: key(),
        };
        let created = rpc!(calls, client, token, create_inquiry, request)
            .await
            .map_err(|s| at_step("create", s))?;
        let created = created.inquiry.expect("the created inquiry");
        Self::resume(calls, client, token, request_type, created).await
    }

    /// Step 3 for a draft someone has already filed (an office, on a citizen's behalf):
    /// every undertaking of `request_type` accepted, and the filing ready for step 4.
    pub async fn resume(
        calls: &'c C,
        client: &InquiryClient,
        token: &str,
        request_type: &pb::RequestType,
        draft: pb::Inquiry,
    ) -> Result<Self, Status> {
        let mut filing = Self {
            calls,
            client: client.clone(),
            token: token.to_owned(),
            request_type: request_type.clone(),
            inquiry: draft,
        };
        let request = pb::AcceptUndertakingsRequest {
            inquiry_id: filing.inquiry.inquiry_id.clone(),
            expected_version: filing.inquiry.version,
            client_request_id: key(),
            undertaking_version_ids: request_type
                .undertakings
                .iter()
                .map(|u| u.undertaking_version_id.clone())
                .collect(),
        };
        let accepted = rpc!(calls, client, token, accept_undertakings, request)
            .await
            .map_err(|s| at_step("undertakings", s))?;
        filing.keep(accepted.inquiry);
        Ok(filing)
    }

    fn keep(&mut self, inquiry: Option<pb::Inquiry>) {
        self.inquiry = inquiry.expect("the changed inquiry in the response");
    }

    /// Step 4: the parcel by renovation code, and the request number issued for it.
    pub async fn property(
        &mut self,
        renovation_code: &str,
        request_number: &str,
    ) -> Result<(), Status> {
        let request = pb::SetPropertyRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            location: Some(pb::set_property_request::Location::RenovationCode(
                renovation_code.into(),
            )),
            request_number: request_number.into(),
        };
        let r = rpc!(self.calls, self.client, self.token, set_property, request).await?;
        self.keep(r.inquiry);
        Ok(())
    }

    /// Step 5: the authority's letter.
    pub async fn letter(&mut self, letter: &Letter) -> Result<(), Status> {
        let request = pb::SetLetterRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            letter_number: letter.number.clone(),
            letter_date_jalali: letter.date_jalali.clone(),
            authority_organization_id: letter.authority_organization_id.clone(),
        };
        let r = rpc!(self.calls, self.client, self.token, set_letter, request).await?;
        self.keep(r.inquiry);
        Ok(())
    }

    /// Step 5: the uploaded documents.
    pub async fn documents(&mut self, document_ids: Vec<String>) -> Result<(), Status> {
        let request = pb::AttachDocumentsRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            document_ids,
        };
        let r = rpc!(
            self.calls,
            self.client,
            self.token,
            attach_documents,
            request
        )
        .await?;
        self.keep(r.inquiry);
        Ok(())
    }

    /// Step 6: who applies, and how they own the parcel.
    pub async fn applicant(
        &mut self,
        full_name: &str,
        national_code: &str,
        ownership_type: ppb::OwnershipType,
    ) -> Result<(), Status> {
        let request = pb::SetApplicantRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            full_name: full_name.into(),
            national_code: national_code.into(),
            ownership_type: ownership_type as i32,
            representation: None,
        };
        let r = rpc!(self.calls, self.client, self.token, set_applicant, request).await?;
        self.keep(r.inquiry);
        Ok(())
    }

    /// Step 6 by a representative (وکیل): the owner named as applicant, with the power of
    /// attorney the representative uploaded; the inquiry then waits for a clerk.
    pub async fn applicant_for_owner(
        &mut self,
        owner_name: &str,
        owner_national_code: &str,
        ownership_type: ppb::OwnershipType,
        claim: pb::RepresentationClaim,
    ) -> Result<(), Status> {
        let request = pb::SetApplicantRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            full_name: owner_name.into(),
            national_code: owner_national_code.into(),
            ownership_type: ownership_type as i32,
            representation: Some(claim),
        };
        let r = rpc!(self.calls, self.client, self.token, set_applicant, request).await?;
        self.keep(r.inquiry);
        Ok(())
    }

    /// Steps 4 to 6 with good inputs (the letter only when the type asks for one), up to
    /// ApplicantVerified; a refusal names the step.
    pub async fn complete(&mut self, a: &Application) -> Result<(), Status> {
        self.property(&a.renovation_code, &a.request_number)
            .await
            .map_err(|s| at_step("property", s))?;
        if self.request_type.letter_required {
            self.letter(&a.letter)
                .await
                .map_err(|s| at_step("letter", s))?;
        }
        self.documents(a.documents.clone())
            .await
            .map_err(|s| at_step("documents", s))?;
        self.applicant(&a.full_name, &a.national_code, a.ownership_type)
            .await
            .map_err(|s| at_step("applicant", s))
    }

    /// Steps 7–9 begin: the facts are checked and the debt assessed; answered at once when
    /// nothing is owed, else with the bill.
    pub async fn submit(&mut self) -> Result<pb::SubmitResponse, Status> {
        let request = pb::SubmitRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
        };
        let r = rpc!(self.calls, self.client, self.token, submit, request)
            .await
            .map_err(|s| at_step("submit", s))?;
        self.inquiry = r.inquiry.clone().expect("the submitted inquiry");
        Ok(r)
    }

    /// Steps 7–8: the payment of the bill, started at the sandbox PSP (its token is in the
    /// payment).
    pub async fn start_payment(&self, return_url: &str) -> Result<fpb::Payment, Status> {
        let request = pb::StartPaymentRequest {
            inquiry_id: self.inquiry.inquiry_id.clone(),
            expected_version: self.inquiry.version,
            client_request_id: key(),
            return_url: return_url.into(),
        };
        let r = rpc!(self.calls, self.client, self.token, start_payment, request)
            .await
            .map_err(|s| at_step("start payment", s))?;
        Ok(r.payment.expect("the started payment"))
    }

    /// The inquiry as the service holds it now (also taken as the version to change next).
    pub async fn refresh(&mut self) -> Result<&pb::Inquiry, Status> {
        self.inquiry = get_inquiry(&self.client, &self.token, &self.inquiry.inquiry_id).await?;
        Ok(&self.inquiry)
    }
}

/// An inquiry by id, as `token`'s holder may see it.
pub async fn get_inquiry(
    client: &InquiryClient,
    token: &str,
    inquiry_id: &str,
) -> Result<pb::Inquiry, Status> {
    let request = pb::GetInquiryRequest {
        key: Some(pb::get_inquiry_request::Key::InquiryId(inquiry_id.into())),
    };
    let r = rpc!(Once, client, token, get_inquiry, request).await?;
    Ok(r.inquiry.expect("the inquiry in the response"))
}

/// Step 5's files every seeded request type asks for, uploaded once each by the holder of
/// `token`: a national ID card (PNG) and an ownership deed (PDF), in that order.
pub async fn card_and_deed(client: &DocumentsClient, token: &str) -> Vec<String> {
    let card = upload(
        &Once,
        client,
        token,
        dpb::DocumentKind::NationalIdCard,
        "card.png",
        fixtures::png(320, 200),
    )
    .await
    .expect("the ID card uploads");
    let deed = upload(
        &Once,
        client,
        token,
        dpb::DocumentKind::OwnershipDeed,
        "deed.pdf",
        fixtures::pdf("", 2_000),
    )
    .await
    .expect("the deed uploads");
    vec![card, deed]
}

/// Step 5's files: uploads `data` as `name` through the client-streaming UploadDocument,
/// in 16 KiB chunks; returns the document's id.
pub async fn upload(
    calls: &impl Calls,
    client: &DocumentsClient,
    token: &str,
    kind: dpb::DocumentKind,
    name: &str,
    data: Vec<u8>,
) -> Result<String, Status> {
    let content_type = if name.ends_with(".pdf") {
        "application/pdf"
    } else {
        "image/png"
    };
    let metadata = dpb::UploadDocumentRequest {
        payload: Some(dpb::upload_document_request::Payload::Metadata(
            dpb::UploadMetadata {
                kind: kind as i32,
                original_filename: name.into(),
                declared_content_type: content_type.into(),
                client_request_id: key(),
                ..Default::default()
            },
        )),
    };
    let data = Bytes::from(data);
    let chunks: Vec<dpb::UploadDocumentRequest> = (0..data.len())
        .step_by(16 * 1024)
        .map(|i| dpb::UploadDocumentRequest {
            payload: Some(dpb::upload_document_request::Payload::Chunk(
                data.slice(i..(i + 16 * 1024).min(data.len())),
            )),
        })
        .collect();
    let (client, token) = (client.clone(), token.to_owned());
    let uploaded = calls
        .call(move || {
            let mut client = client.clone();
            let messages: Vec<_> = std::iter::once(metadata.clone())
                .chain(chunks.iter().cloned())
                .collect();
            let request = outgoing(futures::stream::iter(messages), Some(token.as_str()));
            async move {
                client
                    .upload_document(request)
                    .await
                    .map(tonic::Response::into_inner)
            }
        })
        .await
        .map_err(|s| at_step(&format!("uploading {name}"), s))?;
    Ok(uploaded
        .document
        .expect("the uploaded document")
        .document_id)
}

/// Step 4's precondition: a clerk issues a request number for `renovation_code`.
pub async fn issue_request_number(
    calls: &impl Calls,
    client: &PropertyClient,
    clerk: &str,
    renovation_code: &str,
    note: &str,
) -> Result<String, Status> {
    let request = ppb::IssueRequestNumberRequest {
        renovation_code: renovation_code.into(),
        validity_days: 30,
        note: note.into(),
        client_request_id: key(),
    };
    let r = rpc!(calls, client, clerk, issue_request_number, request).await?;
    Ok(r.request_number.expect("the issued number").number)
}

/// Step 8 at the bank: the payer presses "pay" at the sandbox PSP, and the callback the
/// PSP signs is forwarded to fees (as the payer's browser and the gateway do), as the
/// payment provider's service account `psp`.
pub async fn pay_at_sandbox(client: &FeesClient, psp: &str, psp_token: &str) -> Result<(), Status> {
    let mut fees = client.clone();
    let decided = fees
        .decide_sandbox_payment(outgoing(
            fpb::DecideSandboxPaymentRequest {
                psp_token: psp_token.into(),
                choice: fpb::SandboxChoice::Pay as i32,
            },
            Some(psp),
        ))
        .await?
        .into_inner();
    let callback = decided.callback.expect("a callback to forward");
    fees.handle_psp_callback(outgoing(callback, Some(psp)))
        .await?;
    Ok(())
}
