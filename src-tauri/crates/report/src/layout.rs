//! Pages and the few blocks the report is made of: headings, paragraphs, monospace blocks and tables that
//! continue across pages (repeating their header). Everything is positioned by hand in PDF points from the
//! bottom-left corner; printpdf only serialises what we place.

use printpdf::{Color, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem, TextMatrix};

use crate::fonts::{Face, Fonts};
use crate::text::{clean, ellipsize, wrap};

/// A4 portrait.
pub(crate) const PAGE_W: f32 = 595.276;
pub(crate) const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 42.0;
const MARGIN_TOP: f32 = 48.0;
/// Leaves room for the footer below the body.
const MARGIN_BOTTOM: f32 = 54.0;
const FOOTER_BASELINE: f32 = 30.0;
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const PAGE_BODY: f32 = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM;

/// Body text size for paragraphs; tables are a little smaller to fit more columns.
pub(crate) const BODY: f32 = 9.5;
pub(crate) const TABLE: f32 = 8.0;
const LEADING: f32 = 1.3;
const CELL_PAD_X: f32 = 3.0;
const CELL_PAD_Y: f32 = 2.5;

const BLACK: (f32, f32, f32) = (0.0, 0.0, 0.0);
const HEADER_FILL: (f32, f32, f32) = (0.88, 0.90, 0.93);
const CODE_FILL: (f32, f32, f32) = (0.95, 0.95, 0.95);
const RULE: (f32, f32, f32) = (0.75, 0.75, 0.75);
const MUTED: (f32, f32, f32) = (0.35, 0.35, 0.35);

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

/// One table column: its header, share of the table width, and face.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub(crate) title: &'static str,
    pub(crate) share: f32,
    pub(crate) face: Face,
}

impl Col {
    pub(crate) const fn new(title: &'static str, share: f32, face: Face) -> Self {
        Self { title, share, face }
    }
}

/// Builds the pages. Tracks the text state so consecutive text shares one BT/ET block and font changes
/// are only emitted when the font actually changes (a 10,000-row timeline is ~100,000 text runs).
#[derive(Debug)]
pub(crate) struct Canvas {
    fonts: &'static Fonts,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Top of the free space on the current page.
    y: f32,
    in_text: bool,
    font: Option<(Face, f32)>,
    fill: (f32, f32, f32),
    /// Whether this page's stroke colour and width are set for rules yet.
    rule_style: bool,
}

impl Canvas {
    pub(crate) fn new(fonts: &'static Fonts) -> Self {
        Self {
            fonts,
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_H - MARGIN_TOP,
            in_text: false,
            font: None,
            fill: BLACK,
            rule_style: false,
        }
    }

    fn end_text(&mut self) {
        if self.in_text {
            self.ops.push(Op::EndTextSection);
            self.in_text = false;
        }
    }

    fn set_fill(&mut self, c: (f32, f32, f32)) {
        if self.fill != c {
            self.ops.push(Op::SetFillColor { col: rgb(c) });
            self.fill = c;
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.end_text();
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = PAGE_H - MARGIN_TOP;
        // Each page is its own content stream with a fresh graphics state.
        self.font = None;
        self.fill = BLACK;
        self.rule_style = false;
    }

    fn at_top(&self) -> bool {
        self.y >= PAGE_H - MARGIN_TOP
    }

    fn space_left(&self) -> f32 {
        self.y - MARGIN_BOTTOM
    }

    /// Starts a new page unless `h` points still fit (or we are already at the top of a page).
    pub(crate) fn ensure(&mut self, h: f32) {
        if h > self.space_left() && !self.at_top() {
            self.new_page();
        }
    }

    pub(crate) fn gap(&mut self, h: f32) {
        self.y -= h;
        if self.y < MARGIN_BOTTOM {
            self.new_page();
        }
    }

    /// Draws one line of already-clean text with its baseline at `y`.
    fn text_at(&mut self, face: Face, size: f32, color: (f32, f32, f32), x: f32, y: f32, s: &str) {
        if s.is_empty() {
            return;
        }
        if !self.in_text {
            self.ops.push(Op::StartTextSection);
            self.in_text = true;
        }
        self.set_fill(color);
        if self.font != Some((face, size)) {
            self.ops.push(Op::SetFont { font: PdfFontHandle::External(face.id()), size: Pt(size) });
            self.font = Some((face, size));
        }
        self.ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(x), Pt(y)) });
        self.ops.push(Op::ShowText { items: vec![TextItem::Text(s.to_owned())] });
    }

    fn fill_rect(&mut self, color: (f32, f32, f32), x: f32, y_bottom: f32, w: f32, h: f32) {
        self.end_text();
        self.set_fill(color);
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y_bottom),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32) {
        self.end_text();
        let p = |x: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
        if !self.rule_style {
            self.ops.push(Op::SetOutlineColor { col: rgb(RULE) });
            self.ops.push(Op::SetOutlineThickness { pt: Pt(0.4) });
            self.rule_style = true;
        }
        self.ops.push(Op::DrawLine { line: Line { points: vec![p(x1), p(x2)], is_closed: false } });
    }

    /// Wrapped lines of `text` in `face` at `size` for a box `width` wide.
    fn lines(&self, text: &str, face: Face, size: f32, width: f32, keep_newlines: bool) -> Vec<String> {
        let f = self.fonts.face(face);
        wrap(&clean(text, f, keep_newlines), f, size, width)
    }

    /// A block of wrapped lines that may break across pages between lines.
    fn flow(&mut self, lines: &[String], face: Face, size: f32, color: (f32, f32, f32), x: f32) {
        let lh = size * LEADING;
        for line in lines {
            self.ensure(lh);
            let baseline = self.y - size;
            self.text_at(face, size, color, x, baseline, line);
            self.y -= lh;
        }
    }

    pub(crate) fn title(&mut self, text: &str) {
        let size = 22.0;
        let lines = self.lines(text, Face::Bold, size, CONTENT_W, false);
        self.flow(&lines, Face::Bold, size, BLACK, MARGIN_X);
        self.gap(6.0);
    }

    /// A section heading, kept on the same page as at least a few lines of what follows.
    pub(crate) fn heading(&mut self, text: &str) {
        let size = 14.0;
        let lines = self.lines(text, Face::Bold, size, CONTENT_W, false);
        self.ensure(lines.len() as f32 * size * LEADING + 6.0 * TABLE * LEADING);
        if !self.at_top() {
            self.gap(10.0);
        }
        self.flow(&lines, Face::Bold, size, BLACK, MARGIN_X);
        self.gap(4.0);
    }

    pub(crate) fn subheading(&mut self, text: &str) {
        let size = 11.0;
        let lines = self.lines(text, Face::Bold, size, CONTENT_W, false);
        self.ensure(lines.len() as f32 * size * LEADING + 4.0 * TABLE * LEADING);
        self.gap(4.0);
        self.flow(&lines, Face::Bold, size, BLACK, MARGIN_X);
        self.gap(2.0);
    }

    pub(crate) fn paragraph(&mut self, text: &str) {
        self.paragraph_in(text, Face::Regular, BLACK, 0.0);
    }

    pub(crate) fn muted(&mut self, text: &str) {
        self.paragraph_in(text, Face::Regular, MUTED, 0.0);
    }

    /// A paragraph indented by `indent` points (text under a numbered step).
    pub(crate) fn indented(&mut self, text: &str, indent: f32) {
        self.paragraph_in(text, Face::Regular, BLACK, indent);
    }

    fn paragraph_in(&mut self, text: &str, face: Face, color: (f32, f32, f32), indent: f32) {
        let lines = self.lines(text, face, BODY, CONTENT_W - indent, true);
        self.flow(&lines, face, BODY, color, MARGIN_X + indent);
        self.gap(BODY * 0.5);
    }

    /// Monospace text on a light background (commands, the checkpoint note). Keeps its line breaks;
    /// long lines are broken so they stay on the page.
    pub(crate) fn code(&mut self, text: &str, indent: f32) {
        let size = TABLE;
        let lh = size * LEADING;
        let x = MARGIN_X + indent;
        let w = CONTENT_W - indent;
        let lines = self.lines(text, Face::Mono, size, w - 2.0 * CELL_PAD_X, true);
        // Keep a block on one page when it fits on one (a checkpoint note split by a page break is hard to
        // read); a longer one starts where it is and continues.
        let total = lines.len() as f32 * lh + 2.0 * CELL_PAD_Y;
        self.ensure(if total <= PAGE_BODY { total } else { lh + 2.0 * CELL_PAD_Y });
        self.gap(CELL_PAD_Y);
        for line in &lines {
            self.ensure(lh);
            // The background is drawn per line so a block that breaks across pages stays shaded on both.
            self.fill_rect(CODE_FILL, x, self.y - lh, w, lh + 0.2);
            let baseline = self.y - size;
            self.text_at(Face::Mono, size, BLACK, x + CELL_PAD_X, baseline, line);
            self.y -= lh;
        }
        self.gap(CELL_PAD_Y + BODY * 0.5);
    }

    fn col_widths(cols: &[Col]) -> Vec<f32> {
        let total: f32 = cols.iter().map(|c| c.share).sum::<f32>().max(f32::EPSILON);
        cols.iter().map(|c| CONTENT_W * c.share / total).collect()
    }

    fn header_row(&mut self, cols: &[Col], widths: &[f32]) {
        let size = TABLE;
        let lh = size * LEADING;
        let heads: Vec<Vec<String>> = cols
            .iter()
            .zip(widths)
            .map(|(c, w)| self.lines(c.title, Face::Bold, size, w - 2.0 * CELL_PAD_X, false))
            .collect();
        let n = heads.iter().map(Vec::len).max().unwrap_or(1);
        let h = n as f32 * lh + 2.0 * CELL_PAD_Y;
        self.ensure(h + lh + 2.0 * CELL_PAD_Y);
        self.fill_rect(HEADER_FILL, MARGIN_X, self.y - h, CONTENT_W, h);
        let mut x = MARGIN_X;
        for (lines, w) in heads.iter().zip(widths) {
            for (k, line) in lines.iter().enumerate() {
                let baseline = self.y - CELL_PAD_Y - size - k as f32 * lh;
                self.text_at(Face::Bold, size, BLACK, x + CELL_PAD_X, baseline, line);
            }
            x += w;
        }
        self.y -= h;
    }

    /// A table whose rows wrap within their columns and continue onto new pages, repeating the header
    /// (when there is one). A row taller than a whole page is split between its lines.
    pub(crate) fn table<I>(&mut self, cols: &[Col], header: bool, rows: I)
    where
        I: IntoIterator<Item = Vec<String>>,
    {
        let widths = Self::col_widths(cols);
        let size = TABLE;
        let lh = size * LEADING;
        if header {
            self.header_row(cols, &widths);
        }
        for cells in rows {
            let wrapped: Vec<Vec<String>> = cols
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let cell = cells.get(i).map_or("", String::as_str);
                    self.lines(cell, c.face, size, w - 2.0 * CELL_PAD_X, true)
                })
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let full = n as f32 * lh + 2.0 * CELL_PAD_Y;
            // Move a row that does not fit to the next page whole, unless it would not fit on any page.
            if full > self.space_left() && (full <= PAGE_BODY - 4.0 * lh || self.space_left() < 3.0 * lh) {
                self.new_page();
                if header {
                    self.header_row(cols, &widths);
                }
            }
            let mut done = 0;
            while done < n {
                let fit = ((self.space_left() - 2.0 * CELL_PAD_Y) / lh).floor().max(1.0) as usize;
                let take = fit.min(n - done);
                let mut x = MARGIN_X;
                for ((lines, w), col) in wrapped.iter().zip(&widths).zip(cols) {
                    for (k, line) in lines.iter().skip(done).take(take).enumerate() {
                        let baseline = self.y - CELL_PAD_Y - size - k as f32 * lh;
                        self.text_at(col.face, size, BLACK, x + CELL_PAD_X, baseline, line);
                    }
                    x += w;
                }
                self.y -= take as f32 * lh + 2.0 * CELL_PAD_Y;
                self.hline(MARGIN_X, MARGIN_X + CONTENT_W, self.y);
                done += take;
                if done < n {
                    self.new_page();
                    if header {
                        self.header_row(cols, &widths);
                    }
                }
            }
        }
        self.gap(BODY * 0.6);
    }

    /// Finishes the last page and writes "<label> — page N of M" at the foot of every page.
    pub(crate) fn finish(mut self, footer_label: &str) -> Vec<Vec<Op>> {
        self.new_page();
        let mut pages = std::mem::take(&mut self.pages);
        let total = pages.len();
        let f = self.fonts.face(Face::Regular);
        let size = 7.5;
        for (i, ops) in pages.iter_mut().enumerate() {
            let suffix = format!(" — page {} of {}", i + 1, total);
            let room = CONTENT_W - f.width(&suffix, size);
            let label = ellipsize(&clean(footer_label, f, false), f, size, room);
            let mut page = Canvas::new(self.fonts);
            page.hline(MARGIN_X, MARGIN_X + CONTENT_W, FOOTER_BASELINE + size + 3.0);
            page.text_at(Face::Regular, size, MUTED, MARGIN_X, FOOTER_BASELINE, &format!("{label}{suffix}"));
            page.end_text();
            ops.append(&mut page.ops);
        }
        pages
    }
}
