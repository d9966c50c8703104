//! Rebuilds the crate when an embedded asset changes: `include_dir!` alone does not tell
//! cargo to watch the folder on stable Rust.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
