//! Estelam documents service.
