//! Hostile autoencoder blocks: decoding with the committed fixture model (hidden layers, so the
//! whole inference runs) returns Err or Ok, never panics. Seeded with the committed fixture blocks (both
//! section layouts) and `fuzz_seeds`' blocks of that model with sentinel tables (in the AE section
//! and in its rest values' float section).
#![no_main]
use std::sync::OnceLock;

use baler_codec::{block_model_id, decode_block_with_model, decoded_len, Model};
use libfuzzer_sys::fuzz_target;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model::parse(include_bytes!("../../tests/fixtures/ae-model.balm")).expect("the committed fixture model parses"))
}

fuzz_target!(|data: &[u8]| {
    let _ = block_model_id(data);
    if let Ok(n) = decoded_len(data) {
        if n <= 1 << 20 {
            let mut dst = vec![0u8; n];
            let _ = decode_block_with_model(data, &mut dst, Some(model()));
            let _ = decode_block_with_model(data, &mut dst, None);
        }
    }
});
