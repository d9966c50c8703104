//! Estelam launcher library.
