//! The offline-verifiable certificate: what a printed answer's QR code carries and what a
//! verifier needs to check it with no network.
//!
//! * [`cwt`]: the answer's essential facts as CBOR Web Token claims (RFC 8392) in a
//!   COSE_Sign1 (RFC 9052) signed with EdDSA, zlib-compressed, Base45-encoded (RFC 9285)
//!   behind the prefix `EQ1:` — the pattern of the EU Digital COVID Certificate. The claim
//!   registry is in `docs/certificate.md`.
//! * [`jws`]: the compact JWS (RFC 7515, EdDSA) that signs the two published documents.
//! * [`trust_list`]: the answer-signing public keys as a JWK Set (RFC 7517), with validity
//!   periods, signed by the long-lived root key a verifier pins.
//! * [`status_list`]: every issued answer's status as an IETF Token Status List
//!   (draft-ietf-oauth-status-list): one bit per answer, set when revoked.
//! * [`check`]: the verdict on a QR text — valid, altered, revoked, expired, unknown key.
//!
//! Everything here is pure: the engine supplies keys and rows, the CLI supplies files.

pub mod check;
pub mod cwt;
pub mod jws;
pub mod status_list;
pub mod trust_list;
