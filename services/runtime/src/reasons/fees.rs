//! Reasons the fees service sends.

catalogue! {}
