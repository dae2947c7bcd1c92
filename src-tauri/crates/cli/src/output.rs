//! How every command writes for people: control characters in data escaped (so a tenant, session id or
//! record value cannot draw fake lines or move the cursor), plurals and ranges as people write them, errors
//! on one line with each cause once, and a closed pipe (`| head`) ending the program quietly.

use std::borrow::Cow;
use std::io::Write as _;

/// Prints a line to standard output; see [`write_stdout`].
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*)), 0) };
}
pub(crate) use say;

/// Writes `text` to standard output. If the reader has gone away (`vargate timeline … | head`), the program
/// ends at once, quietly, with `status_if_closed`, as command-line tools do when their pipe closes.
pub fn write_stdout(text: &str, status_if_closed: i32) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(status_if_closed);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// Text from data (tenant and session names, record values, proof-file contents) made safe to print on a
/// terminal: control characters, bidirectional overrides and other invisible format characters become
/// visible escapes (`\n`, `\u001b`, `\u202e`), and a backslash is doubled so that escapes stay unambiguous.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// "1 record", "2 records".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An inclusive range as people write it: "7", "0–55".
pub fn range(first: u64, last: u64) -> String {
    if first == last { first.to_string() } else { format!("{first}–{last}") }
}

/// An error and its causes on one line, each cause once: libraries often repeat their cause's text in their
/// own message, which a plain chain would print again.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    safe(&line.replace('\n', " ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(safe("plain ü ✓"), "plain ü ✓");
        assert_eq!(safe("a\nPASS  x"), "a\\nPASS  x");
        assert_eq!(safe("\u{1b}[2K\u{1b}[1A"), "\\u001b[2K\\u001b[1A");
        assert_eq!(safe("evil\u{202e}txt"), "evil\\u202etxt");
        assert_eq!(safe("c:\\n"), "c:\\\\n");
        assert_eq!(safe("\u{85}\u{7f}"), "\\u0085\\u007f");
    }

    #[test]
    fn plurals_ranges_and_causes() {
        assert_eq!(count(1, "record", "records"), "1 record");
        assert_eq!(count(0, "record", "records"), "0 records");
        assert_eq!(range(3, 3), "3");
        assert_eq!(range(0, 55), "0–55");
        let e = anyhow::anyhow!("D-Bus error: no such name")
            .context("keychain unavailable: D-Bus error: no such name")
            .context("opening the keychain");
        assert_eq!(one_line(&e), "opening the keychain: keychain unavailable: D-Bus error: no such name");
    }
}
