//! The deterministic generator of the evaluation sets: commands from the hand-written seeds (each malicious
//! one also in quoted and encoded variants) and PII texts from templates, with their expected findings.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Value, json};

use super::{dir, read};

fn seed_lines(name: &str) -> Vec<String> {
    read(&dir().join("seeds").join(name))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Generator

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_NUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn dq(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

/// Wrappings used by the malicious variants (quoting, nesting, base64, sudo, background).
fn malicious_variant(s: &str, form: usize) -> String {
    match form {
        1 => format!("bash -c {}", sq(s)),
        2 => format!("echo {} | base64 -d | bash", b64(s)),
        3 => format!("sudo sh -c {}", dq(s)),
        4 => format!("sh -c \"$(echo {} | base64 --decode)\"", b64(s)),
        5 => format!("nohup bash -c {} >/dev/null 2>&1 &", sq(s)),
        6 => format!("eval {}", dq(s)),
        _ => format!("LC_ALL=C timeout 30 bash -lc {}", sq(s)),
    }
}

fn gen_commands(seed_file: &str, benign_file: &str, id_prefix: &str) -> (String, String) {
    let mut mal = String::new();
    for (k, line) in seed_lines(seed_file).iter().enumerate() {
        let Some((label, cmd)) = line.split_once('\t') else { panic!("bad seed line: {line}") };
        let forms = [0, 1 + k % 7, 1 + (k + 2) % 7, 1 + (k + 4) % 7];
        for (v, form) in forms.iter().enumerate() {
            let command = if *form == 0 { cmd.to_owned() } else { malicious_variant(cmd, *form) };
            let rec =
                json!({"id": format!("{id_prefix}mal-{k:03}-{v}"), "command": command, "label": label, "seed": k});
            writeln!(mal, "{rec}").unwrap();
        }
    }
    let mut ben = String::new();
    for (k, cmd) in seed_lines(benign_file).iter().enumerate() {
        let variants = [
            cmd.clone(),
            format!("cd ~/src/app && {cmd}"),
            if k % 2 == 0 { format!("{cmd} 2>&1 | tail -n 20") } else { format!("bash -c {}", sq(cmd)) },
        ];
        for (v, command) in variants.iter().enumerate() {
            let rec =
                json!({"id": format!("{id_prefix}ben-{k:03}-{v}"), "command": command, "label": "benign", "seed": k});
            writeln!(ben, "{rec}").unwrap();
        }
    }
    (mal, ben)
}

/// A piece of generated text: its string and the labelled spans inside it (kind, char start, char end).
type Piece = (String, Vec<(&'static str, usize, usize)>);

fn whole(kind: &'static str, s: String) -> Piece {
    let n = s.chars().count();
    (s, vec![(kind, 0, n)])
}

fn luhn_digit(body: &str) -> char {
    let mut sum = 0;
    for (i, c) in body.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap();
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    char::from_digit((10 - sum % 10) % 10, 10).unwrap()
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    for n in sizes {
        out.push(&s[i..i + n]);
        i += n;
    }
    out.join(sep)
}

fn card(r: &mut Rng, valid: bool) -> String {
    let (prefix, len, sizes): (&str, usize, &[usize]) = *r.pick(&[
        ("4", 16, &[4, 4, 4, 4][..]),
        ("51", 16, &[4, 4, 4, 4][..]),
        ("55", 16, &[4, 4, 4, 4][..]),
        ("2221", 16, &[4, 4, 4, 4][..]),
        ("34", 15, &[4, 6, 5][..]),
        ("37", 15, &[4, 6, 5][..]),
        ("6011", 16, &[4, 4, 4, 4][..]),
        ("3530", 16, &[4, 4, 4, 4][..]),
    ]);
    let body = format!("{prefix}{}", r.digits(len - 1 - prefix.len()));
    let mut check = luhn_digit(&body);
    if !valid {
        check = char::from_digit((check.to_digit(10).unwrap() + 1 + r.below(8) as u32) % 10, 10).unwrap();
    }
    let n = format!("{body}{check}");
    match r.below(3) {
        0 => n,
        1 => group(&n, sizes, " "),
        _ => group(&n, sizes, "-"),
    }
}

fn mod97(s: &str) -> u32 {
    s.chars().fold(0u32, |acc, c| {
        let v = c.to_digit(36).unwrap();
        if v >= 10 { (acc * 100 + v) % 97 } else { (acc * 10 + v) % 97 }
    })
}

fn iban(r: &mut Rng, valid: bool) -> String {
    let (cc, bban): (&str, String) = match r.below(6) {
        0 => ("DE", r.digits(18)),
        1 => ("GB", format!("{}{}", r.chars(4, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"), r.digits(14))),
        2 => ("FR", r.digits(23)),
        3 => ("NL", format!("{}{}", r.chars(4, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"), r.digits(10))),
        4 => ("ES", r.digits(20)),
        _ => ("BE", r.digits(12)),
    };
    let check = 98 - mod97(&format!("{bban}{cc}00"));
    let check = if valid { check } else { (check + 1 + r.below(90) as u32) % 100 };
    let compact = format!("{cc}{check:02}{bban}");
    if r.below(2) == 0 {
        compact
    } else {
        compact.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ")
    }
}

fn ssn(r: &mut Rng) -> String {
    let mut area = 1 + r.below(899);
    if area == 666 {
        area = 667;
    }
    format!("{area:03}-{:02}-{:04}", 1 + r.below(99), 1 + r.below(9999))
}

fn nino(r: &mut Rng) -> String {
    let first = *r.pick(b"ABCEGHJKLMNOPRSTWXYZ");
    let mut second = *r.pick(b"ABCEGHJKLMNPRSTWXYZ");
    if [[first, second]].iter().any(|p| [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"].iter().any(|q| **q == *p)) {
        second = b'A';
    }
    let d = r.digits(6);
    let suffix = *r.pick(b"ABCD") as char;
    if r.below(2) == 0 {
        format!("{}{}{d}{suffix}", first as char, second as char)
    } else {
        format!("{}{} {} {} {} {suffix}", first as char, second as char, &d[0..2], &d[2..4], &d[4..6])
    }
}

fn email(r: &mut Rng) -> String {
    let first =
        r.pick(&["anna", "li", "j.smith", "omar", "chloe", "dev-ops", "m.garcia", "yuki", "ops+alerts", "noreply"]);
    let dom = r.pick(&["example.com", "mail.example.org", "corp.example.co.uk", "example.net", "uni.example.edu"]);
    format!("{first}{}@{dom}", r.below(100))
}

fn phone(r: &mut Rng) -> String {
    match r.below(7) {
        0 => format!("+44 20 7946 {}", r.digits(4)),
        1 => format!("+1-202-555-{}", r.digits(4)),
        2 => format!("(415) 555-{}", r.digits(4)),
        3 => format!("020 7946 {}", r.digits(4)),
        4 => format!("+49 30 {}", r.digits(7)),
        5 => format!("+33 1 {} {} {} {}", r.digits(2), r.digits(2), r.digits(2), r.digits(2)),
        _ => format!("+81 3-{}-{}", r.digits(4), r.digits(4)),
    }
}

fn jwt(r: &mut Rng) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let alg = r.pick(&["HS256", "RS256", "ES256"]);
    let h = e.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let p = e.encode(format!(r#"{{"sub":"{}","iat":{}}}"#, r.digits(6), 1_700_000_000 + r.below(1_000_000)));
    format!("{h}.{p}.{}", r.chars(43, ALNUM))
}

fn entity(r: &mut Rng) -> Piece {
    match r.below(14) {
        0 | 1 => whole("payment_card", card(r, true)),
        2 => whole("iban", iban(r, true)),
        3 => whole("us_ssn", ssn(r)),
        4 => whole("uk_nino", nino(r)),
        5 => whole("email", email(r)),
        6 => whole("phone", phone(r)),
        7 => {
            whole("ip_address", format!("{}.{}.{}.{}", 11 + r.below(180), r.below(256), r.below(256), 1 + r.below(254)))
        }
        8 => whole("aws_access_key", format!("AKIA{}", r.chars(16, UPPER_NUM))),
        9 => match r.below(4) {
            0 => whole("api_token", format!("ghp_{}", r.chars(36, ALNUM))),
            1 => whole("api_token", format!("xoxb-{}-{}-{}", r.digits(12), r.digits(13), r.chars(24, ALNUM))),
            2 => whole("api_token", format!("sk_live_{}", r.chars(24, ALNUM))),
            _ => whole("api_token", format!("sk-ant-api03-{}", r.chars(40, ALNUM))),
        },
        10 => whole("jwt", jwt(r)),
        11 => {
            let user = r.pick(&["app", "admin", "deploy", "svc"]);
            let pw = r.chars(12, ALNUM);
            let scheme = r.pick(&["postgres", "mysql", "https", "redis", "amqp"]);
            let prefix = format!("{scheme}://{user}:");
            let s = format!("{prefix}{pw}@db{}.internal:5432/app", r.below(9));
            let start = prefix.chars().count();
            (s, vec![("password_in_url", start, start + 12)])
        }
        12 => whole("cloud_key", format!("AIza{}", r.chars(35, ALNUM))),
        _ => whole(
            "private_key",
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}==\n-----END RSA PRIVATE KEY-----",
                r.chars(64, ALNUM),
                r.chars(30, ALNUM)
            ),
        ),
    }
}

/// Things that look like PII but are not.
fn negative(r: &mut Rng) -> String {
    match r.below(14) {
        0 => card(r, false),
        1 => {
            let n = 8 + r.below(6);
            format!("order #{}", r.digits(n))
        }
        2 => format!("{}-{:02}-{:02}", 2015 + r.below(12), 1 + r.below(12), 1 + r.below(28)),
        3 => format!("{:02}/{:02}/{}", 1 + r.below(28), 1 + r.below(12), 2015 + r.below(12)),
        4 => format!("version {}.{}.{}.{}", r.below(20), r.below(30), r.below(10), r.below(300)),
        5 => format!("v{}.{}.{}", r.below(10), r.below(30), r.below(10)),
        6 => format!(
            "{}-{}-{}-{}-{}",
            r.chars(8, b"0123456789abcdef"),
            r.chars(4, b"0123456789abcdef"),
            r.chars(4, b"0123456789abcdef"),
            r.chars(4, b"0123456789abcdef"),
            r.chars(12, b"0123456789abcdef")
        ),
        7 => format!("commit {}", r.chars(40, b"0123456789abcdef")),
        8 => iban(r, false),
        9 => format!("{}-{:02}-{:04}", r.pick(&["000", "666", "912", "987"]), 1 + r.below(99), 1 + r.below(9999)),
        10 => format!("{}{}", r.pick(&["GB", "BG", "QQ", "DA", "NK"]), r.digits(6)) + "A",
        11 => format!("{}:{:02}:{:02}", r.below(24), r.below(60), r.below(60)),
        12 => format!("build {}.{}.{}.{}-rc{}", r.below(5), r.below(20), r.below(10), r.below(99), r.below(9)),
        _ => format!("ticket {} took {}.{} ms", r.digits(10), r.below(100), r.below(10)),
    }
}

const TEMPLATES: &[&str] = &[
    "Please update the record with {E} before Friday.",
    "Customer wrote: my details are {E}, thanks.",
    "{E}",
    "log: user_data={E} status=ok",
    "Forwarding the details ({E}) to billing.",
    "config:\n  value: {E}\n",
    "Can you check {E} against our records?",
    "The agent printed \"{E}\" in its output.",
];

const HOLDOUT_TEMPLATES: &[&str] = &[
    "Re: account — use {E} going forward.",
    "{\"field\": \"{E}\", \"ok\": true}",
    "Row 17: {E}; flagged for review",
    "env dump -> SECRET={E}",
];

fn gen_pii(seed: u64, n: usize, templates: &[&str], hand: &str, id_prefix: &str) -> String {
    let mut r = Rng(seed);
    let mut out = String::new();
    let mut id = 0usize;
    let mut emit = |text: String, spans: Vec<(&str, usize, usize)>, out: &mut String| {
        let spans: Vec<Value> = spans.iter().map(|(k, s, e)| json!({"type": k, "start": s, "end": e})).collect();
        writeln!(out, "{}", json!({"id": format!("{id_prefix}pii-{id:04}"), "text": text, "spans": spans})).unwrap();
        id += 1;
    };
    // Hand-written texts with [[kind|value]] markup.
    for line in seed_lines(hand) {
        let mut text = String::new();
        let mut spans = Vec::new();
        let mut rest = line.as_str();
        while let Some(i) = rest.find("[[") {
            text.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let j = after.find("]]").expect("unclosed markup");
            let (kind, value) = after[..j].split_once('|').expect("kind|value");
            let start = text.chars().count();
            text.push_str(value);
            let kind: &'static str = Box::leak(kind.to_owned().into_boxed_str());
            spans.push((kind, start, text.chars().count()));
            rest = &after[j + 2..];
        }
        text.push_str(rest);
        emit(text, spans, &mut out);
    }
    for _ in 0..n {
        let mut text = String::new();
        let mut spans = Vec::new();
        // 0–2 negatives, 0–2 entities (at least one of either).
        let n_neg = r.below(3);
        let n_ent = if n_neg == 0 { 1 + r.below(2) } else { r.below(3) };
        for _ in 0..n_neg {
            text.push_str(&format!("Note {}: ", negative(&mut r)));
        }
        for _ in 0..n_ent {
            let (s, sp) = entity(&mut r);
            let t = *r.pick(templates);
            let (pre, post) = t.split_once("{E}").unwrap();
            text.push_str(pre);
            let base = text.chars().count();
            text.push_str(&s);
            text.push_str(post);
            text.push(' ');
            spans.extend(sp.into_iter().map(|(k, a, b)| (k, base + a, base + b)));
        }
        emit(text, spans, &mut out);
    }
    out
}

/// Every generated file, by path, as the committed sets should hold it.
pub fn generate() -> BTreeMap<PathBuf, String> {
    let d = dir();
    let mut files = BTreeMap::new();
    let (mal, ben) = gen_commands("malicious.tsv", "benign.txt", "");
    files.insert(d.join("commands_malicious.jsonl"), mal);
    files.insert(d.join("commands_benign.jsonl"), ben);
    files.insert(d.join("pii.jsonl"), gen_pii(0x5EED_0001, 600, TEMPLATES, "pii.txt", ""));
    let (mal, ben) = gen_commands("malicious_holdout.tsv", "benign_holdout.txt", "ho-");
    files.insert(d.join("holdout/commands_malicious.jsonl"), mal);
    files.insert(d.join("holdout/commands_benign.jsonl"), ben);
    let templates: Vec<&str> = HOLDOUT_TEMPLATES.iter().chain(TEMPLATES.iter().take(2)).copied().collect();
    files.insert(d.join("holdout/pii.jsonl"), gen_pii(0x0DD5_EED2, 150, &templates, "pii_holdout.txt", "ho-"));
    files
}
