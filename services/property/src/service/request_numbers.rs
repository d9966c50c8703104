//! Request numbers (شماره درخواست): a clerk issues one for a parcel, the inquiry checks the
//! number an applicant gives and marks it used. What a number means is the pure rule in
//! [`crate::request_number`]; this module stores and audits.

use estelam_domain::{CheckCode, CodeKind, RenovationCode};
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;

use super::{LIST_SIZES, Property, client_request_id};
use crate::errors;
use crate::registry::DAY_MICROS;
use crate::request_number::{self, Verdict};
use crate::store::{self, Actor, StoredRequestNumber};

/// The counter request numbers are drawn from.
const REQUEST_NUMBER: &str = "request_number";

impl Property {
    /// Issues a request number for a parcel, valid for `validity_days` (0: the default);
    /// a retry with the same `client_request_id` returns the number the first call issued.
    pub async fn issue_request_number(
        &self,
        code: &RenovationCode,
        validity_days: i32,
        note: &str,
        actor: &Actor,
        request_id: &str,
    ) -> Result<StoredRequestNumber, ServiceError> {
        let max_days = self.settings.request_number_max_validity_days;
        let days = match validity_days {
            0 => self.settings.request_number_validity_days,
            d => u32::try_from(d)
                .ok()
                .filter(|d| (1..=max_days).contains(d))
                .ok_or_else(|| errors::validity_days_out_of_range(max_days))?,
        };
        let note = estelam_domain::clean_text(errors::REQUEST_NUMBER_NOTE, note)
            .map_err(errors::text_refused)?;
        if note.chars().count() > 500 {
            return Err(errors::note_too_long());
        }
        let request_id = client_request_id(request_id)?;
        let db = self.registry.db();
        if let Some(id) = request_id
            && let Some(earlier) =
                store::request_number_by_request_id(db, &actor.account_id, id).await?
        {
            return Ok(earlier);
        }
        let now = self.registry.now();
        let mut tx = db.begin().await?;
        if store::current_in(&mut tx, code).await?.is_none() {
            return Err(errors::parcel_not_found());
        }
        let seq = store::next_values(&mut tx, REQUEST_NUMBER, 1).await?;
        let number =
            CheckCode::from_sequence(CodeKind::Request, u64::try_from(seq).unwrap_or(u64::MAX))
                .map_err(|e| ServiceError::internal(anyhow::anyhow!("{e}")))?;
        let issued = StoredRequestNumber {
            number: number.as_str().to_owned(),
            seq,
            renovation_code: code.to_string(),
            issued_at: now,
            expires_at: now + i64::from(days) * DAY_MICROS,
            issued_by: actor.clone(),
            note,
            client_request_id: request_id.map(str::to_owned),
            used_by_inquiry_id: None,
            used_at: None,
        };
        if let Err(err) =
            store::insert_request_numbers(&mut tx, std::slice::from_ref(&issued)).await
        {
            // A concurrent retry with the same idempotency key won the race: return its number.
            if estelam_runtime::db::is_unique_violation(&err)
                && let Some(id) = request_id
            {
                drop(tx);
                if let Some(earlier) =
                    store::request_number_by_request_id(db, &actor.account_id, id).await?
                {
                    return Ok(earlier);
                }
            }
            return Err(err.into());
        }
        store::audit(
            &mut tx,
            now,
            actor,
            "request_number.issued",
            &issued.number,
            &serde_json::json!({ "renovation_code": issued.renovation_code, "expires_at": issued.expires_at }),
        )
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// What a request number means for a parcel now, with the number as issued (if it was).
    pub async fn verify_request_number(
        &self,
        code: &RenovationCode,
        number: &CheckCode,
    ) -> Result<(Verdict, Option<StoredRequestNumber>), ServiceError> {
        let issued = store::request_number(self.registry.db(), number.as_str()).await?;
        Ok((
            request_number::verify(issued.as_ref(), code, self.registry.now()),
            issued,
        ))
    }

    /// Marks a request number used by an inquiry; repeating it for the same inquiry is a
    /// no-op that returns the same record, so the inquiry may retry.
    pub async fn mark_request_number_used(
        &self,
        code: &RenovationCode,
        number: &CheckCode,
        inquiry_id: &str,
        actor: &Actor,
    ) -> Result<StoredRequestNumber, ServiceError> {
        let inquiry_id = inquiry_id.trim();
        if inquiry_id.is_empty() || inquiry_id.len() > 64 {
            return Err(errors::inquiry_id_required());
        }
        let now = self.registry.now();
        let mut tx = self.registry.db().begin().await?;
        let issued = store::request_number_in(&mut tx, number.as_str()).await?;
        if let Some(n) = &issued
            && n.renovation_code == code.to_string()
            && n.used_by_inquiry_id.as_deref() == Some(inquiry_id)
        {
            return Ok(n.clone());
        }
        let verdict = request_number::verify(issued.as_ref(), code, now);
        let issued = match (verdict, issued) {
            (Verdict::Valid, Some(n)) => n,
            (Verdict::Unknown, _) | (_, None) => return Err(errors::request_number_not_found()),
            (v, Some(_)) => return Err(errors::request_number_refused(v)),
        };
        if !store::mark_used(&mut tx, number.as_str(), inquiry_id, now).await? {
            return Err(errors::request_number_refused(Verdict::Used));
        }
        store::audit(
            &mut tx,
            now,
            actor,
            "request_number.used",
            number.as_str(),
            &serde_json::json!({ "renovation_code": issued.renovation_code, "inquiry_id": inquiry_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredRequestNumber {
            used_by_inquiry_id: Some(inquiry_id.to_owned()),
            used_at: Some(now),
            ..issued
        })
    }

    /// A parcel's request numbers, newest first.
    pub async fn request_numbers(
        &self,
        code: &RenovationCode,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<StoredRequestNumber>, String), ServiceError> {
        let paging = Paging::parse(page_size, page_token, format!("rn:{code}"), LIST_SIZES)?;
        let before = paging.after().map_or(i64::MAX, |v| v.parse().unwrap_or(0));
        let rows = store::request_numbers_of(
            self.registry.db(),
            &code.to_string(),
            before,
            paging.fetch_limit(),
        )
        .await?;
        Ok(paging.finish(rows, |r| r.seq.to_string()))
    }
}
