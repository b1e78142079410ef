//! The codec's integration tests: its public API only, as the bridge and the readers use it.
//! One test binary of modules rather than one per file, because every binary links the whole
//! codec again under the release profile's LTO (about 40 s of CPU each on two cores).
mod ae;
mod block_bytes;
mod columns;
mod common;
mod prop;
mod roundtrip;
mod within_spec;
