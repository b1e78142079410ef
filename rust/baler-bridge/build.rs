// Generates the C++ side of the bridge (header + glue) and compiles the glue into this static library.
fn main() {
    cxx_build::bridge("src/lib.rs").std("c++17").compile("baler-bridge-glue");
    println!("cargo:rerun-if-changed=src/lib.rs");
}
