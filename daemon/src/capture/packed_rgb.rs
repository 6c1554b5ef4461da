//! Row-padded pixel buffers into packed rows.
//!
//! GStreamer aligns each row of a raw video buffer to 4 bytes, so RGB rows of a width that
//! is not a multiple of 4 carry padding; [`crate::frame::Frame`] promises none.

/// The buffer holds fewer bytes than its stride and height promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "buffer of {len} bytes is too short for {rows} rows of {row_bytes} bytes with a stride of {stride}"
)]
pub struct ShortBuffer {
    pub len: usize,
    pub rows: usize,
    pub row_bytes: usize,
    pub stride: usize,
}

/// Copies `rows` rows of `row_bytes` each, found `stride` bytes apart in `src`, into
/// `dst` (exactly `rows × row_bytes` long: a pooled frame buffer, see `BufferPool`).
pub fn pack_rows_into(
    src: &[u8],
    stride: usize,
    row_bytes: usize,
    rows: usize,
    dst: &mut [u8],
) -> Result<(), ShortBuffer> {
    let short = || ShortBuffer {
        len: src.len(),
        rows,
        row_bytes,
        stride,
    };
    debug_assert_eq!(dst.len(), row_bytes * rows);
    if rows == 0 {
        return Ok(());
    }
    // The last row needs only its own bytes, not a full stride.
    let needed = stride
        .checked_mul(rows - 1)
        .and_then(|n| n.checked_add(row_bytes))
        .ok_or_else(short)?;
    if stride < row_bytes || src.len() < needed {
        return Err(short());
    }
    if stride == row_bytes {
        dst.copy_from_slice(&src[..needed]);
        return Ok(());
    }
    for (row, out) in src.chunks(stride).zip(dst.chunks_exact_mut(row_bytes)) {
        out.copy_from_slice(&row[..row_bytes]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack_rows(
        src: &[u8],
        stride: usize,
        row_bytes: usize,
        rows: usize,
    ) -> Result<Vec<u8>, ShortBuffer> {
        let mut dst = vec![0; row_bytes * rows];
        pack_rows_into(src, stride, row_bytes, rows, &mut dst).map(|()| dst)
    }

    #[test]
    fn padded_rows_are_copied_without_their_padding() {
        // Two rows of 2 RGB pixels (6 bytes) in a stride of 8: bytes 6, 7 and 14, 15 are padding.
        let src = [
            1, 2, 3, 4, 5, 6, 0xEE, 0xEE, 7, 8, 9, 10, 11, 12, 0xEE, 0xEE,
        ];
        assert_eq!(
            pack_rows(&src, 8, 6, 2).unwrap(),
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        );
    }

    #[test]
    fn the_last_row_may_end_without_padding() {
        let src = [1, 2, 3, 0xEE, 4, 5, 6];
        assert_eq!(pack_rows(&src, 4, 3, 2).unwrap(), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn unpadded_rows_are_copied_as_they_are() {
        let src: Vec<u8> = (0..12).collect();
        assert_eq!(pack_rows(&src, 6, 6, 2).unwrap(), src);
    }

    #[test]
    fn a_buffer_shorter_than_its_rows_is_refused() {
        assert!(pack_rows(&[0; 13], 8, 6, 3).is_err());
        assert!(
            pack_rows(&[0; 16], 4, 6, 2).is_err(),
            "a stride shorter than a row is refused"
        );
    }
}
