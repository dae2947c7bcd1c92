//! Assembling and serialising the printpdf document. This is where output is made reproducible: printpdf
//! draws font resource names and the trailer `/ID` from a process-wide counter, and would date the document
//! at the Unix epoch. Font names are fixed (see `Face::id`), the dates come from `generated_at`, and the
//! `/ID` is a hash of the report, so the same report always renders to the same bytes.

use printpdf::{OffsetDateTime, Op, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt};
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::fonts::{Face, Fonts};
use crate::layout::{PAGE_H, PAGE_W};
use crate::model::Report;
use crate::subset;
use crate::text::clean_meta;

pub(crate) fn write(report: &Report, fonts: &Fonts, pages: Vec<Vec<Op>>) -> Result<Vec<u8>, ReportError> {
    let mut doc = PdfDocument::new("Evidence pack report");
    let info = &mut doc.metadata.info;
    // Viewers show the title in window bars and file dialogs, so it gets the same bidi/control cleaning as
    // the page text (printpdf writes it as UTF-16, so no font coverage is involved).
    info.document_title = clean_meta(&format!("Evidence pack report: session {}", report.session_id));
    info.subject = clean_meta(&format!("tenant {}", report.tenant));
    info.creator = "Vargate Desktop".to_owned();
    info.producer = concat!("vargate-report ", env!("CARGO_PKG_VERSION"), " (printpdf)").to_owned();
    if let Some(date) = generated_date(&report.generated_at) {
        info.creation_date = date;
        info.modification_date = date;
        info.metadata_date = date;
    }

    let used = subset::used_chars(&pages);
    for face in [Face::Regular, Face::Bold, Face::Mono] {
        let full = fonts.face(face);
        // A face no text uses is left out; printpdf would skip it anyway.
        let Some(chars) = used.get(&face.id()) else { continue };
        let parsed = subset::subset_face(full, chars).unwrap_or_else(|| full.parsed.clone());
        doc.resources.fonts.map.insert(face.id(), PdfFont::new(parsed));
    }
    let w = Pt(PAGE_W).into();
    let h = Pt(PAGE_H).into();
    doc.with_pages(pages.into_iter().map(|ops| PdfPage::new(w, h, ops)).collect());

    // Save warnings (`PdfWarnMsg`) are a different type from the font-parse warnings in printpdf 0.12.
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    if let Some(e) = warnings.iter().find(|w| w.severity == PdfParseErrorSeverity::Error) {
        return Err(ReportError::Pdf(e.msg.clone()));
    }
    let id = document_id(report);
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    // printpdf always writes an (empty) /GTS_PDFXVersion, which makes readers take the file for PDF/X. It
    // is not PDF/X, so the claim goes.
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(lopdf::Object::as_reference)
        && let Ok(info) = lo.get_object_mut(info_id).and_then(lopdf::Object::as_dict_mut)
    {
        info.remove(b"GTS_PDFXVersion");
    }
    // What printpdf's own `save` does after building the document.
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out).map_err(|e| ReportError::Pdf(e.to_string()))?;
    Ok(out)
}

/// `generated_at` as a PDF date (UTC). `None` (printpdf's default, the Unix epoch, stays) when it does not
/// parse: the date is metadata, not worth failing the report over.
fn generated_date(rfc3339: &str) -> Option<OffsetDateTime> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).ok()
}

/// The trailer `/ID`: the first 16 bytes of SHA-256 over the report's JSON, so it identifies the content.
fn document_id(report: &Report) -> Vec<u8> {
    // Serialising plain strings and numbers cannot fail; an empty input would still give a stable id.
    let json = serde_json::to_vec(report).unwrap_or_default();
    Sha256::digest(&json)[..16].to_vec()
}
