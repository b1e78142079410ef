//! Hostile object-model members: a model, the context a reader fetched and a member's block, all
//! from the input, go through everything a reader does (parse the model, read the block's
//! context record, decode with the context and the derived entry offsets' source, decode as a
//! carrier with and without that source); each returns Err or Ok, never panics. Input: model
//! length (u16 LE), the model without its hash trailer (the target appends a valid one, so the
//! fuzzer gets past the hash into the structure), context members (u8) and values per member
//! (u16 LE), the context values (f64 LE), the offsets source's count (u16 LE) and I32 values
//! (i32 LE), then the block. `fuzz_seeds` writes
//! valid inputs of this shape.
#![no_main]
use baler_codec::{block_context, block_offsets_source, decode_block_floats, decode_block_in_context, decode_block_with_offsets, decode_context_block, decoded_len, ObjectCoding, ObjectModel};
use libfuzzer_sys::fuzz_target;

/// Splits `n` bytes off the front of `data`.
fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if data.len() < n {
        return None;
    }
    let (head, rest) = data.split_at(n);
    *data = rest;
    Some(head)
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let Some(len) = take(&mut data, 2) else { return };
    let Some(body) = take(&mut data, u16::from_le_bytes([len[0], len[1]]) as usize) else { return };
    let Some(shape) = take(&mut data, 3) else { return };
    let (members, per_member) = (shape[0] as usize, u16::from_le_bytes([shape[1], shape[2]]) as usize);
    let Some(values) = take(&mut data, 8 * members * per_member) else { return };
    let Some(count) = take(&mut data, 2) else { return };
    let Some(ints) = take(&mut data, 4 * u16::from_le_bytes([count[0], count[1]]) as usize) else { return };
    let offsets: Vec<i32> = ints.chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap())).collect();
    let block = data;

    let mut sealed = body.to_vec();
    sealed.extend_from_slice(&xxhash_rust::xxh3::xxh3_128(body).to_le_bytes());
    let context_values: Vec<f64> = values.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
    let context: Vec<&[f64]> = context_values.chunks(per_member.max(1)).take(members).collect();

    let recorded = block_context(block);
    let _ = block_offsets_source(block);
    let Ok(n) = decoded_len(block) else { return };
    if n > 1 << 20 {
        return; // every decoder allocates the length the header states: its caller bounds it
    }
    let _ = decode_block_floats(block);
    let _ = decode_context_block(block, None);
    let _ = decode_context_block(block, Some(&offsets));
    let mut dst = vec![0u8; n];
    let _ = decode_block_with_offsets(block, &mut dst, &offsets);
    let Ok(model) = ObjectModel::parse(&sealed) else { return };
    // The member the block names (as the plugin looks it up), else every member in turn.
    let named = match &recorded {
        Ok(Some(ctx)) => model.member(&ctx.member),
        _ => None,
    };
    let (first_entry, entries) = match &recorded {
        Ok(Some(ctx)) => (ctx.first_entry, ctx.entries),
        _ => (0, 0),
    };
    for member in named.map_or(0..model.members().len(), |m| m..m + 1) {
        let coding = ObjectCoding { model: &model, member, first_entry, entries, context: &context, offsets: Some(&offsets) };
        let _ = decode_block_in_context(block, &mut dst, &coding);
        let _ = decode_block_in_context(block, &mut dst, &ObjectCoding { offsets: None, ..coding });
    }
});
