//! The embedded DejaVu faces and what we need to know about them: which characters have a glyph (the TTF's
//! cmap, as printpdf parsed it) and how wide each glyph is (hmtx), so text can be checked and wrapped
//! before it reaches the PDF. The 14 standard PDF fonts are not used: they cover only WinAnsi, and printpdf
//! turns anything else into `?`, which would silently change names.

use std::sync::OnceLock;

use printpdf::{FontId, ParsedFont};

use crate::ReportError;

const SANS: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
const SANS_BOLD: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans-Bold.ttf");
const MONO: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSansMono.ttf");

/// Which face a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
    Mono,
}

impl Face {
    /// The PDF resource name. Fixed (printpdf would pick a random one) so output is reproducible.
    pub(crate) fn id(self) -> FontId {
        FontId(
            match self {
                Self::Regular => "DejaVuSans",
                Self::Bold => "DejaVuSansBold",
                Self::Mono => "DejaVuSansMono",
            }
            .to_owned(),
        )
    }
}

/// One parsed face with a fast width table.
#[derive(Debug)]
pub(crate) struct FontFace {
    pub(crate) parsed: ParsedFont,
    /// Advance width by glyph id, in font units.
    widths: Vec<u16>,
    /// ASCII advance widths (font units); 0 = no glyph. Most report text is ASCII, so this skips the cmap
    /// lookup for nearly every character.
    ascii: [u16; 128],
    units_per_em: f32,
}

impl FontFace {
    fn parse(bytes: &[u8]) -> Option<Self> {
        // Font parse warnings are their own type in printpdf 0.12 (not the save warnings); a face that
        // parses at all has what we use, so they are not reported further.
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        let max_gid = parsed.glyph_widths.keys().next_back().copied().unwrap_or(0);
        let mut widths = vec![0u16; usize::from(max_gid) + 1];
        for (&gid, &w) in &parsed.glyph_widths {
            widths[usize::from(gid)] = w;
        }
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        let mut face = Self { parsed, widths, ascii: [0; 128], units_per_em };
        for b in 0u8..128 {
            if let Some(gid) = face.glyph(char::from(b)) {
                // A zero-width glyph still counts as present; 1 unit keeps "0 = missing" unambiguous.
                face.ascii[usize::from(b)] = face.widths.get(usize::from(gid)).copied().unwrap_or(0).max(1);
            }
        }
        // A font without a usable cmap would map every character to "missing": refuse it outright.
        if face.parsed.codepoint_to_glyph.is_empty() || face.ascii[usize::from(b'A')] == 0 {
            return None;
        }
        Some(face)
    }

    /// The glyph for `c`, if the font has a real one (glyph 0 is `.notdef`, the "missing" box).
    pub(crate) fn glyph(&self, c: char) -> Option<u16> {
        self.parsed.codepoint_to_glyph.get(&u32::from(c)).copied().filter(|&g| g != 0)
    }

    pub(crate) fn has(&self, c: char) -> bool {
        match u8::try_from(c) {
            Ok(b) if b < 128 => self.ascii[usize::from(b)] != 0,
            _ => self.glyph(c).is_some(),
        }
    }

    /// Advance of `c` in font units (0 when there is no glyph).
    fn advance_units(&self, c: char) -> u16 {
        match u8::try_from(c) {
            Ok(b) if b < 128 => self.ascii[usize::from(b)],
            _ => self.glyph(c).and_then(|g| self.widths.get(usize::from(g)).copied()).unwrap_or(0),
        }
    }

    /// Width of `c` in points at `size`.
    pub(crate) fn char_width(&self, c: char, size: f32) -> f32 {
        f32::from(self.advance_units(c)) * size / self.units_per_em
    }

    /// Width of `s` in points at `size`. printpdf writes plain advances (no kerning), so this is exact.
    pub(crate) fn width(&self, s: &str, size: f32) -> f32 {
        let units: u64 = s.chars().map(|c| u64::from(self.advance_units(c))).sum();
        units as f32 * size / self.units_per_em
    }
}

/// The three faces the report uses.
#[derive(Debug)]
pub(crate) struct Fonts {
    pub(crate) regular: FontFace,
    pub(crate) bold: FontFace,
    pub(crate) mono: FontFace,
}

impl Fonts {
    /// Parsed once per process: parsing the cmaps and width tables is the same work every time.
    pub(crate) fn get() -> Result<&'static Fonts, ReportError> {
        static FONTS: OnceLock<Result<Fonts, &'static str>> = OnceLock::new();
        let fonts = FONTS.get_or_init(|| {
            Ok(Fonts {
                regular: FontFace::parse(SANS).ok_or("DejaVuSans.ttf")?,
                bold: FontFace::parse(SANS_BOLD).ok_or("DejaVuSans-Bold.ttf")?,
                mono: FontFace::parse(MONO).ok_or("DejaVuSansMono.ttf")?,
            })
        });
        fonts.as_ref().map_err(|&name| ReportError::Font(name))
    }

    pub(crate) fn face(&self, face: Face) -> &FontFace {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Mono => &self.mono,
        }
    }
}
