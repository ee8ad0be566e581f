//! `kiosk-app search`: what the kiosk's search page would show for a query,
//! for content officers checking their synonyms and for tests.
//!
//! The order is the page's: both call [`ContentReader::search`] with
//! [`per_kind_for`] hits per kind (fewer for a single pinyin initial) and
//! show its groups in order; with no exact match the page adds the service
//! places whose services mention the words and the hall's enquiry phone.

use std::io::Write;

use kiosk_content::ContentReader;
use kiosk_content::store::per_kind_for;

/// One line of the results: kind (Chinese name, as on the page), id, title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultLine {
    pub kind: String,
    pub id: String,
    pub title: String,
}

/// What the page shows for `query`, in display order: the groups' hits,
/// then (with no exact match) the places to ask; and whether nothing
/// matched exactly.
pub fn results(
    reader: &ContentReader,
    query: &str,
) -> Result<(Vec<ResultLine>, bool), kiosk_content::StoreError> {
    let res = reader.search(query, per_kind_for(query))?;
    let mut lines: Vec<ResultLine> = res
        .hits()
        .map(|h| ResultLine {
            kind: h.item.kind.zh().to_string(),
            id: h.item.id.clone(),
            title: h.item.title.clone(),
        })
        .collect();
    lines.extend(res.places.iter().map(|p| ResultLine {
        kind: p.kind.zh().to_string(),
        id: p.id.clone(),
        title: p.title.clone(),
    }));
    Ok((lines, res.no_match()))
}

/// Prints the results: one tab-separated line per result, or a JSON array
/// of `{"kind", "id", "title"}` objects. With no exact match a note with the
/// enquiry phone goes to `note` (stderr), so stdout stays one line a result.
pub fn run(
    reader: &ContentReader,
    hall: Option<&str>,
    query: &str,
    json: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> anyhow::Result<()> {
    let (lines, no_match) = results(reader, query)?;
    if json {
        let items: Vec<String> = lines
            .iter()
            .map(|l| {
                format!(
                    "{{\"kind\":{},\"id\":{},\"title\":{}}}",
                    json_string(&l.kind),
                    json_string(&l.id),
                    json_string(&l.title)
                )
            })
            .collect();
        writeln!(out, "[{}]", items.join(","))?;
    } else {
        for l in &lines {
            writeln!(out, "{}\t{}\t{}", l.kind, l.id, l.title)?;
        }
    }
    if no_match {
        let phone = reader.enquiry_phone(hall).unwrap_or_default();
        if lines.is_empty() {
            writeln!(note, "没有找到相关内容；咨询电话 {phone}")?;
        } else {
            writeln!(
                note,
                "没有完全相符的内容，以上为最接近的结果；咨询电话 {phone}"
            )?;
        }
    }
    Ok(())
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (tempfile::TempDir, ContentReader) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = kiosk_content::demo::open_demo(dir.path()).expect("demo");
        r.set_today(chrono::NaiveDate::from_ymd_opt(2026, 11, 23));
        (dir, r)
    }

    #[test]
    fn prints_the_page_order_as_lines_and_as_json() {
        let (_d, r) = demo();
        let (lines, no_match) = results(&r, "高龄补贴怎么领").expect("search");
        assert!(!no_match);
        assert_eq!(lines[0].id, "gaoling-jintie", "{lines:?}");
        let (mut out, mut note) = (Vec::new(), Vec::new());
        run(&r, None, "高龄补贴怎么领", false, &mut out, &mut note).expect("run");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text.lines().next(),
            Some("办事指南\tgaoling-jintie\t高龄津贴申领")
        );
        assert_eq!(text.lines().count(), lines.len());
        assert!(note.is_empty());
        let mut out = Vec::new();
        run(&r, None, "高龄补贴怎么领", true, &mut out, &mut note).expect("run");
        let json = String::from_utf8(out).expect("utf-8");
        assert!(
            json.starts_with(
                "[{\"kind\":\"办事指南\",\"id\":\"gaoling-jintie\",\"title\":\"高龄津贴申领\"}"
            ),
            "{json}"
        );
    }

    #[test]
    fn no_match_says_so_with_the_enquiry_phone() {
        let (_d, r) = demo();
        let (mut out, mut note) = (Vec::new(), Vec::new());
        run(&r, Some("chengguan"), "xqzxq", true, &mut out, &mut note).expect("run");
        assert_eq!(String::from_utf8(out).expect("utf-8"), "[]\n");
        let note = String::from_utf8(note).expect("utf-8");
        assert!(note.contains("0000-6123456"), "{note}");
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(json_string("低保"), "\"低保\"");
        assert_eq!(json_string("\u{1}"), "\"\\u0001\"");
    }
}
