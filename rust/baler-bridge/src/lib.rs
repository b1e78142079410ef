//! The Rust half of the cxx bridge: the codec crate's API in a shape C++ can call.
//!
//! Nothing here knows about ROOT. The C++ half (`cpp/`) wraps these functions in
//! standard C++ types and exceptions; the ROOT plugin only ever sees that wrapper.
//! Errors cross the bridge as `Result::Err` (a C++ `rust::Error`); nothing here may panic.

use baler_codec::{Model, Segment, SegmentKind, Spec};

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
        /// The MODEL of an `ae:BOUND:MODEL` spec (a .balm path or an id); empty for other specs.
        fn spec_model_reference(spec: &CodecSpec) -> String;

        /// A parsed `.balm` model of the `ae:` codec.
        type CodecModel;

        fn parse_model(bytes: &[u8]) -> Result<Box<CodecModel>>;
        /// The model's content-hash id, as blocks and specs name it.
        fn model_id(model: &CodecModel) -> String;

        /// Encodes `src` (described by `layout`) into `dst`. Returns the block length, or 0 when
        /// the block does not fit in `dst` (the caller then stores the data another way).
        fn encode_block(spec: &CodecSpec, src: &[u8], layout: &[LayoutRun], dst: &mut [u8]) -> Result<usize>;
        /// `encode_block` for an `ae:` spec, with the model its MODEL names.
        fn encode_block_with_model(
            spec: &CodecSpec,
            model: &CodecModel,
            src: &[u8],
            layout: &[LayoutRun],
            dst: &mut [u8],
        ) -> Result<usize>;
        /// The id of the model a block was coded with, or an empty string when it needs none.
        fn block_model_id(block: &[u8]) -> Result<String>;
        /// What a block holds, from its section headers: e.g. `f32 bits:10`, `f32 ae:bits:7:<id>`.
        fn describe_block(block: &[u8]) -> Result<String>;
        /// Decodes a whole block into `dst`, which must have exactly the block's decoded length.
        fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<()>;
        /// `decode_block` for a block that `block_model_id` says needs `model`.
        fn decode_block_with_model(block: &[u8], model: &CodecModel, dst: &mut [u8]) -> Result<()>;
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

fn spec_model_reference(spec: &CodecSpec) -> String {
    match &spec.0 {
        Spec::Ae { model, .. } => model.clone(),
        _ => String::new(),
    }
}

pub struct CodecModel(Model);

fn parse_model(bytes: &[u8]) -> Result<Box<CodecModel>, String> {
    Model::parse(bytes).map(|model| Box::new(CodecModel(model))).map_err(|e| e.to_string())
}

fn model_id(model: &CodecModel) -> String {
    model.0.id().to_string()
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
    encode_into(spec, None, src, layout, dst)
}

fn encode_block_with_model(
    spec: &CodecSpec,
    model: &CodecModel,
    src: &[u8],
    layout: &[ffi::LayoutRun],
    dst: &mut [u8],
) -> Result<usize, String> {
    encode_into(spec, Some(&model.0), src, layout, dst)
}

fn encode_into(spec: &CodecSpec, model: Option<&Model>, src: &[u8], layout: &[ffi::LayoutRun], dst: &mut [u8]) -> Result<usize, String> {
    let segments = to_segments(layout)?;
    SCRATCH.with(|scratch| {
        let mut out = scratch.borrow_mut();
        out.clear();
        baler_codec::encode_block_with_model(src, &segments, &spec.0, model, &mut out).map_err(|e| e.to_string())?;
        if out.len() > dst.len() {
            return Ok(0);
        }
        dst[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    })
}

fn block_model_id(block: &[u8]) -> Result<String, String> {
    baler_codec::block_model_id(block).map(|id| id.map(|id| id.to_string()).unwrap_or_default()).map_err(|e| e.to_string())
}

fn describe_block(block: &[u8]) -> Result<String, String> {
    baler_codec::block_spec(block).map_err(|e| e.to_string())
}

fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<(), String> {
    baler_codec::decode_block(block, dst).map_err(|e| e.to_string())
}

fn decode_block_with_model(block: &[u8], model: &CodecModel, dst: &mut [u8]) -> Result<(), String> {
    baler_codec::decode_block_with_model(block, dst, Some(&model.0)).map_err(|e| e.to_string())
}
