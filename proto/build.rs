//! Compiles the `.proto` contracts under `estelam/` into Rust (messages with
//! prost, clients and servers with tonic) and writes the file descriptor set
//! that the services expose through gRPC reflection.
//!
//! `protoc` comes from `protoc-bin-vendored` and is handed to prost-build as
//! its executable, so a fresh machine needs no protoc installed and no
//! environment variable is mutated.

use std::io;
use std::path::{Path, PathBuf};

/// Root of the proto import tree, relative to this crate.
const PROTO_ROOT: &str = "estelam";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = proto_files(Path::new(PROTO_ROOT))?;
    if protos.is_empty() {
        return Err(format!("no .proto files found under {PROTO_ROOT}/").into());
    }

    // Re-run when a contract changes, or when a file is added or removed.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // Document chunks are large and only passed along: `bytes::Bytes` lets
    // them move between the network and the store without copying.
    config.bytes([
        ".estelam.documents.v1.UploadDocumentRequest.chunk",
        ".estelam.documents.v1.DownloadDocumentResponse.chunk",
    ]);

    // The well-known types (google/protobuf/timestamp.proto) ship with the
    // vendored protoc.
    let includes = [PathBuf::from("."), protoc_bin_vendored::include_path()?];

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out_dir.join("estelam_descriptor.bin"))
        .compile_with_config(config, &protos, &includes)?;
    Ok(())
}

/// Every `.proto` file under `dir`, sorted so the build is deterministic.
fn proto_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "proto") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}
