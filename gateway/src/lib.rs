//! Estelam HTTP gateway.
