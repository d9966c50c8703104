//! Authority accounts: inquiry fees charged to the inquiring authority (keyed by its
//! organisation id) instead of to the parcel, so the applicant's bill holds only what the
//! property owes and a debt-free answer is never held back by a fee.
//!
//! A charge is taken once per inquiry (the inquiry id is unique), so a retried or repeated
//! `ChargeAccount` returns the first charge; the account's balance is the sum of its charges.

use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;

use super::{Fees, PAGE_SIZES, Page, parse_code};
use crate::assess;
use crate::errors;
use crate::store::accounts::{self, AccountCharge, ChargeKey};
use crate::store::tariffs;

impl Fees {
    /// Charges `request_type_code`'s inquiry fee for `inquiry_id` to the authority account
    /// `account_id`, at the tariff in force for the parcel; once per inquiry (asking again
    /// returns the first charge). Returns the charge and the account's balance after it.
    pub async fn charge_account(
        &self,
        actor: &str,
        account_id: &str,
        inquiry_id: &str,
        request_type_code: &str,
        renovation_code: &str,
    ) -> Result<(AccountCharge, i64), ServiceError> {
        let account_id = account_id.trim();
        let inquiry_id = inquiry_id.trim();
        let request_type_code = request_type_code.trim();
        if account_id.is_empty() {
            return Err(errors::account_required());
        }
        if inquiry_id.is_empty() {
            return Err(errors::inquiry_required());
        }
        if request_type_code.is_empty() {
            return Err(errors::request_type_required());
        }
        let code = parse_code("renovation_code", renovation_code)?;
        let mut conn = self.conn().await?;
        if let Some(first) = accounts::charge_for_inquiry(&mut conn, inquiry_id).await? {
            let balance = accounts::balance(&mut conn, &first.account_id).await?;
            return Ok((first, balance));
        }
        drop(conn);
        let facts = self.facts.facts(&code).await?;
        let now = self.now_us();
        let tariffs = tariffs::all_tariffs(&mut *self.conn().await?).await?;
        let line = assess::inquiry_fee(&tariffs, request_type_code, &facts, now)
            .map_err(errors::assessment)?;
        let charge = AccountCharge {
            charge_id: uuid::Uuid::now_v7().to_string(),
            account_id: account_id.to_owned(),
            inquiry_id: inquiry_id.to_owned(),
            request_type_code: request_type_code.to_owned(),
            renovation_code: code.to_string(),
            amount: line.total,
            description_fa: line.description_fa,
            description_en: line.description_en,
            tariff_id: line.tariff_id,
            actor_id: actor.to_owned(),
            charged_at_us: now,
            reversed_at_us: 0,
        };
        let mut conn = self.conn().await?;
        accounts::insert_charge(&mut conn, &charge).await?;
        // The stored one: a concurrent call for the same inquiry may have won.
        let stored = accounts::charge_for_inquiry(&mut conn, inquiry_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("account charge vanished")))?;
        let balance = accounts::balance(&mut conn, &stored.account_id).await?;
        Ok((stored, balance))
    }

    /// Reverses the charge taken for `inquiry_id`, once: returns it (marked) and the account's
    /// balance after it, or `None` when the inquiry was never charged. The inquiry service
    /// asks when an inquiry whose fee went on account is cancelled before its answer.
    pub async fn reverse_charge(
        &self,
        inquiry_id: &str,
    ) -> Result<Option<(AccountCharge, i64)>, ServiceError> {
        let inquiry_id = inquiry_id.trim();
        if inquiry_id.is_empty() {
            return Err(errors::inquiry_required());
        }
        let now = self.now_us();
        let mut conn = self.conn().await?;
        if accounts::reverse_charge(&mut conn, inquiry_id, now).await? {
            tracing::info!(inquiry = %inquiry_id, "account charge reversed");
        }
        let Some(charge) = accounts::charge_for_inquiry(&mut conn, inquiry_id).await? else {
            return Ok(None);
        };
        let balance = accounts::balance(&mut conn, &charge.account_id).await?;
        Ok(Some((charge, balance)))
    }

    /// A page of an authority account's charges, newest first, and the account's balance.
    /// Pages are keyed on (time, id), so charges taken meanwhile never shift a later page.
    pub async fn account_statement(
        &self,
        account_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Page<AccountCharge>, i64), ServiceError> {
        let account_id = account_id.trim();
        if account_id.is_empty() {
            return Err(errors::account_required());
        }
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("account:{account_id}"),
            PAGE_SIZES,
        )?;
        let after = paging.after().map(parse_charge_key).transpose()?;
        let mut conn = self.conn().await?;
        let rows = accounts::charges(&mut conn, account_id, paging.fetch_limit(), after).await?;
        let balance = accounts::balance(&mut conn, account_id).await?;
        let (items, next_page_token) =
            paging.finish(rows, |c| format!("{}:{}", c.charged_at_us, c.charge_id));
        Ok((
            Page {
                items,
                next_page_token,
            },
            balance,
        ))
    }
}

/// Reads a statement page key, `<charged_at_us>:<charge_id>`.
fn parse_charge_key(key: &str) -> Result<ChargeKey<'_>, ServiceError> {
    let (at, id) = key.split_once(':').ok_or_else(errors::page_token_invalid)?;
    let charged_at_us = at.parse().map_err(|_| errors::page_token_invalid())?;
    Ok(ChargeKey {
        charged_at_us,
        charge_id: id,
    })
}
