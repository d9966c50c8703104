//! Estelam domain value types.
