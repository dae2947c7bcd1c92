use super::*;

fn words(s: &str) -> Vec<Vec<String>> {
    parse(&Src::top(s), 0).simples().iter().map(|c| c.words.iter().map(|w| w.text.clone()).collect()).collect()
}

fn check(input: &str, expect: &[&[&str]]) {
    let got = words(input);
    let want: Vec<Vec<String>> = expect.iter().map(|c| c.iter().map(|s| (*s).to_owned()).collect()).collect();
    assert_eq!(got, want, "input: {input}");
}

#[test]
fn splits_lists_pipelines_and_quotes() {
    check("echo 'a b' \"c $d\" e\\ f", &[&["echo", "a b", "c $d", "e f"]]);
    check("a && b || c; d & e | f", &[&["a"], &["b"], &["c"], &["d"], &["e"], &["f"]]);
    check("X=1 env Y=2 cmd", &[&["env", "Y=2", "cmd"]]);
    check("( a; b ) | { c; }", &[&["a"], &["b"], &["c"]]);
    check("cat <<EOF\nrm -rf /\nEOF\necho hi", &[&["cat"], &["echo", "hi"]]);
    check("f() { f | f & }; f", &[&["f"], &["f"], &["f"]]);
    check("echo $'a\\x41b'", &[&["echo", "aAb"]]);
    check("a #comment\nb", &[&["a"], &["b"]]);
}

#[test]
fn redirections_and_substitutions() {
    let s = parse(&Src::top("cat < in 2>&1 >> out $(id -u) `whoami` <(curl x)"), 0);
    let c = s.simples();
    let c = c.first().copied().unwrap();
    assert_eq!(c.redirs.len(), 3);
    assert_eq!(c.redirs[0].op, RedirOp::In);
    assert_eq!(c.redirs[1].fd, Some(2));
    assert_eq!(c.redirs[2].op, RedirOp::Append);
    let subs: usize = c.words.iter().map(|w| w.subs.len()).sum();
    assert_eq!(subs, 3);
    assert!(c.words[3].process_sub);
}

#[test]
fn maps_offsets_back_through_quotes() {
    let input = "bash -c 'rm -rf /tmp/x'";
    let s = parse(&Src::top(input), 0);
    let c = s.simples();
    let w = &c[0].words[2];
    assert_eq!(w.text, "rm -rf /tmp/x");
    let inner = parse(&w.as_src(), 1);
    let ic = inner.simples();
    let target = &ic[0].words[2];
    assert_eq!(&input[target.span.start..target.span.end], "/tmp/x");
}

#[test]
fn survives_unbalanced_input() {
    for s in ["$(", "`", "'", "\"", "((((((", "{ { {", ")))", "<<", "a <<E\nb", "$'\\x", "${", "2>"] {
        let _ = parse(&Src::top(s), 0);
    }
    let deep = "(".repeat(10_000);
    let _ = parse(&Src::top(&deep), 0);
    let deep = "$(".repeat(5_000);
    let _ = parse(&Src::top(&deep), 0);
}
