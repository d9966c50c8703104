//! Estelam fees service.
