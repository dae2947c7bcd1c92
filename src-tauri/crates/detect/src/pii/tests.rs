use super::network::*;
use super::numbers::*;
use super::secrets::*;
use super::*;
use serde_json::json;

/// `expect` lists `(kind, matched text)` in order.
fn check(input: &str, expect: &[(PiiKind, &str)]) {
    let got: Vec<(PiiKind, &str)> = scan_text(input).iter().map(|s| (s.kind, &input[s.start..s.end])).collect();
    assert_eq!(got, expect, "input: {input}");
}

use PiiKind::*;

#[test]
fn all_regexes_compile() {
    for r in [
        &EMAIL,
        &PHONE,
        &CARD,
        &IBAN_START,
        &SSN,
        &NINO,
        &IPV4,
        &IPV6,
        &AWS_KEY,
        &GCP_KEY_ID,
        &GOOGLE_API_KEY,
        &AZURE_KEY,
        &AWS_SECRET,
        &TOKEN,
        &PRIVATE_KEY,
        &PRIVATE_KEY_OPEN,
        &JWT,
        &PASSWORD_URL,
        &IBAN_TAIL,
    ] {
        assert!(r.is_some());
    }
}

#[test]
fn cards() {
    check("pay 4111 1111 1111 1111 now", &[(PaymentCard, "4111 1111 1111 1111")]);
    check("pay 4111-1111-1111-1111.", &[(PaymentCard, "4111-1111-1111-1111")]);
    check("amex 378282246310005", &[(PaymentCard, "378282246310005")]);
    check("bad 4111 1111 1111 1112", &[]);
    check("mixed 4111-1111 1111-1111", &[]);
    check("id 41111111111111110000", &[]);
    check("unknown issuer 9111111111111111", &[]);
}

#[test]
fn ibans() {
    check("to DE89 3704 0044 0532 0130 00 ok", &[(Iban, "DE89 3704 0044 0532 0130 00")]);
    check("GB29NWBK60161331926819", &[(Iban, "GB29NWBK60161331926819")]);
    check("GB29NWBK60161331926818", &[]);
    check("XX29NWBK60161331926819", &[]);
}

#[test]
fn ids() {
    check("ssn 536-22-1042", &[(UsSsn, "536-22-1042")]);
    check("ssn 000-22-1042 666-22-1042 912-22-1042 536-00-1042 536-22-0000", &[]);
    check("nino AB 12 34 56 C and AB123456C", &[(UkNino, "AB 12 34 56 C"), (UkNino, "AB123456C")]);
    check("nino GB123456A QQ123456C AB12 3456C", &[]);
}

#[test]
fn network() {
    check("host 10.0.0.1 up", &[(IpAddress, "10.0.0.1")]);
    check("version 1.2.3.4 and v1.2.3.4 and 1.2.3.4.5 and 999.1.1.1", &[]);
    check("addr 2001:db8::1 and fe80::1:2:3", &[(IpAddress, "2001:db8::1"), (IpAddress, "fe80::1:2:3")]);
    check("at 12:30:45 in std::io::Result", &[]);
    check("mail a.b+c@example.co.uk.", &[(Email, "a.b+c@example.co.uk")]);
    check("logo@2x.png git@github.com:org/repo.git", &[]);
}

#[test]
fn phones() {
    check("call +44 20 7946 0958 today", &[(Phone, "+44 20 7946 0958")]);
    check("call (415) 555-0132", &[(Phone, "(415) 555-0132")]);
    check("tel 555.123.4567", &[(Phone, "555.123.4567")]);
    check("on 2024-01-15 build 20240115 id 1234567890", &[]);
    check("phone: 07911123456", &[(Phone, "07911123456")]);
    check("version 10.2.3.4567", &[]);
}

#[test]
fn secrets() {
    check("key AKIAIOSFODNN7EXAMPLE", &[(AwsAccessKey, "AKIAIOSFODNN7EXAMPLE")]);
    check("t ghp_8fK2mQ9xLp3vR7tY1wZ4cB6nD0eH5jA2sU9i", &[(ApiToken, "ghp_8fK2mQ9xLp3vR7tY1wZ4cB6nD0eH5jA2sU9i")]);
    check("sk-this-is-a-long-kebab-case-name", &[]);
    check("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl", &[(ApiToken, "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl")]);
    check("postgres://app:hunter22@db:5432/x", &[(PasswordInUrl, "hunter22")]);
    check("postgres://app:${PW}@db:5432/x", &[]);
    check(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----",
        &[(PrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----")],
    );
    check(
        "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789ABCD==;",
        &[(CloudKey, "abcdefghijklmnopqrstuvwxyz0123456789ABCD==")],
    );
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl";
    check(&format!("Bearer {jwt}"), &[(Jwt, jwt)]);
    check("eyJub3RhbGciOjF9.eyJzdWIiOiIxMjM0In0.c2ln", &[]);
}

#[test]
fn json_scan_and_redact() {
    let v = json!({"user": {"email": "a@example.com", "cards": ["4111111111111111"]}, "ok": 1, "x@example.org": true});
    let f = scan_json(&v);
    let paths: Vec<(&str, bool)> = f.iter().map(|f| (f.path.as_str(), f.in_key)).collect();
    assert_eq!(paths, [("/user/cards/0", false), ("/user/email", false), ("/x@example.org", true)]);
    let (r, f2) = redact(&v);
    assert_eq!(f2.len(), 3);
    assert_eq!(r["user"]["email"], "[REDACTED:email]");
    assert_eq!(r["user"]["cards"][0], "[REDACTED:payment_card]");
    assert!(r.get("[REDACTED:email]").is_some());
    assert!(json_has_pii(&v));
    assert!(json_has_pii(&json!({"a": {"x@example.org": 1}})), "a key alone");
    assert!(!json_has_pii(&json!({"type": "agent.message", "id": "sevt_01", "n": [1, 2, {"t": "all fine"}]})));
    assert!(!json_has_pii(&r), "the redacted copy holds nothing");
}

#[test]
fn char_offsets_count_characters() {
    let t = "é 4111111111111111";
    let s = scan_text(t);
    assert_eq!(char_offsets(t, s[0].span()), (2, 18));
}
