//! The `meshsync` binary: a thin shell over [`meshsync::cli`].

/// mimalloc instead of the system allocator: a run allocates and frees a few
/// small vectors per payload (tens of millions at scale), which glibc's
/// allocator serves markedly slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(meshsync::cli::main());
}
