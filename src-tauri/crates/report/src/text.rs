//! Making arbitrary strings safe to print, and wrapping them to a width.
//!
//! The report is evidence, so what it shows must be what the log holds: a character is either drawn with
//! its own glyph or replaced by a visible `[U+XXXX]` marker. Nothing is dropped silently. Characters that
//! would change how the rest of the line reads (control characters, bidi overrides and isolates, zero-width
//! and other invisible format characters) are always replaced, even if the font has a glyph for them: an
//! agent-supplied name must not be able to reorder or hide the text around it.

use std::fmt::Write as _;

use crate::fonts::FontFace;

/// Longest field printed in full. Beyond this the rest is cut with a visible note: the full value is in
/// the pack itself, and one pathological field must not turn into thousands of pages.
pub(crate) const MAX_FIELD_CHARS: usize = 20_000;

/// Characters replaced even when the font can draw them: they are invisible or change the reading order.
fn is_disruptive(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen (invisible unless at a break)
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // Arabic letter mark
        | '\u{115F}' | '\u{1160}'   // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels (invisible)
        | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors and vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}'   // line and paragraph separators
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{206F}'   // bidi isolates, deprecated format characters
        | '\u{3164}'                // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'   // variation selectors
        | '\u{FEFF}'                // zero-width no-break space / BOM
        | '\u{FFA0}'                // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation controls
        | '\u{E0000}'..='\u{E0FFF}' // tags and supplementary variation selectors
    ) || c.is_control()
}

fn push_marker(out: &mut String, c: char) {
    // Infallible: writing to a String cannot fail.
    let _ = write!(out, "[U+{:04X}]", u32::from(c));
}

/// `s` with every character the face cannot draw, and every disruptive one, replaced by `[U+XXXX]`.
/// With `keep_newlines`, `\n` and `\r\n` stay as line breaks (the wrapper turns them into new lines);
/// otherwise they are markers too. Fields longer than [`MAX_FIELD_CHARS`] are cut with a visible note.
pub(crate) fn clean(s: &str, face: &FontFace, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut n = 0usize;
    while let Some(c) = chars.next() {
        n += 1;
        if n > MAX_FIELD_CHARS {
            let rest = 1 + chars.count();
            let _ = write!(out, " [… {rest} more characters not shown here; the full value is in the pack]");
            break;
        }
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\r' if keep_newlines && chars.peek() == Some(&'\n') => {}
            ' ' => out.push(' '),
            c if is_disruptive(c) || !face.has(c) => push_marker(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// `s` for the PDF's metadata (title, subject), which viewers show in window titles and file dialogs: no
/// font is involved, but disruptive characters are still replaced, and the length is capped.
pub(crate) fn clean_meta(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(200) {
        if is_disruptive(c) {
            push_marker(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Length in bytes of a `[U+XXXX]` marker at the start of `s` (4 to 6 upper-case hex digits), if any.
/// Markers are kept whole when a long word is broken, so they stay recognisable.
fn marker_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("[U+")?;
    let hex = rest.bytes().take_while(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')).count();
    ((4..=6).contains(&hex) && rest.as_bytes().get(hex) == Some(&b']')).then_some(3 + hex + 1)
}

/// Wraps already-[`clean`]ed text to `max_width` points. Breaks at spaces; a word wider than the line (a
/// hash, base64, an id) is broken between characters so nothing runs past the column. `\n` starts a new
/// line. Always returns at least one line.
pub(crate) fn wrap(text: &str, face: &FontFace, size: f32, max_width: f32) -> Vec<String> {
    let max_width = max_width.max(size); // a column narrower than one em still gets one glyph a line
    let space = face.char_width(' ', size);
    let mut lines = Vec::new();
    for hard in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0f32;
        for word in hard.split(' ').filter(|w| !w.is_empty()) {
            let w = face.width(word, size);
            if !line.is_empty() && line_w + space + w <= max_width {
                line.push(' ');
                line.push_str(word);
                line_w += space + w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if w <= max_width {
                line.push_str(word);
                line_w = w;
            } else {
                line_w = break_word(word, face, size, max_width, &mut lines, &mut line);
            }
        }
        lines.push(line);
    }
    lines
}

/// Breaks one over-long word into full lines pushed to `lines`; the remainder is left in `line` (empty on
/// entry) and its width returned.
fn break_word(
    word: &str,
    face: &FontFace,
    size: f32,
    max_width: f32,
    lines: &mut Vec<String>,
    line: &mut String,
) -> f32 {
    let mut w = 0.0f32;
    let mut i = 0;
    while i < word.len() {
        let rest = &word[i..];
        // An atom is a whole marker when it fits on a line, otherwise one character.
        let (len, aw) = match marker_len(rest) {
            Some(len) if face.width(&rest[..len], size) <= max_width => (len, face.width(&rest[..len], size)),
            _ => {
                let c = rest.chars().next().unwrap_or(' ');
                (c.len_utf8(), face.char_width(c, size))
            }
        };
        if !line.is_empty() && w + aw > max_width {
            lines.push(std::mem::take(line));
            w = 0.0;
        }
        line.push_str(&rest[..len]);
        w += aw;
        i += len;
    }
    w
}

/// Cuts `text` (one line, already clean) to fit `max_width`, ending in "…" if anything was cut.
pub(crate) fn ellipsize(text: &str, face: &FontFace, size: f32, max_width: f32) -> String {
    if face.width(text, size) <= max_width {
        return text.to_owned();
    }
    let budget = max_width - face.char_width('…', size);
    let mut out = String::new();
    let mut w = 0.0f32;
    for c in text.chars() {
        let cw = face.char_width(c, size);
        if w + cw > budget {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::Fonts;

    fn face() -> &'static FontFace {
        &Fonts::get().expect("fonts").regular
    }

    #[test]
    fn covered_scripts_pass_through() {
        for s in ["Zoë Ångström", "Дмитрий Иванов", "Αλέξανδρος", "naïve café — “quotes”"]
        {
            assert_eq!(clean(s, face(), false), s);
        }
    }

    #[test]
    fn uncovered_and_disruptive_chars_become_markers() {
        assert_eq!(clean("a中b", face(), false), "a[U+4E2D]b");
        assert_eq!(clean("🚀🦀", face(), false), "[U+1F680][U+1F980]");
        assert_eq!(clean("abc\u{202E}fdp.exe", face(), false), "abc[U+202E]fdp.exe");
        assert_eq!(clean("x\u{2066}y\u{2069}", face(), false), "x[U+2066]y[U+2069]");
        assert_eq!(clean("tab\there", face(), false), "tab[U+0009]here");
        assert_eq!(clean("a\u{200B}b", face(), false), "a[U+200B]b");
        assert_eq!(clean("bell\u{7}", face(), false), "bell[U+0007]");
    }

    #[test]
    fn metadata_is_cleaned_but_not_font_checked() {
        assert_eq!(clean_meta("中\u{202E}x\n"), "中[U+202E]x[U+000A]");
        assert_eq!(clean_meta(&"y".repeat(500)).len(), 200);
    }

    #[test]
    fn newlines_are_breaks_or_markers() {
        assert_eq!(clean("a\r\nb\nc", face(), true), "a\nb\nc");
        assert_eq!(clean("a\nb", face(), false), "a[U+000A]b");
        assert_eq!(clean("a\rb", face(), true), "a[U+000D]b");
    }

    #[test]
    fn huge_fields_are_cut_visibly() {
        let s = "x".repeat(MAX_FIELD_CHARS + 5);
        let out = clean(&s, face(), false);
        assert!(out.starts_with(&"x".repeat(MAX_FIELD_CHARS)));
        assert!(out.contains("5 more characters not shown"));
    }

    #[test]
    fn wrapping_keeps_every_character_and_fits() {
        let f = face();
        let hash = "0123456789abcdef".repeat(8);
        let text = format!("root {hash} and a [U+4E2D][U+4E2D] marker pair and some more words");
        let lines = wrap(&text, f, 9.0, 120.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(f.width(l, 9.0) <= 120.0 + 0.01, "{l} too wide");
        }
        let joined: String = lines.concat();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
        // Markers are never split across lines.
        for l in &lines {
            assert_eq!(l.matches('[').count(), l.matches(']').count(), "{l}");
        }
    }

    #[test]
    fn wrapping_edge_cases() {
        let f = face();
        assert_eq!(wrap("", f, 9.0, 100.0), vec![String::new()]);
        assert_eq!(wrap("a\n\nb", f, 9.0, 100.0), vec!["a", "", "b"]);
        // Zero or negative widths still terminate and make progress.
        assert!(!wrap("abcdef", f, 9.0, 0.0).is_empty());
        assert!(!wrap("abcdef", f, 9.0, -5.0).is_empty());
    }

    #[test]
    fn ellipsize_fits() {
        let f = face();
        let s = ellipsize(&"w".repeat(500), f, 8.0, 100.0);
        assert!(s.ends_with('…'));
        assert!(f.width(&s, 8.0) <= 100.0);
    }
}
