//! Damage on disk, as a failing SD card does it: garbage over part of every file.
//!
//! Use from a test file with `#[path = "support/damage.rs"] mod damage;`.

#![allow(dead_code)] // Each test file uses a different part.

use std::path::{Path, PathBuf};

/// Every file below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Overwrites 4 KiB a quarter into every file below `dir` with garbage.
pub fn damage(dir: &Path) {
    for path in files_below(dir) {
        let mut bytes = std::fs::read(&path).unwrap();
        if bytes.len() < 8 {
            continue;
        }
        let from = bytes.len() / 4;
        let to = (from + 4096).min(bytes.len());
        for (i, b) in bytes[from..to].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31) ^ 0xA5;
        }
        std::fs::write(&path, bytes).unwrap();
    }
}
