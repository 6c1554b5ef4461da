//! Reused frame buffers: a source fills a buffer the rest of the daemon no longer holds
//! instead of allocating (and, through `Arc::from(Vec)`, copying) one per frame.
//!
//! A frame's pixels are an `Arc<[u8]>` shared by the analysis, the object stage and the
//! recorder (whose GStreamer buffer wraps the same `Arc`); a buffer is free again once
//! every one of them has dropped its clone, which `Arc::get_mut` tells without locks.

use std::sync::Arc;

/// Buffers kept for reuse. A frame is held by at most the capture slot, the analysis,
/// the object stage's offer, the recorder's queue and a live-view client at once, so a
/// handful covers the steady state; beyond it a buffer is allocated and not kept.
const KEPT: usize = 8;

#[derive(Debug, Default)]
pub struct BufferPool {
    buffers: Vec<Arc<[u8]>>,
}

impl BufferPool {
    pub fn new() -> BufferPool {
        BufferPool::default()
    }

    /// A buffer of `len` bytes nobody else holds, filled by `write` (which must write
    /// every byte: a reused buffer holds an earlier frame).
    pub fn fill<E>(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Arc<[u8]>, E> {
        // A new frame size (another camera, a new file) retires the old buffers.
        self.buffers.retain(|b| b.len() == len);
        let free = self
            .buffers
            .iter_mut()
            .position(|b| Arc::get_mut(b).is_some());
        let index = match free {
            Some(i) => i,
            None => {
                self.buffers.push(Arc::from(vec![0u8; len]));
                self.buffers.len() - 1
            }
        };
        let buffer = Arc::get_mut(&mut self.buffers[index]).expect("checked to be unshared");
        write(buffer)?;
        let filled = self.buffers[index].clone();
        if self.buffers.len() > KEPT {
            self.buffers.swap_remove(index);
        }
        Ok(filled)
    }

    /// Buffers held for reuse (in use or free).
    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(pool: &mut BufferPool, len: usize, value: u8) -> Arc<[u8]> {
        pool.fill::<()>(len, |b| {
            b.fill(value);
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn a_buffer_dropped_by_its_holders_is_filled_again_not_reallocated() {
        let mut pool = BufferPool::new();
        let first = fill(&mut pool, 4, 1);
        let address = first.as_ptr();
        drop(first);
        let second = fill(&mut pool, 4, 2);
        assert_eq!(second.as_ptr(), address);
        assert_eq!(&second[..], &[2; 4]);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn a_buffer_still_held_is_never_written() {
        let mut pool = BufferPool::new();
        let held = fill(&mut pool, 4, 1);
        let other = fill(&mut pool, 4, 2);
        assert_ne!(held.as_ptr(), other.as_ptr());
        assert_eq!(&held[..], &[1; 4]);
    }

    #[test]
    fn a_new_size_retires_the_old_buffers() {
        let mut pool = BufferPool::new();
        drop(fill(&mut pool, 4, 1));
        let b = fill(&mut pool, 6, 1);
        assert_eq!(b.len(), 6);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn beyond_the_kept_count_buffers_are_handed_out_but_not_kept() {
        let mut pool = BufferPool::new();
        let held: Vec<_> = (0..KEPT + 3).map(|i| fill(&mut pool, 2, i as u8)).collect();
        assert_eq!(pool.len(), KEPT);
        assert!(held.iter().enumerate().all(|(i, b)| b[0] == i as u8));
    }

    #[test]
    fn a_failed_write_hands_out_nothing() {
        let mut pool = BufferPool::new();
        let r: Result<Arc<[u8]>, &str> = pool.fill(4, |_| Err("short"));
        assert_eq!(r.unwrap_err(), "short");
        // The buffer stays free for the next frame.
        drop(fill(&mut pool, 4, 3));
        assert_eq!(pool.len(), 1);
    }
}
