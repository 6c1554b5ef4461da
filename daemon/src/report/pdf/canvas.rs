//! A4 pages drawn top-down in millimetres, with text measured in the embedded font so
//! that columns align and long texts are shortened instead of overflowing.
//!
//! PDF puts the origin at the bottom left in points; everything here takes `y` as
//! millimetres from the top of the page and converts at the last moment.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Pt, Rect, Rgb,
    TextItem, WindingOrder,
};

pub const PAGE_W_MM: f32 = 210.0;
pub const PAGE_H_MM: f32 = 297.0;
pub const MARGIN_MM: f32 = 16.0;
pub const CONTENT_W_MM: f32 = PAGE_W_MM - 2.0 * MARGIN_MM;
/// Content stops here; the footer lives below.
const CONTENT_BOTTOM_MM: f32 = PAGE_H_MM - 20.0;

const PT_PER_MM: f32 = 72.0 / 25.4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    pub const TEXT: Colour = Colour(34, 34, 34);
    pub const MUTED: Colour = Colour(110, 110, 110);
    pub const RULE: Colour = Colour(200, 200, 200);
    pub const SHADE: Colour = Colour(242, 242, 242);

    pub fn from_rgb((r, g, b): (u8, u8, u8)) -> Self {
        Colour(r, g, b)
    }

    /// Mixes with white; `amount` 0 = unchanged, 1 = white.
    pub fn lighter(self, amount: f32) -> Self {
        let mix = |c: u8| (f32::from(c) + (255.0 - f32::from(c)) * amount).round() as u8;
        Colour(mix(self.0), mix(self.1), mix(self.2))
    }

    fn pdf(self) -> Color {
        Color::Rgb(Rgb {
            r: f32::from(self.0) / 255.0,
            g: f32::from(self.1) / 255.0,
            b: f32::from(self.2) / 255.0,
            icc_profile: None,
        })
    }
}

/// One embedded font with the metrics needed to measure text.
pub struct Face {
    pub id: FontId,
    font: ParsedFont,
}

impl Face {
    pub fn new(id: FontId, font: ParsedFont) -> Self {
        Self { id, font }
    }

    /// Advance width of `text` at `size_pt`, in millimetres.
    fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = self.font.lookup_glyph_index(c as u32).unwrap_or(0);
                u32::from(self.font.get_glyph_width(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 / f32::from(self.font.units_per_em.max(1)) * size_pt / PT_PER_MM
    }
}

pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

#[derive(Clone, Copy, Debug)]
pub struct TextStyle {
    pub size_pt: f32,
    pub bold: bool,
    pub colour: Colour,
}

impl TextStyle {
    pub const fn regular(size_pt: f32) -> Self {
        Self {
            size_pt,
            bold: false,
            colour: Colour::TEXT,
        }
    }
    pub const fn bold(size_pt: f32) -> Self {
        Self {
            size_pt,
            bold: true,
            colour: Colour::TEXT,
        }
    }
    pub const fn coloured(self, colour: Colour) -> Self {
        Self { colour, ..self }
    }
}

pub struct Canvas<'f> {
    fonts: &'f Fonts,
    finished: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Where the next block goes, in mm from the top of the page.
    pub y: f32,
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            finished: Vec::new(),
            ops: Vec::new(),
            y: MARGIN_MM,
        }
    }

    fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        }
    }

    pub fn text_width(&self, text: &str, style: TextStyle) -> f32 {
        self.face(style.bold).width_mm(text, style.size_pt)
    }

    /// `text` shortened with an ellipsis so that it fits in `max_w` millimetres.
    pub fn fit(&self, text: &str, style: TextStyle, max_w: f32) -> String {
        if self.text_width(text, style) <= max_w {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate: String = chars.iter().collect::<String>() + "…";
            if self.text_width(&candidate, style) <= max_w {
                return candidate;
            }
        }
        String::new()
    }

    /// Text with its baseline at `baseline_y` (mm from the top), starting at `x`.
    pub fn text(&mut self, x: f32, baseline_y: f32, style: TextStyle, text: &str) {
        if text.is_empty() {
            return;
        }
        let font = PdfFontHandle::External(self.face(style.bold).id.clone());
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font,
                size: Pt(style.size_pt),
            },
            Op::SetFillColor {
                col: style.colour.pdf(),
            },
            Op::SetTextCursor {
                pos: point(x, baseline_y),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Text that ends at `right_x`.
    pub fn text_right(&mut self, right_x: f32, baseline_y: f32, style: TextStyle, text: &str) {
        let w = self.text_width(text, style);
        self.text(right_x - w, baseline_y, style, text);
    }

    pub fn text_centred(&mut self, centre_x: f32, baseline_y: f32, style: TextStyle, text: &str) {
        let w = self.text_width(text, style);
        self.text(centre_x - w / 2.0, baseline_y, style, text);
    }

    /// A filled rectangle whose top-left corner is (`x`, `top`).
    pub fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, colour: Colour) {
        self.ops.push(Op::SetFillColor { col: colour.pdf() });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: mm(x),
                y: mm(PAGE_H_MM - top - h),
                width: mm(w),
                height: mm(h),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), colour: Colour, thickness_pt: f32) {
        self.ops.push(Op::SetOutlineColor { col: colour.pdf() });
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(thickness_pt),
        });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: point(from.0, from.1),
                        bezier: false,
                    },
                    LinePoint {
                        p: point(to.0, to.1),
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
    }

    /// The outline of a rectangle.
    pub fn stroke_rect(
        &mut self,
        x: f32,
        top: f32,
        w: f32,
        h: f32,
        colour: Colour,
        thickness_pt: f32,
    ) {
        self.ops.push(Op::SetOutlineColor { col: colour.pdf() });
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(thickness_pt),
        });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: mm(x),
                y: mm(PAGE_H_MM - top - h),
                width: mm(w),
                height: mm(h),
                mode: Some(PaintMode::Stroke),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// Room left on this page below the cursor.
    pub fn room_left(&self) -> f32 {
        CONTENT_BOTTOM_MM - self.y
    }

    /// Starts a new page unless `h` millimetres still fit below the cursor.
    /// Returns whether a page was started.
    pub fn ensure_room(&mut self, h: f32) -> bool {
        if self.room_left() >= h {
            return false;
        }
        self.new_page();
        true
    }

    pub fn new_page(&mut self) {
        self.finished.push(std::mem::take(&mut self.ops));
        self.y = MARGIN_MM;
    }

    /// Every page's operations, the current page last.
    pub fn into_pages(mut self) -> Vec<Vec<Op>> {
        self.finished.push(self.ops);
        self.finished
    }
}

fn mm(v: f32) -> Pt {
    Pt(v * PT_PER_MM)
}

fn point(x: f32, y_from_top: f32) -> Point {
    Point {
        x: mm(x),
        y: mm(PAGE_H_MM - y_from_top),
    }
}
