// torch-sys links libtorch's shared libraries from the Python environment it was built against
// but records no run path: give the binaries one, so `baler-train` runs without LD_LIBRARY_PATH.
// libtorch_cuda is only reached through its static initialisers (which register the CUDA
// backend), so the linker's --as-needed would drop it and `--device cuda` would find no GPU:
// link it unconditionally when the environment has it.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        if std::path::Path::new(&dir).join("libtorch_cuda.so").exists() {
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
            println!("cargo:rustc-link-arg=-ltorch_cuda");
            println!("cargo:rustc-link-arg=-Wl,--as-needed");
        }
    }
}
