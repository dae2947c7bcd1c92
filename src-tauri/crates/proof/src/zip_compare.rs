//! Compares what a zip writer produces with given bytes, without building it: the pack's layout check rebuilds
//! the archive of a pack's files and compares, and building a copy of a pack of megabytes (allocated, filled,
//! compared) was a tenth of verifying it.
//!
//! The zip writer goes back to patch a file's header once its size and checksum are known, so a write shorter
//! than [`KEEP`] (headers, small files) is kept by offset and compared at the end; a longer one (a file's
//! contents) is compared as it comes and must never be written over. Anything this cannot account for —
//! a byte covered twice or not at all — is a difference.

use std::collections::BTreeMap;
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;

/// Writes shorter than this are kept until the end.
const KEEP: usize = 4_096;

pub(crate) struct Comparison<'a> {
    expected: &'a [u8],
    pos: u64,
    end: u64,
    kept: Vec<(u64, Vec<u8>)>,
    compared: Vec<Range<u64>>,
    differs: bool,
}

impl<'a> Comparison<'a> {
    pub(crate) fn new(expected: &'a [u8]) -> Self {
        Comparison { expected, pos: 0, end: 0, kept: Vec::new(), compared: Vec::new(), differs: false }
    }

    /// Whether everything written, as finally patched, is exactly `expected`.
    pub(crate) fn matches(self) -> bool {
        if self.differs || self.end != self.expected.len() as u64 {
            return false;
        }
        let mut overlay = BTreeMap::new();
        for (offset, bytes) in &self.kept {
            for (k, byte) in (*offset..).zip(bytes) {
                overlay.insert(k, *byte);
            }
        }
        let mut compared = self.compared;
        compared.sort_by_key(|r| r.start);
        if compared.windows(2).any(|w| matches!(w, [a, b] if a.end > b.start)) {
            return false;
        }
        if compared.iter().any(|r| overlay.range(r.clone()).next().is_some()) {
            return false;
        }
        let covered = compared.iter().map(|r| r.end - r.start).sum::<u64>() + overlay.len() as u64;
        covered == self.end
            && overlay
                .iter()
                .all(|(at, byte)| usize::try_from(*at).ok().and_then(|i| self.expected.get(i)) == Some(byte))
    }
}

impl Write for Comparison<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let start = self.pos;
        let end = start + buf.len() as u64;
        if buf.len() < KEEP {
            self.kept.push((start, buf.to_vec()));
        } else {
            let expected =
                usize::try_from(start).ok().zip(usize::try_from(end).ok()).and_then(|(s, e)| self.expected.get(s..e));
            self.differs |= expected != Some(buf);
            self.compared.push(start..end);
        }
        self.pos = end;
        self.end = self.end.max(end);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Comparison<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.end.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}
