//! The one-way pipeline: capture → analysis (inference + rules) → control (store,
//! outbox) ; recording takes every frame; the live view and health feed the web page.

pub mod analysis;
mod frame_selector;

pub use analysis::{Analysed, Analysis};
pub use frame_selector::FrameSelector;
