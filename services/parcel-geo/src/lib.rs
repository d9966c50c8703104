//! A parcel's rules with no I/O, shared by the property service and the fuzz targets.
//!
//! * [`geometry`]: parcel outlines from GeoJSON, their validity rules and measurements.
//! * [`ownership`]: owners, exact shares in dang and the ownership rules.
//! * [`parcel`]: a parcel's record and [`parcel::validate`], which checks every field at once.
//! * [`index`]: the in-memory R-tree of outlines behind map picks and overlap checks.
//! * [`outline_bytes`]: outlines as compact bytes, the form the index loads from the store.
//! * [`import_check`]: the checks a GeoJSON parcel layer must pass before it is imported.
//! * [`labels`]: the city's label layer (street names, block numbers): its file's checks.
//!
//! Errors here are plain values naming a field and saying what is wrong in Persian and
//! English; the property service turns them into its gRPC errors at its edge.

pub mod dang;
pub mod geometry;
pub mod identifiers;
pub mod import_check;
pub mod index;
pub mod labels;
pub mod outline_bytes;
pub mod ownership;
pub mod parcel;
