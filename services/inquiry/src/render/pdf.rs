//! The certificate as a PDF: typst lays out the same [`Page`] as the HTML copy with
//! Vazirmatn, so Persian letters are joined and runs read right to left; the emblem and
//! the QR code are embedded as vector graphics.

use std::sync::LazyLock;

use typst::foundations::{Array, Bytes, Dict, IntoValue, Value};
use typst_as_lib::TypstEngine;
use typst_as_lib::TypstTemplateMainFile;

use super::page::{Page, Section, Table, page};
use super::{AnswerView, Lang, qr_svg};

/// The Vazirmatn fonts (SIL OFL 1.1, see `fonts/OFL.txt`).
pub static VAZIRMATN_REGULAR: &[u8] = include_bytes!("../../fonts/Vazirmatn-Regular.ttf");
/// Bold weight.
pub static VAZIRMATN_BOLD: &[u8] = include_bytes!("../../fonts/Vazirmatn-Bold.ttf");
/// The typst template of every answer.
static TEMPLATE: &str = include_str!("../../templates/answer.typ");

static ENGINE: LazyLock<TypstEngine<TypstTemplateMainFile>> = LazyLock::new(|| {
    TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts([VAZIRMATN_REGULAR, VAZIRMATN_BOLD])
        .build()
});

fn text(v: &str) -> Value {
    v.to_owned().into_value()
}

fn strings(items: &[String]) -> Value {
    let arr: Array = items.iter().map(|c| text(c)).collect();
    arr.into_value()
}

fn pairs(rows: &[(String, String)]) -> Value {
    let arr: Array = rows
        .iter()
        .map(|(k, v)| {
            let pair: Array = [text(k), text(v)].into_iter().collect();
            pair.into_value()
        })
        .collect();
    arr.into_value()
}

fn section(s: &Section) -> Value {
    let mut d = Dict::new();
    d.insert("title".into(), text(&s.title));
    d.insert("rows".into(), pairs(&s.rows));
    let machine: Array = s
        .machine
        .iter()
        .map(|&i| i64::try_from(i).unwrap_or(-1).into_value())
        .collect();
    d.insert("machine".into(), machine.into_value());
    d.into_value()
}

fn table(t: &Table) -> Value {
    let mut d = Dict::new();
    d.insert("title".into(), text(&t.title));
    d.insert("head".into(), strings(&t.head));
    let rows: Array = t.rows.iter().map(|r| strings(r)).collect();
    d.insert("rows".into(), rows.into_value());
    d.insert(
        "total".into(),
        t.total.as_deref().map(strings).unwrap_or(Value::None),
    );
    d.into_value()
}

fn inputs(pg: &Page, qr: String, emblem: &str) -> Dict {
    let mut d = Dict::new();
    d.insert(
        "lang".into(),
        text(if pg.lang == Lang::Fa { "fa" } else { "en" }),
    );
    d.insert("municipality".into(), text(&pg.municipality));
    d.insert("service_line".into(), text(&pg.service_line));
    d.insert("title".into(), text(&pg.title));
    d.insert("head".into(), pairs(&pg.head));
    d.insert("notice".into(), text(&pg.notice));
    d.insert("statement_title".into(), text(&pg.statement_title));
    d.insert("statement".into(), text(&pg.statement));
    let sections: Array = pg.sections.iter().map(section).collect();
    d.insert("sections".into(), sections.into_value());
    d.insert("owners".into(), table(&pg.owners));
    d.insert("fees".into(), table(&pg.fees));
    d.insert("signature".into(), section(&pg.signature));
    let v = &pg.verify;
    let mut verify = Dict::new();
    verify.insert("title".into(), text(&v.title));
    verify.insert("code_label".into(), text(&v.code_label));
    verify.insert("code".into(), text(&v.code));
    verify.insert("url_label".into(), text(&v.url_label));
    verify.insert("url".into(), text(&v.url));
    verify.insert("steps".into(), strings(&v.steps));
    d.insert("verify".into(), verify.into_value());
    d.insert("footer".into(), text(&pg.footer));
    d.insert("qr".into(), Value::Bytes(Bytes::new(qr.into_bytes())));
    d.insert(
        "emblem".into(),
        Value::Bytes(Bytes::new(emblem.as_bytes().to_vec())),
    );
    d
}

/// The answer as a PDF.
///
/// CPU-bound (tens of milliseconds): call it from a blocking task.
pub fn pdf(view: &AnswerView<'_>, lang: Lang) -> anyhow::Result<Vec<u8>> {
    let pg = page(view, lang);
    let qr = qr_svg(view.qr_payload)?;
    let doc: typst_layout::PagedDocument = ENGINE
        .compile_with_input(inputs(&pg, qr, &view.letterhead.emblem_svg))
        .output
        .map_err(|e| anyhow::anyhow!("typst could not lay out the answer: {e:?}"))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| anyhow::anyhow!("typst could not write the PDF: {e:?}"))
}
