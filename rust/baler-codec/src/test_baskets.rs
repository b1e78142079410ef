//! What ROOT's baskets hold, for the unit tests.

/// The I32 tail of a basket of a jagged branch as ROOT writes it: the count word (entries + 1),
/// each entry's offset (from the key length, `element_size` bytes per element), a trailing 0.
pub(crate) fn root_offsets(keylen: i32, element_size: i32, counts: &[i32]) -> Vec<i32> {
    let mut v = vec![counts.len() as i32 + 1];
    let mut at = keylen;
    for &c in counts {
        v.push(at);
        at += c * element_size;
    }
    v.push(0);
    v
}
