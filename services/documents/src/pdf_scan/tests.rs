use super::*;
use std::io::Write as _;

fn scan(pdf: &[u8], chunk: usize) -> Result<u32, PdfProblem> {
    let mut s = PdfScanner::new(1 << 20);
    for piece in pdf.chunks(chunk.max(1)) {
        s.feed(piece)?;
    }
    s.finish()
}

fn every_split(pdf: &[u8]) -> Result<u32, PdfProblem> {
    let whole = scan(pdf, pdf.len());
    for chunk in 1..=17 {
        assert_eq!(scan(pdf, chunk), whole, "chunk size {chunk} disagrees");
    }
    whole
}

fn plain(extra: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R {extra} >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
         3 0 obj\n<< /Type/Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n\
         trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

#[test]
fn a_plain_pdf_passes_and_its_pages_are_counted() {
    assert_eq!(every_split(&plain("")), Ok(1));
}

#[test]
fn scripts_launches_and_encryption_are_found_however_split() {
    assert_eq!(
        every_split(&plain(
            "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        )),
        Err(PdfProblem::Script)
    );
    assert_eq!(
        every_split(&plain("/AA << /O << /S /Launch /F (cmd.exe) >> >>")),
        Err(PdfProblem::Launch)
    );
    assert_eq!(
        every_split(&plain("/Encrypt 9 0 R")),
        Err(PdfProblem::Encrypted)
    );
}

#[test]
fn escaped_and_spaced_names_are_still_names() {
    assert_eq!(
        every_split(&plain("/OpenAction << /S /J#61va#53cript >>")),
        Err(PdfProblem::Script)
    );
    assert_eq!(
        every_split(&plain("/OpenAction << /S / JavaScript >>")),
        Err(PdfProblem::Script)
    );
    assert_eq!(every_split(&plain("/X /J#53")), Err(PdfProblem::Script));
}

#[test]
fn look_alikes_in_strings_comments_and_longer_names_pass() {
    assert_eq!(
        every_split(&plain(
            "/Title (about /JavaScript and /Launch) /JSX 1 /Launcher 2 % /JS\n"
        )),
        Ok(1)
    );
    assert_eq!(
        every_split(&plain("/Title <4A53> /Nested (a (b /JS) c)")),
        Ok(1)
    );
}

#[test]
fn binary_streams_are_skipped() {
    let mut pdf = b"%PDF-1.4\n4 0 obj\n<< /Length 12 >>\nstream\n".to_vec();
    pdf.extend_from_slice(b"/JS /Launch\n");
    pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
    assert_eq!(every_split(&pdf), Ok(0));
}

fn object_stream(content: &str, compressed: bool) -> Vec<u8> {
    let data = if compressed {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(content.as_bytes()).expect("in memory");
        z.finish().expect("in memory")
    } else {
        content.as_bytes().to_vec()
    };
    let filter = if compressed {
        "/Filter /FlateDecode"
    } else {
        ""
    };
    let mut pdf = format!(
        "%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 {filter} /Length {} >>\nstream\r\n",
        data.len()
    )
    .into_bytes();
    pdf.extend_from_slice(&data);
    pdf.extend_from_slice(b"\r\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
    pdf
}

#[test]
fn compressed_object_streams_are_inflated_and_scanned() {
    let js = "6 0 << /Type /Action /S /JavaScript /JS (x) >>";
    assert_eq!(
        every_split(&object_stream(js, true)),
        Err(PdfProblem::Script)
    );
    assert_eq!(
        every_split(&object_stream(js, false)),
        Err(PdfProblem::Script)
    );
    let ok = "6 0 << /Type /Page /Parent 2 0 R >>";
    assert_eq!(every_split(&object_stream(ok, true)), Ok(1));
}

#[test]
fn an_object_stream_that_cannot_be_inspected_is_refused() {
    let pdf = b"%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /Filter /LZWDecode /Length 3 >>\nstream\nabc\nendstream\nendobj\n";
    assert_eq!(every_split(pdf), Err(PdfProblem::Uninspectable));
    let broken = b"%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length 3 >>\nstream\nabc\nendstream\nendobj\n";
    assert_eq!(every_split(broken), Err(PdfProblem::Malformed));
}

#[test]
fn a_decompression_bomb_stops_at_the_budget() {
    let pdf = object_stream(&" ".repeat(4 << 20), true);
    let mut s = PdfScanner::new(1 << 20);
    assert_eq!(s.feed(&pdf), Err(PdfProblem::TooComplex));
}

#[test]
fn a_file_ending_inside_a_stream_is_malformed() {
    let pdf = b"%PDF-1.4\n4 0 obj\n<< /Length 100 >>\nstream\nabc";
    assert_eq!(scan(pdf, 5), Err(PdfProblem::Malformed));
}

#[test]
fn a_content_stream_that_inflates_past_the_budget_is_refused() {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 4 << 20]).expect("in memory");
    let bomb = z.finish().expect("in memory");
    let pdf = |data: &[u8]| {
        let mut out = format!(
            "%PDF-1.7\n4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            data.len()
        )
        .into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n");
        out
    };
    let mut scanner = PdfScanner::new(1 << 20);
    let refused = pdf(&bomb).chunks(4096).try_for_each(|c| scanner.feed(c));
    assert_eq!(refused, Err(PdfProblem::TooComplex));
    // The same stream within the budget passes, and so does a damaged one.
    let mut scanner = PdfScanner::new(8 << 20);
    assert!(scanner.feed(&pdf(&bomb)).is_ok());
    let mut scanner = PdfScanner::new(1 << 20);
    assert!(scanner.feed(&pdf(b"not deflate at all")).is_ok());
}
