//! The nine steps through the gateway's HTTP API, as the portal's pages (or an integrator)
//! make them. Every request carries the applicant's token and, when the test follows one
//! piece of work across the system, its W3C `traceparent`; every refusal must be an RFC 9457
//! problem that says what to do in Persian and English.

use std::time::Duration;

use estelam_documents::inspect::fixtures;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::key;

/// How long an answer may take to follow the payment (a hang guard: it normally follows
/// within a second).
const ISSUE_WITHIN: Duration = Duration::from_secs(60);

/// What the gateway answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    /// `null` when the body was not JSON.
    pub body: Value,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Reply {
    /// The body of a 2xx answer, or the answer itself as the error.
    pub fn success(self) -> Result<Value, Reply> {
        if self.status.is_success() {
            Ok(self.body)
        } else {
            Err(self)
        }
    }
}

/// One person's client of the gateway: a client that does not follow redirects (so each
/// 303 is seen), their access token, and the trace their requests belong to, if any.
#[derive(Clone)]
pub struct Applicant {
    /// `http://127.0.0.1:port`.
    pub base_url: String,
    pub http: Client,
    pub token: String,
    /// Sent on every request when set, so the test can find the work in one trace.
    pub traceparent: Option<String>,
}

impl Applicant {
    /// A client of the gateway at `base_url` for the holder of `token`.
    pub fn new(base_url: &str, token: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            token: token.to_owned(),
            traceparent: None,
        }
    }

    /// The same applicant, every request of whom belongs to the trace `traceparent` names.
    pub fn in_trace(mut self, traceparent: String) -> Self {
        self.traceparent = Some(traceparent);
        self
    }

    /// The gateway URL of `path` (which starts with `/`); an absolute URL stays as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        }
    }

    fn with_headers(&self, request: RequestBuilder) -> RequestBuilder {
        let request = request.bearer_auth(&self.token);
        match &self.traceparent {
            Some(t) => request.header("traceparent", t),
            None => request,
        }
    }

    /// Sends `request` with the applicant's headers; a refusal must be a problem that says
    /// what to do in both languages.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = self
            .with_headers(request)
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status();
        let problem = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            assert!(problem, "an error must be problem+json: {status} {body}");
            assert!(
                body["type"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("urn:estelam:problem:"),
                "{body}"
            );
            assert!(
                !body["detail_fa"].as_str().unwrap_or("").is_empty()
                    && !body["detail"].as_str().unwrap_or("").is_empty(),
                "an error says what to do in Persian and English: {status} {body}"
            );
        }
        Reply { status, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.put(self.url(path)).json(&body)).await
    }

    /// Uploads `bytes` as a document of `kind` named `name`, declared as `mime`.
    pub async fn upload(&self, kind: &str, name: &str, mime: &str, bytes: Vec<u8>) -> Reply {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_owned())
                    .mime_str(mime)
                    .expect("a MIME type"),
            );
        self.send(
            self.http
                .post(self.url("/api/v1/documents"))
                .multipart(form),
        )
        .await
    }

    /// The id of an uploaded document (the upload must succeed).
    pub async fn upload_ok(&self, kind: &str, name: &str, mime: &str, bytes: Vec<u8>) -> String {
        let reply = self.upload(kind, name, mime, bytes).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "uploading {name}: {reply}"
        );
        reply.body["document_id"]
            .as_str()
            .expect("the document's id")
            .to_owned()
    }

    /// Step 5's files every seeded request type asks for, uploaded: a national ID card (PNG)
    /// and an ownership deed (PDF), in that order.
    pub async fn card_and_deed(&self) -> Vec<String> {
        let card = self
            .upload_ok(
                "national_id_card",
                "card.png",
                "image/png",
                fixtures::png(320, 200),
            )
            .await;
        let deed = self
            .upload_ok(
                "ownership_deed",
                "deed.pdf",
                "application/pdf",
                fixtures::pdf("", 2_000),
            )
            .await;
        vec![card, deed]
    }

    /// A request type as the portal lists it (undertakings, whether a letter is needed).
    pub async fn request_type(&self, code: &str) -> Value {
        let types = self
            .get("/api/v1/request-types")
            .await
            .success()
            .unwrap_or_else(|r| panic!("the request types: {r}"));
        types["request_types"]
            .as_array()
            .expect("a list of request types")
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("the request type {code}: {types}"))
            .clone()
    }

    /// Step 8 at the bank: opens the sandbox PSP's page at `redirect_url` (it must offer to
    /// pay) and presses "pay" there; returns where the bank sends the payer back (the 303's
    /// `Location`).
    pub async fn pay_at_sandbox(&self, redirect_url: &str) -> String {
        let page = self
            .with_headers(self.http.get(self.url(redirect_url)))
            .send()
            .await
            .expect("the bank's page")
            .text()
            .await
            .expect("the bank's page");
        assert!(
            page.contains(r#"value="pay""#),
            "the bank's page offers to pay: {page}"
        );
        let psp_token = redirect_url
            .split_once("token=")
            .map(|(_, t)| t.split('&').next().unwrap_or(t))
            .unwrap_or_else(|| panic!("a sandbox payment URL: {redirect_url}"));
        let response = self
            .with_headers(self.http.post(self.url("/psp/pay")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={psp_token}&choice=pay"))
            .send()
            .await
            .expect("the bank answers");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "the bank sends the payer back"
        );
        response.headers()["location"]
            .to_str()
            .expect("an ASCII location")
            .to_owned()
    }
}

/// What an applicant gives in steps 4 to 6, all good.
#[derive(Debug, Clone)]
pub struct Application {
    /// How the parcel is named: `{"renovation_code": …}` or `{"picked_point": {…}}` (a
    /// click on the map).
    pub location: Value,
    /// Issued by a clerk for this parcel; checked against the property's records.
    pub request_number: String,
    /// The letter's number, Jalali date and authority, sent when the type asks for one.
    pub letter: (String, String, String),
    /// Uploaded documents: the national ID card and the ownership deed.
    pub documents: Vec<String>,
    /// As on the deed: checked against the parcel's owners.
    pub full_name: String,
    pub national_code: String,
    /// `full`, `shared`, …, as the API spells it.
    pub ownership_type: String,
}

/// One inquiry being filed through the gateway; each step keeps the inquiry it answered, so
/// the next names the version it changes.
pub struct Filing<'a> {
    applicant: &'a Applicant,
    /// The type filed, as the portal listed it.
    pub request_type: Value,
    pub id: String,
    /// The inquiry as the last step that succeeded left it.
    pub inquiry: Value,
}

impl<'a> Filing<'a> {
    /// Step 3's start: a new inquiry of `request_type` (answered 201, a draft).
    pub async fn create(applicant: &'a Applicant, request_type: &Value) -> Result<Self, Reply> {
        let reply = applicant
            .post(
                "/api/v1/inquiries",
                json!({"request_type_code": request_type["code"], "client_request_id": key()}),
            )
            .await;
        assert!(
            !reply.status.is_success() || reply.status == StatusCode::CREATED,
            "a new inquiry is created: {reply}"
        );
        let inquiry = reply.success()?;
        Ok(Self {
            applicant,
            request_type: request_type.clone(),
            id: inquiry["inquiry_id"]
                .as_str()
                .expect("the inquiry's id")
                .to_owned(),
            inquiry,
        })
    }

    /// A draft someone has already opened (an office, on a citizen's behalf; `inquiry` as
    /// the route answered it), ready for step 3.
    pub fn resume(applicant: &'a Applicant, request_type: &Value, inquiry: Value) -> Self {
        Self {
            applicant,
            request_type: request_type.clone(),
            id: inquiry["inquiry_id"]
                .as_str()
                .expect("the inquiry's id")
                .to_owned(),
            inquiry,
        }
    }

    /// Step 3: a new inquiry of `request_type` with every undertaking accepted.
    pub async fn open(applicant: &'a Applicant, request_type: &Value) -> Self {
        let mut filing = Self::create(applicant, request_type)
            .await
            .unwrap_or_else(|r| panic!("create: {r}"));
        filing
            .accept_undertakings()
            .await
            .unwrap_or_else(|r| panic!("undertakings: {r}"));
        filing
    }

    /// Steps 3 to 5 of a `type_code` inquiry on `renovation_code` with `request_number`,
    /// the letter naming `authority` and the card and deed uploaded: what is left is the
    /// applicant step, which the trust tests try with someone else's details.
    pub async fn up_to_applicant(
        applicant: &'a Applicant,
        type_code: &str,
        renovation_code: &str,
        request_number: &str,
        authority: &str,
    ) -> Self {
        let rt = applicant.request_type(type_code).await;
        let mut f = Self::open(applicant, &rt).await;
        f.property(
            &json!({"renovation_code": renovation_code}),
            Some(request_number),
        )
        .await
        .unwrap_or_else(|r| panic!("property: {r}"));
        f.letter(super::LETTER_NUMBER, super::LETTER_DATE, authority)
            .await
            .unwrap_or_else(|r| panic!("letter: {r}"));
        let documents = applicant.card_and_deed().await;
        f.documents(&documents)
            .await
            .unwrap_or_else(|r| panic!("documents: {r}"));
        f
    }

    /// The path of this inquiry's `step` route.
    pub fn path(&self, step: &str) -> String {
        if step.is_empty() {
            format!("/api/v1/inquiries/{}", self.id)
        } else {
            format!("/api/v1/inquiries/{}/{step}", self.id)
        }
    }

    /// One step: `PUT` (or `POST` for submit) of `fields` with the version this filing holds
    /// and a fresh idempotency key; keeps the inquiry the step answers.
    async fn step(&mut self, step: &str, mut fields: Value) -> Result<Value, Reply> {
        fields["expected_version"] = self.inquiry["version"].clone();
        fields["client_request_id"] = json!(key());
        let path = self.path(step);
        let reply = if step == "submit" {
            self.applicant.post(&path, fields).await
        } else {
            self.applicant.put(&path, fields).await
        };
        let body = reply.success()?;
        self.inquiry = if step == "submit" {
            body["inquiry"].clone()
        } else {
            body.clone()
        };
        Ok(body)
    }

    /// Step 3: accepts every undertaking of the type.
    pub async fn accept_undertakings(&mut self) -> Result<Value, Reply> {
        let ids: Vec<Value> = self.request_type["undertakings"]
            .as_array()
            .expect("the type's undertakings")
            .iter()
            .map(|u| u["undertaking_version_id"].clone())
            .collect();
        self.step("undertakings", json!({"undertaking_version_ids": ids}))
            .await
    }

    /// Step 4: the parcel (`location` holds `renovation_code` or `picked_point`) and, when
    /// given, the request number issued for it.
    pub async fn property(
        &mut self,
        location: &Value,
        request_number: Option<&str>,
    ) -> Result<Value, Reply> {
        let mut fields = location.clone();
        if let Some(number) = request_number {
            fields["request_number"] = json!(number);
        }
        self.step("property", fields).await
    }

    /// Step 5: the authority's letter.
    pub async fn letter(
        &mut self,
        number: &str,
        date_jalali: &str,
        authority: &str,
    ) -> Result<Value, Reply> {
        self.step(
            "letter",
            json!({"letter_number": number, "letter_date_jalali": date_jalali,
                   "authority_organization_id": authority}),
        )
        .await
    }

    /// Step 5: the uploaded documents.
    pub async fn documents(&mut self, document_ids: &[String]) -> Result<Value, Reply> {
        self.step("documents", json!({"document_ids": document_ids}))
            .await
    }

    /// Step 6: who applies, and how they own the parcel.
    pub async fn applicant(
        &mut self,
        full_name: &str,
        national_code: &str,
        ownership_type: &str,
    ) -> Result<Value, Reply> {
        self.step(
            "applicant",
            json!({"full_name": full_name, "national_code": national_code,
                   "ownership_type": ownership_type}),
        )
        .await
    }

    /// Step 6 by a representative (وکیل): the owner named as applicant, with `representation`
    /// (`representative_full_name`, `power_of_attorney_document_id`).
    pub async fn applicant_for_owner(
        &mut self,
        owner_name: &str,
        owner_national_code: &str,
        ownership_type: &str,
        representation: Value,
    ) -> Result<Value, Reply> {
        self.step(
            "applicant",
            json!({"full_name": owner_name, "national_code": owner_national_code,
                   "ownership_type": ownership_type, "representation": representation}),
        )
        .await
    }

    /// Steps 4 to 6 with good inputs (the letter only when the type asks for one); panics
    /// naming the step that was refused.
    pub async fn complete(&mut self, a: &Application) {
        self.property(&a.location, Some(&a.request_number))
            .await
            .unwrap_or_else(|r| panic!("property: {r}"));
        if self.request_type["letter_required"] != false {
            let (number, date, authority) = &a.letter;
            self.letter(number, date, authority)
                .await
                .unwrap_or_else(|r| panic!("letter: {r}"));
        }
        self.documents(&a.documents)
            .await
            .unwrap_or_else(|r| panic!("documents: {r}"));
        self.applicant(&a.full_name, &a.national_code, &a.ownership_type)
            .await
            .unwrap_or_else(|r| panic!("applicant: {r}"));
    }

    /// Steps 7–9 begin: answered with the inquiry (issued when nothing is owed) and the bill.
    pub async fn submit(&mut self) -> Result<Value, Reply> {
        self.step("submit", json!({})).await
    }

    /// Steps 7–8: starts the payment of the bill (answered 201 with the bank's URL); the
    /// bank sends the payer back to the portal's page of the inquiry.
    pub async fn start_payment(&self) -> Value {
        let reply = self
            .applicant
            .post(
                &self.path("payments"),
                json!({"expected_version": self.inquiry["version"], "client_request_id": key(),
                       "return_url": self.applicant.url(&format!("/inquiries/{}", self.id))}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "start payment: {reply}");
        reply.body
    }

    /// Steps 8–9: pays the bill at the sandbox bank as the payer's browser does (returns
    /// where the bank sent the payer back), then waits until the answer is issued.
    pub async fn pay_and_wait(&mut self) -> String {
        let payment = self.start_payment().await;
        let redirect = payment["redirect_url"]
            .as_str()
            .unwrap_or_else(|| panic!("the bank's URL: {payment}"));
        let back = self.applicant.pay_at_sandbox(redirect).await;
        self.wait_until_issued().await;
        back
    }

    /// Waits (polling, with a deadline) until the inquiry is issued; keeps and returns it.
    pub async fn wait_until_issued(&mut self) -> &Value {
        let (applicant, path) = (self.applicant, self.path(""));
        self.inquiry = estelam_runtime::testing::eventually(
            "the answer to be issued",
            ISSUE_WITHIN,
            async || {
                let now = applicant
                    .get(&path)
                    .await
                    .success()
                    .unwrap_or_else(|r| panic!("the inquiry: {r}"));
                if now["state"] == "issued" {
                    Ok(now)
                } else {
                    Err(now["state"].clone())
                }
            },
        )
        .await;
        &self.inquiry
    }
}
