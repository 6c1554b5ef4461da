//! Tables that break across pages, repeating their header on each page.

use super::canvas::{CONTENT_W_MM, Canvas, Colour, MARGIN_MM, TextStyle};

const ROW_H_MM: f32 = 6.0;
const PAD_MM: f32 = 1.6;
const BODY: TextStyle = TextStyle::regular(8.5);
const HEADER: TextStyle = TextStyle::bold(8.5);
const SMALL: TextStyle = TextStyle::regular(7.0);
const NOTE: TextStyle = TextStyle::regular(7.0).coloured(Colour::MUTED);

#[derive(Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Right,
}

pub struct Column {
    pub title: &'static str,
    /// Share of the content width; the shares of a table add up to 1.
    pub share: f32,
    pub align: Align,
}

impl Column {
    pub const fn left(title: &'static str, share: f32) -> Self {
        Self {
            title,
            share,
            align: Align::Left,
        }
    }
    pub const fn right(title: &'static str, share: f32) -> Self {
        Self {
            title,
            share,
            align: Align::Right,
        }
    }
}

#[derive(Default)]
pub struct Cell {
    pub text: String,
    /// A smaller grey text after the main one (e.g. the event kind's code).
    pub note: Option<String>,
    /// A colour swatch before the text.
    pub swatch: Option<Colour>,
    pub bold: bool,
    /// Smaller type, for long codes such as hashes.
    pub small: bool,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            ..Cell::default()
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::from(text.to_owned())
    }
}

pub struct Row {
    pub cells: Vec<Cell>,
    /// Drawn with a rule above and a light background (totals).
    pub emphasised: bool,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Self {
        Self {
            cells,
            emphasised: false,
        }
    }
    pub fn emphasised(cells: Vec<Cell>) -> Self {
        Self {
            cells,
            emphasised: true,
        }
    }
}

/// Height of a table with `rows` rows, header and spacing included.
pub fn table_height(rows: usize) -> f32 {
    (rows + 1) as f32 * ROW_H_MM + 4.0
}

pub fn draw_table(canvas: &mut Canvas, columns: &[Column], rows: &[Row]) {
    let widths: Vec<f32> = columns.iter().map(|c| c.share * CONTENT_W_MM).collect();
    canvas.ensure_room(ROW_H_MM * 2.0);
    draw_header(canvas, columns, &widths);
    for (i, row) in rows.iter().enumerate() {
        if canvas.ensure_room(ROW_H_MM) {
            draw_header(canvas, columns, &widths);
        }
        let top = canvas.y;
        if row.emphasised {
            canvas.fill_rect(MARGIN_MM, top, CONTENT_W_MM, ROW_H_MM, Colour::SHADE);
            canvas.line(
                (MARGIN_MM, top),
                (MARGIN_MM + CONTENT_W_MM, top),
                Colour::TEXT,
                0.8,
            );
        } else if i % 2 == 1 {
            canvas.fill_rect(
                MARGIN_MM,
                top,
                CONTENT_W_MM,
                ROW_H_MM,
                Colour(250, 250, 250),
            );
        }
        let mut x = MARGIN_MM;
        for ((column, width), cell) in columns.iter().zip(&widths).zip(&row.cells) {
            draw_cell(canvas, x, top, *width, column.align, cell, row.emphasised);
            x += width;
        }
        canvas.line(
            (MARGIN_MM, top + ROW_H_MM),
            (MARGIN_MM + CONTENT_W_MM, top + ROW_H_MM),
            Colour::RULE,
            0.4,
        );
        canvas.y += ROW_H_MM;
    }
    canvas.y += 4.0;
}

fn draw_header(canvas: &mut Canvas, columns: &[Column], widths: &[f32]) {
    let top = canvas.y;
    canvas.fill_rect(
        MARGIN_MM,
        top,
        CONTENT_W_MM,
        ROW_H_MM,
        Colour(228, 228, 228),
    );
    let mut x = MARGIN_MM;
    for (column, width) in columns.iter().zip(widths) {
        let cell = Cell {
            text: column.title.to_owned(),
            bold: true,
            ..Cell::default()
        };
        draw_cell(canvas, x, top, *width, column.align, &cell, false);
        x += width;
    }
    canvas.y += ROW_H_MM;
}

fn draw_cell(
    canvas: &mut Canvas,
    x: f32,
    top: f32,
    width: f32,
    align: Align,
    cell: &Cell,
    bold_row: bool,
) {
    let baseline = top + ROW_H_MM - 1.9;
    let style = match (cell.bold || bold_row, cell.small) {
        (true, _) => HEADER,
        (false, true) => SMALL,
        (false, false) => BODY,
    };
    let mut left = x + PAD_MM;
    let mut room = width - 2.0 * PAD_MM;
    if let Some(colour) = cell.swatch {
        canvas.fill_rect(left, top + 1.6, 2.8, 2.8, colour);
        left += 4.2;
        room -= 4.2;
    }
    let main = canvas.fit(&cell.text, style, room);
    match align {
        Align::Left => {
            canvas.text(left, baseline, style, &main);
            if let Some(note) = &cell.note {
                let used = canvas.text_width(&main, style) + 1.5;
                let note = canvas.fit(note, NOTE, room - used);
                canvas.text(left + used, baseline, NOTE, &note);
            }
        }
        Align::Right => canvas.text_right(x + width - PAD_MM, baseline, style, &main),
    }
}
