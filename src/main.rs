//! The `meshsync` binary: a thin shell over [`meshsync::cli`].

fn main() {
    std::process::exit(meshsync::cli::main());
}
