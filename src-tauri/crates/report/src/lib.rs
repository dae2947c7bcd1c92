//! `vargate-report`: renders one session's evidence-pack report as a PDF.
//!
//! Plain data in, PDF bytes out. The crate knows nothing of the log, proof, store or anchor crates: the
//! caller maps its own types into [`Report`] (whose fields are already-formatted strings and numbers) and
//! gets back the bytes of a self-contained PDF, fonts embedded. See `docs/report.md` for what the report
//! contains and how Unicode is handled.
//!
//! Text is set in embedded DejaVu fonts. Every character is either drawn with the font's own glyph or
//! replaced by a visible `[U+XXXX]` marker (no glyph, control character, bidi override, invisible format
//! character); nothing is dropped silently.

mod fonts;
mod layout;
mod model;
mod pdf;
mod sections;
mod subset;
mod text;

pub use model::{
    AnchorSummary, AnomalyRow, ApprovalRow, ControlRow, ControlStatus, Counts, DecisionRow, Period, ProofSummary,
    Report, SigningKey, TimelineRow,
};

/// Why a report could not be rendered. Input data never causes an error (anything is printable); these are
/// faults of the build or of the PDF library.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An embedded font did not parse (a broken build, not bad input).
    #[error("embedded font {0} could not be parsed")]
    Font(&'static str),
    /// The PDF library reported an error while writing the document.
    #[error("could not write the PDF: {0}")]
    Pdf(String),
}

/// Renders `report` as PDF bytes. Deterministic: the same report gives the same bytes.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let fonts = fonts::Fonts::get()?;
    let mut canvas = layout::Canvas::new(fonts);
    sections::render_all(&mut canvas, report);
    let session = if report.session_id.is_empty() { "unknown" } else { report.session_id.as_str() };
    let pages = canvas.finish(&format!("Session {session}"));
    pdf::write(report, fonts, pages)
}
