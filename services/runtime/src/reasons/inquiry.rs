//! Reasons the inquiry service sends.

catalogue! {}
