//! The newest-frame handoff from capture to inference: one slot, newest wins. Capture
//! never waits for inference and memory never grows; frames inference never saw are
//! counted as skipped.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::frame::Frame;

#[derive(Default)]
pub struct FrameSlot {
    frame: Mutex<Option<Frame>>,
    ready: Condvar,
}

impl FrameSlot {
    /// Puts `frame` in the slot; returns true when it replaced one nobody took.
    pub fn put(&self, frame: Frame) -> bool {
        let mut slot = self.frame.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = slot.replace(frame).is_some();
        self.ready.notify_one();
        replaced
    }

    /// Takes the newest frame, waiting up to `timeout` for one.
    pub fn take(&self, timeout: Duration) -> Option<Frame> {
        let slot = self.frame.lock().unwrap_or_else(|p| p.into_inner());
        let (mut slot, _) = self
            .ready
            .wait_timeout_while(slot, timeout, |f| f.is_none())
            .unwrap_or_else(|p| p.into_inner());
        slot.take()
    }

    /// Frames waiting (0 or 1), for the health page.
    pub fn depth(&self) -> usize {
        usize::from(
            self.frame
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn frame(seq: u64) -> Frame {
        Frame::new_rgb(
            seq,
            Duration::from_millis(seq * 100),
            chrono::Utc::now(),
            1,
            1,
            Arc::from(vec![0u8; 3]),
        )
    }

    #[test]
    fn the_newest_frame_wins_and_replaced_ones_are_reported() {
        let slot = FrameSlot::default();
        assert!(!slot.put(frame(1)));
        assert!(slot.put(frame(2)));
        assert_eq!(slot.take(Duration::ZERO).map(|f| f.seq), Some(2));
        assert!(slot.take(Duration::from_millis(10)).is_none());
    }
}
