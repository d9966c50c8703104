//! The certificate as an HTML page: one self-contained file (styles and SVGs inline) that
//! reads on a phone (one column below 600px, nothing wider than the screen) and prints as
//! an A4 certificate (`@media print`).

use base64::Engine as _;

use super::page::{Page, Section, Table, page};
use super::{AnswerView, Lang, qr_svg};

/// Screen and print styles; `.machine` marks identifiers kept as machines print them
/// (key id, fingerprint, address), always left to right.
const STYLE: &str = r#"
:root{--ink:#1b1b1b;--accent:#1f4e5f;--line:#b9c3c7;--soft:#eef4f6}
*{box-sizing:border-box}
body{margin:0;background:#e6eaec;color:var(--ink);font-family:Vazirmatn,Tahoma,"Segoe UI",sans-serif;line-height:1.65}
.certificate{max-width:210mm;margin:1.5rem auto;background:#fff;padding:1.8rem 2.2rem;border:1px solid var(--line);box-shadow:0 2px 10px rgba(0,0,0,.12)}
.letterhead{display:flex;align-items:center;gap:1rem;border-bottom:3px double var(--accent);padding-bottom:.8rem}
.emblem img{display:block;width:76px;height:76px}
.names{flex:1}
.municipality{margin:0;font-size:1.35rem;font-weight:700;color:var(--accent)}
.service{margin:0;font-size:.9rem;color:#45525a}
.head{margin:0;display:grid;grid-template-columns:auto auto;gap:0 .6rem;font-size:.88rem}
.head dt{color:#45525a}.head dd{margin:0;font-weight:600}
h1{text-align:center;font-size:1.4rem;margin:1.1rem 0 .8rem}
.notice{border:2px solid #b00000;color:#b00000;background:#fff3f3;font-weight:700;text-align:center;padding:.6rem 1rem;margin:0 0 1rem}
.statement{border:2px solid var(--accent);background:var(--soft);border-radius:6px;padding:.9rem 1.2rem;margin:0 0 1.2rem}
.statement h2{margin:0 0 .3rem;font-size:.95rem;color:var(--accent)}
.statement p{margin:0;font-size:1.12rem;font-weight:600}
section{margin:0 0 1rem}
section>h2{font-size:1.02rem;color:var(--accent);border-bottom:1px solid var(--line);margin:0 0 .4rem;padding-bottom:.2rem}
dl.facts{display:grid;grid-template-columns:minmax(9rem,34%) 1fr;margin:0}
dl.facts dt,dl.facts dd{margin:0;padding:.28rem .5rem;border-bottom:1px solid #e3e8ea}
dl.facts dt{color:#45525a;background:#f7f9fa}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse}
th,td{border:1px solid var(--line);padding:.32rem .55rem;text-align:start;vertical-align:top}
thead th{background:var(--soft)}
tfoot td{font-weight:700}
.verify{display:flex;gap:1.4rem;align-items:center;border:1px solid var(--line);border-radius:6px;padding:1rem}
.qr svg{display:block;width:220px;height:220px}
.verify ol{margin:.3rem 0;padding-inline-start:1.3rem}
.code{font-size:1.25rem;font-weight:700;letter-spacing:.06em}
.machine{direction:ltr;unicode-bidi:isolate;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;overflow-wrap:anywhere}
footer{margin-top:1.2rem;font-size:.82rem;color:#45525a;border-top:1px solid var(--line);padding-top:.5rem}
@media (max-width:600px){
.certificate{margin:0;padding:1rem;border:0;box-shadow:none}
.letterhead{flex-direction:column;text-align:center}
.head{justify-content:center}
dl.facts{grid-template-columns:1fr}
dl.facts dt{border-bottom:0;padding-bottom:0}
.verify{flex-direction:column;align-items:stretch}
.qr{align-self:center}.qr svg{width:min(72vw,260px);height:auto}
}
@media print{
@page{size:A4;margin:12mm}
body{background:#fff}
.certificate{max-width:none;margin:0;padding:0;border:0;box-shadow:none}
.statement,.verify,section,tr{break-inside:avoid}
a{color:inherit;text-decoration:none}
.qr svg{width:50mm;height:50mm}
}
"#;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Whether `c` is a Persian letter (the Arabic block's letters and پ چ ژ ک گ ی).
fn persian_letter(c: char) -> bool {
    matches!(
        c,
        '\u{0621}'..='\u{064A}' | 'پ' | 'چ' | 'ژ' | 'ک' | 'گ' | 'ی'
    )
}

/// A value, escaped. One with no Persian letters (a code, a number, a date) is isolated
/// left to right, as people copy it: without the isolate, a masked national code
/// (`۰۰۷****۶۴۵`) or a plate on a right-to-left page shows its groups in reverse order.
fn value(v: &str) -> String {
    if v.chars().any(persian_letter) || !v.chars().any(|c| c.is_numeric()) {
        esc(v)
    } else {
        format!("<span dir=\"ltr\">{}</span>", esc(v))
    }
}

fn facts(out: &mut String, section: &Section) {
    out.push_str(&format!(
        "<section>\n<h2>{}</h2>\n<dl class=\"facts\">\n",
        esc(&section.title)
    ));
    for (i, (k, v)) in section.rows.iter().enumerate() {
        let class = if section.machine.contains(&i) {
            " class=\"machine\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<dt>{}</dt><dd{class}>{}</dd>\n",
            esc(k),
            value(v)
        ));
    }
    out.push_str("</dl>\n</section>\n");
}

fn table(out: &mut String, table: &Table) {
    if table.rows.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<section>\n<h2>{}</h2>\n<div class=\"scroll\"><table>\n<thead><tr>",
        esc(&table.title)
    ));
    for h in &table.head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for c in row {
            out.push_str(&format!("<td>{}</td>", value(c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    if let Some(total) = &table.total {
        out.push_str("<tfoot><tr>");
        for c in total {
            out.push_str(&format!("<td>{}</td>", value(c)));
        }
        out.push_str("</tr></tfoot>\n");
    }
    out.push_str("</table></div>\n</section>\n");
}

/// The letterhead. The emblem (an SVG file the operator chose) goes in as an image, not
/// inline markup: an image's SVG runs no script and touches nothing else on the page.
fn letterhead(out: &mut String, pg: &Page, emblem: &str) {
    let emblem = base64::engine::general_purpose::STANDARD.encode(emblem);
    out.push_str(&format!(
        "<header class=\"letterhead\">\n<div class=\"emblem\"><img alt=\"\" src=\"data:image/svg+xml;base64,{emblem}\"></div>\n\
         <div class=\"names\"><p class=\"municipality\">{}</p><p class=\"service\">{}</p></div>\n<dl class=\"head\">\n",
        esc(&pg.municipality),
        esc(&pg.service_line)
    ));
    for (k, v) in &pg.head {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), value(v)));
    }
    out.push_str("</dl>\n</header>\n");
}

/// The answer as a printable HTML page (UTF-8, right to left for Persian).
pub fn html(view: &AnswerView<'_>, lang: Lang) -> anyhow::Result<String> {
    let pg = page(view, lang);
    let qr = qr_svg(view.qr_payload)?;
    let (code, dir) = match lang {
        Lang::Fa => ("fa", "rtl"),
        Lang::En => ("en", "ltr"),
    };
    let number = &pg.head[0].1;
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{code}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main class=\"certificate\">\n",
        esc(&pg.title),
        esc(number),
    );
    letterhead(&mut out, &pg, &view.letterhead.emblem_svg);
    out.push_str(&format!("<h1>{}</h1>\n", esc(&pg.title)));
    if !pg.notice.is_empty() {
        out.push_str(&format!(
            "<p class=\"notice\" role=\"alert\">{}</p>\n",
            esc(&pg.notice)
        ));
    }
    out.push_str(&format!(
        "<div class=\"statement\">\n<h2>{}</h2>\n<p>{}</p>\n</div>\n",
        esc(&pg.statement_title),
        esc(&pg.statement)
    ));
    for section in &pg.sections {
        facts(&mut out, section);
    }
    table(&mut out, &pg.owners);
    table(&mut out, &pg.fees);
    facts(&mut out, &pg.signature);
    let v = &pg.verify;
    out.push_str(&format!(
        "<section>\n<h2>{}</h2>\n<div class=\"verify\">\n<div class=\"qr\">{qr}</div>\n<div>\n\
         <p>{}: <span class=\"code\" dir=\"ltr\">{}</span></p>\n<ol>\n",
        esc(&v.title),
        esc(&v.code_label),
        esc(&v.code)
    ));
    for step in &v.steps {
        out.push_str(&format!("<li>{}</li>\n", esc(step)));
    }
    out.push_str(&format!(
        "</ol>\n<p>{}: <a class=\"machine\" href=\"{1}\">{1}</a></p>\n</div>\n</div>\n</section>\n",
        esc(&v.url_label),
        esc(&v.url)
    ));
    out.push_str(&format!(
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        esc(&pg.footer)
    ));
    Ok(out)
}
