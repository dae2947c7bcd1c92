//! `vargate detect --input FILE.jsonl`: the detectors over JSON Lines of `{"id", "command"}` or
//! `{"id", "text"}`, one JSON line out per line in (`{"id","flagged","category","score","spans"}`, offsets in
//! characters). A bad line is an error naming it; nothing else is printed for it.

use anyhow::{Context as _, Result, bail};
use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;

pub fn run(input: &Path) -> Result<()> {
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        if input.is_dir() {
            bail!("{} is a directory; give a JSON Lines file, or - for standard input", input.display());
        }
        Box::new(std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?)
    };
    let name = if input == Path::new("-") { "<stdin>".to_owned() } else { input.display().to_string() };
    let mut out = String::new();
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        let line =
            line.map_err(|_| anyhow::anyhow!("{name}:{}: cannot read the line (is the file UTF-8 text?)", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = vargate_detect::detect_line(&line).map_err(|e| anyhow::anyhow!("{name}:{}: {e}", n + 1))?;
        out.push_str(&result);
        out.push('\n');
        if out.len() > 1 << 16 {
            crate::output::write_stdout(&std::mem::take(&mut out), 0);
        }
    }
    crate::output::write_stdout(&out, 0);
    Ok(())
}
