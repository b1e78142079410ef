//! Error type of the codec.

/// Everything that can go wrong while encoding or decoding a block.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    /// The layout does not describe `src` (caller bug): lengths do not add up,
    /// or a segment length is not a multiple of its element size.
    #[error("invalid layout: {0}")]
    InvalidLayout(String),
    /// A spec/argument that is valid grammar but cannot be applied to this data
    /// (e.g. `bits:30` on float32 data).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A feature that is not implemented (yet), e.g. the autoencoder codec, or a
    /// section type unknown to this reader.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The block is malformed: truncated, bit-flipped or crafted.
    #[error("corrupt block: {0}")]
    Corrupt(String),
    /// `dst` does not have the decoded length stated in the block header.
    #[error("destination length mismatch: block decodes to {expected} bytes, destination has {got}")]
    LengthMismatch { expected: usize, got: usize },
    /// The decoded bytes do not match the checksum stored in the block.
    #[error("checksum mismatch: decoded bytes do not match the block's xxh3-64 checksum")]
    Checksum,
    /// A `.balm` model that is malformed, corrupt or beyond the format's limits.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// A block coded with a model that was not supplied (or another model was).
    #[error("block needs model {needed}{}", given.as_ref().map(|g| format!(", but model {g} was given")).unwrap_or_else(|| ", which was not supplied".into()))]
    MissingModel { needed: String, given: Option<String> },
    /// A block of an object model's member decoded without the context it was coded with
    /// (the decoded values of the other members for the same entries); says what it needs.
    #[error("block needs its context: {0}")]
    MissingContext(String),
    /// An internal encoder failure (e.g. an entropy coder refused the input).
    #[error("internal encoder error: {0}")]
    Internal(String),
}

pub(crate) fn corrupt<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError::Corrupt(msg.into()))
}
