//! MJPEG camera frames into RGB.
//!
//! Many UVC webcams send JPEG frames without Huffman tables (DHT): MJPEG implies the
//! standard tables of JPEG Annex K.3, and a plain JPEG decoder refuses such frames. When a
//! frame has no DHT before its scan, the standard tables are inserted, as ffmpeg's
//! `mjpeg2jpeg` does.

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

use image::codecs::jpeg::JpegDecoder;
use image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, RgbImage};

use crate::buffer_pool::BufferPool;

const MARKER_SOI: u8 = 0xD8;
const MARKER_SOS: u8 = 0xDA;
const MARKER_DHT: u8 = 0xC4;

/// Decodes one camera frame, supplying the standard Huffman tables when it lacks them.
pub fn decode_mjpeg(frame: &[u8]) -> Result<RgbImage, image::ImageError> {
    let jpeg = with_huffman_tables(frame);
    Ok(image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg)?.into_rgb8())
}

/// As `decode_mjpeg`, into a buffer of `pool`: an RGB JPEG (what webcams send) is
/// decoded straight into it; any other colour type is converted on the way.
pub fn decode_mjpeg_pooled(
    frame: &[u8],
    pool: &mut BufferPool,
) -> Result<(u32, u32, Arc<[u8]>), image::ImageError> {
    let jpeg = with_huffman_tables(frame);
    let decoder = JpegDecoder::new(Cursor::new(&jpeg[..]))?;
    let (width, height) = decoder.dimensions();
    let len = width as usize * height as usize * 3;
    let rgb = if decoder.color_type() == ColorType::Rgb8 {
        pool.fill(len, |dst| decoder.read_image(dst))?
    } else {
        let image = DynamicImage::from_decoder(decoder)?.into_rgb8();
        pool.fill::<image::ImageError>(len, |dst| {
            dst.copy_from_slice(image.as_raw());
            Ok(())
        })?
    };
    Ok((width, height, rgb))
}

/// The frame itself when it defines Huffman tables (or is too broken to tell; the decoder
/// then reports why), else a copy with the standard tables after its SOI marker.
fn with_huffman_tables(frame: &[u8]) -> Cow<'_, [u8]> {
    if !frame.starts_with(&[0xFF, MARKER_SOI]) {
        return Cow::Borrowed(frame);
    }
    let mut pos = 2;
    while pos + 4 <= frame.len() {
        if frame[pos] != 0xFF {
            return Cow::Borrowed(frame);
        }
        let marker = frame[pos + 1];
        match marker {
            // Fill bytes before a marker.
            0xFF => pos += 1,
            MARKER_DHT => return Cow::Borrowed(frame),
            MARKER_SOS => {
                let mut patched = Vec::with_capacity(frame.len() + 420);
                patched.extend_from_slice(&frame[..2]);
                patched.extend_from_slice(&standard_dht_segment());
                patched.extend_from_slice(&frame[2..]);
                return Cow::Owned(patched);
            }
            _ => pos += 2 + usize::from(u16::from_be_bytes([frame[pos + 2], frame[pos + 3]])),
        }
    }
    Cow::Borrowed(frame)
}

/// One DHT segment holding the four tables of JPEG Annex K.3 (Tables K.3 to K.6).
fn standard_dht_segment() -> Vec<u8> {
    // (table class << 4 | table id, code counts per length 1..=16, symbols)
    let tables: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &LUMA_DC_COUNTS, &DC_SYMBOLS),
        (0x10, &LUMA_AC_COUNTS, &LUMA_AC_SYMBOLS),
        (0x01, &CHROMA_DC_COUNTS, &DC_SYMBOLS),
        (0x11, &CHROMA_AC_COUNTS, &CHROMA_AC_SYMBOLS),
    ];
    let mut body = Vec::new();
    for (class_and_id, counts, symbols) in tables {
        body.push(class_and_id);
        body.extend_from_slice(counts);
        body.extend_from_slice(symbols);
    }
    let length = u16::try_from(body.len() + 2).expect("the standard tables fit one segment");
    let mut segment = vec![0xFF, MARKER_DHT];
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(&body);
    segment
}

const LUMA_DC_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const CHROMA_DC_COUNTS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_SYMBOLS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const LUMA_AC_COUNTS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
const CHROMA_AC_COUNTS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];

#[rustfmt::skip]
const LUMA_AC_SYMBOLS: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

#[rustfmt::skip]
const CHROMA_AC_SYMBOLS: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
    0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
    0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;

    fn gradient_jpeg() -> Vec<u8> {
        let image = RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
        });
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&image)
            .unwrap();
        jpeg
    }

    /// The frame without its DHT segments, as a table-less MJPEG camera would send it.
    fn without_dht(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut pos = 2;
        loop {
            let marker = jpeg[pos + 1];
            if marker == MARKER_SOS {
                out.extend_from_slice(&jpeg[pos..]);
                return out;
            }
            let end = pos + 2 + usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
            if marker != MARKER_DHT {
                out.extend_from_slice(&jpeg[pos..end]);
            }
            pos = end;
        }
    }

    #[test]
    fn a_frame_without_huffman_tables_decodes_like_the_same_frame_with_them() {
        let full = gradient_jpeg();
        let stripped = without_dht(&full);
        assert!(
            stripped.len() < full.len(),
            "the encoder wrote DHT segments to strip"
        );
        assert!(
            image::load_from_memory_with_format(&stripped, ImageFormat::Jpeg).is_err(),
            "a plain decoder refuses the stripped frame, so the tables matter"
        );
        assert_eq!(
            decode_mjpeg(&stripped).unwrap(),
            decode_mjpeg(&full).unwrap()
        );
    }

    #[test]
    fn a_frame_with_huffman_tables_is_decoded_unchanged() {
        let full = gradient_jpeg();
        assert!(matches!(with_huffman_tables(&full), Cow::Borrowed(_)));
        assert_eq!(decode_mjpeg(&full).unwrap().dimensions(), (64, 48));
    }

    #[test]
    fn a_truncated_frame_is_an_error_not_a_panic() {
        let full = gradient_jpeg();
        for cut in [0, 1, 3, 20, full.len() / 2] {
            let _ = decode_mjpeg(&full[..cut]);
        }
        assert!(decode_mjpeg(&full[..20]).is_err());
    }
}
