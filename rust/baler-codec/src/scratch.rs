//! Per-thread reusable work buffers.
//!
//! Encoding or decoding a block needs several value-sized temporaries (gathered values, integer
//! codes, reconstructions). Allocating them afresh for every block costs more than the coding
//! itself once blocks pass a few hundred kB: the allocator hands large requests to the kernel,
//! which zero-fills new pages on first touch and unmaps them on free (measured on the 10^6-value
//! taus column: 30% of the `bits:10` encode time). ROOT compresses basket after basket on the
//! same thread, so each thread keeps its buffers and lends them out again.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// Buffers larger than this are freed instead of kept, so one huge basket does not pin its
/// memory for the life of the thread (16 MiB: 4M floats, more than ROOT's largest basket block
/// of 2^24 - 1 bytes holds).
const MAX_KEPT_BYTES: usize = 16 << 20;
/// At most this many idle buffers of one element type are kept per thread: as many as one
/// encode holds at once (byte buffers: section, signs, candidate, decoded copy). A thread thus
/// keeps at most 4 x 16 MiB per element type, and for ROOT's default 32 kB baskets a few 100 kB.
const MAX_KEPT_BUFFERS: usize = 4;

type Pool<T> = RefCell<Vec<Vec<T>>>;

/// `work` with this thread's `key`, or with a fresh value of its type where the thread's value is
/// gone: code that runs from an exit handler after the thread's locals were destroyed (ROOT closes
/// the files a program left open there, and writes their keys through the plugin), where
/// `LocalKey::with` panics and aborts the process, its files unclosed.
pub(crate) fn with_local<T: Default + 'static, R>(key: &'static LocalKey<T>, work: impl FnOnce(&T) -> R) -> R {
    // one look at the thread's value (this runs for every buffer lent and every stream decoded):
    // `work` is taken by the closure that try_with runs, and is still there when it ran none
    let mut work = Some(work);
    match key.try_with(|value| work.take().map(|w| w(value))) {
        Ok(Some(done)) => done,
        _ => (work.take().expect("try_with ran no closure"))(&T::default()),
    }
}

/// Element types that have a per-thread pool.
pub(crate) trait Pooled: Copy + Default + 'static {
    fn pool() -> &'static LocalKey<Pool<Self>>;
}

macro_rules! pooled {
    ($($t:ty => $name:ident),* $(,)?) => {
        thread_local! {
            $(static $name: Pool<$t> = const { RefCell::new(Vec::new()) };)*
        }
        $(impl Pooled for $t {
            fn pool() -> &'static LocalKey<Pool<Self>> {
                &$name
            }
        })*
    };
}
pooled!(u8 => POOL_U8, i32 => POOL_I32, i64 => POOL_I64, u16 => POOL_U16, f32 => POOL_F32, f64 => POOL_F64);

/// A vector borrowed from the thread's pool; it goes back when dropped.
pub(crate) struct Scratch<T: Pooled> {
    vec: Vec<T>,
}

/// An empty vector with room for at least `capacity` elements.
pub(crate) fn with_capacity<T: Pooled>(capacity: usize) -> Scratch<T> {
    let mut vec = with_local(T::pool(), |p| p.borrow_mut().pop()).unwrap_or_default();
    vec.clear();
    vec.reserve(capacity);
    Scratch { vec }
}

/// A vector of `len` default (zero) elements.
pub(crate) fn zeroed<T: Pooled>(len: usize) -> Scratch<T> {
    let mut s = with_capacity(len);
    s.vec.resize(len, T::default());
    s
}

impl<T: Pooled> Drop for Scratch<T> {
    fn drop(&mut self) {
        let vec = std::mem::take(&mut self.vec);
        if vec.capacity() * std::mem::size_of::<T>() > MAX_KEPT_BYTES {
            return;
        }
        // try_with: during thread teardown the pool may already be gone; then the buffer is freed.
        let _ = T::pool().try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < MAX_KEPT_BUFFERS {
                p.push(vec);
            }
        });
    }
}

impl<T: Pooled> Deref for Scratch<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.vec
    }
}

impl<T: Pooled> DerefMut for Scratch<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.vec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_lent_again_empty_and_zeroed_on_request() {
        let ptr = {
            let mut a = with_capacity::<i32>(1000);
            a.extend([7, 8, 9]);
            a.as_ptr()
        };
        let b = zeroed::<i32>(500);
        assert_eq!(b.as_ptr(), ptr, "the pooled allocation is reused");
        assert!(b.iter().all(|&x| x == 0), "no stale values leak into a zeroed buffer");
        assert_eq!(b.len(), 500);
    }

    #[test]
    fn oversized_buffers_are_not_kept() {
        drop(zeroed::<u8>(MAX_KEPT_BYTES + 1));
        let kept = u8::pool().with(|p| p.borrow().iter().map(|v| v.capacity()).max().unwrap_or(0));
        assert!(kept <= MAX_KEPT_BYTES);
    }
}
