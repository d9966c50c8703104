//! Idempotent writes: a client that did not hear the answer sends the same call again with
//! the same `client_request_id`, and must get the answer it missed, not a second effect.
//!
//! [`Engine::once`] is the only way to run a write: it looks for a recorded first response
//! before the write runs and hands the write a [`FirstAttempt`], the proof that it looked,
//! which is the only thing that can record a response. A write therefore cannot skip the
//! replay, and a retry that loses a race against its own first attempt (both passed the
//! replay before either saved) is answered with the response the winner recorded.

use std::future::Future;

use estelam_runtime::auth::Caller;
use estelam_runtime::error::{ErrorCode, ServiceError};
use prost::Message;
use sqlx::AnyConnection;

use super::Engine;
use crate::model::Inquiry;
use crate::store::{self, StepLoad};

/// What makes two calls "the same call": the caller, the method and the caller's
/// `client_request_id`. An empty id opts out: such a call is never replayed.
pub(crate) struct Idempotency {
    scope: String,
    key: String,
}

impl Idempotency {
    /// The key of a call of `method` by `caller` with the caller's `client_request_id`.
    pub(crate) fn new(caller: &Caller, method: &str, client_request_id: &str) -> Self {
        Self {
            scope: format!("{}:{method}", caller.subject),
            key: client_request_id.to_owned(),
        }
    }

    fn is_keyed(&self) -> bool {
        !self.key.is_empty()
    }

    /// The response recorded for this call, if one was.
    async fn recorded<T: Message + Default>(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Option<T>, ServiceError> {
        if !self.is_keyed() {
            return Ok(None);
        }
        match store::idempotent_response(conn, &self.scope, &self.key).await? {
            Some(bytes) => Ok(Some(
                T::decode(bytes.as_slice()).map_err(ServiceError::internal)?,
            )),
            None => Ok(None),
        }
    }
}

/// Proof that a write looked for its recorded first response and found none: only a write
/// run by [`Engine::once`] gets one, and only it can record the response.
pub(crate) struct FirstAttempt<'a>(&'a Idempotency);

impl FirstAttempt<'_> {
    /// Records `response` as the answer to this call, inside the write's transaction.
    /// Returns false when a concurrent attempt of the same call recorded first: the write
    /// must then roll back and fail with [`ServiceError::conflict`], which [`Engine::once`]
    /// turns into that attempt's response.
    pub(crate) async fn record(
        &self,
        conn: &mut AnyConnection,
        response: &impl Message,
    ) -> Result<bool, ServiceError> {
        let idem = self.0;
        if !idem.is_keyed() {
            return Ok(true);
        }
        Ok(store::record_response(conn, &idem.scope, &idem.key, &response.encode_to_vec()).await?)
    }

    /// The record of `response` (its encoded bytes in `buf`) for a write that records it
    /// in the same statement as its change ([`store::update_inquiry_recorded`]); `None`
    /// when the call has no key and nothing is recorded.
    pub(crate) fn record_of<'b>(&'b self, buf: &'b [u8]) -> Option<store::Recorded<'b>> {
        let idem = self.0;
        idem.is_keyed().then_some(store::Recorded {
            scope: &idem.scope,
            key: &idem.key,
            response: buf,
        })
    }
}

/// What an idempotent write answered.
pub(crate) struct Answered<T, X> {
    /// The response: this attempt's, or the first attempt's when this one was a retry.
    pub response: T,
    /// What the write produced beside its response when it ran now; `None` when the call
    /// was answered with a recorded response (the write did not run, or lost to its first
    /// attempt), so anything not recorded must be fetched afresh.
    pub fresh: Option<X>,
}

impl Engine {
    /// Runs `write` once per [`Idempotency`] key: a call already answered gets the recorded
    /// response without running it; one that loses a race to a concurrent attempt of the
    /// same call (its save finds the version moved on, or the response recorded first) gets
    /// that attempt's response. A conflict with anything else stays ABORTED.
    pub(crate) async fn once<'a, T, X, W, Fut>(
        &self,
        idem: &'a Idempotency,
        write: W,
    ) -> Result<Answered<T, X>, ServiceError>
    where
        T: Message + Default,
        W: FnOnce(FirstAttempt<'a>) -> Fut,
        Fut: Future<Output = Result<(T, X), ServiceError>>,
    {
        if let Some(first) = idem.recorded::<T>(&mut *self.conn().await?).await? {
            return Ok(Answered {
                response: first,
                fresh: None,
            });
        }
        self.first_attempt(idem, write(FirstAttempt(idem)).await)
            .await
    }

    /// [`Engine::once`] for a write on one inquiry, which every step is: the look for a
    /// recorded response and the load of the inquiry with its history are one round trip
    /// ([`store::load_for_step`]). `write` gets the inquiry as read (`None`: there is no
    /// such inquiry), and the answer is as [`Engine::once`]'s.
    pub(crate) async fn once_on<'a, T, X, W, Fut>(
        &self,
        idem: &'a Idempotency,
        inquiry_id: &str,
        write: W,
    ) -> Result<Answered<T, X>, ServiceError>
    where
        T: Message + Default,
        W: FnOnce(FirstAttempt<'a>, Option<Inquiry>) -> Fut,
        Fut: Future<Output = Result<(T, X), ServiceError>>,
    {
        let loaded =
            store::load_for_step(&mut *self.conn().await?, inquiry_id, &idem.scope, &idem.key)
                .await?;
        let inq = match loaded {
            StepLoad::Recorded(bytes) => {
                return Ok(Answered {
                    response: T::decode(bytes.as_slice()).map_err(ServiceError::internal)?,
                    fresh: None,
                });
            }
            StepLoad::Inquiry(inq) => inq.map(|b| *b),
        };
        self.first_attempt(idem, write(FirstAttempt(idem), inq).await)
            .await
    }

    /// What a first attempt answers: its own result, or, when it lost a race to a
    /// concurrent attempt of the same call, that attempt's recorded response.
    async fn first_attempt<T: Message + Default, X>(
        &self,
        idem: &Idempotency,
        result: Result<(T, X), ServiceError>,
    ) -> Result<Answered<T, X>, ServiceError> {
        match result {
            Ok((response, extra)) => Ok(Answered {
                response,
                fresh: Some(extra),
            }),
            Err(e) if e.code == ErrorCode::Conflict && idem.is_keyed() => {
                match idem.recorded::<T>(&mut *self.conn().await?).await? {
                    Some(first) => Ok(Answered {
                        response: first,
                        fresh: None,
                    }),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}
