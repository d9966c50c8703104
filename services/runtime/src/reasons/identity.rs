//! Reasons the identity service sends.

catalogue! {}
