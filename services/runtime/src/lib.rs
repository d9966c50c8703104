//! Estelam runtime.
