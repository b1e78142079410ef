//! `baler_root._codec`: the codec crate's block decoder (and its spec parser), callable from Python.
//!
//! Only the Baler block itself is decoded here; ROOT's 9-byte block header around it is parsed by
//! the Python side (`baler_root/_uproot.py`), exactly as the ROOT plugin's `DecompressBalerBlock`
//! parses it before calling the same `baler_codec::decode_block`.

use std::ptr::NonNull;

use baler_codec::{AnyModel, CodecError};
use pyo3::buffer::PyBuffer;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    baler_root._codec,
    BlockError,
    PyValueError,
    "A Baler block that cannot be decoded: truncated, damaged or crafted."
);
create_exception!(
    baler_root._codec,
    UnsupportedBlockError,
    BlockError,
    "A Baler block that uses a format version or feature this build does not know."
);

create_exception!(
    baler_root._codec,
    MissingModelError,
    BlockError,
    "A Baler block coded with the ae: codec whose model was not given (block_model_id names it)."
);
create_exception!(baler_root._codec, ModelError, PyValueError, "A .balm model that cannot be used: malformed, corrupt or newer.");

fn block_error(err: CodecError) -> PyErr {
    match err {
        CodecError::Unsupported(_) => UnsupportedBlockError::new_err(err.to_string()),
        CodecError::MissingModel { .. } => MissingModelError::new_err(err.to_string()),
        _ => BlockError::new_err(err.to_string()),
    }
}

#[pyclass(frozen, module = "baler_root._codec")]
struct Model(AnyModel);

#[pymethods]
impl Model {
    /// Parses and verifies the bytes of a `.balm` file; raises ModelError when they are not one.
    #[new]
    fn new(bytes: &[u8]) -> PyResult<Self> {
        AnyModel::parse(bytes).map(Model).map_err(|err| ModelError::new_err(err.to_string()))
    }

    /// The model's id (32 hex digits), as blocks coded with it name it.
    #[getter]
    fn id(&self) -> String {
        self.0.id().to_string()
    }

    /// Whether this is an object model (a collection's members coded with each other's values).
    #[getter]
    fn is_object(&self) -> bool {
        matches!(self.0, AnyModel::Object(_))
    }

    /// The members whose decoded values an object model's other members are coded with (its
    /// carriers that some member names as context); empty for an autoencoder.
    fn context_members(&self) -> Vec<String> {
        let AnyModel::Object(m) = &self.0 else { return Vec::new() };
        let mut names: Vec<String> = Vec::new();
        for i in 0..m.members().len() {
            for name in m.context_names(i) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        names
    }
}

/// A basket's decoded values as the context of other members' blocks (what the ROOT plugin
/// caches per carrier basket): its float values as f64 and its I32 values (ROOT's entry offsets).
#[pyclass(frozen, module = "baler_root._codec")]
struct ContextBasket(baler_codec::ContextValues);

#[pymethods]
impl ContextBasket {
    /// The number of float values (a member's context column).
    #[getter]
    fn floats(&self) -> usize {
        self.0.floats.len()
    }

    /// The number of I32 values (entry offsets).
    #[getter]
    fn ints(&self) -> usize {
        self.0.ints.len()
    }

    /// The memory the values take, in bytes.
    #[getter]
    fn nbytes(&self) -> usize {
        self.0.floats.len() * 8 + self.0.ints.len() * 4
    }
}

/// The id of the model an ae: block was coded with, or None for a block that needs none.
#[pyfunction]
fn block_model_id(block: &[u8]) -> PyResult<Option<String>> {
    baler_codec::block_model_id(block).map(|id| id.map(|id| id.to_string())).map_err(block_error)
}

/// What the block of an object model's member needs besides its bytes, or None: a dict with
/// `model` (id; None for a block that only derives its entry offsets, as `member`), `member`, `context` (the members whose decoded values it is coded with),
/// `first_entry`, `entries` and `offsets_from` (the member whose basket's entry offsets for the
/// same entries its own derive from, or None).
#[pyfunction]
fn block_context<'py>(py: Python<'py>, block: &[u8]) -> PyResult<Option<Bound<'py, pyo3::types::PyDict>>> {
    let d = pyo3::types::PyDict::new(py);
    let Some(c) = baler_codec::block_context(block).map_err(block_error)? else {
        // a block that derives only its entry offsets names no model or member
        let Some(o) = baler_codec::block_offsets_source(block).map_err(block_error)? else { return Ok(None) };
        d.set_item("model", py.None())?;
        d.set_item("member", py.None())?;
        d.set_item("context", Vec::<String>::new())?;
        d.set_item("first_entry", o.first_entry)?;
        d.set_item("entries", o.entries)?;
        d.set_item("offsets_from", o.source)?;
        return Ok(Some(d));
    };
    d.set_item("model", c.model.to_string())?;
    d.set_item("member", c.member)?;
    d.set_item("context", c.context)?;
    d.set_item("first_entry", c.first_entry)?;
    d.set_item("entries", c.entries)?;
    d.set_item("offsets_from", c.offsets_from)?;
    Ok(Some(d))
}

/// The context values of `decoded`, the bytes a block decoded to: its float values (one kind, in
/// layout order) and its I32 values, as the blocks coded with this basket as context (or deriving
/// their entry offsets from it) need them. Raises BlockError for a block with both float kinds.
#[pyfunction]
fn context_basket(block: PyBuffer<u8>, decoded: PyBuffer<u8>) -> PyResult<ContextBasket> {
    let block_ptr = contiguous(&block, "the block")?;
    let decoded_ptr = contiguous(&decoded, "the decoded bytes")?;
    // SAFETY: both buffers are exported by their owners and held until this function returns,
    // which only reads them (holding the GIL: no Python code runs meanwhile).
    let (block_bytes, decoded_bytes) = unsafe { (block_ptr.as_ref(), decoded_ptr.as_ref()) };
    baler_codec::decoded_context(block_bytes, decoded_bytes).map(ContextBasket).map_err(block_error)
}

/// The C-contiguous memory of a byte buffer (a numpy uint8 array, bytes, bytearray, memoryview).
fn contiguous(buffer: &PyBuffer<u8>, what: &str) -> PyResult<NonNull<[u8]>> {
    buffer
        .as_slice_ptr()
        .ok_or_else(|| PyValueError::new_err(format!("{what} must be a C-contiguous byte buffer")))
}

/// Whether two byte ranges share a byte.
fn overlap(a: NonNull<[u8]>, b: NonNull<[u8]>) -> bool {
    let (a_start, b_start) = (a.cast::<u8>().as_ptr() as usize, b.cast::<u8>().as_ptr() as usize);
    !a.is_empty() && !b.is_empty() && a_start < b_start + b.len() && b_start < a_start + a.len()
}

/// Decodes one Baler block (the bytes after ROOT's 9-byte header) into `out`, whose length must be
/// the block's decoded length; an ae: block needs its `model`. Raises `BlockError`
/// (`UnsupportedBlockError` for a newer format, `MissingModelError` without the block's model)
/// with the codec's one-line cause; `out` then holds no meaningful values. A block whose entry
/// offsets derive from another member's basket (`block_context`'s `offsets_from`) needs that
/// basket's values as `offsets` (a ContextBasket). An object model's member (`block_context`'s
/// `context`) needs its object `model`, the ContextBasket of each context member in the block's
/// order as `context`, and the basket being read: its branch `member` and its entries
/// `first_entry`+`entries` (the codec checks them against what the block records).
#[pyfunction]
#[pyo3(signature = (block, out, model=None, offsets=None, context=None, member=None, first_entry=0, entries=0))]
#[allow(clippy::too_many_arguments)]
fn decode_block(
    py: Python<'_>,
    block: PyBuffer<u8>,
    out: PyBuffer<u8>,
    model: Option<&Bound<'_, Model>>,
    offsets: Option<&Bound<'_, ContextBasket>>,
    context: Option<Vec<Bound<'_, ContextBasket>>>,
    member: Option<String>,
    first_entry: u64,
    entries: u64,
) -> PyResult<()> {
    if out.readonly() {
        return Err(PyValueError::new_err("the output buffer is read-only"));
    }
    let block_ptr = contiguous(&block, "the block")?;
    let out_ptr = contiguous(&out, "the output buffer")?;
    if overlap(block_ptr, out_ptr) {
        return Err(PyValueError::new_err("the block and the output buffer overlap"));
    }
    // SAFETY: both buffers are exported by their owners and held (`block`, `out`) until this
    // function returns, so the memory stays valid and cannot be resized; they do not overlap
    // (checked above) and `out` is writable. The caller (baler_root._uproot) passes a view of the
    // file's bytes and a freshly allocated array that no other code holds.
    let (block_bytes, out_bytes) = unsafe { (block_ptr.as_ref(), &mut *out_ptr.as_ptr()) };
    let model = model.map(|model| &model.get().0);
    let offsets = offsets.map(|o| o.get().0.ints.as_slice());
    // Decoding is pure Rust on memory Python does not touch (the context values are immutable,
    // held by `context`): let other threads (uproot's decompression executor) run meanwhile.
    if let Some(context) = context {
        let Some(AnyModel::Object(object)) = model else {
            // (a crafted block can name the id of an ae: model the reader holds)
            return Err(BlockError::new_err("a block decoded with context needs an object model"));
        };
        let member = member.ok_or_else(|| PyValueError::new_err("a block decoded with context needs its member's name"))?;
        let index = object
            .member(&member)
            .ok_or_else(|| BlockError::new_err(format!("object model {} has no member {member}", object.id())))?;
        let columns: Vec<&[f64]> = context.iter().map(|c| c.get().0.floats.as_slice()).collect();
        let coding = baler_codec::ObjectCoding { model: object, member: index, first_entry, entries, context: &columns, offsets };
        return py.detach(|| baler_codec::decode_block_in_context(block_bytes, out_bytes, &coding)).map_err(block_error);
    }
    match (offsets, model) {
        (Some(offsets), _) => py.detach(|| baler_codec::decode_block_with_offsets(block_bytes, out_bytes, offsets)),
        (None, Some(AnyModel::Autoencoder(m))) => py.detach(|| baler_codec::decode_block_with_model(block_bytes, out_bytes, Some(m))),
        // an object member's block without its context: the codec names what it needs
        (None, _) => py.detach(|| baler_codec::decode_block(block_bytes, out_bytes)),
    }
    .map_err(block_error)
}

/// The canonical text of a codec spec (`rel:0.001` -> `rel:1e-3`), parsed by the codec itself, so
/// that a Python tool checks a spec the user gave before any work (`baler eval --ladder`).
/// ValueError, with the codec's message (the bad part and the grammar), where it does not parse.
#[pyfunction]
fn spec_text(spec: &str) -> PyResult<String> {
    spec.parse::<baler_codec::Spec>().map(|s| s.to_string()).map_err(|e| PyValueError::new_err(e.to_string()))
}

#[pymodule]
fn _codec(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_block, m)?)?;
    m.add_function(wrap_pyfunction!(spec_text, m)?)?;
    m.add_function(wrap_pyfunction!(block_model_id, m)?)?;
    m.add_function(wrap_pyfunction!(block_context, m)?)?;
    m.add_function(wrap_pyfunction!(context_basket, m)?)?;
    m.add_class::<Model>()?;
    m.add_class::<ContextBasket>()?;
    m.add("MissingModelError", m.py().get_type::<MissingModelError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("BlockError", m.py().get_type::<BlockError>())?;
    m.add("UnsupportedBlockError", m.py().get_type::<UnsupportedBlockError>())?;
    m.add("FORMAT_VERSION", baler_codec::FORMAT_VERSION)?;
    Ok(())
}
