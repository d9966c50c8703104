//! Reasons the property service sends.

catalogue! {}
