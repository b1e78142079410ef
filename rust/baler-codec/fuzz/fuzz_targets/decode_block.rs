//! Hostile blocks: decode_block/decoded_len must return Err or Ok, never panic,
//! never read or write out of bounds.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = baler_codec::decoded_len(data);
    // the caller sizes dst from the header, capped like a ROOT basket would be
    if let Ok(n) = baler_codec::decoded_len(data) {
        if n <= 1 << 20 {
            let mut dst = vec![0u8; n];
            let _ = baler_codec::decode_block(data, &mut dst);
        }
    }
    // and with a wrong size
    let mut small = vec![0u8; data.len() % 64];
    let _ = baler_codec::decode_block(data, &mut small);
});
