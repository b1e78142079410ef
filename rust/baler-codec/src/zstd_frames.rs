//! zstd frames, coded with one compression and one decompression context per thread, reused.
//!
//! The codec's own byte streams use them, and so does the ROOT plugin for ROOT's `ZS` blocks (the
//! frame inside ROOT's 9-byte header): ROOT's own R__zipZSTD and R__unzipZSTD create a context for
//! every block, and creating one runs zstd's `cpuid` probe, which a virtual machine traps. On the
//! 2-core development box a context costs about 19 µs to create and free (decompression) and 15 µs
//! (compression), more than unzipping a small basket; a file of 1346 baskets pays 25 ms for it.

use crate::error::CodecError;
use std::cell::RefCell;

/// zstd level of the codec's lossless byte streams. Not ROOT's: its setting 505 gives zstd level
/// 10 (R__zipZSTD passes twice the setting's level); 5 codes the sign streams faster.
pub(crate) const STREAM_LEVEL: i32 = 5;

thread_local! {
    /// For the codec's streams, at STREAM_LEVEL through zstd's parameter API.
    static STREAM_COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    /// For whole frames at a level given per call. Apart from the streams' context so that the two
    /// levels do not resize one context's tables back and forth.
    static FRAME_COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn internal(e: std::io::Error) -> CodecError {
    CodecError::Internal(format!("zstd: {e}"))
}

fn with_compressor<T>(
    slot: &'static std::thread::LocalKey<RefCell<Option<zstd::bulk::Compressor<'static>>>>,
    level: i32,
    code: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> Result<T, CodecError>,
) -> Result<T, CodecError> {
    crate::scratch::with_local(slot, |cell| {
        let mut compressor = cell.borrow_mut();
        if compressor.is_none() {
            *compressor = Some(zstd::bulk::Compressor::new(level).map_err(internal)?);
        }
        code(compressor.as_mut().expect("set above"))
    })
}

/// `data` as one zstd frame at STREAM_LEVEL (a codec byte stream).
pub(crate) fn compress_stream(data: &[u8]) -> Result<Vec<u8>, CodecError> {
    with_compressor(&STREAM_COMPRESSOR, STREAM_LEVEL, |c| c.compress(data).map_err(internal))
}

/// `src` as one zstd frame at `level` in `dst`: its size, or `None` when it does not fit. The
/// frame is the one `ZSTD_compressCCtx` writes (zstd's simple API, which ROOT's R__zipZSTD calls),
/// byte for byte, whatever the context coded before.
pub fn compress_frame(level: i32, src: &[u8], dst: &mut [u8]) -> Option<usize> {
    with_compressor(&FRAME_COMPRESSOR, level, |c| Ok(c.context_mut().compress(dst, src, level).ok())).ok().flatten()
}

/// Decodes the zstd frame `src` into `dst`; the decoded size. An error when the frame is damaged,
/// or decodes to more than `dst` holds.
pub fn decompress_frame(src: &[u8], dst: &mut [u8]) -> Result<usize, CodecError> {
    let corrupt = |e: std::io::Error| CodecError::Corrupt(format!("zstd: {e}"));
    crate::scratch::with_local(&DECOMPRESSOR, |cell| {
        let mut decompressor = cell.borrow_mut();
        if decompressor.is_none() {
            *decompressor = Some(zstd::bulk::Decompressor::new().map_err(corrupt)?);
        }
        decompressor.as_mut().expect("set above").decompress_to_buffer(src, dst).map_err(corrupt)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        let mut state = 12345u32;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(1103515245).wrapping_add(12345);
                if i % 7 == 0 { i as u8 } else { (state >> 24) as u8 & 7 }
            })
            .collect()
    }

    /// A reused context writes the frame a fresh one writes (zstd's one-shot `ZSTD_compress`),
    /// whichever level and input it coded before: the plugin's ZS blocks are ROOT's bytes.
    #[test]
    fn a_reused_context_writes_the_frame_a_fresh_one_writes() {
        let mut dst = vec![0u8; 1 << 20];
        let mut fresh = vec![0u8; 1 << 20];
        for (level, len) in [(10, 200_000), (1, 5000), (10, 300), (19, 70_000), (10, 200_000), (5, 1)] {
            let src = sample(len);
            let n = compress_frame(level, &src, &mut dst).expect("fits");
            let m = zstd::zstd_safe::compress(&mut fresh[..], &src, level).expect("fits");
            assert_eq!(dst[..n], fresh[..m], "level {level}, {len} bytes");
            let mut back = vec![0u8; len];
            assert_eq!(decompress_frame(&dst[..n], &mut back).unwrap(), len);
            assert_eq!(back, src);
        }
    }

    /// A frame that does not fit is `None` (ROOT then stores the block as it is); a damaged frame,
    /// or one longer than its target, is an error, and the contexts still work afterwards.
    #[test]
    fn a_frame_that_does_not_fit_or_is_damaged_is_refused() {
        let src = sample(50_000);
        let mut small = vec![0u8; 100];
        assert_eq!(compress_frame(10, &src, &mut small), None);
        let mut dst = vec![0u8; 60_000];
        let n = compress_frame(10, &src, &mut dst).expect("fits");
        let mut short = vec![0u8; src.len() - 1];
        assert!(decompress_frame(&dst[..n], &mut short).is_err());
        let mut damaged = dst[..n].to_vec();
        damaged[n / 2] ^= 0x5a;
        damaged.truncate(n - 3);
        let mut back = vec![0u8; src.len()];
        assert!(decompress_frame(&damaged, &mut back).is_err());
        assert_eq!(decompress_frame(&dst[..n], &mut back).unwrap(), src.len());
        assert_eq!(back, src);
    }
}
