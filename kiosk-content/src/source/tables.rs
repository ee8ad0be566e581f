//! Tables: CSV (UTF-8, Chinese headers) and XLSX spreadsheets. Every problem
//! names the file, the line (CSV) or cell (XLSX) and the column.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::front::VillageDecl;
use super::{Problem, SourceTree, valid_id};
use crate::domain::{Disclosure, Domain, PlaceCategory};
use crate::model::*;
use crate::synonyms::{MAX_TERM_CHARS, MAX_WORDS, Synonym};

/// A column a table may have.
struct Col {
    name: &'static str,
    required: bool,
}

const fn req(name: &'static str) -> Col {
    Col {
        name,
        required: true,
    }
}
const fn opt(name: &'static str) -> Col {
    Col {
        name,
        required: false,
    }
}

const CATALOG: &[Col] = &[
    req("编号"),
    req("领域"),
    req("事项类别"),
    req("事项名称"),
    req("公开内容"),
    req("公开依据"),
    req("公开时限"),
    req("公开主体"),
    req("公开方式"),
    req("公开渠道"),
    req("公开对象"),
    req("公开属性"),
];
const PLACES: &[Col] = &[
    req("编号"),
    req("名称"),
    req("类别"),
    req("地址"),
    opt("开放时间"),
    opt("电话"),
    req("地图X"),
    req("地图Y"),
    opt("经度"),
    opt("纬度"),
    opt("服务"),
];
const FINANCE: &[Col] = &[
    req("期间"),
    req("收支"),
    req("科目"),
    req("金额"),
    opt("说明"),
];
const ASSISTANCE: &[Col] = &[
    req("月份"),
    req("类别"),
    req("户主"),
    req("人数"),
    req("金额"),
    opt("说明"),
];
const PROGRESS: &[Col] = &[
    req("办件编号"),
    req("查询码"),
    req("事项名称"),
    req("申请人"),
    req("受理日期"),
    opt("承诺办结日期"),
    req("当前状态"),
    opt("办理环节"),
    opt("办理窗口"),
];
const SYNONYMS: &[Col] = &[req("说法"), req("文件用语"), opt("备注")];

/// A table read from CSV or XLSX, cells as text.
pub(crate) struct Table {
    file: String,
    xlsx: bool,
    columns: HashMap<String, usize>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Location of a cell: a line number for CSV, a reference like `C5` for XLSX.
    fn at(&self, row: usize, col: &str) -> String {
        if self.xlsx {
            let idx = self.columns.get(col).copied().unwrap_or(0);
            format!("{}{}", column_letters(idx), row)
        } else {
            row.to_string()
        }
    }

    fn cell<'a>(&self, cells: &'a [String], col: &str) -> &'a str {
        self.columns
            .get(col)
            .and_then(|i| cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    fn problem(&self, row: usize, col: &str, message: impl Into<String>) -> Problem {
        Problem::new(&self.file, Some(self.at(row, col)), Some(col), message)
    }
}

fn column_letters(mut idx: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (idx % 26) as u8);
        if idx < 26 {
            break;
        }
        idx = idx / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn check_header(
    file: &str,
    header: &[String],
    spec: &[Col],
    xlsx: bool,
    problems: &mut Vec<Problem>,
) -> Option<HashMap<String, usize>> {
    let before = problems.len();
    let mut columns = HashMap::new();
    let allowed = spec.iter().map(|c| c.name).collect::<Vec<_>>().join(",");
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        let at = if xlsx {
            format!("{}1", column_letters(i))
        } else {
            "1".into()
        };
        if h.is_empty() {
            continue;
        }
        if !spec.iter().any(|c| c.name == h) {
            problems.push(Problem::new(
                file,
                Some(at),
                Some(h),
                format!("unknown column; the columns are {allowed}"),
            ));
        } else if columns.insert(h.to_string(), i).is_some() {
            problems.push(Problem::new(
                file,
                Some(at),
                Some(h),
                "column appears twice; keep one",
            ));
        }
    }
    for c in spec.iter().filter(|c| c.required) {
        if !columns.contains_key(c.name) {
            problems.push(Problem::new(
                file,
                Some(if xlsx { "A1".into() } else { "1".into() }),
                Some(c.name),
                format!(
                    "required column is missing from the header row; the columns are {allowed}"
                ),
            ));
        }
    }
    (problems.len() == before).then_some(columns)
}

fn read_csv(file: &str, bytes: &[u8], spec: &[Col], problems: &mut Vec<Problem>) -> Option<Table> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    for rec in reader.byte_records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line().to_string());
                problems.push(Problem::new(
                    file,
                    line,
                    None,
                    format!("not readable as CSV: {e}"),
                ));
                return None;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut cells = Vec::with_capacity(rec.len());
        for field in rec.iter() {
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(s.to_string()),
                Err(_) => {
                    problems.push(Problem::new(
                        file,
                        Some(line.to_string()),
                        None,
                        "not valid UTF-8; save the table as UTF-8 (in Excel: \"CSV UTF-8\")",
                    ));
                    return None;
                }
            }
        }
        records.push((line, cells));
    }
    let Some((_, header)) = records.first() else {
        problems.push(Problem::new(
            file,
            Some("1".into()),
            None,
            "the table is empty; it needs a header row",
        ));
        return None;
    };
    let columns = check_header(file, header, spec, false, problems)?;
    let ncols = header.len();
    let mut rows = Vec::new();
    for (line, cells) in records.into_iter().skip(1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cells.len() > ncols {
            problems.push(Problem::new(
                file,
                Some(line.to_string()),
                None,
                format!(
                    "{} cells but the header has {ncols}; a comma inside a cell needs quotes",
                    cells.len()
                ),
            ));
            continue;
        }
        rows.push((line, cells));
    }
    Some(Table {
        file: file.to_string(),
        xlsx: false,
        columns,
        rows,
    })
}

fn read_xlsx(file: &str, bytes: &[u8], spec: &[Col], problems: &mut Vec<Problem>) -> Option<Table> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(e) => {
            problems.push(Problem::new(
                file,
                None,
                None,
                format!("not a readable XLSX workbook ({e}); save it again from the spreadsheet program as .xlsx"),
            ));
            return None;
        }
    };
    let range = match wb.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            problems.push(Problem::new(
                file,
                None,
                None,
                format!("the first sheet cannot be read ({e})"),
            ));
            return None;
        }
        None => {
            problems.push(Problem::new(file, None, None, "the workbook has no sheet"));
            return None;
        }
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => match dt.as_datetime() {
                Some(t) => t.date().format("%Y-%m-%d").to_string(),
                None => dt.to_string(),
            },
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#ERROR {e:?}"),
        }
    };
    let mut iter = range.rows().enumerate();
    let Some((_, header)) = iter.next() else {
        problems.push(Problem::new(
            file,
            Some("A1".into()),
            None,
            "the first sheet is empty; it needs a header row",
        ));
        return None;
    };
    // Columns before the used range's first column are empty.
    let pad = |cells: &[Data]| -> Vec<String> {
        std::iter::repeat_n(String::new(), col0 as usize)
            .chain(cells.iter().map(text))
            .collect()
    };
    let header = pad(header);
    let columns = check_header(file, &header, spec, true, problems)?;
    let mut rows = Vec::new();
    for (i, cells) in iter {
        let cells = pad(cells);
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((row0 as usize + i + 1, cells));
    }
    Some(Table {
        file: file.to_string(),
        xlsx: true,
        columns,
        rows,
    })
}

/// Reads `name.csv` or `name.xlsx` (the latter only where allowed).
fn read_table(
    tree: &SourceTree,
    stem: &str,
    xlsx_ok: bool,
    spec: &[Col],
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    let csv_name = format!("{stem}.csv");
    let xlsx_name = format!("{stem}.xlsx");
    match (
        tree.get(&csv_name),
        xlsx_ok.then(|| tree.get(&xlsx_name)).flatten(),
    ) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                &xlsx_name,
                None,
                None,
                format!("both {csv_name} and {xlsx_name} exist; keep one"),
            ));
            None
        }
        (Some(b), None) => read_csv(&csv_name, b, spec, problems),
        (None, Some(b)) => read_xlsx(&xlsx_name, b, spec, problems),
        (None, None) => None,
    }
}

fn parse_date(
    t: &Table,
    row: usize,
    col: &str,
    s: &str,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    let s = s.trim();
    let parsed = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y年%m月%d日"));
    match parsed {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(t.problem(
                row,
                col,
                format!("\"{s}\" is not a date; write it like 2021-06-30"),
            ));
            None
        }
    }
}

/// Yuan with up to two decimals (commas allowed) to fen.
fn parse_fen(s: &str) -> Option<i64> {
    let s: String = s
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let s = s.trim_end_matches('元');
    if s.starts_with('-') || s.is_empty() {
        return None;
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// The `金额` cell in fen, or a located problem showing an example.
fn amount_cell(
    t: &Table,
    row: usize,
    cells: &[String],
    example: &str,
    problems: &mut Vec<Problem>,
) -> Option<i64> {
    let text = t.cell(cells, "金额");
    let amount = parse_fen(text);
    if amount.is_none() {
        problems.push(t.problem(
            row,
            "金额",
            format!("\"{text}\" is not an amount in yuan like {example}"),
        ));
    }
    amount
}

fn split_list(s: &str) -> Vec<String> {
    s.split(['、', ';', '；', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn required(
    t: &Table,
    row: usize,
    cells: &[String],
    col: &str,
    problems: &mut Vec<Problem>,
) -> String {
    let v = t.cell(cells, col);
    if v.is_empty() {
        problems.push(t.problem(row, col, "cell is empty; this column is required"));
    }
    v.to_string()
}

pub(crate) fn parse_tables(
    tree: &SourceTree,
    villages: Option<&Vec<VillageDecl>>,
    items: &mut Vec<(String, usize, Item)>,
    progress: &mut Vec<(ProgressRecord, String)>,
    problems: &mut Vec<Problem>,
) {
    if let Some(t) = read_table(tree, "catalog", true, CATALOG, problems) {
        parse_catalog(&t, items, problems);
    }
    if let Some(t) = read_table(tree, "places", false, PLACES, problems) {
        parse_places(&t, items, problems);
    }
    if let Some(t) = read_table(tree, "progress", true, PROGRESS, problems) {
        parse_progress(&t, progress, problems);
    }
    let empty = Vec::new();
    let villages = villages.unwrap_or(&empty);
    for path in tree.paths().filter(|p| p.starts_with("villages/")) {
        let mut parts = path.split('/').skip(1);
        let (Some(id), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            problems.push(Problem::new(
                path,
                None,
                None,
                "village files go in villages/<village-id>/finance.csv or assistance.csv",
            ));
            continue;
        };
        if !villages.iter().any(|v| v.id == id) {
            problems.push(Problem::new(
                path,
                None,
                None,
                format!("village \"{id}\" is not declared in bundle.toml [[villages]]"),
            ));
        }
        if name != "finance.csv" && name != "assistance.csv" {
            problems.push(Problem::new(
                path,
                None,
                None,
                "only finance.csv and assistance.csv belong in a village folder",
            ));
        }
    }
    for v in villages {
        let finance = read_table(
            tree,
            &format!("villages/{}/finance", v.id),
            false,
            FINANCE,
            problems,
        )
        .map(|t| parse_finance(&t, problems))
        .unwrap_or_default();
        let assistance = read_table(
            tree,
            &format!("villages/{}/assistance", v.id),
            false,
            ASSISTANCE,
            problems,
        )
        .map(|t| parse_assistance(&t, problems))
        .unwrap_or_default();
        items.push((
            "bundle.toml".into(),
            1,
            Item::Village(Village {
                meta: ItemMeta {
                    id: v.id.clone(),
                    title: v.name.clone(),
                    agency: format!("{}{}", v.township, v.name),
                    domain: None,
                    disclosure: Disclosure::Proactive,
                    published: None,
                    keywords: vec!["村务公开".into(), v.township.clone()],
                },
                township: v.township.clone(),
                hall: v.hall.clone(),
                phone: v.phone.clone(),
                finance,
                assistance,
            }),
        ));
    }
}

fn row_id(t: &Table, row: usize, cells: &[String], problems: &mut Vec<Problem>) -> String {
    let id = required(t, row, cells, "编号", problems);
    if !id.is_empty() && !valid_id(&id) {
        problems.push(t.problem(
            row,
            "编号",
            format!("\"{id}\" must be lowercase letters, digits and - only"),
        ));
    }
    id
}

fn parse_catalog(t: &Table, items: &mut Vec<(String, usize, Item)>, problems: &mut Vec<Problem>) {
    let mut covered = std::collections::BTreeSet::new();
    for (row, cells) in &t.rows {
        let row = *row;
        let before = problems.len();
        let id = row_id(t, row, cells, problems);
        let domain_text = required(t, row, cells, "领域", problems);
        let domain = Domain::parse(&domain_text);
        if domain.is_none() && !domain_text.is_empty() {
            problems.push(t.problem(
                row,
                "领域",
                format!(
                    "unknown domain \"{domain_text}\"; use one of the 26 standard domains: {}",
                    Domain::choices()
                ),
            ));
        }
        let attr = required(t, row, cells, "公开属性", problems);
        match Disclosure::parse(&attr) {
            Some(Disclosure::Proactive) => {}
            Some(other) => problems.push(t.problem(
                row,
                "公开属性",
                format!("\"{other}\" rows are never shown on a public kiosk; only 主动公开 rows may be published"),
            )),
            None if attr.is_empty() => {}
            None => problems.push(t.problem(row, "公开属性", format!("use one of: {}", Disclosure::choices()))),
        }
        let audience = required(t, row, cells, "公开对象", problems);
        let fields: Vec<String> = [
            "事项类别",
            "事项名称",
            "公开内容",
            "公开依据",
            "公开时限",
            "公开主体",
            "公开方式",
            "公开渠道",
        ]
        .iter()
        .map(|c| required(t, row, cells, c, problems))
        .collect();
        if problems.len() != before {
            continue;
        }
        let Some(domain) = domain else { continue };
        covered.insert(domain);
        items.push((
            t.file.clone(),
            row,
            Item::Catalog(CatalogEntry {
                meta: ItemMeta {
                    id,
                    title: fields[1].clone(),
                    agency: fields[5].clone(),
                    domain: Some(domain),
                    disclosure: Disclosure::Proactive,
                    published: None,
                    keywords: Vec::new(),
                },
                category: fields[0].clone(),
                content: fields[2].clone(),
                basis: fields[3].clone(),
                time_limit: fields[4].clone(),
                methods: split_list(&fields[6]),
                channels: split_list(&fields[7]),
                audience,
            }),
        ));
    }
    let missing: Vec<&str> = Domain::ALL
        .iter()
        .filter(|d| !covered.contains(*d))
        .map(|d| d.zh())
        .collect();
    if !missing.is_empty() && !t.rows.is_empty() {
        problems.push(Problem::new(
            &t.file,
            None,
            Some("领域"),
            format!(
                "the catalog must cover all 26 standard domains; missing: {}",
                missing.join("、")
            ),
        ));
    }
}

fn parse_places(t: &Table, items: &mut Vec<(String, usize, Item)>, problems: &mut Vec<Problem>) {
    for (row, cells) in &t.rows {
        let row = *row;
        let before = problems.len();
        let id = row_id(t, row, cells, problems);
        let name = required(t, row, cells, "名称", problems);
        let cat_text = required(t, row, cells, "类别", problems);
        let category = PlaceCategory::parse(&cat_text);
        if category.is_none() && !cat_text.is_empty() {
            problems.push(t.problem(
                row,
                "类别",
                format!(
                    "unknown category \"{cat_text}\"; use one of: {}",
                    PlaceCategory::choices()
                ),
            ));
        }
        let address = required(t, row, cells, "地址", problems);
        let mut coord = |col: &str,
                         range: std::ops::RangeInclusive<f64>,
                         hint: &str,
                         required_cell: bool|
         -> Option<f64> {
            let s = t.cell(cells, col);
            if s.is_empty() && !required_cell {
                return None;
            }
            match s.parse::<f64>() {
                Ok(v) if range.contains(&v) => Some(v),
                _ => {
                    problems.push(t.problem(row, col, format!("\"{s}\" must be a number {hint}")));
                    None
                }
            }
        };
        let map_x = coord(
            "地图X",
            0.0..=1.0,
            "from 0 (left edge of the map) to 1 (right edge)",
            true,
        );
        let map_y = coord(
            "地图Y",
            0.0..=1.0,
            "from 0 (top of the map) to 1 (bottom)",
            true,
        );
        let lon = coord(
            "经度",
            -180.0..=180.0,
            "of degrees longitude, like 113.2731",
            false,
        );
        let lat = coord(
            "纬度",
            -90.0..=90.0,
            "of degrees latitude, like 35.1234",
            false,
        );
        if problems.len() != before {
            continue;
        }
        let (Some(category), Some(map_x), Some(map_y)) = (category, map_x, map_y) else {
            continue;
        };
        items.push((
            t.file.clone(),
            row,
            Item::Place(Place {
                meta: ItemMeta {
                    id,
                    title: name,
                    agency: String::new(),
                    domain: None,
                    disclosure: Disclosure::Proactive,
                    published: None,
                    keywords: vec![category.zh().to_string()],
                },
                category,
                address,
                hours: t.cell(cells, "开放时间").to_string(),
                phone: t.cell(cells, "电话").to_string(),
                map_x: map_x as f32,
                map_y: map_y as f32,
                lon,
                lat,
                services: split_list(t.cell(cells, "服务")),
            }),
        ));
    }
}

fn parse_finance(t: &Table, problems: &mut Vec<Problem>) -> Vec<FinanceRow> {
    let mut out = Vec::new();
    for (row, cells) in &t.rows {
        let row = *row;
        let period = required(t, row, cells, "期间", problems);
        let kind = required(t, row, cells, "收支", problems);
        let income = match kind.as_str() {
            "收入" => Some(true),
            "支出" => Some(false),
            "" => None,
            other => {
                problems.push(t.problem(row, "收支", format!("\"{other}\" must be 收入 or 支出")));
                None
            }
        };
        let subject = required(t, row, cells, "科目", problems);
        let amount = amount_cell(t, row, cells, "12500.00", problems);
        if let (Some(income), Some(amount_fen)) = (income, amount) {
            out.push(FinanceRow {
                period,
                income,
                subject,
                amount_fen,
                note: t.cell(cells, "说明").to_string(),
            });
        }
    }
    out
}

fn parse_assistance(t: &Table, problems: &mut Vec<Problem>) -> Vec<AssistanceRow> {
    let mut out = Vec::new();
    for (row, cells) in &t.rows {
        let row = *row;
        let month = required(t, row, cells, "月份", problems);
        if !month.is_empty()
            && NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err()
        {
            problems.push(t.problem(
                row,
                "月份",
                format!("\"{month}\" must be a month like 2021-05"),
            ));
        }
        let category = required(t, row, cells, "类别", problems);
        let head = required(t, row, cells, "户主", problems);
        let persons_text = t.cell(cells, "人数");
        let persons = persons_text.parse::<u32>().ok();
        if persons.is_none() {
            problems.push(t.problem(
                row,
                "人数",
                format!("\"{persons_text}\" must be a whole number of persons"),
            ));
        }
        let amount = amount_cell(t, row, cells, "560.00", problems);
        if let (Some(persons), Some(amount_fen)) = (persons, amount) {
            out.push(AssistanceRow {
                month,
                category,
                head,
                persons,
                amount_fen,
                note: t.cell(cells, "说明").to_string(),
            });
        }
    }
    out
}

fn parse_progress(t: &Table, out: &mut Vec<(ProgressRecord, String)>, problems: &mut Vec<Problem>) {
    let mut seen = HashMap::new();
    for (row, cells) in &t.rows {
        let row = *row;
        let before = problems.len();
        let case = required(t, row, cells, "办件编号", problems);
        let code = required(t, row, cells, "查询码", problems);
        if !code.is_empty() && (code.len() < 6 || !code.bytes().all(|b| b.is_ascii_digit())) {
            problems.push(t.problem(row, "查询码", "the query code must be at least 6 digits"));
        }
        let normalized = crate::progress::normalize_case_number(&case);
        if let Some(first) = seen.insert(normalized, row) {
            problems.push(t.problem(
                row,
                "办件编号",
                format!("case number repeats the one at {}", t.at(first, "办件编号")),
            ));
        }
        let matter = required(t, row, cells, "事项名称", problems);
        let applicant = required(t, row, cells, "申请人", problems);
        let accepted_text = t.cell(cells, "受理日期");
        let accepted = parse_date(t, row, "受理日期", accepted_text, problems);
        let due_text = t.cell(cells, "承诺办结日期");
        let due = if due_text.is_empty() {
            None
        } else {
            parse_date(t, row, "承诺办结日期", due_text, problems)
        };
        let status = required(t, row, cells, "当前状态", problems);
        let mut steps = Vec::new();
        for step in t
            .cell(cells, "办理环节")
            .split(['；', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (date, name) = step.split_once([' ', '\u{3000}']).unwrap_or((step, ""));
            match parse_date(t, row, "办理环节", date, problems) {
                Some(d) if !name.trim().is_empty() => steps.push(ProgressStep {
                    date: d,
                    name: name.trim().to_string(),
                }),
                Some(_) => problems.push(t.problem(
                    row,
                    "办理环节",
                    format!("step \"{step}\" needs a name after the date"),
                )),
                None => {}
            }
        }
        if problems.len() != before {
            continue;
        }
        let Some(accepted) = accepted else { continue };
        out.push((
            ProgressRecord {
                case_number: case,
                matter,
                applicant,
                accepted,
                due,
                status,
                steps,
                window: t.cell(cells, "办理窗口").to_string(),
            },
            code,
        ));
    }
}

/// Reads `synonyms.csv` (or `.xlsx`): everyday word, document words.
pub(crate) fn parse_synonyms(tree: &SourceTree, problems: &mut Vec<Problem>) -> Vec<Synonym> {
    let Some(t) = read_table(tree, "synonyms", true, SYNONYMS, problems) else {
        return Vec::new();
    };
    let mut out: Vec<Synonym> = Vec::new();
    let mut first_row: HashMap<String, String> = HashMap::new();
    for (row, cells) in &t.rows {
        let row = *row;
        let term = required(&t, row, cells, "说法", problems);
        let words_cell = required(&t, row, cells, "文件用语", problems);
        if term.is_empty() || words_cell.is_empty() {
            continue;
        }
        let before = problems.len();
        if term.chars().count() > MAX_TERM_CHARS {
            problems.push(t.problem(
                row,
                "说法",
                format!(
                    "\"{term}\" is longer than {MAX_TERM_CHARS} characters; write the word residents say, not a sentence"
                ),
            ));
        }
        if term
            .chars()
            .any(|c| !(crate::text::is_cjk(c) || c.is_alphanumeric()))
        {
            problems.push(t.problem(
                row,
                "说法",
                format!(
                    "\"{term}\" holds punctuation or spaces; write one word per row (a second word goes on its own row)"
                ),
            ));
        }
        let words = split_list(&words_cell);
        if words.len() > MAX_WORDS {
            problems.push(t.problem(
                row,
                "文件用语",
                format!(
                    "{} words; at most {MAX_WORDS} per row (keep the ones documents really use)",
                    words.len()
                ),
            ));
        }
        for w in &words {
            if *w == term {
                problems.push(t.problem(
                    row,
                    "文件用语",
                    format!("\"{w}\" is the everyday word itself; list only the words documents use instead"),
                ));
            } else if w.chars().count() > 2 * MAX_TERM_CHARS {
                problems.push(t.problem(
                    row,
                    "文件用语",
                    format!("\"{w}\" is too long for a search word; shorten it to the words a title uses"),
                ));
            }
        }
        if let Some(first) = first_row.get(&term) {
            problems.push(t.problem(
                row,
                "说法",
                format!("\"{term}\" is already listed at {first}; merge the two rows into one"),
            ));
        } else {
            first_row.insert(term.clone(), t.at(row, "说法"));
        }
        if problems.len() == before {
            out.push(Synonym { term, words });
        }
    }
    out.sort_by(|a, b| a.term.cmp(&b.term));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_exact_fen() {
        assert_eq!(parse_fen("12500.00"), Some(1_250_000));
        assert_eq!(parse_fen("12,500.5"), Some(1_250_050));
        assert_eq!(parse_fen("560元"), Some(56_000));
        assert_eq!(parse_fen("-3"), None);
        assert_eq!(parse_fen("1.234"), None);
        assert_eq!(parse_fen("abc"), None);
    }

    #[test]
    fn column_letters_follow_spreadsheet_names() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
    }
}
