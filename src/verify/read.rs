//! Finding an answer's QR text in what a verifier holds: the text itself, a photo or scan
//! of the QR code (PNG, JPEG), the HTML copy (its QR code is an inline SVG) or the PDF
//! (its pages are rasterised and searched for QR codes).

use anyhow::{Context as _, bail};
use estelam_inquiry::certificate::cwt::PREFIX;

/// The pixels per PDF point a page is rasterised at: the QR code's modules are then
/// several pixels wide, enough for the decoder.
const PDF_SCALE: f32 = 4.0;

/// The QR text found in `bytes` (the content of a file, or typed text).
pub fn qr_text(bytes: &[u8]) -> anyhow::Result<String> {
    if bytes.starts_with(b"%PDF") {
        return from_pdf(bytes);
    }
    if bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        let img = image::load_from_memory(bytes).context("the image could not be read")?;
        return from_pixels(&img.to_luma8());
    }
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if trimmed.starts_with(PREFIX) {
        return Ok(trimmed.to_owned());
    }
    if let Some(svg) = inline_svg(&text) {
        return from_svg(svg);
    }
    bail!(
        "found no answer code: give the QR text ({PREFIX}…), a PNG or JPEG of the QR code, the HTML copy or the PDF"
    )
}

/// The first `<svg …>…</svg>` in an HTML page: the answer's QR code.
fn inline_svg(html: &str) -> Option<&str> {
    let start = html.find("<svg")?;
    let end = html[start..].find("</svg>")? + start + "</svg>".len();
    Some(&html[start..end])
}

fn from_svg(svg: &str) -> anyhow::Result<String> {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .context("the QR code's SVG could not be read")?;
    let size = tree.size();
    // At least 600 px across, so each module is several pixels.
    let scale = (600.0 / size.width().max(1.0)).max(1.0);
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).context("the QR code is empty")?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let grey = image::GrayImage::from_fn(w, h, |x, y| {
        let p = pixmap.pixel(x, y).map(|c| c.demultiply());
        image::Luma([p.map_or(255, |c| luma(c.red(), c.green(), c.blue()))])
    });
    from_pixels(&grey)
}

fn from_pdf(bytes: &[u8]) -> anyhow::Result<String> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::Pdf;
    use hayro::vello_cpu::color::palette::css::WHITE;

    let pdf = Pdf::new(bytes.to_vec())
        .map_err(|e| anyhow::anyhow!("the PDF could not be read: {e:?}"))?;
    let cache = hayro::RenderCache::new();
    let settings = hayro::RenderSettings {
        x_scale: PDF_SCALE,
        y_scale: PDF_SCALE,
        bg_color: WHITE,
        ..Default::default()
    };
    for page in pdf.pages().iter() {
        let pixmap = hayro::render(page, &cache, &InterpreterSettings::default(), &settings);
        let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        let rgba = pixmap.take_unpremultiplied();
        let grey = image::GrayImage::from_fn(w, h, |x, y| {
            let p = rgba[(y * w + x) as usize];
            image::Luma([luma(p.r, p.g, p.b)])
        });
        if let Ok(text) = from_pixels(&grey) {
            return Ok(text);
        }
    }
    bail!("found no answer's QR code on the PDF's pages")
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    // Rec. 601 weights; the QR code is black on white, so any reasonable weighting works.
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

fn from_pixels(img: &image::GrayImage) -> anyhow::Result<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    for grid in prepared.detect_grids() {
        if let Ok((_, text)) = grid.decode()
            && text.starts_with(PREFIX)
        {
            return Ok(text);
        }
    }
    bail!("found no answer's QR code in the image")
}
