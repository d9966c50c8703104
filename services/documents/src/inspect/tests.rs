use super::*;

const LIMITS: Limits = Limits {
    max_pixels: 50_000_000,
    max_side: 20_000,
    max_pdf_inflated: 1 << 20,
};

fn inspect(data: &[u8], claims: Claims, chunk: usize) -> Result<Inspection, Refusal> {
    let mut i = Inspector::new(LIMITS, claims);
    for piece in data.chunks(chunk) {
        i.feed(piece)?;
    }
    i.finish()
}

fn all_splits(data: &[u8], claims: Claims) -> Result<Inspection, Refusal> {
    let whole = inspect(data, claims, data.len().max(1));
    for chunk in [1, 2, 3, 7, 64, 1000, 1024, 1025, 4096] {
        assert_eq!(inspect(data, claims, chunk), whole, "chunk {chunk}");
    }
    whole
}

#[test]
fn each_accepted_type_is_recognised_with_its_size() {
    let png = all_splits(&fixtures::png(3, 2), Claims::default()).expect("png");
    assert_eq!(
        (png.file_type, png.width, png.height),
        (FileType::Png, 3, 2)
    );
    let jpeg = all_splits(&fixtures::jpeg(640, 480, 3000), Claims::default()).expect("jpeg");
    assert_eq!(
        (jpeg.file_type, jpeg.width, jpeg.height),
        (FileType::Jpeg, 640, 480)
    );
    let webp = all_splits(&fixtures::webp(300, 200), Claims::default()).expect("webp");
    assert_eq!(
        (webp.file_type, webp.width, webp.height),
        (FileType::Webp, 300, 200)
    );
    let pdf = all_splits(&fixtures::pdf("", 5000), Claims::default()).expect("pdf");
    assert_eq!((pdf.file_type, pdf.pages), (FileType::Pdf, 1));
}

#[test]
fn a_pdf_named_jpg_or_declared_as_png_is_refused() {
    let ext = Claims {
        declared: None,
        extension: Some(FileType::Jpeg),
    };
    assert_eq!(
        all_splits(&fixtures::pdf("", 0), ext),
        Err(Refusal::ExtensionMismatch {
            detected: FileType::Pdf,
            extension: FileType::Jpeg
        })
    );
    let declared = Claims {
        declared: Some(FileType::Png),
        extension: Some(FileType::Pdf),
    };
    assert!(matches!(
        all_splits(&fixtures::pdf("", 0), declared),
        Err(Refusal::DeclaredTypeMismatch { .. })
    ));
}

#[test]
fn pixel_floods_are_refused_from_the_header() {
    assert_eq!(
        all_splits(&fixtures::png(100_000, 100_000), Claims::default()),
        Err(Refusal::ImageTooLarge {
            width: 100_000,
            height: 100_000
        })
    );
    assert!(matches!(
        all_splits(&fixtures::png(20_001, 1), Claims::default()),
        Err(Refusal::ImageTooLarge { .. })
    ));
    assert!(matches!(
        all_splits(&fixtures::png(10_000, 10_000), Claims::default()),
        Err(Refusal::ImageTooLarge { .. })
    ));
    assert!(matches!(
        all_splits(&fixtures::jpeg(65_000, 65_000, 100), Claims::default()),
        Err(Refusal::ImageTooLarge { .. })
    ));
    assert!(matches!(
        all_splits(&fixtures::webp(16_000, 16_000), Claims::default()),
        Err(Refusal::ImageTooLarge { .. })
    ));
}

#[test]
fn other_types_and_broken_headers_are_refused() {
    assert!(matches!(
        all_splits(b"GIF89a\x01\x00\x01\x00", Claims::default()),
        Err(Refusal::TypeNotAllowed { .. })
    ));
    assert!(matches!(
        all_splits(b"MZ\x90\x00 an executable", Claims::default()),
        Err(Refusal::TypeNotAllowed { .. })
    ));
    assert_eq!(inspect(b"", Claims::default(), 1), Err(Refusal::Empty));
    let mut jpeg = fixtures::jpeg(10, 10, 10);
    jpeg.truncate(30);
    assert_eq!(
        all_splits(&jpeg, Claims::default()),
        Err(Refusal::MalformedImage)
    );
    let mut png = fixtures::png(10, 10);
    png[13] = b'X';
    assert_eq!(
        all_splits(&png, Claims::default()),
        Err(Refusal::MalformedImage)
    );
}

#[test]
fn an_image_that_is_also_a_pdf_is_refused() {
    let mut jpeg = fixtures::jpeg(10, 10, 200);
    jpeg.splice(30..30, b"%PDF-1.4".iter().copied());
    assert_eq!(all_splits(&jpeg, Claims::default()), Err(Refusal::Polyglot));
}

#[test]
fn a_pdf_with_javascript_is_refused() {
    let pdf = fixtures::pdf(
        "/OpenAction << /S /JavaScript /JS (app.launchURL('x')) >>",
        3000,
    );
    assert_eq!(
        all_splits(&pdf, Claims::default()),
        Err(Refusal::Pdf(PdfProblem::Script))
    );
}

#[test]
fn media_types_and_extensions_map_to_types() {
    assert_eq!(FileType::from_mime("image/JPG; q=1"), Some(FileType::Jpeg));
    assert_eq!(FileType::from_mime("text/html"), None);
    assert_eq!(FileType::from_extension("JPEG"), Some(FileType::Jpeg));
    assert_eq!(FileType::from_extension("exe"), None);
}
/// A minimal ZIP archive holding `name` (stored, not compressed) with its central
/// directory and end record: what a PDF+ZIP or image+ZIP polyglot appends.
fn zip(name: &str, body: &[u8]) -> Vec<u8> {
    let mut out = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let size = (body.len() as u32).to_le_bytes();
    out.extend_from_slice(&size);
    out.extend_from_slice(&size);
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(body);
    let directory = out.len() as u32;
    out.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(&size);
    out.extend_from_slice(&size);
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    let directory_len = out.len() as u32 - directory;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    out.extend_from_slice(&directory_len.to_le_bytes());
    out.extend_from_slice(&directory.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

#[test]
fn files_carrying_another_file_after_their_end_are_refused() {
    let script = b"<script>alert(document.cookie)</script>\n";
    let archive = zip("payload.html", script);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("PDF+ZIP", [fixtures::pdf("", 0), archive.clone()].concat()),
        (
            "PDF+script",
            [fixtures::pdf("", 0), script.to_vec()].concat(),
        ),
        (
            "JPEG+script",
            [fixtures::jpeg(64, 48, 0), script.to_vec()].concat(),
        ),
        (
            "JPEG+ZIP",
            [fixtures::jpeg(64, 48, 0), archive.clone()].concat(),
        ),
        ("PNG+ZIP", [fixtures::png(8, 8), archive.clone()].concat()),
        (
            "WebP+script",
            [fixtures::webp(8, 8), script.to_vec()].concat(),
        ),
    ];
    for (what, data) in cases {
        assert_eq!(
            all_splits(&data, Claims::default()),
            Err(Refusal::TrailingData),
            "{what}"
        );
    }
    // A ZIP end record hidden inside a PDF (before its %%EOF), as a ZIP reader would
    // find it, is refused too; a large clean PDF is not.
    let note = zip("note.txt", b"hello");
    let inside = fixtures::pdf(&String::from_utf8_lossy(&note).replace('\0', " "), 0);
    assert!(all_splits(&inside, Claims::default()).is_err());
    let big = fixtures::pdf("", 200_000);
    assert!(all_splits(&big, Claims::default()).is_ok());
    // A PDF may end with blank lines after %%EOF.
    let padded = [fixtures::pdf("", 0), b"\r\n\n".to_vec()].concat();
    assert!(all_splits(&padded, Claims::default()).is_ok());
}

#[test]
fn a_png_whose_data_inflates_beyond_its_pixels_is_refused() {
    use std::io::Write as _;
    // 64×64 grey pixels need about 4 KiB; this IDAT inflates to 64 MiB of zeros.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        z.write_all(&[0u8; 1 << 20]).expect("in memory");
    }
    let bomb = z.finish().expect("in memory");
    let mut png = fixtures::png(64, 64);
    let iend = png.split_off(png.len() - 12);
    let idat_at = png.len() - 12 - fixtures_idat_len(&png);
    png.truncate(idat_at);
    fixtures::png_chunk(&mut png, b"IDAT", &bomb);
    png.extend_from_slice(&iend);
    assert_eq!(
        inspect(&png, Claims::default(), 64 * 1024),
        Err(Refusal::ImageDataTooLarge)
    );
    assert!(all_splits(&fixtures::png(64, 64), Claims::default()).is_ok());
}

/// The data length of the last chunk before IEND (the fixture's single IDAT).
fn fixtures_idat_len(png_without_iend: &[u8]) -> usize {
    let mut at = 8;
    let mut last = 0;
    while at + 8 <= png_without_iend.len() {
        let len = u32::from_be_bytes(png_without_iend[at..at + 4].try_into().expect("4")) as usize;
        last = len;
        at += 12 + len;
    }
    last
}
