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
    /// Counted with the digits' runs (see [`Shape::digit_runs`]).
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
const WORD: u8 = 1 << 7; // ASCII letter, digit or `_` (a `\b` on one side)

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
        if b.is_ascii_alphanumeric() || b == b'_' {
            c |= WORD;
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

/// Each byte's share of the counts, one 8-bit lane a count: the counts of a block of at most 255 bytes are
/// the sum of its bytes' entries (one load and one add a byte, whatever the byte).
const DIGIT_LANE: u32 = 0;
const UPPER_LANE: u32 = 8;
const DOT_LANE: u32 = 16;
const COLON_LANE: u32 = 24;
const EQUALS_LANE: u32 = 32;
const UNDERSCORE_LANE: u32 = 40;
const PLUS_LANE: u32 = 48;
const AT_LANE: u32 = 56;

#[allow(clippy::indexing_slicing)] // `i` < 256, the table's length, and a bad index fails the build (const)
static COUNTS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let (b, c) = (i as u8, CLASSES[i]);
        t[i] = ((c & DIGIT != 0) as u64) << DIGIT_LANE
            | ((c & UPPER != 0) as u64) << UPPER_LANE
            | ((c & DOT != 0) as u64) << DOT_LANE
            | ((c & COLON != 0) as u64) << COLON_LANE
            | ((b == b'=') as u64) << EQUALS_LANE
            | ((b == b'_') as u64) << UNDERSCORE_LANE
            | ((b == b'+') as u64) << PLUS_LANE
            | ((b == b'@') as u64) << AT_LANE;
        i += 1;
    }
    t
};

/// The bigrams each byte starts and ends: a pair of bytes is a bigram `X` exactly when the first starts `X`
/// and the second ends it (each bit is one bigram), so the pair's bigrams are `FIRST[a] & SECOND[b]`.
static FIRST: [u16; 256] = bigram_table(0);
static SECOND: [u16; 256] = bigram_table(1);

#[allow(clippy::indexing_slicing)] // constant indices within the arrays' lengths (const: a bad one fails the build)
const fn bigram_table(side: usize) -> [u16; 256] {
    const BIGRAMS: [([u8; 2], u16); 11] = [
        (*b"ey", EY),
        (*b"gh", GH),
        (*b"gi", GI),
        (*b"xo", XO),
        (*b"_l", UNDERSCORE_L),
        (*b"sk", SK),
        (*b"AK", AK),
        (*b"AS", AS),
        (*b"AI", AI),
        (*b":/", COLON_SLASH),
        (*b"_i", UNDERSCORE_I),
    ];
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < BIGRAMS.len() {
        let (pair, bit) = BIGRAMS[i];
        t[pair[side] as usize] |= bit;
        i += 1;
    }
    t
}

/// `table[b]`, for tables indexed by every byte (the compiler drops the check).
fn entry<T: Copy + Default>(table: &[T; 256], b: u8) -> T {
    table.get(usize::from(b)).copied().unwrap_or_default()
}

/// Most bytes of class `counted` in a run of bytes of class `within`.
fn longest(bytes: &[u8], within: u8, counted: u8) -> usize {
    let (mut run, mut most) = (0usize, 0usize);
    for &b in bytes {
        let c = entry(&CLASSES, b);
        run = if c & within != 0 { run + usize::from(c & counted != 0) } else { 0 };
        most = most.max(run);
    }
    most
}

impl Shape {
    /// Counts, bigrams and pairs first, in a loop without branches; a run only when the counts leave room for
    /// one long enough to matter (most strings of an event hold too few digits, dots and colons).
    pub(super) fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut s = Shape::default();
        // The previous byte, and the classes of the two before this one (0: none, which is no word byte).
        let (mut prev, mut prev_class, mut before_prev_class) = (0u8, 0u8, 0u8);
        let mut pairs = 0u8;
        for block in bytes.chunks(255) {
            let mut lanes = 0u64;
            for &b in block {
                let c = entry(&CLASSES, b);
                lanes += entry(&COUNTS, b);
                s.bigrams |= entry(&FIRST, prev) & entry(&SECOND, b);
                // Two capitals after a non-word byte, or two colons: WORD is bit 7, UPPER bit 1.
                let after_boundary = (!before_prev_class & WORD) >> 6;
                pairs |= c & prev_class & (COLON | after_boundary);
                (prev, before_prev_class, prev_class) = (b, prev_class, c);
            }
            let lane = |shift: u32| usize::from((lanes >> shift) as u8);
            s.digits += lane(DIGIT_LANE);
            s.upper += lane(UPPER_LANE);
            s.dots += lane(DOT_LANE);
            s.colons += lane(COLON_LANE);
            s.equals += lane(EQUALS_LANE);
            s.underscores += lane(UNDERSCORE_LANE);
            s.plus |= lane(PLUS_LANE) > 0;
            s.at |= lane(AT_LANE) > 0;
        }
        s.upper_pair = pairs & UPPER != 0;
        s.double_colon = pairs & COLON != 0;
        // Cards and SSNs need nine digits, phone numbers eight; dotted quads three dots; eight IPv6 groups
        // seven colons. Each run is counted only then (it reads as 0 otherwise, which no check passes).
        if s.digits >= 8 {
            s.digit_runs(bytes);
        }
        if s.dots >= 3 {
            s.dotted_run = longest(bytes, DIGIT | DOT, DOT);
        }
        if s.colons >= 7 {
            s.hex_colon_run = longest(bytes, HEX | COLON, COLON);
        }
        s
    }

    /// `card_run`, `phone_run`, and `dashes` (which only SSNs read, after nine digits).
    fn digit_runs(&mut self, bytes: &[u8]) {
        let (mut card, mut phone) = (0usize, 0usize);
        let mut after_separator = false;
        for &b in bytes {
            let c = entry(&CLASSES, b);
            self.dashes += usize::from(b == b'-');
            // Cards: digits with at most one space or dash between two of them.
            if c & DIGIT != 0 {
                card += 1;
                after_separator = false;
            } else if c & CARD_SEP != 0 && card > 0 && !after_separator {
                after_separator = true;
            } else {
                (card, after_separator) = (0, false);
            }
            self.card_run = self.card_run.max(card);
            phone = if c & PHONE != 0 { phone + usize::from(c & DIGIT != 0) } else { 0 };
            self.phone_run = self.phone_run.max(phone);
        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)] // a byte indexes a 256-entry table
    use super::*;
    use proptest::prelude::*;

    fn is_word_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_'
    }

    /// `Shape::of` as it was before it counted first: one loop, every field of every text, bigrams by `match`.
    fn reference(text: &str) -> Shape {
        let mut s = Shape::default();
        let (mut phone, mut dotted, mut hex, mut card) = (0usize, 0usize, 0usize, 0usize);
        let mut after_separator = false;
        let (mut before_prev, mut prev, mut prev_class) = (0u8, 0u8, 0u8);
        for &b in text.as_bytes() {
            let c = CLASSES[usize::from(b)];
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

    /// What the detectors see of a shape.
    fn verdicts(s: &Shape) -> [bool; 17] {
        [
            s.may_hold_private_key(),
            s.may_hold_email(),
            s.may_hold_jwt(),
            s.may_hold_url_password(),
            s.may_hold_token(),
            s.may_hold_aws_key(),
            s.may_hold_gcp_key_id(),
            s.may_hold_azure_key(),
            s.may_hold_aws_secret(),
            s.may_hold_google_api_key(),
            s.may_hold_iban(),
            s.may_hold_card(),
            s.may_hold_ssn(),
            s.may_hold_nino(),
            s.may_hold_ipv4(),
            s.may_hold_ipv6(),
            s.may_hold_phone(),
        ]
    }

    #[test]
    fn skipping_the_runs_changes_no_verdict() {
        let texts = [
            "2026-12-02T09:01:02.123456Z",
            "sevt_01ABCDEFGHJKMNPQRSTVWXYZ",
            "call +44 20 7946 0958 now",
            "card 4111 1111 1111 1111",
            "ssn 078-05-1120",
            "GB82WEST12345698765432",
            "QQ 12 34 56 C",
            "10.0.0.1",
            "fe80::1",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abc",
            "x@example.org",
            "AccountKey=abc",
            "aws_secret_access_key = x",
            "https://u:p@host",
            &"9".repeat(300),
            &format!("{}::{}", "a".repeat(254), "b"),
            "héllo wörld",
            "xAB12",
            " AB12",
            "_AB12 QQ123456C",
            "éAB12",
            "AB12",
            // Pairs and runs across the 255-byte blocks the counts are summed in.
            &format!("{} AB12", "1".repeat(253)),
            &format!("{}::1", "a".repeat(254)),
            &format!("{}+44 20 7946 0958", "-".repeat(250)),
            // At the gates: eight digits (a phone number after a plus), three dots.
            "+12345678",
            "call +1234 5678",
            "1.2.3",
        ];
        for text in texts {
            assert_eq!(verdicts(&Shape::of(text)), verdicts(&reference(text)), "{text:?}");
            assert_same_counts(text);
        }
        // A sample the runs must be computed for, and one they need not be.
        assert!(Shape::of("card 4111 1111 1111 1111").may_hold_card());
        // Seven digits in a row: a run no check needs, so it is not counted (the reference counts it).
        assert_eq!((Shape::of("call 5551234").card_run, reference("call 5551234").card_run), (0, 7));
    }

    /// The fields always counted, as the reference counts them.
    type Counts = (usize, usize, usize, usize, usize, usize, bool, bool, bool, bool, u16);

    fn counts(s: &Shape) -> Counts {
        let (d, u, dots, c, e, us) = (s.digits, s.upper, s.dots, s.colons, s.equals, s.underscores);
        (d, u, dots, c, e, us, s.plus, s.at, s.upper_pair, s.double_colon, s.bigrams)
    }

    /// The runs `s` computed where `gates` (the reference's counts) open them; `None` where they are skipped.
    /// Card and phone runs with dashes, the dotted run, the hex-colon run.
    type Runs = (Option<(usize, usize, usize)>, Option<usize>, Option<usize>);

    fn gated(s: &Shape, gates: &Shape) -> Runs {
        (
            (gates.digits >= 8).then_some((s.card_run, s.phone_run, s.dashes)),
            (gates.dots >= 3).then_some(s.dotted_run),
            (gates.colons >= 7).then_some(s.hex_colon_run),
        )
    }

    fn assert_same_counts(text: &str) {
        let (shape, reference) = (Shape::of(text), reference(text));
        assert_eq!(counts(&shape), counts(&reference), "{text:?}");
        assert_eq!(gated(&shape, &reference), gated(&reference, &reference), "{text:?}");
    }

    /// Counts are summed from 8-bit lanes a block at a time: texts of one counted character around and past a
    /// block's length count every byte (a lane that carried into the next would not).
    #[test]
    fn long_runs_of_one_class_count_every_byte() {
        for c in ["9", "A", ".", ":", "=", "_", "+", "@", "é", "-"] {
            for n in (250..=260).chain([510, 511, 512, 513, 1000, 4096]) {
                assert_same_counts(&c.repeat(n));
            }
        }
        assert_eq!(Shape::of(&"9".repeat(256)).digits, 256);
        assert!(Shape::of(&"9".repeat(256)).may_hold_card());
    }

    proptest! {
        #[test]
        fn counts_first_agrees_with_one_loop(
            text in "[0-9A-Za-z .:\\-+@=_/()éü]{0,300}|[ -~]{0,40}|[9A.:=_+@é -]{250,600}"
        ) {
            prop_assert_eq!(verdicts(&Shape::of(&text)), verdicts(&reference(&text)));
            assert_same_counts(&text);
        }
    }
}
