//! Reasons the gateway sends of its own (HTTP-level checks before any service is called).

catalogue! {}
