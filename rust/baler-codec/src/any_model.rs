//! A `.balm` file of either kind, told apart by its magic: what a reader holds for a model id it
//! found in a block, before it knows whether the block is an autoencoder's or an object member's.

use crate::error::CodecError;
use crate::model::{Model, ModelId};
use crate::object_model::{ObjectModel, OBJECT_MODEL_MAGIC};

/// A parsed `.balm` model: the ae: codec's autoencoder, or an object model (whose members' blocks
/// also need their context members' decoded values).
pub enum AnyModel {
    Autoencoder(Model),
    Object(ObjectModel),
}

impl AnyModel {
    /// Parses and verifies the bytes of a `.balm` file of either kind.
    pub fn parse(bytes: &[u8]) -> Result<Self, CodecError> {
        if bytes.starts_with(&OBJECT_MODEL_MAGIC) {
            ObjectModel::parse(bytes).map(AnyModel::Object)
        } else {
            Model::parse(bytes).map(AnyModel::Autoencoder)
        }
    }

    /// The id blocks coded with the model name it by.
    pub fn id(&self) -> ModelId {
        match self {
            AnyModel::Autoencoder(m) => m.id(),
            AnyModel::Object(m) => m.id(),
        }
    }
}
