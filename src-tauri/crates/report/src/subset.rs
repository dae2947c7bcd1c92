//! Font subsetting. printpdf 0.12 without its layout feature embeds every face whole (about 1.8 MB for the
//! three DejaVu faces); the report uses a few hundred glyphs, so we cut each face down to the glyphs its
//! text actually uses with allsorts (which printpdf already depends on) and embed that instead.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::{FontId, Op, ParsedFont, PdfFontHandle, TextItem};

use crate::fonts::FontFace;

/// Characters drawn in each font, by resource id.
pub(crate) fn used_chars(pages: &[Vec<Op>]) -> BTreeMap<FontId, BTreeSet<char>> {
    let mut used: BTreeMap<FontId, BTreeSet<char>> = BTreeMap::new();
    for ops in pages {
        let mut current: Option<&FontId> = None;
        for op in ops {
            match op {
                Op::SetFont { font: PdfFontHandle::External(id), .. } => current = Some(id),
                Op::ShowText { items } => {
                    if let Some(id) = current {
                        let set = used.entry(id.clone()).or_default();
                        for item in items {
                            if let TextItem::Text(s) = item {
                                set.extend(s.chars());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    used
}

/// `face` cut down to the glyphs for `chars`, or `None` if that fails in any way (the caller then embeds
/// the whole face). The result is checked to map every character to a glyph of the same width, so a
/// subsetting fault can cost size but never a character.
pub(crate) fn subset_face(face: &FontFace, chars: &BTreeSet<char>) -> Option<ParsedFont> {
    let bytes = face.parsed.original_bytes.as_slice();
    let mut gids: Vec<u16> = chars.iter().filter_map(|&c| face.glyph(c)).collect();
    gids.push(0); // .notdef must come first
    gids.sort_unstable();
    gids.dedup();
    // allsorts asserts internal invariants with panics; however unlikely on our own fonts, a report must
    // not crash over a font optimisation, so a panic is treated like an error.
    let sub = catch_unwind(AssertUnwindSafe(|| -> Option<Vec<u8>> {
        let data = ReadScope::new(bytes).read::<FontData<'_>>().ok()?;
        let provider = data.table_provider(0).ok()?;
        subset(&provider, &gids, &SubsetProfile::Pdf, CmapTarget::Unicode).ok()
    }))
    .ok()??;
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(&sub, 0, &mut warnings)?;
    let faithful = chars.iter().all(|&c| {
        let old = face.glyph(c).and_then(|g| face.parsed.glyph_widths.get(&g));
        let new = parsed.lookup_glyph_index(u32::from(c)).filter(|&g| g != 0).and_then(|g| parsed.glyph_widths.get(&g));
        old.is_some() && old == new
    });
    faithful.then_some(parsed)
}
