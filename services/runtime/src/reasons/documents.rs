//! Reasons the documents service sends.

catalogue! {}
