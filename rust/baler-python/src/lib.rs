//! `baler_root._codec`: the codec crate's block decoder, callable from Python.
//!
//! Only the Baler block itself is decoded here; ROOT's 9-byte block header around it is parsed by
//! the Python side (`baler_root/_uproot.py`), exactly as the ROOT plugin's `DecompressBalerBlock`
//! parses it before calling the same `baler_codec::decode_block`.

use std::ptr::NonNull;

use baler_codec::CodecError;
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

/// A parsed `.balm` model of the ae: codec, immutable, for decoding the blocks coded with it.
#[pyclass(frozen, module = "baler_root._codec")]
struct Model(baler_codec::Model);

#[pymethods]
impl Model {
    /// Parses and verifies the bytes of a `.balm` file; raises ModelError when they are not one.
    #[new]
    fn new(bytes: &[u8]) -> PyResult<Self> {
        baler_codec::Model::parse(bytes).map(Model).map_err(|err| ModelError::new_err(err.to_string()))
    }

    /// The model's id (32 hex digits), as blocks coded with it name it.
    #[getter]
    fn id(&self) -> String {
        self.0.id().to_string()
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

/// The I32 values (ROOT's entry offsets) of `decoded`, the bytes a block decoded to, in layout
/// order: what the blocks that derive their entry offsets from this basket need.
#[pyfunction]
fn block_ints(block: &[u8], decoded: &[u8]) -> PyResult<Vec<i32>> {
    baler_codec::decoded_context(block, decoded).map(|c| c.ints).map_err(block_error)
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
/// basket's I32 values as `offsets`.
#[pyfunction]
#[pyo3(signature = (block, out, model=None, offsets=None))]
fn decode_block(py: Python<'_>, block: PyBuffer<u8>, out: PyBuffer<u8>, model: Option<&Bound<'_, Model>>, offsets: Option<Vec<i32>>) -> PyResult<()> {
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
    // Decoding is pure Rust on memory Python does not touch: let other threads (uproot's
    // decompression executor) run meanwhile.
    let model = model.map(|model| &model.get().0);
    match offsets {
        Some(offsets) => py.detach(|| baler_codec::decode_block_with_offsets(block_bytes, out_bytes, &offsets)),
        None => py.detach(|| baler_codec::decode_block_with_model(block_bytes, out_bytes, model)),
    }
    .map_err(block_error)
}

#[pymodule]
fn _codec(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_block, m)?)?;
    m.add_function(wrap_pyfunction!(block_model_id, m)?)?;
    m.add_function(wrap_pyfunction!(block_context, m)?)?;
    m.add_function(wrap_pyfunction!(block_ints, m)?)?;
    m.add_class::<Model>()?;
    m.add("MissingModelError", m.py().get_type::<MissingModelError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("BlockError", m.py().get_type::<BlockError>())?;
    m.add("UnsupportedBlockError", m.py().get_type::<UnsupportedBlockError>())?;
    m.add("FORMAT_VERSION", baler_codec::FORMAT_VERSION)?;
    Ok(())
}
