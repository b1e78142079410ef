//! Object models: the attributes of one collection (`Jet_Px`, `Jet_Py`, `Jet_Pz`, `Jet_E`, each
//! its own branch) coded together. A model names its members in order and says, for each, whether
//! it *carries* information (coded per value, without context) or is *predicted* from the decoded
//! values of carriers for the same objects; a predicted member's block stores only the difference
//! between each value's code and the code of its prediction (`object.rs`). Context members are
//! always carriers, so reading a member needs at most one level of other members' baskets.
//!
//! Predictions are a few ordered f64 operations on decoded values (products, sums, one square
//! root: every step correctly rounded IEEE, no fused multiply-add in Rust), so the writer and every
//! reader compute the same bits everywhere. The file format is in `docs/format.md` ("Object model").

use crate::error::CodecError;
use crate::model::ModelId;
use crate::varint::{put_uvarint, Reader};

/// First four bytes of an object model (`.balm` files of the autoencoder start with `BALM`).
pub const OBJECT_MODEL_MAGIC: [u8; 4] = *b"BALO";
/// Object model format version written by this crate.
pub const OBJECT_MODEL_VERSION: u8 = 1;
/// Most members (branches) of one object model.
pub const MAX_MEMBERS: usize = 256;
/// Longest member (branch) name.
const MAX_NAME: usize = 1024;

/// How a member's values are predicted from its context's decoded values c_i.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictor {
    /// A carrier: coded per value, context of others.
    Carrier,
    /// p = bias + Σ w_i c_i (energy fractions that sum to one, discriminants that follow each other).
    Linear { context: Vec<usize>, bias: f64, weights: Vec<f64> },
    /// p = sqrt(bias + Σ w_i c_i²) (0 where the sum is not positive): E from px, py, pz, with a
    /// mass term in `bias` and a scale in the weights.
    Norm { context: Vec<usize>, bias: f64, weights: Vec<f64> },
}

impl Predictor {
    fn kind(&self) -> u8 {
        match self {
            Predictor::Carrier => 0,
            Predictor::Linear { .. } => 1,
            Predictor::Norm { .. } => 2,
        }
    }

    /// The member indices whose decoded values this prediction needs (empty for a carrier).
    pub fn context(&self) -> &[usize] {
        match self {
            Predictor::Carrier => &[],
            Predictor::Linear { context, .. } | Predictor::Norm { context, .. } => context,
        }
    }

    /// The prediction for one object from its context values (in the order of [`Self::context`]).
    /// Non-finite results are fine: the quantisers' predicted code of a non-finite value is 0.
    #[inline]
    pub fn predict(&self, c: &[f64]) -> f64 {
        match self {
            Predictor::Carrier => 0.0,
            Predictor::Linear { bias, weights, .. } => {
                let mut p = *bias;
                for (w, x) in weights.iter().zip(c) {
                    p += w * x;
                }
                p
            }
            Predictor::Norm { bias, weights, .. } => {
                let mut s = *bias;
                for (w, x) in weights.iter().zip(c) {
                    s += w * (x * x);
                }
                if s > 0.0 {
                    s.sqrt()
                } else {
                    0.0
                }
            }
        }
    }
}

/// One member of an object model: a branch name and how it is coded.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub predictor: Predictor,
}

/// A parsed, verified object model. Immutable; share it between threads.
#[derive(Debug, Clone)]
pub struct ObjectModel {
    id: ModelId,
    bytes: Vec<u8>,
    members: Vec<Member>,
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError::InvalidModel(msg.into()))
}

impl ObjectModel {
    /// Builds (and serialises) a model from its members; checks what [`Self::parse`] checks.
    pub fn new(members: Vec<Member>) -> Result<ObjectModel, CodecError> {
        let mut body = Vec::new();
        body.extend_from_slice(&OBJECT_MODEL_MAGIC);
        body.push(OBJECT_MODEL_VERSION);
        body.push(0); // flags
        put_uvarint(&mut body, members.len() as u64);
        for m in &members {
            put_uvarint(&mut body, m.name.len() as u64);
            body.extend_from_slice(m.name.as_bytes());
            body.push(m.predictor.kind());
            if let Predictor::Linear { context, bias, weights } | Predictor::Norm { context, bias, weights } = &m.predictor {
                if weights.len() != context.len() {
                    return invalid(format!("member {}: {} weights for {} context members", m.name, weights.len(), context.len()));
                }
                put_uvarint(&mut body, context.len() as u64);
                for &c in context {
                    put_uvarint(&mut body, c as u64);
                }
                body.extend_from_slice(&bias.to_le_bytes());
                for w in weights {
                    body.extend_from_slice(&w.to_le_bytes());
                }
            }
        }
        let hash = xxhash_rust::xxh3::xxh3_128(&body).to_le_bytes();
        body.extend_from_slice(&hash);
        ObjectModel::parse(&body)
    }

    /// Parses and verifies object-model bytes (never trusted: limits, hash, that every context
    /// member is a carrier other than the member itself).
    pub fn parse(bytes: &[u8]) -> Result<ObjectModel, CodecError> {
        if bytes.len() < 4 + 2 + 16 || bytes[..4] != OBJECT_MODEL_MAGIC {
            return invalid("not an object model (magic BALO)");
        }
        let (body, trailer) = bytes.split_at(bytes.len() - 16);
        let hash = xxhash_rust::xxh3::xxh3_128(body).to_le_bytes();
        if hash[..] != trailer[..] {
            return invalid("content hash mismatch (the object model file is corrupt)");
        }
        let mut r = Reader::new(&body[4..]);
        let version = r.u8()?;
        if version != OBJECT_MODEL_VERSION {
            return Err(CodecError::Unsupported(format!("object model version {version} (this reader knows {OBJECT_MODEL_VERSION})")));
        }
        if r.u8()? != 0 {
            return invalid("object model flags must be 0");
        }
        let n = r.len_at_most(MAX_MEMBERS, "member count")?;
        if n == 0 {
            return invalid("an object model without members");
        }
        let mut members = Vec::with_capacity(n);
        for i in 0..n {
            let len = r.len_at_most(MAX_NAME, "member name length")?;
            let name = std::str::from_utf8(r.bytes(len)?).map_err(|_| CodecError::InvalidModel(format!("member {i}: name is not UTF-8")))?.to_string();
            if name.is_empty() || members.iter().any(|m: &Member| m.name == name) {
                return invalid(format!("member {i}: empty or repeated name '{name}'"));
            }
            let kind = r.u8()?;
            let predictor = if kind == 0 {
                Predictor::Carrier
            } else {
                let c = r.len_at_most(n - 1, "context size")?;
                if c == 0 {
                    return invalid(format!("member {name}: a prediction without context"));
                }
                let context = (0..c).map(|_| r.len_at_most(n - 1, "context member")).collect::<Result<Vec<_>, _>>()?;
                let mut f64s = (0..=c).map(|_| r.u64_le().map(f64::from_bits)).collect::<Result<Vec<_>, _>>()?;
                if f64s.iter().any(|v| !v.is_finite()) {
                    return invalid(format!("member {name}: a coefficient is not finite"));
                }
                let weights = f64s.split_off(1);
                let bias = f64s[0];
                match kind {
                    1 => Predictor::Linear { context, bias, weights },
                    2 => Predictor::Norm { context, bias, weights },
                    k => return invalid(format!("member {name}: unknown predictor {k} (0 carrier, 1 linear, 2 norm)")),
                }
            };
            members.push(Member { name, predictor });
        }
        if !r.is_empty() {
            return invalid("trailing bytes before the hash");
        }
        for (i, m) in members.iter().enumerate() {
            let ctx = m.predictor.context();
            for (a, &c) in ctx.iter().enumerate() {
                if c == i || members[c].predictor != Predictor::Carrier || ctx[..a].contains(&c) {
                    return invalid(format!("member {}: context member {c} is itself, repeated, or not a carrier", m.name));
                }
            }
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(trailer);
        Ok(ObjectModel { id: ModelId(id), bytes: bytes.to_vec(), members })
    }

    pub fn id(&self) -> ModelId {
        self.id
    }

    /// The canonical bytes (what a file stores; the id is their hash).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The index of the member named `name`.
    pub fn member(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }

    /// The names of the members whose decoded values member `i` is coded with (empty: a carrier).
    pub fn context_names(&self, i: usize) -> Vec<&str> {
        self.members[i].predictor.context().iter().map(|&c| self.members[c].name.as_str()).collect()
    }

    /// The member whose basket's I32 values (ROOT's entry offsets: every member's basket stores
    /// those of the shared counter) member `i`'s block may derive its own from: the model's first
    /// carrier, which never derives its own (so a reader fetches at most one more basket, which
    /// needs nothing), or None for that carrier itself (and a model without carriers).
    pub fn offsets_source(&self, i: usize) -> Option<usize> {
        let source = self.members.iter().position(|m| m.predictor == Predictor::Carrier)?;
        (source != i).then_some(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four_vector() -> ObjectModel {
        let carrier = |n: &str| Member { name: n.into(), predictor: Predictor::Carrier };
        ObjectModel::new(vec![
            carrier("Muon_Px"),
            carrier("Muon_Py"),
            carrier("Muon_Pz"),
            Member { name: "Muon_E".into(), predictor: Predictor::Norm { context: vec![0, 1, 2], bias: 0.0111, weights: vec![1.0; 3] } },
        ])
        .unwrap()
    }

    #[test]
    fn round_trip_and_prediction() {
        let m = four_vector();
        let again = ObjectModel::parse(m.bytes()).unwrap();
        assert_eq!(again.members(), m.members());
        assert_eq!(again.id(), m.id());
        assert_eq!(m.context_names(3), ["Muon_Px", "Muon_Py", "Muon_Pz"]);
        assert!(m.context_names(0).is_empty());
        let p = m.members()[3].predictor.predict(&[3.0, 4.0, 12.0]);
        assert_eq!(p, (169.0f64 + 0.0111).sqrt());
        assert_eq!(m.member("Muon_E"), Some(3));
    }

    #[test]
    fn refuses_damage_and_context_chains() {
        let m = four_vector();
        for i in 0..m.bytes().len() {
            let mut b = m.bytes().to_vec();
            b[i] ^= 0x10;
            assert!(ObjectModel::parse(&b).is_err(), "flip at byte {i} accepted");
        }
        assert!(ObjectModel::parse(&m.bytes()[..m.bytes().len() - 1]).is_err());
        // a predicted member as context: reading would need two levels
        let mut members = m.members().to_vec();
        members.push(Member { name: "Muon_X".into(), predictor: Predictor::Linear { context: vec![3], bias: 0.0, weights: vec![1.0] } });
        assert!(ObjectModel::new(members).is_err());
        let selfish = vec![Member { name: "a".into(), predictor: Predictor::Linear { context: vec![0], bias: 0.0, weights: vec![1.0] } }];
        assert!(ObjectModel::new(selfish).is_err());
    }
}
