//! Estelam contracts.
