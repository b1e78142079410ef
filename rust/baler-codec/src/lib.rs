//! `baler-codec`: error-bounded lossy (and lossless) float block codec for
//! baler-root. Pure Rust. The block format is specified in `docs/format.md`.
//!
//! ```
//! use baler_codec::{encode_block, decode_block, decoded_len, Segment, SegmentKind, Spec};
//! let vals: Vec<f32> = (0..100).map(|i| i as f32 * 1.37).collect();
//! let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
//! let layout = [Segment { kind: SegmentKind::F32, len: src.len() as u32 }];
//! let spec: Spec = "rel:1e-3".parse().unwrap();
//! let mut block = Vec::new();
//! encode_block(&src, &layout, &spec, &mut block).unwrap();
//! let mut dst = vec![0u8; decoded_len(&block).unwrap()];
//! decode_block(&block, &mut dst).unwrap();
//! ```

mod ae;
mod any_model;
mod differences;
mod entropy;
mod error;
mod float;
mod inspect;
mod layout;
mod model;
mod object;
mod object_fit;
mod object_model;
mod offsets;
mod quantiser;
mod rans;
mod scratch;
mod spec;
mod stream;
#[cfg(test)]
mod test_baskets;
#[cfg(test)]
mod test_draws;
mod varint;
mod zstd_frames;

pub use ae::per_value_spec;
pub use any_model::AnyModel;
pub use error::CodecError;
pub use inspect::block_spec;
pub use layout::{Segment, SegmentKind};
pub use model::{fit_linear, stored_normalisation, DenseLayer, Model, ModelId, ModelParts, Transform, MAX_WIDTH, MODEL_MAGIC, MODEL_VERSION};
pub use object::{BlockContext, ObjectCoding};
pub use offsets::OffsetsSource;
pub use object_fit::{fit_object_model, object_model_costs, MemberCost};
pub use object_model::{Member, ObjectModel, Predictor, OBJECT_MODEL_MAGIC, OBJECT_MODEL_VERSION};
pub use spec::{Bound, Spec, SpecError, GRAMMAR};
pub use zstd_frames::{compress_frame, decompress_frame};

use error::corrupt;
use layout::Totals;
use varint::{put_uvarint, Reader};

/// First four bytes of every block.
pub const MAGIC: [u8; 4] = *b"BALR";
/// Block format version written by this crate.
pub const FORMAT_VERSION: u8 = 1;

/// Section tags (see docs/format.md). Tags with bit 0x80 set are optional:
/// readers that do not know them skip them.
pub(crate) mod tag {
    pub const LAYOUT: u8 = 1;
    pub const RAW: u8 = 2;
    pub const I32: u8 = 3;
    pub const F32: u8 = 4;
    pub const F64: u8 = 5;
    /// A float section coded through an autoencoder model (`ae:`), instead of tag F32 or F64,
    /// with a number stream per latent dimension and per column (read, no longer written).
    pub const AE_PER_COLUMN: u8 = 17;
    /// The same with one stream of latent codes and one of residuals (written).
    pub const AE: u8 = 18;
    /// A float section of an object model's member, coded with the decoded values of its context
    /// members (`object.rs`), instead of tag F32 or F64.
    pub const OBJECT: u8 = 19;
    /// The I32 values (entry offsets) of an object model's member derived from those of another
    /// member's basket for the same entries (`offsets.rs`), instead of tag I32.
    pub const OFFSETS: u8 = 20;
    /// A float section coded through an autoencoder model as tag AE, with the residuals in
    /// streams by the magnitude of their prediction (written under `abs` bounds where smaller).
    pub const AE_BY_PREDICTION: u8 = 21;
    pub const OPTIONAL: u8 = 0x80;
}

fn checksum(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// The checksum of the bytes the decoder will produce for `src`: `src` itself, with the values of
/// its F32 and F64 segments replaced by `f32s` and `f64s` where the spec changed them. Hashed as a
/// stream rather than over a decoded copy, which was one more block-sized buffer per coding thread
/// (15 MB for a basket of the generated sample's Calo_E).
fn checksum_of_decoded(src: &[u8], segs: &[(SegmentKind, usize)], f32s: Option<&[f32]>, f64s: Option<&[f64]>) -> u64 {
    if f32s.is_none() && f64s.is_none() {
        return checksum(src);
    }
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let (mut f32s, mut f64s) = (f32s.unwrap_or_default(), f64s.unwrap_or_default());
    let mut off = 0;
    for &(kind, len) in segs {
        match kind {
            SegmentKind::F32 if !f32s.is_empty() => f32s = hash_big_endian(&mut hasher, f32s, len / 4),
            SegmentKind::F64 if !f64s.is_empty() => f64s = hash_big_endian(&mut hasher, f64s, len / 8),
            _ => hasher.update(&src[off..off + len]),
        }
        off += len;
    }
    hasher.digest()
}

/// Feeds the first `n` of `values` to `hasher` as their big-endian bytes, a few kB at a time;
/// the values after them. Over slices, not an iterator: the byte swaps then vectorise (through
/// an iterator they were 6% of a `bits:10` basket's encode).
fn hash_big_endian<'a, T: stream::Num>(hasher: &mut xxhash_rust::xxh3::Xxh3, values: &'a [T], n: usize) -> &'a [T] {
    let mut bytes = [0u8; 4096];
    let (now, after) = values.split_at(n);
    for chunk in now.chunks(bytes.len() / T::SIZE) {
        for (out, &v) in bytes.chunks_exact_mut(T::SIZE).zip(chunk) {
            v.write_be(out);
        }
        hasher.update(&bytes[..chunk.len() * T::SIZE]);
    }
    after
}

fn put_section(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    out.push(tag);
    put_uvarint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// The values of every `kind` segment of `src`, in layout order.
fn gather<T: stream::Num>(src: &[u8], segs: &[(SegmentKind, usize)], kind: SegmentKind, n: usize) -> scratch::Scratch<T> {
    let mut v = scratch::with_capacity(n);
    let mut off = 0;
    for &(k, len) in segs {
        if k == kind {
            v.extend(src[off..off + len].chunks_exact(T::SIZE).map(T::read_be));
        }
        off += len;
    }
    v
}

/// Codes the values of every `kind` segment as one float section. Returns the values the decoder
/// will produce when the spec changed any, so that the checksum covers them.
/// Under `ae:` the section goes through the model when that is smaller than the per-value
/// section of the same values (model id included), and is the per-value section otherwise; the
/// same for an object model's member coded with its context (`object`). The per-value section is
/// written only where its floor leaves it a chance: that skips most of its cost (pcodec's pass)
/// where a model's section is well below it, and changes no choice. The floor comes from the
/// model's section where that quantised every value as the per-value section does, so that
/// the values are then quantised once.
#[allow(clippy::too_many_arguments)]
fn encode_float_section<T: float::Flt>(
    src: &[u8],
    segs: &[(SegmentKind, usize)],
    kind: SegmentKind,
    n: usize,
    spec: &Spec,
    model: Option<&Model>,
    object: Option<&ObjectCoding<'_>>,
    section_tag: u8,
    body: &mut Vec<u8>,
) -> Result<Option<scratch::Scratch<T>>, CodecError> {
    let vals = gather::<T>(src, segs, kind, n);
    // the smallest section through a model: (tag, section, values decoded), ties to the first
    let mut through_model: Option<(u8, scratch::Scratch<u8>, scratch::Scratch<T>)> = None;
    let mut per_value_floor = None;
    if let (Spec::Ae { bound, .. }, Some(model)) = (spec, model) {
        let (mut sec, mut sec_recon) = (scratch::with_capacity(n * T::SIZE / 2), scratch::with_capacity(n));
        if let Some(coded) = ae::encode(&vals, segs, kind, bound, model, &mut sec, &mut sec_recon)? {
            let tag = if coded.streams == ae::Streams::ByPrediction { tag::AE_BY_PREDICTION } else { tag::AE };
            through_model = Some((tag, sec, sec_recon));
            per_value_floor = coded.per_value_floor;
        }
    }
    if let (Spec::Ae { bound, .. }, Some(coding)) = (spec, object) {
        let (mut sec, mut sec_recon) = (scratch::with_capacity(n * T::SIZE / 2), scratch::with_capacity(n));
        if object::encode(&vals, bound, coding, &mut sec, &mut sec_recon)? && through_model.as_ref().map_or(true, |m| sec.len() < m.1.len()) {
            through_model = Some((tag::OBJECT, sec, sec_recon));
        }
    }
    let (tag, sec, recon) = match through_model {
        Some(m) if per_value_floor.is_some_and(|floor| m.1.len() < floor) => m,
        through_model => {
            let mut recon = scratch::with_capacity(n);
            let per_value = float::PerValue::quantise(&vals, spec, &[], &mut recon)?;
            // the per-value section's own floor where the model's section gave none (one it gave
            // was held against it above), and only where there is a model's section to hold
            // against it: counting the codes is a tenth of a bits:10 block's encode
            match through_model {
                Some(m) if per_value_floor.is_none() && m.1.len() < per_value.size_floor(m.1.len() + 1) => m,
                through_model => {
                    let mut sec = scratch::with_capacity(n * T::SIZE / 2);
                    per_value.write(&mut sec)?;
                    match through_model {
                        // the per-value section wins ties
                        Some(m) if m.1.len() < sec.len() => m,
                        _ => (section_tag, sec, recon),
                    }
                }
            }
        }
    };
    put_section(body, tag, &sec);
    let changed = recon.iter().zip(vals.iter()).any(|(a, b)| a.bits() != b.bits());
    Ok(changed.then_some(recon))
}

/// Writes `vals` big-endian into the `kind` segments of `dst`, in layout order.
fn scatter<T: stream::Num>(vals: &[T], segs: &[(SegmentKind, usize)], kind: SegmentKind, dst: &mut [u8]) {
    let mut off = 0;
    let mut it = vals.iter();
    for &(k, len) in segs {
        if k == kind {
            for (c, v) in dst[off..off + len].chunks_exact_mut(T::SIZE).zip(&mut it) {
                v.write_be(c);
            }
        }
        off += len;
    }
}

/// Encodes one buffer described by `layout` (consecutive segments covering
/// `src` exactly; numbers big-endian) and APPENDS the block to `out`.
/// F32/F64 segments get `spec`; I32 and Raw segments are always lossless.
/// An `ae:` spec needs its model: use [`encode_block_with_model`].
pub fn encode_block(src: &[u8], layout: &[Segment], spec: &Spec, out: &mut Vec<u8>) -> Result<(), CodecError> {
    encode_block_with_model(src, layout, spec, None, out)
}

/// [`encode_block`] with the parsed model an `ae:` spec names (the caller resolves the spec's
/// MODEL, a path or an id, to a [`Model`]); other specs ignore `model`. Rows of K floats are
/// coded through the model where that is smaller, everything else per value.
pub fn encode_block_with_model(src: &[u8], layout: &[Segment], spec: &Spec, model: Option<&Model>, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let (segs, totals) = layout::normalise(layout, src.len())?;
    // Validate the spec against the data present before writing anything.
    if totals.f32 > 0 {
        float::check_spec::<f32>(spec)?;
    }
    if totals.f64 > 0 {
        float::check_spec::<f64>(spec)?;
    }
    if let (Spec::Ae { model: name, .. }, None) = (spec, model) {
        return Err(CodecError::InvalidArgument(format!("{spec}: the ae: codec needs its model {name} (parsed .balm)")));
    }
    let start = out.len();
    let written = write_block(src, &segs, totals, spec, model, None, out);
    if written.is_err() {
        out.truncate(start); // on error `out` is left as it was
    }
    written
}

/// [`encode_block`] for one member of an object model, with the decoded values of its context
/// members for the same entries (`coding`; see [`ObjectCoding`]). `spec` must be `ae:BOUND:MODEL`
/// naming the object model. The float values (one kind, as many as each context member's) are
/// coded with the context where that is smaller, per value otherwise (always for a carrier).
pub fn encode_block_in_context(src: &[u8], layout: &[Segment], spec: &Spec, coding: &ObjectCoding<'_>, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let (segs, totals) = layout::normalise(layout, src.len())?;
    if !matches!(spec, Spec::Ae { .. }) {
        return Err(CodecError::InvalidArgument(format!("{spec}: an object model is used through ae:BOUND:MODEL")));
    }
    if totals.f32 > 0 {
        float::check_spec::<f32>(spec)?;
    }
    if totals.f64 > 0 {
        float::check_spec::<f64>(spec)?;
    }
    let start = out.len();
    let written = write_block(src, &segs, totals, spec, None, Some(coding), out);
    if written.is_err() {
        out.truncate(start);
    }
    written
}

/// The derived-offsets section of a member's I32 values `own`, when its coding carries its offsets
/// source's values and an affine map derives `own` from them (verified exactly: `offsets::encode`).
fn derived_offsets(own: &[i32], coding: &ObjectCoding<'_>) -> Option<Vec<u8>> {
    let source = coding.model.offsets_source(coding.member)?;
    let record = OffsetsSource { source: coding.model.members()[source].name.clone(), first_entry: coding.first_entry, entries: coding.entries };
    offsets::encode(own, coding.offsets?, &record)
}

fn write_block(src: &[u8], segs: &[(SegmentKind, usize)], totals: Totals, spec: &Spec, model: Option<&Model>, object: Option<&ObjectCoding<'_>>, out: &mut Vec<u8>) -> Result<(), CodecError> {
    // The header goes first, with the checksum patched in once the decoded bytes are known.
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(0); // flags
    put_uvarint(out, src.len() as u64);
    let checksum_at = out.len();
    out.extend_from_slice(&[0; 8]);
    let body = out;
    let mut sec = Vec::new();
    layout::serialise(segs, &mut sec);
    let mut lay = Vec::new();
    put_uvarint(&mut lay, sec.len() as u64);
    stream::put_bytes(&sec, &mut lay)?;
    put_section(body, tag::LAYOUT, &lay);

    if totals.raw > 0 {
        let mut raw = Vec::with_capacity(totals.raw);
        let mut off = 0;
        for &(k, len) in segs {
            if k == SegmentKind::Raw {
                raw.extend_from_slice(&src[off..off + len]);
            }
            off += len;
        }
        sec.clear();
        stream::put_bytes(&raw, &mut sec)?;
        put_section(body, tag::RAW, &sec);
    }
    if totals.i32 > 0 {
        let v = gather::<i32>(src, segs, SegmentKind::I32, totals.i32 / 4);
        sec.clear();
        stream::put_i32s(&v, &mut sec)?;
        match object.and_then(|coding| derived_offsets(&v, coding)).filter(|derived| derived.len() < sec.len()) {
            Some(derived) => put_section(body, tag::OFFSETS, &derived),
            None => put_section(body, tag::I32, &sec),
        }
    }
    let changed_f32s = match totals.f32 {
        0 => None,
        bytes => encode_float_section::<f32>(src, segs, SegmentKind::F32, bytes / 4, spec, model, object, tag::F32, body)?,
    };
    let changed_f64s = match totals.f64 {
        0 => None,
        bytes => encode_float_section::<f64>(src, segs, SegmentKind::F64, bytes / 8, spec, model, object, tag::F64, body)?,
    };
    let sum = checksum_of_decoded(src, segs, changed_f32s.as_deref().map(Vec::as_slice), changed_f64s.as_deref().map(Vec::as_slice));
    body[checksum_at..checksum_at + 8].copy_from_slice(&sum.to_le_bytes());
    Ok(())
}

/// How a float section is coded: per value, through an autoencoder model, or with an object
/// model's context (each with what the caller supplied for it).
enum Through<'a> {
    PerValue,
    Ae(ae::Streams, Option<&'a Model>),
    Object(Option<&'a ObjectCoding<'a>>),
}

/// Decodes a float section covering `bytes` bytes of `kind` segments into `dst`.
fn decode_float_section<T: float::Flt>(
    r: &mut Reader<'_>,
    bytes: usize,
    segs: &[(SegmentKind, usize)],
    kind: SegmentKind,
    through: Through<'_>,
    dst: &mut [u8],
) -> Result<(), CodecError> {
    if bytes == 0 {
        return corrupt(format!("{0} section without {0} segments", T::NAME));
    }
    let mut v = scratch::zeroed::<T>(bytes / T::SIZE);
    match through {
        Through::PerValue => float::decode(r, &mut v)?,
        Through::Ae(streams, model) => ae::decode(r, streams, segs, kind, model, &mut v)?,
        Through::Object(coding) => object::decode(r, coding, &mut v)?,
    }
    scatter(&v, segs, kind, dst);
    Ok(())
}

struct Header {
    decoded_len: usize,
    checksum: u64,
}

fn read_header(r: &mut Reader<'_>) -> Result<Header, CodecError> {
    let m = r.bytes(4)?;
    if m != MAGIC {
        return corrupt("bad magic (not a baler-codec block)");
    }
    let v = r.u8()?;
    if v != FORMAT_VERSION {
        return Err(CodecError::Unsupported(format!("block format version {v} (this reader knows {FORMAT_VERSION})")));
    }
    let flags = r.u8()?;
    if flags != 0 {
        return Err(CodecError::Unsupported(format!("block flags {flags:#x}")));
    }
    let dl = r.uvarint()?;
    let decoded_len = usize::try_from(dl).map_err(|_| CodecError::Corrupt("decoded length too large".into()))?;
    let checksum = r.u64_le()?;
    Ok(Header { decoded_len, checksum })
}

/// Reads the header only: the decoded length in bytes.
pub fn decoded_len(block: &[u8]) -> Result<usize, CodecError> {
    read_header(&mut Reader::new(block)).map(|h| h.decoded_len)
}

/// The payload of the first section of `block` with one of the tags `wanted`, or None (sections
/// read by their headers only, nothing decoded).
fn find_section<'a>(block: &'a [u8], wanted: &[u8]) -> Result<Option<&'a [u8]>, CodecError> {
    let mut r = Reader::new(block);
    read_header(&mut r)?;
    while !r.is_empty() {
        let t = r.u8()?;
        let len = r.len_at_most(r.remaining(), "section length")?;
        let payload = r.bytes(len)?;
        if wanted.contains(&t) {
            return Ok(Some(payload));
        }
    }
    Ok(None)
}

/// The model an `ae:` block was coded with ([`Model::id`]), or None when it needs none
/// (object models: see [`block_context`]).
pub fn block_model_id(block: &[u8]) -> Result<Option<ModelId>, CodecError> {
    find_section(block, &[tag::AE, tag::AE_PER_COLUMN, tag::AE_BY_PREDICTION])?.map(ae::section_model_id).transpose()
}

/// What a block of an object model's member was coded with (model id, member, context members,
/// entry range), or None when it needs no context: what a reader must fetch before
/// [`decode_block_in_context`].
pub fn block_context(block: &[u8]) -> Result<Option<BlockContext>, CodecError> {
    let Some(object) = find_section(block, &[tag::OBJECT])?.map(object::section_context).transpose()? else {
        return Ok(None);
    };
    match block_offsets_source(block)? {
        None => Ok(Some(object)),
        Some(o) if (o.first_entry, o.entries) == (object.first_entry, object.entries) => Ok(Some(BlockContext { offsets_from: Some(o.source), ..object })),
        Some(_) => corrupt("the object and derived-offsets sections record different entries"),
    }
}

/// The basket whose I32 values (entry offsets) the block's derive from (section 20), or None
/// when the block stores its own: what a reader must fetch before [`decode_block_with_offsets`]
/// (for a block without an object section; [`block_context`] names it beside the float context
/// otherwise). Needs no model.
pub fn block_offsets_source(block: &[u8]) -> Result<Option<OffsetsSource>, CodecError> {
    find_section(block, &[tag::OFFSETS])?.map(|payload| offsets::read_record(&mut Reader::new(payload))).transpose()
}

/// Decodes a block that needs no model or context (a carrier's, say) and returns its float
/// values as f64, in layout order: the context an object model's member is coded with. A block
/// with both float kinds has no single column of values and is refused. It allocates the decoded
/// length the header states, as [`decode_block`]'s caller does: check [`decoded_len`] against what
/// the block should hold (the plugin: the basket's length in its key) before calling.
pub fn decode_block_floats(block: &[u8]) -> Result<Vec<f64>, CodecError> {
    let mut dst = vec![0u8; decoded_len(block)?];
    decode_block(block, &mut dst)?;
    decoded_floats(block, &dst)
}

/// The float values of `decoded`, the bytes [`decode_block`] returned for `block`, as
/// [`decode_block_floats`] gives them: so that a reader who decoded a carrier's block anyway
/// (ROOT reading its basket) gets its context values without decoding it again. Only the
/// block's layout section is read.
pub fn decoded_floats(block: &[u8], decoded: &[u8]) -> Result<Vec<f64>, CodecError> {
    let expected = decoded_len(block)?;
    if decoded.len() != expected {
        return Err(CodecError::LengthMismatch { expected, got: decoded.len() });
    }
    let (segs, totals) = block_layout(block, decoded.len())?;
    match (totals.f32, totals.f64) {
        (0, n) => Ok(gather::<f64>(decoded, &segs, SegmentKind::F64, n / 8).to_vec()),
        (n, 0) => Ok(gather::<f32>(decoded, &segs, SegmentKind::F32, n / 4).iter().map(|&x| x as f64).collect()),
        _ => Err(CodecError::InvalidArgument("a block with float and double values is no object model's context".into())),
    }
}

/// A basket's values as the context of other members' baskets: its float values (as f64, in
/// layout order) and its I32 values (ROOT's entry offsets), in layout order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextValues {
    pub floats: Vec<f64>,
    pub ints: Vec<i32>,
}

/// [`decode_block_floats`] with the block's I32 values too, for a carrier's block that needs no
/// context or only derived offsets (`offsets`: the I32 values of the basket
/// [`BlockContext::offsets_from`] names; None for a block that needs none).
pub fn decode_context_block(block: &[u8], offsets: Option<&[i32]>) -> Result<ContextValues, CodecError> {
    let mut dst = vec![0u8; decoded_len(block)?];
    decode_block_through(block, &mut dst, None, None, offsets)?;
    decoded_context(block, &dst)
}

/// [`decoded_floats`] with the I32 values too: the context values of `decoded`, the bytes a
/// decoder returned for `block`. Only the block's layout section is read.
pub fn decoded_context(block: &[u8], decoded: &[u8]) -> Result<ContextValues, CodecError> {
    let floats = decoded_floats(block, decoded)?;
    let (segs, totals) = block_layout(block, decoded.len())?;
    let ints = gather::<i32>(decoded, &segs, SegmentKind::I32, totals.i32 / 4).to_vec();
    Ok(ContextValues { floats, ints })
}

/// The layout section of a block, checked against `decoded_len`.
fn block_layout(block: &[u8], decoded_len: usize) -> Result<(Vec<(SegmentKind, usize)>, Totals), CodecError> {
    match find_section(block, &[tag::LAYOUT])? {
        Some(payload) => read_layout_section(payload, decoded_len),
        None => corrupt("block has no layout section"),
    }
}

fn read_layout_section(payload: &[u8], decoded_len: usize) -> Result<(Vec<(SegmentKind, usize)>, Totals), CodecError> {
    let mut pr = Reader::new(payload);
    // serialised layout: <= 1 varint (<=10 bytes) per byte of output, plus the count
    let max = decoded_len.saturating_mul(10).saturating_add(10);
    let sl = pr.len_at_most(max, "layout length")?;
    let mut buf = vec![0u8; sl];
    stream::get_bytes(&mut pr, &mut buf)?;
    if !pr.is_empty() {
        return corrupt("trailing bytes in layout section");
    }
    layout::deserialise(&buf, decoded_len)
}

/// Decodes a block produced by [`encode_block`] into `dst`, which must have
/// exactly the decoded length; verifies the checksum. Never panics on hostile
/// input; allocates at most a small multiple of `dst.len()`. A block coded
/// through a model needs [`decode_block_with_model`].
pub fn decode_block(block: &[u8], dst: &mut [u8]) -> Result<(), CodecError> {
    decode_block_with_model(block, dst, None)
}

/// [`decode_block`] with the model [`block_model_id`] names. A block that needs a model other
/// than `model` (or none was given) is [`CodecError::MissingModel`], naming the id.
pub fn decode_block_with_model(block: &[u8], dst: &mut [u8], model: Option<&Model>) -> Result<(), CodecError> {
    decode_block_through(block, dst, model, None, None)
}

/// [`decode_block`] for a block of an object model's member, with the context [`block_context`]
/// names (the decoded values of the context members' baskets for the same entries). A block
/// coded without context decodes too. A block that needs other context is
/// [`CodecError::MissingContext`]; a context of the right shape but wrong values fails the checksum.
pub fn decode_block_in_context(block: &[u8], dst: &mut [u8], coding: &ObjectCoding<'_>) -> Result<(), CodecError> {
    decode_block_through(block, dst, None, Some(coding), coding.offsets)
}

/// [`decode_block`] for a block whose only context is derived entry offsets (a carrier of an
/// object model other than its offsets source: [`BlockContext::offsets_from`], no float
/// context), given the I32 values of that source's basket for the same entries: what a reader
/// without the object model (uproot) needs. A block with float context is
/// [`CodecError::MissingContext`]; wrong values fail the checksum.
pub fn decode_block_with_offsets(block: &[u8], dst: &mut [u8], offsets: &[i32]) -> Result<(), CodecError> {
    decode_block_through(block, dst, None, None, Some(offsets))
}

fn decode_block_through(block: &[u8], dst: &mut [u8], model: Option<&Model>, object: Option<&ObjectCoding<'_>>, offsets: Option<&[i32]>) -> Result<(), CodecError> {
    let mut r = Reader::new(block);
    let h = read_header(&mut r)?;
    if h.decoded_len != dst.len() {
        return Err(CodecError::LengthMismatch { expected: h.decoded_len, got: dst.len() });
    }
    let mut segs: Option<(Vec<(SegmentKind, usize)>, Totals)> = None;
    let mut seen = [false; 6];
    while !r.is_empty() {
        let t = r.u8()?;
        let len = r.len_at_most(r.remaining(), "section length")?;
        let payload = r.bytes(len)?;
        let mut pr = Reader::new(payload);
        if t == tag::LAYOUT {
            if segs.is_some() {
                return corrupt("duplicate layout section");
            }
            segs = Some(read_layout_section(payload, dst.len())?);
            continue;
        }
        if t & tag::OPTIONAL != 0 {
            continue; // optional section unknown to this version
        }
        let Some((segs, totals)) = segs.as_ref() else {
            return corrupt("data section before the layout section");
        };
        if (t as usize) < seen.len() {
            if seen[t as usize] {
                return corrupt(format!("duplicate section {t}"));
            }
            seen[t as usize] = true;
        }
        match t {
            tag::RAW => {
                if totals.raw == 0 {
                    return corrupt("raw section without raw segments");
                }
                let mut raw = scratch::zeroed::<u8>(totals.raw);
                stream::get_bytes(&mut pr, &mut raw)?;
                let mut off = 0;
                let mut roff = 0;
                for &(k, l) in segs {
                    if k == SegmentKind::Raw {
                        dst[off..off + l].copy_from_slice(&raw[roff..roff + l]);
                        roff += l;
                    }
                    off += l;
                }
            }
            tag::I32 | tag::OFFSETS => {
                if totals.i32 == 0 {
                    return corrupt("i32 section without i32 segments");
                }
                let mut v = scratch::zeroed::<i32>(totals.i32 / 4);
                if t == tag::OFFSETS {
                    // counts as the I32 section for the duplicate and missing checks
                    if seen[tag::I32 as usize] {
                        return corrupt("duplicate section 3");
                    }
                    seen[tag::I32 as usize] = true;
                    offsets::decode(&mut pr, offsets, &mut v)?;
                } else {
                    stream::get_i32s(&mut pr, &mut v)?;
                }
                scatter(&v, segs, SegmentKind::I32, dst);
            }
            tag::F32 => decode_float_section::<f32>(&mut pr, totals.f32, segs, SegmentKind::F32, Through::PerValue, dst)?,
            tag::F64 => decode_float_section::<f64>(&mut pr, totals.f64, segs, SegmentKind::F64, Through::PerValue, dst)?,
            tag::AE | tag::AE_PER_COLUMN | tag::AE_BY_PREDICTION | tag::OBJECT => {
                // the section's first byte says which float kind it holds; it counts as that
                // kind's section for the duplicate and missing checks
                let kind = payload.first().copied().and_then(SegmentKind::from_u8);
                let kind_tag = match kind {
                    Some(SegmentKind::F32) => tag::F32,
                    Some(SegmentKind::F64) => tag::F64,
                    _ => return corrupt(format!("section {t} of no float kind")),
                };
                if seen[kind_tag as usize] {
                    return corrupt(format!("duplicate section {kind_tag}"));
                }
                seen[kind_tag as usize] = true;
                let through = match t {
                    tag::AE => Through::Ae(ae::Streams::Grouped, model),
                    tag::AE_PER_COLUMN => Through::Ae(ae::Streams::PerColumn, model),
                    tag::AE_BY_PREDICTION => Through::Ae(ae::Streams::ByPrediction, model),
                    _ => Through::Object(object),
                };
                if kind_tag == tag::F32 {
                    decode_float_section::<f32>(&mut pr, totals.f32, segs, SegmentKind::F32, through, dst)?
                } else {
                    decode_float_section::<f64>(&mut pr, totals.f64, segs, SegmentKind::F64, through, dst)?
                }
            }
            other => {
                return Err(CodecError::Unsupported(format!(
                    "section type {other} (written by a newer version of baler-codec?)"
                )))
            }
        }
        if !pr.is_empty() {
            return corrupt(format!("trailing bytes in section {t}"));
        }
    }
    let Some((_, totals)) = segs.as_ref() else {
        return corrupt("block has no layout section");
    };
    let need = [(tag::RAW, totals.raw), (tag::I32, totals.i32), (tag::F32, totals.f32), (tag::F64, totals.f64)];
    for (t, n) in need {
        if n > 0 && !seen[t as usize] {
            return corrupt(format!("missing section {t}"));
        }
    }
    if checksum(dst) != h.checksum {
        return Err(CodecError::Checksum);
    }
    Ok(())
}

/// The guarantee of INTERFACE.md as a predicate, for float32 values: may `y` be the value decoded
/// for the original `x` under `spec`? NaN (with its payload), ±Inf, zeros of either sign and
/// subnormals must come back bit for bit under every spec (zeros too: the bits and rel bounds are
/// 0 there, and no spec may flip a sign); every other value within the spec's bound (`bits:N`
/// |y-x| <= 2^-(N+1)|x|, `rel:E` |y-x| <= E|x|, `abs:E` |y-x| <= E, `ae:` its BOUND's). The one
/// oracle every Rust test, fuzz target and benchmark checks against.
pub fn f32_within_spec(spec: &Spec, x: f32, y: f32) -> bool {
    x.to_bits() == y.to_bits() || (x.is_normal() && within_bound(spec, x as f64, y as f64))
}

/// [`f32_within_spec`] for float64 values.
pub fn f64_within_spec(spec: &Spec, x: f64, y: f64) -> bool {
    x.to_bits() == y.to_bits() || (x.is_normal() && within_bound(spec, x, y))
}

/// Whether `y` lies within the bound `spec` sets around the normal value `x`: `lossless` none,
/// `bits:N` |y-x| <= 2^-(N+1)|x|, `rel:E` |y-x| <= E|x|, `abs:E` |y-x| <= E (`ae:` its BOUND).
/// Computed in f64: exact for float32 operands; for float64 ones |y-x| is exact whenever y is
/// within a factor 2 of x (every relative bound below 1 implies it). A NaN or infinite `y` is
/// never within.
fn within_bound(spec: &Spec, x: f64, y: f64) -> bool {
    let bound = match spec {
        Spec::Lossless => return false,
        Spec::Bits(n) | Spec::Ae { bound: Bound::Bits(n), .. } => 2f64.powi(-(*n as i32) - 1) * x.abs(),
        Spec::Rel(e) | Spec::Ae { bound: Bound::Rel(e), .. } => e * x.abs(),
        Spec::Abs(e) | Spec::Ae { bound: Bound::Abs(e), .. } => *e,
    };
    (y - x).abs() <= bound
}
