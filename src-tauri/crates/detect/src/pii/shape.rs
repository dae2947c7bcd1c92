//! What a text must contain before a detector can match in it, found in one pass over its bytes.
//!
//! Nearly every string of an event (types, ids, timestamps, prose) holds no candidate at all, and running
//! fourteen patterns over each is most of the cost of scanning an event. A detector whose prerequisites are
//! missing would find nothing, so it is skipped: this changes speed, never results (`scan_text_exhaustive`,
//! which skips nothing, is compared with `scan_text` in the tests and the fuzz target).
//!
//! Every prerequisite is a necessary condition of the detector's pattern *and* validator, counted
//! generously: the patterns' `\d` is Unicode-aware, so every non-ASCII byte counts as a digit (and as a hex
//! digit), which can only make a check pass more often.

/// Counts and runs of the characters the detectors' patterns require.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Shape {
    digits: usize,
    upper: usize,
    dots: usize,
    dashes: usize,
    /// Two ASCII upper-case letters in a row after a word boundary (`\b[A-Z]{2}` of IBANs and NI numbers):
    /// not after an ASCII letter, digit or `_` (a non-ASCII character might be a boundary).
    upper_pair: bool,
    /// Most digits in a run where digits are apart by at most one space or dash (cards, SSNs).
    card_run: usize,
    /// Most digits in a run of digits, spaces, `+().-` (phone numbers).
    phone_run: usize,
    plus: bool,
    at: bool,
    /// Most dots in a run of digits and dots (dotted quads).
    dotted_run: usize,
    /// Most colons in a run of hex digits and colons, and whether `::` occurs (IPv6 addresses).
    hex_colon_run: usize,
    double_colon: bool,
    colons: usize,
    equals: usize,
    underscores: usize,
    /// Two-byte anchors of the literal parts of the secret patterns, one bit each (`EY` …).
    bigrams: u16,
}

/// Bigrams that anchor literal parts of the patterns, one bit each: a pattern whose anchor is absent cannot
/// match.
const EY: u16 = 1;
const GH: u16 = 1 << 1;
const GI: u16 = 1 << 2;
const XO: u16 = 1 << 3;
const UNDERSCORE_L: u16 = 1 << 4;
const SK: u16 = 1 << 5;
const AK: u16 = 1 << 6;
const AS: u16 = 1 << 7;
const AI: u16 = 1 << 8;
const COLON_SLASH: u16 = 1 << 9;
const UNDERSCORE_I: u16 = 1 << 10;

/// Byte classes, one bit each, looked up in `CLASSES` (a table: this loop runs over every byte of every
/// recorded event).
const DIGIT: u8 = 1; // ASCII digit or any non-ASCII byte
const UPPER: u8 = 1 << 1;
const HEX: u8 = 1 << 2; // DIGIT or a–f, A–F
const CARD_SEP: u8 = 1 << 3; // ' ' '-'
const PHONE: u8 = 1 << 4; // DIGIT or ' ' '(' ')' '.' '-' '+'
const DOT: u8 = 1 << 5;
const COLON: u8 = 1 << 6;

#[allow(clippy::indexing_slicing)] // `i` < 256, the table's length, and a bad index fails the build (const)
static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_digit() || b >= 0x80 {
            c |= DIGIT | HEX | PHONE;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        if b.is_ascii_hexdigit() {
            c |= HEX;
        }
        if b == b' ' || b == b'-' {
            c |= CARD_SEP;
        }
        if matches!(b, b' ' | b'(' | b')' | b'.' | b'-' | b'+') {
            c |= PHONE;
        }
        if b == b'.' {
            c |= DOT;
        }
        if b == b':' {
            c |= COLON;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// A short run of lower-case letters, `_` and `.` (member names, event types): nothing can match in one. Every
/// pattern needs a digit, a capital or punctuation other than these, except API tokens (40, 33 or 24
/// characters at least) and JWTs (20 at least).
pub(super) fn is_short_identifier(text: &str) -> bool {
    text.len() < 20 && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Shape {
    pub(super) fn of(text: &str) -> Self {
        let mut s = Shape::default();
        let (mut phone, mut dotted, mut hex, mut card) = (0usize, 0usize, 0usize, 0usize);
        let mut after_separator = false;
        let (mut before_prev, mut prev, mut prev_class) = (0u8, 0u8, 0u8);
        for &b in text.as_bytes() {
            let c = CLASSES.get(usize::from(b)).copied().unwrap_or(DIGIT);
            let is = |bit: u8| usize::from(c & bit != 0);
            s.digits += is(DIGIT);
            s.upper += is(UPPER);
            s.dots += is(DOT);
            s.colons += is(COLON);
            s.dashes += usize::from(b == b'-');
            s.equals += usize::from(b == b'=');
            s.underscores += usize::from(b == b'_');
            s.plus |= b == b'+';
            s.at |= b == b'@';
            s.upper_pair |= c & prev_class & UPPER != 0 && !is_word_byte(before_prev);
            s.double_colon |= c & prev_class & COLON != 0;
            // Cards: digits with at most one space or dash between two of them.
            if c & DIGIT != 0 {
                card += 1;
                after_separator = false;
            } else if c & CARD_SEP != 0 && card > 0 && !after_separator {
                after_separator = true;
            } else {
                (card, after_separator) = (0, false);
            }
            s.card_run = s.card_run.max(card);
            phone = if c & PHONE != 0 { phone + is(DIGIT) } else { 0 };
            s.phone_run = s.phone_run.max(phone);
            dotted = if c & (DIGIT | DOT) != 0 { dotted + is(DOT) } else { 0 };
            s.dotted_run = s.dotted_run.max(dotted);
            hex = if c & (HEX | COLON) != 0 { hex + is(COLON) } else { 0 };
            s.hex_colon_run = s.hex_colon_run.max(hex);
            if prev.is_ascii_alphabetic() || prev == b'_' || prev == b':' {
                s.bigrams |= match [prev, b] {
                    [b'e', b'y'] => EY,
                    [b'g', b'h'] => GH,
                    [b'g', b'i'] => GI,
                    [b'x', b'o'] => XO,
                    [b'_', b'l'] => UNDERSCORE_L,
                    [b's', b'k'] => SK,
                    [b'A', b'K'] => AK,
                    [b'A', b'S'] => AS,
                    [b'A', b'I'] => AI,
                    [b':', b'/'] => COLON_SLASH,
                    [b'_', b'i'] => UNDERSCORE_I,
                    _ => 0,
                };
            }
            (before_prev, prev, prev_class) = (prev, b, c);
        }
        s
    }

    fn has(&self, bigrams: u16) -> bool {
        self.bigrams & bigrams != 0
    }

    /// `-----BEGIN … PRIVATE KEY-----`: eleven capitals at least.
    pub(super) fn may_hold_private_key(&self) -> bool {
        self.upper >= 10
    }

    /// `@` (checked again, cheaply, by the detector itself).
    pub(super) fn may_hold_email(&self) -> bool {
        self.at
    }

    /// `\bey…\.…\.`
    pub(super) fn may_hold_jwt(&self) -> bool {
        self.dots >= 2 && self.has(EY)
    }

    /// `scheme://`
    pub(super) fn may_hold_url_password(&self) -> bool {
        self.has(COLON_SLASH)
    }

    /// `gh[pousr]_`, `github_pat_`, `xox[abprs]-`, `(sk|rk)_live_`, `sk-`.
    pub(super) fn may_hold_token(&self) -> bool {
        self.has(GH | GI | XO | UNDERSCORE_L | SK)
    }

    /// `AKIA` or `ASIA` and sixteen more capitals or digits.
    pub(super) fn may_hold_aws_key(&self) -> bool {
        self.upper >= 4 && self.has(AK | AS)
    }

    /// `private_key_id": "…"`
    pub(super) fn may_hold_gcp_key_id(&self) -> bool {
        self.colons > 0 && self.has(UNDERSCORE_I)
    }

    /// `AccountKey=…` (the key word matches case-insensitively, Unicode folds included: only the `=` is sure).
    pub(super) fn may_hold_azure_key(&self) -> bool {
        self.equals > 0
    }

    /// `aws_secret_access_key = …` (case-insensitive; its three underscores have no case).
    pub(super) fn may_hold_aws_secret(&self) -> bool {
        self.colons + self.equals > 0 && self.underscores >= 3
    }

    /// `AIza…`
    pub(super) fn may_hold_google_api_key(&self) -> bool {
        self.has(AI)
    }

    /// `\b[A-Z]{2}\d{2}`
    pub(super) fn may_hold_iban(&self) -> bool {
        self.upper_pair && self.digits >= 2
    }

    /// Thirteen digits at least, apart by single spaces or dashes.
    pub(super) fn may_hold_card(&self) -> bool {
        self.card_run >= 13
    }

    /// `\d{3}-\d{2}-\d{4}`
    pub(super) fn may_hold_ssn(&self) -> bool {
        self.card_run >= 9 && self.dashes >= 2
    }

    /// `\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]`
    pub(super) fn may_hold_nino(&self) -> bool {
        self.upper_pair && self.upper >= 3 && self.digits >= 6
    }

    /// `\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`
    pub(super) fn may_hold_ipv4(&self) -> bool {
        self.dotted_run >= 3
    }

    /// What `Ipv6Addr` parses: eight groups (seven colons in a row of hex and colons), or `::`.
    pub(super) fn may_hold_ipv6(&self) -> bool {
        self.double_colon || self.hex_colon_run >= 7
    }

    /// A phone number is accepted with eight digits at least after a `+`, nine without.
    pub(super) fn may_hold_phone(&self) -> bool {
        self.phone_run >= 9 || (self.plus && self.phone_run >= 8)
    }
}
