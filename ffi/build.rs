//! Generates `include/psws.h` from the crate's `#[no_mangle]` items and their doc
//! comments. The header is committed, so a diff shows every ABI change; CI checks that
//! the committed header matches the code.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml is valid");
    match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(dir.join("include/psws.h"));
        }
        // A half-written source file must not break `cargo check`; the compiler reports it.
        Err(e) => println!("cargo:warning=psws.h not regenerated: {e}"),
    }
}
