//! Draws what the models saw onto a copy of the frame and encodes it as JPEG, so the
//! proctor sees the boxes exactly on the pixels they were computed from.
//!
//! Colours: faces green; phones red; notes and other devices orange; people a muted
//! blue (the candidate is always a person, so those boxes are context, not alarms); the
//! zone of the hands-and-desk object pass, when it runs, a thin white frame.
//!
//! Below both `live` (which annotates the newest frame) and `web` (which serves it), so
//! that neither depends on the other for drawing.

pub mod glyphs;

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use crate::detections::{BBox, Detections, ObjectClass};
use crate::frame::Frame;
use glyphs::{GLYPH_HEIGHT, GLYPH_WIDTH, glyph};

/// Good enough for boxes and faces, small enough to stream several times a second.
const JPEG_QUALITY: u8 = 80;

pub const FACE_COLOUR: Rgb = Rgb(40, 200, 90);
/// A face the rules judge as looking away: amber, apart from the green of a facing one.
pub const AWAY_FACE_COLOUR: Rgb = Rgb(255, 200, 0);
pub const PHONE_COLOUR: Rgb = Rgb(235, 45, 45);
pub const NOTES_OR_DEVICE_COLOUR: Rgb = Rgb(255, 145, 0);
pub const PERSON_COLOUR: Rgb = Rgb(110, 150, 230);
pub const HANDS_ZONE_COLOUR: Rgb = Rgb(235, 235, 235);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The frame with its detections drawn, as a JPEG.
pub fn annotated_jpeg(frame: &Frame, detections: &Detections) -> Vec<u8> {
    let mut canvas = Canvas {
        width: frame.width,
        height: frame.height,
        pixels: frame.rgb().to_vec(),
    };
    draw_detections(&mut canvas, detections);
    let mut jpeg = Vec::with_capacity(canvas.pixels.len() / 8);
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(
            &canvas.pixels,
            canvas.width,
            canvas.height,
            ExtendedColorType::Rgb8,
        )
        .expect("encoding packed RGB of the stated size into memory cannot fail");
    jpeg
}

/// Packed RGB24 pixels being drawn on.
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

pub fn draw_detections(canvas: &mut Canvas, detections: &Detections) {
    let style = Style::for_size(canvas.width, canvas.height);
    let objects = detections.objects.as_deref().unwrap_or_default();
    let (people, things): (Vec<_>, Vec<_>) =
        objects.iter().partition(|o| o.class == ObjectClass::Person);
    // Drawn from least to most important, so that what matters is never hidden: the
    // hands-and-desk zone and people (context), then faces, then phones, notes and
    // devices on top.
    if let Some(zone) = detections.hands_zone {
        canvas.labelled_box(
            zone,
            HANDS_ZONE_COLOUR,
            style.thin,
            "HANDS AND DESK PASS",
            style.text_scale,
        );
    }
    for person in people {
        let label = format!("{} {:.0}%", person.label, person.score * 100.0);
        canvas.labelled_box(
            person.bbox,
            PERSON_COLOUR,
            style.thin,
            &label,
            style.text_scale,
        );
    }
    for face in &detections.faces {
        let label = format!(
            "FACE {:.0}% YAW {:+.0} PITCH {:+.0}{}",
            face.score * 100.0,
            face.yaw_deg,
            face.pitch_deg,
            if face.looking_away { " AWAY" } else { "" }
        );
        canvas.labelled_box(
            face.bbox,
            if face.looking_away {
                AWAY_FACE_COLOUR
            } else {
                FACE_COLOUR
            },
            style.thick,
            &label,
            style.text_scale,
        );
    }
    for thing in things {
        let colour = if thing.class == ObjectClass::Phone {
            PHONE_COLOUR
        } else {
            NOTES_OR_DEVICE_COLOUR
        };
        let label = format!("{} {:.0}%", thing.label, thing.score * 100.0);
        canvas.labelled_box(thing.bbox, colour, style.thick, &label, style.text_scale);
    }
}

/// Line widths and text size that stay visible from a 320 px thumbnail to 1080p.
struct Style {
    thick: u32,
    thin: u32,
    text_scale: u32,
}

impl Style {
    fn for_size(width: u32, height: u32) -> Style {
        let short_side = width.min(height);
        Style {
            thick: (short_side / 180).max(2),
            thin: (short_side / 360).max(1),
            text_scale: (short_side / 240).max(1),
        }
    }
}

impl Canvas {
    fn labelled_box(
        &mut self,
        bbox: BBox,
        colour: Rgb,
        thickness: u32,
        label: &str,
        text_scale: u32,
    ) {
        let b = bbox.clamped();
        let to_px =
            |v: f32, size: u32| ((v * size as f32).round() as i64).clamp(0, size as i64 - 1) as u32;
        let (x0, y0, x1, y1) = (
            to_px(b.x0, self.width),
            to_px(b.y0, self.height),
            to_px(b.x1, self.width),
            to_px(b.y1, self.height),
        );
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        self.rectangle_outline(x0, y0, x1, y1, thickness, colour);
        self.label(x0, y0, label, colour, text_scale);
    }

    fn rectangle_outline(
        &mut self,
        x0: u32,
        y0: u32,
        x1: u32,
        y1: u32,
        thickness: u32,
        colour: Rgb,
    ) {
        let t = thickness.min(x1 - x0).min(y1 - y0).max(1);
        self.fill(x0, y0, x1 + 1, y0 + t, colour);
        self.fill(x0, (y1 + 1).saturating_sub(t), x1 + 1, y1 + 1, colour);
        self.fill(x0, y0, x0 + t, y1 + 1, colour);
        self.fill((x1 + 1).saturating_sub(t), y0, x1 + 1, y1 + 1, colour);
    }

    /// A filled tag in the box's colour, above the box when there is room, else inside it.
    fn label(&mut self, box_x0: u32, box_y0: u32, text: &str, colour: Rgb, scale: u32) {
        let pad = scale * 2;
        let advance = (GLYPH_WIDTH + 1) * scale;
        let tag_w = text.chars().count() as u32 * advance + 2 * pad - scale;
        let tag_h = GLYPH_HEIGHT * scale + 2 * pad;
        let tag_y0 = if box_y0 >= tag_h {
            box_y0 - tag_h
        } else {
            box_y0
        };
        let tag_x0 = box_x0.min(self.width.saturating_sub(tag_w));
        self.fill(tag_x0, tag_y0, tag_x0 + tag_w, tag_y0 + tag_h, colour);
        let ink = if luminance(colour) > 140.0 {
            Rgb(0, 0, 0)
        } else {
            Rgb(255, 255, 255)
        };
        for (i, c) in text.chars().enumerate() {
            self.glyph(
                tag_x0 + pad + i as u32 * advance,
                tag_y0 + pad,
                c,
                ink,
                scale,
            );
        }
    }

    fn glyph(&mut self, x: u32, y: u32, c: char, ink: Rgb, scale: u32) {
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH_WIDTH {
                if bits & (1 << (GLYPH_WIDTH - 1 - col)) != 0 {
                    let (px, py) = (x + col * scale, y + row as u32 * scale);
                    self.fill(px, py, px + scale, py + scale, ink);
                }
            }
        }
    }

    /// Fills `[x0, x1) × [y0, y1)`, clipped to the image.
    fn fill(&mut self, x0: u32, y0: u32, x1: u32, y1: u32, colour: Rgb) {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        for y in y0..y1 {
            let row = (y * self.width) as usize * 3;
            for x in x0..x1 {
                let i = row + x as usize * 3;
                self.pixels[i..i + 3].copy_from_slice(&[colour.0, colour.1, colour.2]);
            }
        }
    }

    /// The colour of one pixel (for tests and checks).
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = (y * self.width + x) as usize * 3;
        Rgb(self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])
    }
}

fn luminance(c: Rgb) -> f32 {
    0.299 * c.0 as f32 + 0.587 * c.1 as f32 + 0.114 * c.2 as f32
}
