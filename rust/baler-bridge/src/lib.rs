//! The Rust half of the cxx bridge: the codec crate's API in a shape C++ can call.
//!
//! Nothing here knows about ROOT. The C++ half (`cpp/`) wraps these functions in
//! standard C++ types and exceptions; the ROOT plugin only ever sees that wrapper.
//! Errors cross the bridge as `Result::Err` (a C++ `rust::Error`); nothing here may panic.

use baler_codec::{AnyModel, ObjectCoding, Segment, SegmentKind, Spec};

#[cxx::bridge(namespace = "baler::bridge")]
mod ffi {
    /// One run of bytes in a buffer and how to code it (see `baler_codec::SegmentKind`).
    struct LayoutRun {
        /// 0 raw bytes, 1 big-endian f32, 2 big-endian f64, 3 big-endian i32.
        kind: u8,
        /// Length in bytes.
        len: u32,
    }

    /// What a block of an object model's member was coded with (`needed` false: no context;
    /// `model_id` and `member` empty: only entry offsets derived from `offsets_from`'s basket).
    struct BlockContextInfo {
        needed: bool,
        model_id: String,
        member: String,
        /// Branch names of the context members whose decoded values the block needs.
        context: Vec<String>,
        first_entry: u64,
        entries: u64,
        /// The member whose basket's I32 values (entry offsets) for the same entries the block's
        /// are derived from; empty when they are stored.
        offsets_from: String,
    }

    /// A basket's values as other members' context: its floats and its I32 values.
    struct ContextBasket {
        floats: Vec<f64>,
        ints: Vec<i32>,
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

        /// A parsed `.balm` model: an autoencoder of the `ae:` codec, or an object model.
        type CodecModel;

        fn parse_model(bytes: &[u8]) -> Result<Box<CodecModel>>;
        /// The model's content-hash id, as blocks and specs name it.
        fn model_id(model: &CodecModel) -> String;
        /// True for an object model (members coded with the decoded values of other members).
        fn model_is_object(model: &CodecModel) -> bool;
        /// Whether `member` is one of the object model's members, and the names of the members
        /// whose decoded values it is coded with (empty for a carrier).
        fn object_member_context(model: &CodecModel, member: &str, context: &mut Vec<String>) -> bool;
        /// The member whose basket's entry offsets `member`'s may be derived from (the model's
        /// first carrier); empty for that carrier and for a name the model does not know.
        fn object_offsets_source(model: &CodecModel, member: &str) -> String;
        /// Encodes a basket of an object model's member with the decoded values of its context
        /// members for the same entries (`context`: their values one member after the other, each
        /// `per_member` long; empty: code without context), and, when `has_offsets`, the I32
        /// values of its offsets source's basket for the same entries. Returns as `encode_block`.
        #[allow(clippy::too_many_arguments)]
        fn encode_block_in_context(
            spec: &CodecSpec,
            model: &CodecModel,
            member: &str,
            first_entry: u64,
            entries: u64,
            context: &[f64],
            per_member: usize,
            offsets: &[i32],
            has_offsets: bool,
            src: &[u8],
            layout: &[LayoutRun],
            dst: &mut [u8],
        ) -> Result<usize>;
        /// What an object member's block needs to be decoded.
        fn block_context(block: &[u8]) -> Result<BlockContextInfo>;
        /// Decodes a block whose only context is derived entry offsets (`offsets`: the I32 values
        /// of the basket `block_context` names as `offsets_from`).
        fn decode_block_with_offsets(block: &[u8], offsets: &[i32], dst: &mut [u8]) -> Result<()>;
        /// Decodes a block that needs no float context (and, when `has_offsets`, derives its entry
        /// offsets from `offsets`) and returns its float and I32 values in layout order (the
        /// context an object member's block is coded with).
        fn decode_context_block(block: &[u8], offsets: &[i32], has_offsets: bool) -> Result<ContextBasket>;
        /// The values of `decoded`, the bytes a decoder gave for `block`, as
        /// `decode_context_block` returns them (without decoding the block again).
        fn decoded_context(block: &[u8], decoded: &[u8]) -> Result<ContextBasket>;
        /// Decodes an object member's block with its context (as in `encode_block_in_context`).
        #[allow(clippy::too_many_arguments)]
        fn decode_block_in_context(
            block: &[u8],
            model: &CodecModel,
            member: &str,
            first_entry: u64,
            entries: u64,
            context: &[f64],
            per_member: usize,
            offsets: &[i32],
            has_offsets: bool,
            dst: &mut [u8],
        ) -> Result<()>;

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

        /// `src` as one zstd frame at zstd `level` in `dst`, the frame zstd's ZSTD_compressCCtx
        /// writes, through a context reused on this thread; its size, or 0 when it does not fit.
        fn zstd_compress_frame(level: i32, src: &[u8], dst: &mut [u8]) -> usize;
        /// Decodes one zstd frame into `dst` through a context reused on this thread; the decoded
        /// size. An error when the frame is damaged or decodes to more than `dst` holds.
        fn zstd_decompress_frame(frame: &[u8], dst: &mut [u8]) -> Result<usize>;
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

/// Either kind of `.balm` model (the codec's [`AnyModel`]), opaque to C++.
pub struct CodecModel(AnyModel);

fn parse_model(bytes: &[u8]) -> Result<Box<CodecModel>, String> {
    AnyModel::parse(bytes).map(|m| Box::new(CodecModel(m))).map_err(|e| e.to_string())
}

fn model_id(model: &CodecModel) -> String {
    model.0.id().to_string()
}

fn model_is_object(model: &CodecModel) -> bool {
    matches!(model.0, AnyModel::Object(_))
}

fn object_member_context(model: &CodecModel, member: &str, context: &mut Vec<String>) -> bool {
    context.clear();
    let AnyModel::Object(m) = &model.0 else { return false };
    let Some(i) = m.member(member) else { return false };
    context.extend(m.context_names(i).into_iter().map(String::from));
    true
}

fn object_offsets_source(model: &CodecModel, member: &str) -> String {
    let AnyModel::Object(m) = &model.0 else { return String::new() };
    m.member(member).and_then(|i| m.offsets_source(i)).map(|s| m.members()[s].name.clone()).unwrap_or_default()
}

/// The per-value spec an `ae:BOUND:MODEL` spec codes with where its model does not apply.
fn bound_spec(spec: &Spec) -> Spec {
    match spec {
        Spec::Ae { bound, .. } => baler_codec::per_value_spec(bound),
        other => other.clone(),
    }
}

/// `context` cut into the columns of its members.
fn context_columns(context: &[f64], per_member: usize) -> Result<Vec<&[f64]>, String> {
    if per_member == 0 {
        return Ok(if context.is_empty() { Vec::new() } else { vec![context] });
    }
    if context.len() % per_member != 0 {
        return Err(format!("{} context values are not columns of {per_member}", context.len()));
    }
    Ok(context.chunks_exact(per_member).collect())
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
    encode_into(spec, Some(model), src, layout, dst)
}

#[allow(clippy::too_many_arguments)]
fn encode_block_in_context(
    spec: &CodecSpec,
    model: &CodecModel,
    member: &str,
    first_entry: u64,
    entries: u64,
    context: &[f64],
    per_member: usize,
    offsets: &[i32],
    has_offsets: bool,
    src: &[u8],
    layout: &[ffi::LayoutRun],
    dst: &mut [u8],
) -> Result<usize, String> {
    let AnyModel::Object(m) = &model.0 else {
        return Err(format!("model {} is not an object model", model_id(model)));
    };
    let Some(i) = m.member(member) else {
        // a branch the model does not know: per value
        return encode_with(src, layout, dst, |src, segments, out| baler_codec::encode_block(src, segments, &bound_spec(&spec.0), out));
    };
    let columns = context_columns(context, per_member)?;
    let coding = ObjectCoding { model: m, member: i, first_entry, entries, context: &columns, offsets: has_offsets.then_some(offsets) };
    encode_with(src, layout, dst, |src, segments, out| baler_codec::encode_block_in_context(src, segments, &spec.0, &coding, out))
}

fn block_context(block: &[u8]) -> Result<ffi::BlockContextInfo, String> {
    let context = baler_codec::block_context(block).map_err(|e| e.to_string())?;
    if context.is_none() {
        if let Some(o) = baler_codec::block_offsets_source(block).map_err(|e| e.to_string())? {
            return Ok(ffi::BlockContextInfo {
                needed: true,
                model_id: String::new(),
                member: String::new(),
                context: Vec::new(),
                first_entry: o.first_entry,
                entries: o.entries,
                offsets_from: o.source,
            });
        }
    }
    Ok(match context {
        None => ffi::BlockContextInfo { needed: false, model_id: String::new(), member: String::new(), context: Vec::new(), first_entry: 0, entries: 0, offsets_from: String::new() },
        Some(c) => ffi::BlockContextInfo {
            needed: true,
            model_id: c.model.to_string(),
            member: c.member,
            context: c.context,
            first_entry: c.first_entry,
            entries: c.entries,
            offsets_from: c.offsets_from.unwrap_or_default(),
        },
    })
}

fn decode_block_with_offsets(block: &[u8], offsets: &[i32], dst: &mut [u8]) -> Result<(), String> {
    baler_codec::decode_block_with_offsets(block, dst, offsets).map_err(|e| e.to_string())
}

fn context_basket(values: baler_codec::ContextValues) -> ffi::ContextBasket {
    ffi::ContextBasket { floats: values.floats, ints: values.ints }
}

fn decode_context_block(block: &[u8], offsets: &[i32], has_offsets: bool) -> Result<ffi::ContextBasket, String> {
    baler_codec::decode_context_block(block, has_offsets.then_some(offsets)).map(context_basket).map_err(|e| e.to_string())
}

fn decoded_context(block: &[u8], decoded: &[u8]) -> Result<ffi::ContextBasket, String> {
    baler_codec::decoded_context(block, decoded).map(context_basket).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
fn decode_block_in_context(
    block: &[u8],
    model: &CodecModel,
    member: &str,
    first_entry: u64,
    entries: u64,
    context: &[f64],
    per_member: usize,
    offsets: &[i32],
    has_offsets: bool,
    dst: &mut [u8],
) -> Result<(), String> {
    let AnyModel::Object(m) = &model.0 else {
        return Err(format!("model {} is not an object model", model_id(model)));
    };
    let i = m.member(member).ok_or_else(|| format!("object model {} has no member {member}", m.id()))?;
    let columns = context_columns(context, per_member)?;
    let coding = ObjectCoding { model: m, member: i, first_entry, entries, context: &columns, offsets: has_offsets.then_some(offsets) };
    baler_codec::decode_block_in_context(block, dst, &coding).map_err(|e| e.to_string())
}

fn encode_into(spec: &CodecSpec, model: Option<&CodecModel>, src: &[u8], layout: &[ffi::LayoutRun], dst: &mut [u8]) -> Result<usize, String> {
    match model.map(|m| &m.0) {
        // an object model's member without its name and context: per value, always correct
        Some(AnyModel::Object(_)) => encode_with(src, layout, dst, |src, segments, out| baler_codec::encode_block(src, segments, &bound_spec(&spec.0), out)),
        Some(AnyModel::Autoencoder(m)) => encode_with(src, layout, dst, |src, segments, out| baler_codec::encode_block_with_model(src, segments, &spec.0, Some(m), out)),
        None => encode_with(src, layout, dst, |src, segments, out| baler_codec::encode_block_with_model(src, segments, &spec.0, None, out)),
    }
}

/// Runs `encode` into the thread's scratch buffer and copies the block into `dst` when it fits.
fn encode_with(
    src: &[u8],
    layout: &[ffi::LayoutRun],
    dst: &mut [u8],
    encode: impl FnOnce(&[u8], &[Segment], &mut Vec<u8>) -> Result<(), baler_codec::CodecError>,
) -> Result<usize, String> {
    let segments = to_segments(layout)?;
    SCRATCH.with(|scratch| {
        let mut out = scratch.borrow_mut();
        out.clear();
        encode(src, &segments, &mut out).map_err(|e| e.to_string())?;
        if out.len() > dst.len() {
            return Ok(0);
        }
        dst[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    })
}

/// The id of an `ae:` block's autoencoder or of an object member's object model.
fn block_model_id(block: &[u8]) -> Result<String, String> {
    if let Some(c) = baler_codec::block_context(block).map_err(|e| e.to_string())? {
        return Ok(c.model.to_string());
    }
    baler_codec::block_model_id(block).map(|id| id.map(|id| id.to_string()).unwrap_or_default()).map_err(|e| e.to_string())
}

fn describe_block(block: &[u8]) -> Result<String, String> {
    baler_codec::block_spec(block).map_err(|e| e.to_string())
}

fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<(), String> {
    baler_codec::decode_block(block, dst).map_err(|e| e.to_string())
}

fn decode_block_with_model(block: &[u8], model: &CodecModel, dst: &mut [u8]) -> Result<(), String> {
    match &model.0 {
        AnyModel::Autoencoder(m) => baler_codec::decode_block_with_model(block, dst, Some(m)),
        // an object member's block needs its context: decode_block_in_context
        AnyModel::Object(_) => baler_codec::decode_block(block, dst),
    }
    .map_err(|e| e.to_string())
}

fn zstd_compress_frame(level: i32, src: &[u8], dst: &mut [u8]) -> usize {
    baler_codec::compress_frame(level, src, dst).unwrap_or(0)
}

fn zstd_decompress_frame(frame: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    baler_codec::decompress_frame(frame, dst).map_err(|e| e.to_string())
}
