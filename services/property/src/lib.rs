//! Estelam property service.
