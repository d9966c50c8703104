//! Estelam inquiry service.
