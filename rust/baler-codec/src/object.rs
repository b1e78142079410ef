//! The object float section (section tag 19, docs/format.md): one member of an object model
//! (`object_model.rs`) coded with the decoded values of its context members for the same entries.
//!
//! Value i of the member's basket and value i of each context member's basket belong to the same
//! object (same entries, same counter), so the prediction for value i comes from the context's
//! value i. Each value is coded by the bound's per-value quantiser, exactly as the per-value codec
//! codes it, and what is stored is its code minus the code of the prediction: every value comes
//! back exactly as the per-value codec would return it, whatever the prediction's quality. The
//! section records what it was coded with: the model id, the member, the context members' names
//! and the entry range, so a reader fetches exactly that context (and a wrong one fails the
//! block's checksum rather than giving other values).

use crate::ae::{float_kind_byte, per_value_spec};
use crate::error::{corrupt, CodecError};
use crate::float::{self, get_sentinels_and_exceptions, get_signs, pco_config, sign_at, Exceptions, Flt, Sentinels, SignSplitter};
use crate::model::ModelId;
use crate::object_model::{ObjectModel, Predictor};
use crate::quantiser::{self, Choice, Quantiser};
use crate::scratch;
use crate::spec::Bound;
use crate::stream::{get_nums, put_nums};
use crate::varint::{put_uvarint, Reader};

/// A member's basket and the context it is (or was) coded with.
#[derive(Debug, Clone, Copy)]
pub struct ObjectCoding<'a> {
    pub model: &'a ObjectModel,
    /// Index of the member among the model's members.
    pub member: usize,
    /// The basket's entry range, recorded in the block so that a reader fetches the context
    /// baskets of exactly these entries.
    pub first_entry: u64,
    pub entries: u64,
    /// The decoded float values of each context member's basket for the same entries, in the
    /// order of the member's context (`ObjectModel::context_names`).
    pub context: &'a [&'a [f64]],
    /// The I32 values (ROOT's entry offsets) of the basket of the member's offsets source
    /// (`ObjectModel::offsets_source`) for the same entries, when at hand: the block's own I32
    /// values are then stored as derived from them where that holds exactly and is smaller.
    pub offsets: Option<&'a [i32]>,
}

/// What an object section says it was coded with (read from the block, before any decoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockContext {
    pub model: ModelId,
    pub member: String,
    /// Branch names of the context members, in the member's context order.
    pub context: Vec<String>,
    pub first_entry: u64,
    pub entries: u64,
    /// The member whose basket's I32 values (entry offsets) for the same entries the block's
    /// I32 values are derived from, if they are.
    pub offsets_from: Option<String>,
}

pub(crate) fn put_name(out: &mut Vec<u8>, name: &str) {
    put_uvarint(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

/// Writes the object section payload for `vals` (the member's values of one float kind) and the
/// values the decoder will produce into `recon`. Returns false, writing nothing, when it cannot
/// apply: a carrier member, a lossless bound, or context of another length than `vals`.
pub(crate) fn encode<T: Flt>(vals: &[T], bound: &Bound, coding: &ObjectCoding<'_>, out: &mut Vec<u8>, recon: &mut Vec<T>) -> Result<bool, CodecError> {
    let member = &coding.model.members()[coding.member];
    let predictor = &member.predictor;
    if *predictor == Predictor::Carrier || coding.context.len() != predictor.context().len() || coding.context.iter().any(|c| c.len() != vals.len()) {
        return Ok(false);
    }
    let quant = quantiser::choose::<T>(&per_value_spec(bound))?;
    if matches!(quant, Choice::Lossless) {
        return Ok(false);
    }
    out.push(float_kind_byte::<T>());
    out.extend_from_slice(&coding.model.id().0);
    put_name(out, &member.name);
    put_uvarint(out, coding.first_entry);
    put_uvarint(out, coding.entries);
    let names = coding.model.context_names(coding.member);
    put_uvarint(out, names.len() as u64);
    for name in names {
        put_name(out, name);
    }
    match &quant {
        Choice::Bits(q) => encode_values(vals, predictor, coding.context, &quant, q, out, recon)?,
        Choice::Rel(q) => encode_values(vals, predictor, coding.context, &quant, q, out, recon)?,
        Choice::Abs(q) => encode_values(vals, predictor, coding.context, &quant, q, out, recon)?,
        Choice::Lossless => unreachable!("checked above"),
    }
    Ok(true)
}

/// Writes the section from its codec byte on.
fn encode_values<T: Flt, Q: Quantiser<T>>(vals: &[T], predictor: &Predictor, context: &[&[f64]], choice: &Choice<T>, quant: &Q, out: &mut Vec<u8>, recon: &mut Vec<T>) -> Result<(), CodecError> {
    let n = vals.len();
    let sentinels = Sentinels::find(vals, quant, &[]);
    float::put_quantiser_header(choice, sentinels.flag(), out);
    put_uvarint(out, n as u64);
    recon.clear();
    recon.extend_from_slice(vals);
    let mut residuals = scratch::zeroed::<i64>(n);
    let mut signs = SignSplitter::new(n);
    let mut exceptions = Exceptions::default();
    let mut c = vec![0.0; context.len()];
    for (i, &x) in vals.iter().enumerate() {
        match quant.quantise(x) {
            Some((code, xr)) => {
                match sentinels.resolve(quant, x, xr) {
                    Some(y) => recon[i] = y,
                    None => exceptions.push(i, x),
                }
                let code = if Q::SIGNS_APART { signs.magnitude(i, code) } else { code };
                for (ci, column) in c.iter_mut().zip(context) {
                    *ci = column[i];
                }
                residuals[i] = code.wrapping_sub(quant.prediction_code(predictor.predict(&c)));
            }
            None => exceptions.push(i, x),
        }
    }
    if Q::SIGNS_APART {
        signs.put(out)?;
    }
    put_nums(&residuals, &pco_config(false), out)?;
    sentinels.put(out);
    exceptions.put::<T>(out);
    Ok(())
}

pub(crate) fn get_name(r: &mut Reader<'_>) -> Result<String, CodecError> {
    let len = r.len_at_most(r.remaining(), "name length")?;
    std::str::from_utf8(r.bytes(len)?).map(str::to_string).map_err(|_| CodecError::Corrupt("object section: a name is not UTF-8".into()))
}

/// Reads the section's record of its context (kind byte, model id, member, entries, names).
pub(crate) fn read_context(r: &mut Reader<'_>) -> Result<(u8, BlockContext), CodecError> {
    let kind = r.u8()?;
    let mut id = [0u8; 16];
    id.copy_from_slice(r.bytes(16)?);
    let member = get_name(r)?;
    let first_entry = r.uvarint()?;
    let entries = r.uvarint()?;
    let count = r.len_at_most(crate::object_model::MAX_MEMBERS, "context members")?;
    let context = (0..count).map(|_| get_name(r)).collect::<Result<Vec<_>, _>>()?;
    Ok((kind, BlockContext { model: ModelId(id), member, context, first_entry, entries, offsets_from: None }))
}

/// The context an object section payload records.
pub(crate) fn section_context(payload: &[u8]) -> Result<BlockContext, CodecError> {
    read_context(&mut Reader::new(payload)).map(|(_, c)| c)
}

/// Decodes an object section into `dst` (the member's values of one float kind), with the context
/// the caller fetched. A missing or different model, member or context is an error naming what
/// the block needs.
pub(crate) fn decode<T: Flt>(r: &mut Reader<'_>, coding: Option<&ObjectCoding<'_>>, dst: &mut [T]) -> Result<(), CodecError> {
    let (kind, recorded) = read_context(r)?;
    if kind != float_kind_byte::<T>() {
        return corrupt("object section of the wrong float kind");
    }
    let Some(coding) = coding.filter(|c| c.model.id() == recorded.model) else {
        return Err(CodecError::MissingContext(format!(
            "member {} is coded with object model {} and the decoded values of {} for entries {}..{}",
            recorded.member,
            recorded.model,
            recorded.context.join(", "),
            recorded.first_entry,
            recorded.first_entry.saturating_add(recorded.entries)
        )));
    };
    let member = &coding.model.members()[coding.member];
    if member.name != recorded.member || coding.model.context_names(coding.member) != recorded.context {
        return corrupt(format!("object section of member {} with context {:?}, the model's member {} has {:?}", recorded.member, recorded.context, member.name, coding.model.context_names(coding.member)));
    }
    if (coding.first_entry, coding.entries) != (recorded.first_entry, recorded.entries) {
        return corrupt(format!("object section of entries {}+{}, context given for {}+{}", recorded.first_entry, recorded.entries, coding.first_entry, coding.entries));
    }
    let (codec, sentinels) = float::split_codec_byte(r.u8()?);
    match float::read_quantiser_header::<T>(codec, r)? {
        Choice::Bits(q) => decode_values(r, &member.predictor, coding.context, &q, sentinels, dst),
        Choice::Rel(q) => decode_values(r, &member.predictor, coding.context, &q, sentinels, dst),
        Choice::Abs(q) => decode_values(r, &member.predictor, coding.context, &q, sentinels, dst),
        Choice::Lossless => corrupt("object section with a lossless codec"),
    }
}

fn decode_values<T: Flt, Q: Quantiser<T>>(r: &mut Reader<'_>, predictor: &Predictor, context: &[&[f64]], quant: &Q, sentinels: bool, dst: &mut [T]) -> Result<(), CodecError> {
    let n = dst.len();
    let stored = r.uvarint()?;
    if stored != n as u64 {
        return corrupt(format!("object section holds {stored} values, the layout {n}"));
    }
    if context.len() != predictor.context().len() || context.iter().any(|c| c.len() != n) {
        return Err(CodecError::MissingContext(format!("{} values need {} context members of as many values", n, predictor.context().len())));
    }
    let signs = if Q::SIGNS_APART { get_signs(r, n)? } else { None };
    let mut residuals = scratch::zeroed::<i64>(n);
    get_nums(r, &mut residuals)?;
    let mut c = vec![0.0; context.len()];
    for (i, d) in dst.iter_mut().enumerate() {
        for (ci, column) in c.iter_mut().zip(context) {
            *ci = column[i];
        }
        let code = quant.prediction_code(predictor.predict(&c)).wrapping_add(residuals[i]);
        let mut x = quant.reconstruct(code);
        if sign_at(&signs, i) {
            x = T::from_bits(x.bits() | T::SIGN);
        }
        *d = x;
    }
    get_sentinels_and_exceptions(r, quant, sentinels, dst)
}

#[cfg(test)]
mod tests {
    use crate::object_model::{Member, ObjectModel, Predictor};
    use crate::{block_context, block_offsets_source, block_spec, decode_block, decode_block_floats, decode_block_in_context, decode_block_with_offsets, decode_context_block, decoded_floats, encode_block, encode_block_in_context, f32_within_spec, CodecError, ObjectCoding, Segment, SegmentKind, Spec};

    fn model() -> ObjectModel {
        let carrier = |n: &str| Member { name: n.into(), predictor: Predictor::Carrier };
        ObjectModel::new(vec![
            carrier("Px"),
            carrier("Py"),
            carrier("Pz"),
            Member { name: "E".into(), predictor: Predictor::Norm { context: vec![0, 1, 2], bias: 0.011, weights: vec![1.0; 3] } },
        ])
        .unwrap()
    }

    /// A jagged member basket: floats, then the entry offsets (i32), as ROOT lays out `x[n]/F`.
    fn basket(vals: &[f32]) -> (Vec<u8>, Vec<Segment>) {
        let mut src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let floats = src.len() as u32;
        src.extend((0..7i32).flat_map(|i| (i * 5).to_be_bytes()));
        (src, vec![Segment::new(SegmentKind::F32, floats), Segment::new(SegmentKind::I32, 28)])
    }

    fn four_vectors(n: usize) -> [Vec<f32>; 4] {
        let mut cols: [Vec<f32>; 4] = Default::default();
        for i in 0..n {
            let (px, py, pz) = (((i * 37) % 101) as f32 - 50.3, ((i * 53) % 97) as f32 * 0.7 - 30.1, ((i * 71) % 89) as f32 * 3.1 - 130.0);
            let e = (px * px + py * py + pz * pz + 0.011).sqrt();
            for (c, v) in cols.iter_mut().zip([px, py, pz, e]) {
                c.push(v);
            }
        }
        cols[3][5] = f32::NAN; // an exception among predicted values
        cols
    }

    /// The context a reader fetches: each carrier's block decoded, as its floats.
    fn carriers(cols: &[Vec<f32>; 4], spec: &Spec, m: &ObjectModel) -> Vec<Vec<f64>> {
        (0..3)
            .map(|j| {
                let (src, layout) = basket(&cols[j]);
                let mut block = Vec::new();
                let coding = ObjectCoding { model: m, member: j, first_entry: 100, entries: 6, context: &[], offsets: None };
                encode_block_in_context(&src, &layout, spec, &coding, &mut block).unwrap();
                assert_eq!(block_context(&block).unwrap(), None, "a carrier is coded without context");
                decode_block_floats(&block).unwrap()
            })
            .collect()
    }

    #[test]
    fn member_decodes_with_its_context_only() {
        let m = model();
        let cols = four_vectors(3000);
        for spec_text in ["ae:bits:10:m", "ae:rel:1e-3:m", "ae:abs:0.01:m"] {
            let spec: Spec = spec_text.parse().unwrap();
            let ctx = carriers(&cols, &spec, &m);
            let context: Vec<&[f64]> = ctx.iter().map(|c| c.as_slice()).collect();
            let coding = ObjectCoding { model: &m, member: 3, first_entry: 100, entries: 6, context: &context, offsets: None };
            let (src, layout) = basket(&cols[3]);
            let mut block = Vec::new();
            encode_block_in_context(&src, &layout, &spec, &coding, &mut block).unwrap();
            let mut per_value = Vec::new();
            encode_block(&src, &layout, &crate::ae::per_value_spec(match &spec { Spec::Ae { bound, .. } => bound, _ => unreachable!() }), &mut per_value).unwrap();
            assert!(block.len() * 2 < per_value.len(), "{spec_text}: {} bytes with context, {} per value", block.len(), per_value.len());
            let recorded = block_context(&block).unwrap().unwrap();
            assert_eq!((recorded.member.as_str(), recorded.first_entry, recorded.entries), ("E", 100, 6));
            assert_eq!(recorded.context, ["Px", "Py", "Pz"]);
            assert_eq!(recorded.model, m.id());
            assert!(block_spec(&block).unwrap().starts_with("f32 ae:"), "{}", block_spec(&block).unwrap());

            let mut dst = vec![0u8; src.len()];
            decode_block_in_context(&block, &mut dst, &coding).unwrap();
            // exactly the per-value codec's values
            let mut expected = vec![0u8; src.len()];
            decode_block(&per_value, &mut expected).unwrap();
            assert_eq!(dst, expected, "{spec_text}");
            for (x, y) in cols[3].iter().zip(dst.chunks_exact(4)) {
                assert!(f32_within_spec(&spec, *x, f32::from_be_bytes(y.try_into().unwrap())), "{spec_text}");
            }

            // without context: an error that names what is needed
            let err = decode_block(&block, &mut dst).unwrap_err();
            assert!(matches!(&err, CodecError::MissingContext(m) if m.contains("Px, Py, Pz") && m.contains("100..106")), "{err}");
            // other entries, or other values for the context: refused, never other values
            let elsewhere = ObjectCoding { first_entry: 0, ..coding };
            assert!(decode_block_in_context(&block, &mut dst, &elsewhere).is_err());
            let mut wrong = ctx.clone();
            wrong[0][7] += 1.0;
            let wrong_ctx: Vec<&[f64]> = wrong.iter().map(|c| c.as_slice()).collect();
            let wrong_coding = ObjectCoding { context: &wrong_ctx, ..coding };
            assert_eq!(decode_block_in_context(&block, &mut dst, &wrong_coding).unwrap_err(), CodecError::Checksum);
            let short = ObjectCoding { context: &context[..2], ..coding };
            assert!(decode_block_in_context(&block, &mut dst, &short).is_err());
        }
    }

    /// A predicted member holding sentinels (-999 and -3000, 1 in 10 each, which these bounds
    /// move) gives them back exactly, the other values within the bound.
    #[test]
    fn sentinels_of_a_predicted_member_come_back_exactly() {
        let m = model();
        let mut cols = four_vectors(3000);
        for (i, e) in cols[3].iter_mut().enumerate() {
            match i % 10 {
                2 => *e = -999.0,
                6 => *e = -3000.0,
                _ => {}
            }
        }
        for spec_text in ["ae:bits:7:m", "ae:rel:1e-2:m", "ae:abs:0.7:m"] {
            let spec: Spec = spec_text.parse().unwrap();
            let ctx = carriers(&cols, &spec, &m);
            let context: Vec<&[f64]> = ctx.iter().map(|c| c.as_slice()).collect();
            let coding = ObjectCoding { model: &m, member: 3, first_entry: 0, entries: 30, context: &context, offsets: None };
            let src = basket(&cols[3]);
            let block = {
                let mut b = Vec::new();
                encode_block_in_context(&src.0, &src.1, &spec, &coding, &mut b).unwrap();
                b
            };
            assert!(block_context(&block).unwrap().is_some(), "{spec_text}: coded per value");
            let mut dst = vec![0u8; src.0.len()];
            decode_block_in_context(&block, &mut dst, &coding).unwrap();
            for (x, y) in cols[3].iter().zip(dst.chunks_exact(4)) {
                let y = f32::from_be_bytes(y.try_into().unwrap());
                if *x == -999.0 || *x == -3000.0 {
                    assert_eq!(y, *x, "{spec_text}");
                }
                assert!(f32_within_spec(&spec, *x, y), "{spec_text}: {x} -> {y}");
            }
        }
    }

    /// A reader that decoded a carrier's block anyway (ROOT reading the basket) takes its context
    /// from those bytes: the same values as decoding the block for them, and only from bytes of
    /// the block's own decoded length.
    #[test]
    fn decoded_floats_are_the_blocks_context() {
        let m = model();
        let cols = four_vectors(500);
        let spec: Spec = "ae:bits:10:m".parse().unwrap();
        let (src, layout) = basket(&cols[0]);
        let mut block = Vec::new();
        let coding = ObjectCoding { model: &m, member: 0, first_entry: 0, entries: 6, context: &[], offsets: None };
        encode_block_in_context(&src, &layout, &spec, &coding, &mut block).unwrap();
        let mut decoded = vec![0u8; src.len()];
        decode_block(&block, &mut decoded).unwrap();
        let values = decoded_floats(&block, &decoded).unwrap();
        assert_eq!(values.len(), cols[0].len());
        assert_eq!(values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), decode_block_floats(&block).unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert!(matches!(decoded_floats(&block, &decoded[1..]), Err(CodecError::LengthMismatch { .. })));
    }

    /// ROOT's offset tail of a basket of `name` (key length from the name) for per-entry counts.
    fn tail(name: &str, counts: &[i32]) -> Vec<i32> {
        crate::test_baskets::root_offsets(60 + name.len() as i32, 4, counts)
    }

    fn jagged(vals: &[f32], tail: &[i32]) -> (Vec<u8>, Vec<Segment>) {
        let mut src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let floats = src.len() as u32;
        src.extend(tail.iter().flat_map(|i| i.to_be_bytes()));
        (src, vec![Segment::new(SegmentKind::F32, floats), Segment::new(SegmentKind::I32, 4 * tail.len() as u32)])
    }

    /// Every member but the model's first carrier stores its entry offsets as derived from that
    /// carrier's basket (carriers too, which have no float context), records where from, reads
    /// back only with those offsets, and is smaller than with its own offset table.
    #[test]
    fn members_derive_their_entry_offsets_from_the_first_carrier() {
        let m = model();
        let cols = four_vectors(3000);
        let counts: Vec<i32> = (0..1000).map(|i| ((i * 7) % 5) as i32 + (i % 2) as i32).collect();
        let total: i32 = counts.iter().sum();
        let cols: Vec<Vec<f32>> = cols.iter().map(|c| c[..total as usize].to_vec()).collect();
        let spec: Spec = "ae:bits:10:m".parse().unwrap();
        let names = ["Px", "Py", "Pz", "E"];
        let source = tail(names[0], &counts);
        assert_eq!(m.offsets_source(0), None);
        let mut context_values = Vec::new();
        for j in 0..3 {
            let (src, layout) = jagged(&cols[j], &tail(names[j], &counts));
            let mut block = Vec::new();
            let offsets = (j > 0).then_some(source.as_slice());
            encode_block_in_context(&src, &layout, &spec, &ObjectCoding { model: &m, member: j, first_entry: 40, entries: 1000, context: &[], offsets }, &mut block).unwrap();
            assert_eq!(block_context(&block).unwrap(), None, "a carrier has no float context");
            let decoded = if j == 0 {
                assert_eq!(block_offsets_source(&block).unwrap(), None, "the source derives nothing");
                decode_context_block(&block, None).unwrap()
            } else {
                let recorded = block_offsets_source(&block).unwrap().expect("derived offsets need their source");
                assert_eq!((recorded.source.as_str(), recorded.first_entry, recorded.entries), ("Px", 40, 1000));
                let mut own_table = Vec::new();
                encode_block_in_context(&src, &layout, &spec, &ObjectCoding { model: &m, member: j, first_entry: 40, entries: 1000, context: &[], offsets: None }, &mut own_table).unwrap();
                assert!(block.len() + 100 < own_table.len(), "{} bytes derived, {} with the table", block.len(), own_table.len());
                let mut dst = vec![0u8; src.len()];
                assert!(matches!(decode_block(&block, &mut dst), Err(CodecError::MissingContext(e)) if e.contains("Px")));
                let mut other = source.clone();
                other[9] += 4;
                assert_eq!(decode_block_with_offsets(&block, &mut dst, &other), Err(CodecError::Checksum));
                decode_block_with_offsets(&block, &mut dst, &source).unwrap();
                let mut expected = vec![0u8; src.len()];
                decode_block(&own_table, &mut expected).unwrap();
                assert_eq!(dst, expected);
                decode_context_block(&block, Some(&source)).unwrap()
            };
            assert_eq!(decoded.ints, tail(names[j], &counts));
            context_values.push(decoded.floats);
        }
        // the predicted member: float context and derived offsets in one block
        let context: Vec<&[f64]> = context_values.iter().map(|c| c.as_slice()).collect();
        let (src, layout) = jagged(&cols[3], &tail(names[3], &counts));
        let coding = ObjectCoding { model: &m, member: 3, first_entry: 40, entries: 1000, context: &context, offsets: Some(&source) };
        let mut block = Vec::new();
        encode_block_in_context(&src, &layout, &spec, &coding, &mut block).unwrap();
        let recorded = block_context(&block).unwrap().unwrap();
        assert_eq!((recorded.context.len(), recorded.offsets_from.as_deref()), (3, Some("Px")));
        let mut dst = vec![0u8; src.len()];
        decode_block_in_context(&block, &mut dst, &coding).unwrap();
        assert_eq!(&dst[src.len() - 4 * (counts.len() + 2)..], &src[src.len() - 4 * (counts.len() + 2)..]);
        let without = ObjectCoding { offsets: None, ..coding };
        assert!(matches!(decode_block_in_context(&block, &mut dst, &without), Err(CodecError::MissingContext(_))));
    }

    /// Context of another length (baskets of different entry ranges): coded per value, readable
    /// without context.
    #[test]
    fn mismatched_context_codes_per_value() {
        let m = model();
        let cols = four_vectors(300);
        let spec: Spec = "ae:bits:10:m".parse().unwrap();
        let ctx = carriers(&cols, &spec, &m);
        let context: Vec<&[f64]> = ctx.iter().map(|c| &c[..299]).collect();
        let coding = ObjectCoding { model: &m, member: 3, first_entry: 0, entries: 6, context: &context, offsets: None };
        let (src, layout) = basket(&cols[3]);
        let mut block = Vec::new();
        encode_block_in_context(&src, &layout, &spec, &coding, &mut block).unwrap();
        assert_eq!(block_context(&block).unwrap(), None);
        let mut dst = vec![0u8; src.len()];
        decode_block(&block, &mut dst).unwrap();
    }
}
