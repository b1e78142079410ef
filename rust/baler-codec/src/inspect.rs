//! What a block holds, read from its section headers (for inspectors such as `baler inspect`).

use crate::error::{corrupt, CodecError};
use crate::float::{self, Flt, CODEC_LOSSLESS, CODEC_LOSSLESS_SPLIT};
use crate::layout::SegmentKind;
use crate::model::ModelId;
use crate::quantiser::{levels_named_bound, Choice};
use crate::spec::{Bound, Spec};
use crate::varint::Reader;
use crate::{read_header, tag};

/// The bound a stored quantiser guarantees: `bits:N` and `abs:E` exactly as written; for `rel`
/// the E that names its K levels ([`levels_named_bound`]: the writer's E, as a user writes it).
fn stored_bound<T: Flt>(codec: u8, r: &mut Reader<'_>) -> Result<Option<Bound>, CodecError> {
    if codec == CODEC_LOSSLESS || codec == CODEC_LOSSLESS_SPLIT {
        return Ok(None);
    }
    Ok(match float::read_quantiser_header::<T>(float::split_codec_byte(codec).0, r)? {
        Choice::Bits(q) => Some(Bound::Bits(q.kept_bits() as u8)),
        Choice::Rel(q) => Some(Bound::Rel(levels_named_bound(q.levels()))),
        Choice::Abs(q) => Some(Bound::Abs(q.step() / 2.0)),
        Choice::Lossless => None,
    })
}

/// How a float section names its model: not at all (per value), as an autoencoder section, or
/// as an object member's section (which records its context first).
#[derive(Clone, Copy)]
enum Section {
    PerValue,
    Ae,
    Object,
}

fn describe<T: Flt>(payload: &[u8], section: Section) -> Result<String, CodecError> {
    let mut r = Reader::new(payload);
    let model = match section {
        Section::PerValue => None,
        Section::Ae => {
            r.u8()?;
            let mut id = [0u8; 16];
            id.copy_from_slice(r.bytes(16)?);
            Some(ModelId(id))
        }
        Section::Object => Some(crate::object::read_context(&mut r)?.1.model),
    };
    let codec = r.u8()?;
    let bound = stored_bound::<T>(codec, &mut r)?;
    Ok(match (bound, model) {
        (None, None) => Spec::Lossless.to_string(),
        (Some(b), None) => crate::ae::per_value_spec(&b).to_string(),
        (Some(b), Some(id)) => Spec::Ae { bound: b, model: id.to_string() }.to_string(),
        (None, Some(_)) => return corrupt("autoencoder section with a lossless codec"),
    })
}

/// The codec each float kind of `block` was stored with, e.g. `f32 bits:10` or
/// `f32 ae:bits:7:<model id>, f64 lossless` (`none` for a block without floats). Read from the
/// section headers, so it says what the block holds: `lossless` where the writer stored data
/// that was already coarser than the spec exactly, `rel:E` as the writer was given it.
/// Blocks of every version-1 writer are described; nothing is decoded.
pub fn block_spec(block: &[u8]) -> Result<String, CodecError> {
    let mut r = Reader::new(block);
    read_header(&mut r)?;
    let mut parts = Vec::new();
    while !r.is_empty() {
        let t = r.u8()?;
        let len = r.len_at_most(r.remaining(), "section length")?;
        let payload = r.bytes(len)?;
        match t {
            tag::F32 => parts.push(format!("f32 {}", describe::<f32>(payload, Section::PerValue)?)),
            tag::F64 => parts.push(format!("f64 {}", describe::<f64>(payload, Section::PerValue)?)),
            tag::AE | tag::AE_PER_COLUMN | tag::AE_BY_PREDICTION | tag::OBJECT => {
                let section = if t == tag::OBJECT { Section::Object } else { Section::Ae };
                match payload.first().copied().and_then(SegmentKind::from_u8) {
                    Some(SegmentKind::F32) => parts.push(format!("f32 {}", describe::<f32>(payload, section)?)),
                    Some(SegmentKind::F64) => parts.push(format!("f64 {}", describe::<f64>(payload, section)?)),
                    _ => return corrupt(format!("section {t} of no float kind")),
                }
            }
            _ => {}
        }
    }
    Ok(if parts.is_empty() { "none".into() } else { parts.join(", ") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_block, Segment};

    fn spec_of(vals: &[f32], spec: &str) -> String {
        let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        let mut block = Vec::new();
        encode_block(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], &spec.parse().unwrap(), &mut block).unwrap();
        block_spec(&block).unwrap()
    }

    #[test]
    fn blocks_say_what_they_hold() {
        let vals: Vec<f32> = (0..500).map(|i| (i as f32 * 0.731).sin() * 100.0 + 0.123_456_7).collect();
        assert_eq!(spec_of(&vals, "bits:10"), "f32 bits:10");
        assert_eq!(spec_of(&vals, "abs:0.25"), "f32 abs:0.25");
        assert_eq!(spec_of(&vals, "lossless"), "f32 lossless");
        // rel: the stored levels named as the writer's bound (their worst case is 9.9924e-4)
        assert_eq!(spec_of(&vals, "rel:1e-3"), "f32 rel:1e-3");
        // data already on a coarser grid is stored exactly, and the block says so
        let coarse: Vec<f32> = vals.iter().map(|v| f32::from_bits(v.to_bits() & !0xffff)).collect();
        assert_eq!(spec_of(&coarse, "bits:10"), "f32 lossless");
        assert_eq!(spec_of(&[], "bits:10"), "none");
        assert!(block_spec(b"BALR").is_err());
    }
}
