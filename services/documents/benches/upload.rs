//! Placeholder, replaced by the upload benchmark.
fn main() {}
