//! The Rust half of the cxx bridge: the codec crate's API in a shape C++ can call.
//!
//! Nothing here knows about ROOT. The C++ half (`cpp/`) wraps these functions in
//! standard C++ types and exceptions; the ROOT plugin only ever sees that wrapper.
//! Errors cross the bridge as `Result::Err` (a C++ `rust::Error`); nothing here may panic.

use baler_codec::{Segment, SegmentKind, Spec};

#[cxx::bridge(namespace = "baler::bridge")]
mod ffi {
    /// One run of bytes in a buffer and how to code it (see `baler_codec::SegmentKind`).
    struct LayoutRun {
        /// 0 raw bytes, 1 big-endian f32, 2 big-endian f64, 3 big-endian i32.
        kind: u8,
        /// Length in bytes.
        len: u32,
    }

    extern "Rust" {
        /// A parsed codec spec (`lossless`, `bits:N`, `rel:E`, `abs:E`, `ae:BOUND:MODEL`).
        type CodecSpec;

        fn parse_spec(text: &str) -> Result<Box<CodecSpec>>;
        fn clone_spec(spec: &CodecSpec) -> Box<CodecSpec>;
        fn spec_to_string(spec: &CodecSpec) -> String;
        /// True when the spec may change float values (anything but `lossless`).
        fn spec_is_lossy(spec: &CodecSpec) -> bool;

        /// Encodes `src` (described by `layout`) into `dst`. Returns the block length, or 0 when
        /// the block does not fit in `dst` (the caller then stores the data another way).
        fn encode_block(spec: &CodecSpec, src: &[u8], layout: &[LayoutRun], dst: &mut [u8]) -> Result<usize>;
        /// Decodes a whole block into `dst`, which must have exactly the block's decoded length.
        fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<()>;
    }
}

pub struct CodecSpec(Spec);

fn parse_spec(text: &str) -> Result<Box<CodecSpec>, String> {
    text.parse::<Spec>().map(|spec| Box::new(CodecSpec(spec))).map_err(|e| e.to_string())
}

fn clone_spec(spec: &CodecSpec) -> Box<CodecSpec> {
    Box::new(CodecSpec(spec.0.clone()))
}

fn spec_to_string(spec: &CodecSpec) -> String {
    spec.0.to_string()
}

fn spec_is_lossy(spec: &CodecSpec) -> bool {
    !matches!(spec.0, Spec::Lossless)
}

fn to_segments(layout: &[ffi::LayoutRun]) -> Result<Vec<Segment>, String> {
    layout
        .iter()
        .map(|run| {
            let kind = match run.kind {
                0 => SegmentKind::Raw,
                1 => SegmentKind::F32,
                2 => SegmentKind::F64,
                3 => SegmentKind::I32,
                other => return Err(format!("unknown layout segment kind {other}")),
            };
            Ok(Segment { kind, len: run.len })
        })
        .collect()
}

thread_local! {
    /// Reused output buffer: ROOT compresses basket after basket on the same threads, so keeping
    /// one growable buffer per thread avoids an allocation per basket.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn encode_block(spec: &CodecSpec, src: &[u8], layout: &[ffi::LayoutRun], dst: &mut [u8]) -> Result<usize, String> {
    let segments = to_segments(layout)?;
    SCRATCH.with(|scratch| {
        let mut out = scratch.borrow_mut();
        out.clear();
        baler_codec::encode_block(src, &segments, &spec.0, &mut out).map_err(|e| e.to_string())?;
        if out.len() > dst.len() {
            return Ok(0);
        }
        dst[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    })
}

fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<(), String> {
    baler_codec::decode_block(block, dst).map_err(|e| e.to_string())
}
