//! Free space on the file system that holds the recordings.

use std::io;
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// MiB an unprivileged process may still write on the file system holding `path`
/// (blocks reserved for root do not count: proctord does not run as root).
pub fn free_space_mib(path: &Path) -> io::Result<u64> {
    let stats = nix::sys::statvfs::statvfs(path).map_err(io::Error::from)?;
    // Both are 64-bit here but 32-bit on some ARM targets.
    #[allow(clippy::useless_conversion)]
    let available_bytes =
        u64::from(stats.blocks_available()).saturating_mul(u64::from(stats.fragment_size()));
    Ok(available_bytes / MIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_of_the_temporary_directory_agrees_with_df() {
        let dir = std::env::temp_dir();
        let output = std::process::Command::new("df")
            .args(["-B1M", "--output=avail"])
            .arg(&dir)
            .output()
            .unwrap();
        let df_mib: u64 = String::from_utf8_lossy(&output.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let ours = free_space_mib(&dir).unwrap();
        // Other processes write meanwhile; df also rounds up.
        assert!(
            ours.abs_diff(df_mib) <= 64,
            "statvfs says {ours} MiB, df says {df_mib} MiB"
        );
    }

    #[test]
    fn a_missing_path_is_an_error() {
        assert!(free_space_mib(Path::new("/nonexistent/recordings")).is_err());
    }
}
