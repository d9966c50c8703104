//! Payment providers (PSPs, the Iranian "درگاه پرداخت"): one trait, and the built-in
//! sandbox that behaves like one.
//!
//! # How a payment goes
//! 1. `StartPayment` asks the provider to [`PaymentProvider::start`] one for the bill's exact
//!    amount and gets a token and a URL to send the payer's browser to.
//! 2. The payer pays (or cancels) on the provider's page. The provider then posts a callback
//!    signed with the shared secret to the gateway, which forwards it to
//!    `HandlePspCallback`. It may arrive twice, late, or never.
//! 3. A pending payment whose callback never came is settled by the reconciliation job,
//!    which asks the provider ([`PaymentProvider::inquire`]).
//! 4. A payment the provider took for a bill that another payment had already settled is
//!    given back ([`PaymentProvider::reverse`]) and never counted.
//!
//! # The sandbox provider and the gateway's `/psp` pages
//! [`SandboxPsp`] keeps the simulated bank's books in its own table of the fees store (not
//! the ledger). The gateway serves its pages:
//! * `GET /psp/pay?token=T`: calls `FeeService.GetSandboxPayment(T)` (role service) and
//!   shows the amount with "pay" and "cancel" buttons.
//! * `POST /psp/pay` with the token and the choice: calls
//!   `FeeService.DecideSandboxPayment(T, choice)`, which records the choice in the bank's
//!   books and returns the signed callback the PSP posts ([`SandboxPsp::callback_for`]);
//!   the gateway forwards it unchanged to `FeeService.HandlePspCallback` and sends the
//!   browser (303) to the `redirect_url` it answers with.
//!
//! Callback fields: `token`, `payment_id`, `amount` (rials), `status` (`paid` or
//! `cancelled`) and `reference` (the bank's RRN, empty when cancelled). The signature is
//! lower-case hex HMAC-SHA256, keyed with the shared secret, over [`canonical`]: every
//! field except `signature`, sorted by name, each written `name=value` and ended by `\n`.
//! Names and values may not contain `\n` or `=` in names, so the text is unambiguous.

use std::collections::BTreeMap;

use async_trait::async_trait;
use estelam_runtime::db::{Database, now_micros};
use estelam_runtime::error::ServiceError;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::errors;
use crate::store;

/// A payment the provider opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The provider's name for the payment, which its callbacks and inquiries carry.
    pub token: String,
    /// The provider's page to send the payer's browser to.
    pub redirect_url: String,
}

/// What a callback or an inquiry says about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PspOutcome {
    /// The provider took `amount` rials; `reference` is its RRN.
    Paid {
        /// The bank's retrieval reference number, kept with the payment.
        reference: String,
        /// Rials taken, checked against the payment's before anything is recorded.
        amount: i64,
    },
    /// The payer cancelled or the bank refused.
    Failed,
    /// Still waiting for the payer (inquiry only).
    Pending,
    /// The provider knows no such payment, or gave it up (inquiry only).
    Unknown,
}

/// A verified callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The provider's token, naming the payment.
    pub token: String,
    /// What the provider says happened to the payment.
    pub outcome: PspOutcome,
}

/// Why a callback was not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The signature does not match the fields.
    #[error("the callback signature does not match")]
    BadSignature,
    /// A field is missing or malformed.
    #[error("malformed callback: {0}")]
    Malformed(String),
}

/// A payment service provider.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Its name, as in `Payment.provider` and `HandlePspCallbackRequest.provider`.
    fn name(&self) -> &str;
    /// Opens a payment of exactly `amount` rials for our `payment_id`.
    async fn start(&self, payment_id: &str, amount: i64) -> Result<Started, ServiceError>;
    /// Checks a callback's signature and reads it. No I/O: a forged callback costs nothing.
    fn read_callback(
        &self,
        fields: &BTreeMap<String, String>,
        signature: &str,
    ) -> Result<Callback, CallbackError>;
    /// Asks the provider where a payment stands (reconciliation).
    async fn inquire(&self, token: &str) -> Result<PspOutcome, ServiceError>;
    /// Gives back money taken for a payment that will not be counted.
    async fn reverse(&self, token: &str) -> Result<(), ServiceError>;
}

/// The text a callback signature covers (see the module docs).
pub fn canonical(fields: &BTreeMap<String, String>) -> Result<String, CallbackError> {
    let mut text = String::new();
    for (name, value) in fields.iter().filter(|(n, _)| n.as_str() != "signature") {
        if name.contains(['\n', '=']) || value.contains('\n') {
            return Err(CallbackError::Malformed(format!("field {name:?}")));
        }
        text.push_str(name);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    Ok(text)
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts a key of any length")
}

/// Signs callback fields: lower-case hex HMAC-SHA256 of [`canonical`] under `secret`.
pub fn sign(secret: &[u8], fields: &BTreeMap<String, String>) -> Result<String, CallbackError> {
    let mut m = mac(secret);
    m.update(canonical(fields)?.as_bytes());
    Ok(hex::encode(m.finalize().into_bytes()))
}

/// Checks a signature in constant time.
pub fn verify(
    secret: &[u8],
    fields: &BTreeMap<String, String>,
    signature: &str,
) -> Result<(), CallbackError> {
    let given = hex::decode(signature.trim()).map_err(|_| CallbackError::BadSignature)?;
    let mut m = mac(secret);
    m.update(canonical(fields)?.as_bytes());
    m.verify_slice(&given)
        .map_err(|_| CallbackError::BadSignature)
}

/// What the payer chose on the sandbox page (`SandboxChoice` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The bank takes the money and calls back `paid`.
    Pay,
    /// The payer gives up; the bank calls back `cancelled`.
    Cancel,
}

/// A payment in the sandbox bank's books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxTxn {
    /// The bank's name for the payment, in the page URL and the callback.
    pub token: String,
    /// The merchant's payment id.
    pub payment_id: String,
    /// Rials the payer is asked for.
    pub amount: i64,
    /// `awaiting`, `paid`, `cancelled` or `reversed`.
    pub state: String,
    /// The retrieval reference number (RRN) once paid.
    pub reference: String,
}

/// The callback the sandbox posts: fields, signature and the delivery's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback {
    /// The callback's fields (see the module docs).
    pub fields: BTreeMap<String, String>,
    /// Hex HMAC-SHA256 of the fields under the shared secret.
    pub signature: String,
    /// Same for every delivery of the same decision, so a duplicate is recognised.
    pub idempotency_key: String,
}

/// The built-in sandbox PSP (see the module docs).
pub struct SandboxPsp {
    db: Database,
    secret: SecretString,
    base_url: String,
}

/// Provider name of [`SandboxPsp`].
pub const SANDBOX: &str = "sandbox";

impl SandboxPsp {
    /// A sandbox keeping its books in `db`, signing with `secret`, with pages at `base_url`.
    pub fn new(db: Database, secret: SecretString, base_url: impl Into<String>) -> Self {
        Self {
            db,
            secret,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The signed callback a decided payment posts. Pure: the same payment state gives
    /// the same callback, which is how a duplicate delivery looks.
    pub fn callback_for(secret: &[u8], txn: &SandboxTxn) -> Result<SignedCallback, CallbackError> {
        let status = match txn.state.as_str() {
            "paid" | "reversed" => "paid",
            "cancelled" => "cancelled",
            other => return Err(CallbackError::Malformed(format!("payment is {other}"))),
        };
        let fields: BTreeMap<String, String> = [
            ("token", txn.token.clone()),
            ("payment_id", txn.payment_id.clone()),
            ("amount", txn.amount.to_string()),
            ("status", status.to_owned()),
            ("reference", txn.reference.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let signature = sign(secret, &fields)?;
        Ok(SignedCallback {
            fields,
            signature,
            idempotency_key: format!("{SANDBOX}:{}:{status}", txn.token),
        })
    }

    /// The bank's record of a token, for its payment page.
    pub async fn find(&self, token: &str) -> Result<Option<SandboxTxn>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::sandbox::find(&mut conn, token).await?)
    }

    /// Records the payer's choice (the first one wins) and returns the callback to post.
    pub async fn decide(
        &self,
        token: &str,
        choice: Choice,
    ) -> Result<(SandboxTxn, SignedCallback), ServiceError> {
        let (state, reference) = match choice {
            Choice::Pay => ("paid", reference_number()),
            Choice::Cancel => ("cancelled", String::new()),
        };
        let mut conn = self.db.pool().acquire().await?;
        store::sandbox::decide(&mut conn, token, state, &reference, now_micros()).await?;
        let txn = store::sandbox::find(&mut conn, token)
            .await?
            .ok_or_else(errors::payment_not_found)?;
        let callback = Self::callback_for(self.secret.expose_secret().as_bytes(), &txn)
            .map_err(ServiceError::internal)?;
        Ok((txn, callback))
    }
}

/// A 12-digit retrieval reference number, as Iranian banks print.
fn reference_number() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..12)
        .map(|i| char::from(b'0' + rng.random_range(u8::from(i == 0)..=9)))
        .collect()
}

#[async_trait]
impl PaymentProvider for SandboxPsp {
    fn name(&self) -> &str {
        SANDBOX
    }

    async fn start(&self, payment_id: &str, amount: i64) -> Result<Started, ServiceError> {
        let token = hex::encode(rand::random::<[u8; 16]>());
        let mut conn = self.db.pool().acquire().await?;
        store::sandbox::open(&mut conn, &token, payment_id, amount, now_micros()).await?;
        Ok(Started {
            redirect_url: format!("{}/pay?token={token}", self.base_url),
            token,
        })
    }

    fn read_callback(
        &self,
        fields: &BTreeMap<String, String>,
        signature: &str,
    ) -> Result<Callback, CallbackError> {
        verify(self.secret.expose_secret().as_bytes(), fields, signature)?;
        let get = |name: &str| {
            fields
                .get(name)
                .cloned()
                .ok_or_else(|| CallbackError::Malformed(format!("{name} missing")))
        };
        let token = get("token")?;
        let outcome = match get("status")?.as_str() {
            "paid" => PspOutcome::Paid {
                reference: get("reference")?,
                amount: get("amount")?
                    .parse()
                    .map_err(|_| CallbackError::Malformed("amount".into()))?,
            },
            "cancelled" => PspOutcome::Failed,
            other => return Err(CallbackError::Malformed(format!("status {other:?}"))),
        };
        Ok(Callback { token, outcome })
    }

    async fn inquire(&self, token: &str) -> Result<PspOutcome, ServiceError> {
        Ok(match self.find(token).await? {
            None => PspOutcome::Unknown,
            Some(t) => match t.state.as_str() {
                "awaiting" => PspOutcome::Pending,
                "paid" => PspOutcome::Paid {
                    reference: t.reference,
                    amount: t.amount,
                },
                _ => PspOutcome::Failed,
            },
        })
    }

    async fn reverse(&self, token: &str) -> Result<(), ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::sandbox::reverse(&mut conn, token).await?)
    }
}

/// The sandbox's shared secret when none is configured: generated at random the first time
/// (256 bits) and kept in the fees store, so restarts and replicas verify the same callbacks.
pub async fn stored_sandbox_secret(db: &Database) -> anyhow::Result<SecretString> {
    let candidate = hex::encode(rand::random::<[u8; 32]>());
    let mut conn = db.pool().acquire().await?;
    let secret = store::sandbox::secret(&mut conn, &candidate).await?;
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> BTreeMap<String, String> {
        [("token", "abc"), ("amount", "1000"), ("status", "paid")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn a_signature_covers_every_field_and_the_secret() {
        let sig = sign(b"secret", &fields()).expect("sign");
        assert_eq!(verify(b"secret", &fields(), &sig), Ok(()));
        assert_eq!(
            verify(b"other", &fields(), &sig),
            Err(CallbackError::BadSignature)
        );
        let mut changed = fields();
        changed.insert("amount".into(), "1001".into());
        assert_eq!(
            verify(b"secret", &changed, &sig),
            Err(CallbackError::BadSignature)
        );
        assert_eq!(
            verify(b"secret", &fields(), "zz"),
            Err(CallbackError::BadSignature)
        );
        // HMAC-SHA256("secret", "amount=1000\nstatus=paid\ntoken=abc\n"), computed independently.
        assert_eq!(
            canonical(&fields()).expect("text"),
            "amount=1000\nstatus=paid\ntoken=abc\n"
        );
        assert_eq!(
            sig,
            "f71a8a6b38d606325faa7dfd9f3dd041c87ae4d7cbffaf60410855f973dfd81a"
        );
    }

    #[test]
    fn the_callback_of_a_decision_is_always_the_same() {
        let txn = SandboxTxn {
            token: "t".into(),
            payment_id: "p".into(),
            amount: 5,
            state: "paid".into(),
            reference: "123".into(),
        };
        let a = SandboxPsp::callback_for(b"k", &txn).expect("callback");
        assert_eq!(a, SandboxPsp::callback_for(b"k", &txn).expect("callback"));
        assert_eq!(verify(b"k", &a.fields, &a.signature), Ok(()));
        let awaiting = SandboxTxn {
            state: "awaiting".into(),
            ..txn
        };
        assert!(SandboxPsp::callback_for(b"k", &awaiting).is_err());
    }
}
