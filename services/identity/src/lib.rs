//! Estelam identity service.
