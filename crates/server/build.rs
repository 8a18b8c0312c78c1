//! Compiles the gRPC API's protobuf definitions into the file descriptor
//! set that gRPC server reflection serves. The definitions are the API
//! contract in `../shared/reference/proto` (or `VECTORIZER_PROTO_DIR`);
//! without them the binary serves reflection with no files.

use std::path::PathBuf;

use prost::Message;

fn main() {
    println!("cargo:rerun-if-env-changed=VECTORIZER_PROTO_DIR");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let dir = std::env::var("VECTORIZER_PROTO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../../../shared/reference/proto"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("descriptor.bin");
    if dir.exists() {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let files = [
        "collections_service.proto",
        "points_service.proto",
        "snapshots_service.proto",
        "qdrant.proto",
    ];
    let bytes = if dir.join(files[0]).exists() {
        match protox::compile(files, [&dir]) {
            Ok(set) => set.encode_to_vec(),
            Err(e) => {
                println!("cargo:warning=gRPC reflection disabled: {e}");
                Vec::new()
            }
        }
    } else {
        println!(
            "cargo:warning=gRPC reflection serves no files: {} not found",
            dir.display()
        );
        Vec::new()
    };
    std::fs::write(&out, bytes).expect("write the descriptor set");
}
