//! Reading inquiries: one by id or number, lists in pages, and the bulk status an
//! authority's software polls.

use estelam_domain::{CheckCode, CodeKind, NationalCode, RenovationCode, clean_text};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};
use estelam_runtime::time::{micros_of_field, timestamp};

use super::Engine;
use super::answers::{revocation_of, status_of};
use crate::access::may_see;
use crate::errors;
use crate::model::Inquiry;
use crate::request_types::Text;
use crate::store::{self, ListFilter};
use crate::workflow::State;

/// Most inquiry numbers one BulkStatus call may ask about, so that one call stays bounded;
/// a longer list is split by the caller.
pub const BULK_STATUS_LIMIT: usize = 1_000;

const PAGE_SIZES: PageSizes = PageSizes {
    default: 20,
    max: 100,
};

impl Engine {
    /// An inquiry by id or inquiry number, if the caller may see it.
    pub async fn get_inquiry(
        &self,
        caller: &Caller,
        key: Option<&pb::get_inquiry_request::Key>,
    ) -> Result<pb::Inquiry, ServiceError> {
        use pb::get_inquiry_request::Key;
        let inq = match key {
            Some(Key::InquiryId(id)) => self.load_visible(caller, id).await?,
            Some(Key::InquiryNumber(n)) => self.load_visible_by_number(caller, n).await?,
            None => return Err(errors::inquiry_key_required()),
        };
        Ok(inq.to_proto())
    }

    /// A page of the inquiries the caller may see, newest first: citizens their own,
    /// authority users those their organisation filed or a letter addresses to it, staff
    /// and services any they filter for.
    pub async fn list(
        &self,
        caller: &Caller,
        req: pb::ListInquiriesRequest,
    ) -> Result<pb::ListInquiriesResponse, ServiceError> {
        let mut f = ListFilter {
            request_type_code: req.request_type_code.trim().to_owned(),
            organization_id: req.organization_id.trim().to_owned(),
            letter_organization_id: req.letter_organization_id.trim().to_owned(),
            created_after_us: match &req.created_after {
                Some(t) => micros_of_field(t, "created_after")?,
                None => 0,
            },
            created_before_us: match &req.created_before {
                Some(t) => micros_of_field(t, "created_before")?,
                None => i64::MAX,
            },
            ..Default::default()
        };
        if !req.letter_number.trim().is_empty() {
            // Cleaned as the letter step stores it, so the number as written finds it.
            let number = clean_text(errors::LETTER_NUMBER, &req.letter_number)
                .map_err(errors::text_refused)?;
            f.letter_number = estelam_domain::normalize_digits(&number);
        }
        if !req.renovation_code.trim().is_empty() {
            f.renovation_code = RenovationCode::parse(&req.renovation_code)
                .map_err(|e| errors::renovation_code_invalid(&e))?
                .to_string();
        }
        if !req.applicant_national_code.trim().is_empty() {
            f.applicant_national_code = NationalCode::parse(&req.applicant_national_code)
                .map_err(|e| errors::national_code_invalid("applicant_national_code", &e))?
                .as_str()
                .to_owned();
        }
        let states: Vec<&str> = req
            .states
            .iter()
            .filter_map(|s| pb::InquiryState::try_from(*s).ok())
            .filter_map(State::from_proto)
            .map(State::as_str)
            .collect();
        if !states.is_empty() {
            f.states_csv = format!(",{},", states.join(","));
        }
        if !(caller.is_staff() || caller.has(Role::Service)) {
            if caller.has(Role::Authority) {
                // The office's own filings and those a citizen's letter addresses to it.
                f.visible_to_organization_id =
                    caller.organization.clone().unwrap_or_else(|| "-".into());
            } else {
                f.account_id = caller.subject.clone();
            }
        }
        let paging = Paging::parse(req.page_size, &req.page_token, filter_key(&f), PAGE_SIZES)?;
        let after = paging.after().map(parse_page_key).transpose()?;
        let mut conn = self.conn().await?;
        let rows = store::list_inquiries(&mut conn, &f, after, paging.fetch_limit()).await?;
        let (page, next_page_token) = paging.finish(rows, page_key);
        Ok(pb::ListInquiriesResponse {
            inquiries: page.iter().map(Inquiry::to_proto).collect(),
            next_page_token,
        })
    }

    /// Where each of many inquiries stands, in the order asked; numbers the caller may not
    /// see (or that are malformed) come back not found rather than failing the call.
    pub async fn bulk_status(
        &self,
        caller: &Caller,
        numbers: &[String],
    ) -> Result<Vec<pb::InquiryStatusEntry>, ServiceError> {
        caller.require_any(&[
            Role::Authority,
            Role::Clerk,
            Role::Admin,
            Role::Service,
            Role::Citizen,
        ])?;
        if numbers.len() > BULK_STATUS_LIMIT {
            return Err(errors::inquiry_numbers_too_many(
                numbers.len(),
                BULK_STATUS_LIMIT,
            ));
        }
        let mut conn = self.conn().await?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            let canonical = estelam_domain::normalize_digits(n.trim());
            let found = match CheckCode::parse(CodeKind::Inquiry, n) {
                Ok(code) => store::inquiry_by_number(&mut conn, code.as_str())
                    .await?
                    .filter(|i| may_see(caller, i)),
                Err(_) => None,
            };
            // The answer's own status beside the inquiry's state: a revoked or expired
            // answer leaves the inquiry ISSUED.
            let answer = match &found {
                Some(i) if i.state == State::Issued => store::answer(&mut conn, &i.id).await?,
                _ => None,
            };
            out.push(match found {
                Some(i) => pb::InquiryStatusEntry {
                    inquiry_number: i.number.clone(),
                    found: true,
                    inquiry_id: i.id.clone(),
                    state: i.state.to_proto() as i32,
                    state_reason: i.state_reason.as_ref().map(Text::to_proto),
                    updated_at: Some(timestamp(i.updated_at_us)),
                    verification_code: i.verification_code.clone(),
                    answer_status: answer.as_ref().map_or(pb::AnswerStatus::Unspecified, |a| {
                        status_of(a, now_micros())
                    }) as i32,
                    answer_revocation: answer.as_ref().and_then(revocation_of),
                    answer_valid_until: answer.as_ref().map(|a| timestamp(a.valid_until_us)),
                },
                None => pb::InquiryStatusEntry {
                    inquiry_number: canonical,
                    found: false,
                    ..Default::default()
                },
            });
        }
        Ok(out)
    }
}

/// Every filter of a list, visibility included, so a page token only resumes the list it
/// was issued for.
fn filter_key(f: &ListFilter) -> String {
    format!(
        "inquiries|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        f.states_csv,
        f.request_type_code,
        f.renovation_code,
        f.organization_id,
        f.letter_organization_id,
        f.applicant_national_code,
        f.account_id,
        f.visible_to_organization_id,
        f.created_after_us,
        f.created_before_us,
        f.letter_number
    )
}

/// The list's sort key, unique and stable: creation time, then id.
fn page_key(inq: &Inquiry) -> String {
    format!("{}:{}", inq.created_at_us, inq.id)
}

fn parse_page_key(key: &str) -> Result<(i64, String), ServiceError> {
    let (at, id) = key.split_once(':').ok_or_else(errors::page_token_invalid)?;
    let at = at.parse().map_err(|_| errors::page_token_invalid())?;
    Ok((at, id.to_owned()))
}
