//! `bundle.toml` and Markdown files with TOML front matter.

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::value::Datetime;

use super::{Problem, valid_id};
use crate::domain::{Disclosure, Domain, Validity};
use crate::model::*;

/// Where a TOML text sits in its file, to turn spans into file lines.
pub(crate) struct TomlCtx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    /// File line number of the text's first line.
    pub first_line: usize,
}

impl TomlCtx<'_> {
    fn line_at(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.first_line + self.text[..offset].matches('\n').count()
    }

    /// File line of the `nth` (0-based) `key = ...` assignment, else of the
    /// text's first line.
    pub fn line_of(&self, key: &str, nth: usize) -> usize {
        let mut seen = 0;
        for (i, line) in self.text.lines().enumerate() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                if seen == nth {
                    return self.first_line + i;
                }
                seen += 1;
            }
        }
        self.first_line
    }

    pub fn problem(&self, key: &str, nth: usize, message: impl Into<String>) -> Problem {
        Problem::new(
            self.file,
            Some(self.line_of(key, nth).to_string()),
            Some(key),
            message,
        )
    }

    /// Deserializes the text, turning a TOML error into a located problem.
    pub fn parse<T: DeserializeOwned>(&self, problems: &mut Vec<Problem>) -> Option<T> {
        match toml::from_str::<T>(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| self.line_at(s.start))
                    .unwrap_or(self.first_line);
                let message = e.message().trim().to_string();
                let field = field_in_message(&message).or_else(|| {
                    let text_line = self
                        .text
                        .lines()
                        .nth(line.saturating_sub(self.first_line))?;
                    let key = text_line.split('=').next()?.trim();
                    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
                });
                problems.push(Problem {
                    file: self.file.to_string(),
                    at: Some(line.to_string()),
                    field,
                    message: format!("{message}; see FORMAT.md for this file's fields"),
                });
                None
            }
        }
    }
}

fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    let f = &message[start..end];
    (message.contains("field") && !f.is_empty()).then(|| f.to_string())
}

pub(crate) fn date_of(dt: &Datetime) -> Option<NaiveDate> {
    let d = dt.date?;
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

pub(crate) fn text_of<'a>(
    file: &str,
    bytes: &'a [u8],
    problems: &mut Vec<Problem>,
) -> Option<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Some(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            problems.push(Problem::new(
                file,
                Some(line.to_string()),
                None,
                "not valid UTF-8 text; save the file as UTF-8 (in Excel: \"CSV UTF-8\")",
            ));
            None
        }
    }
}

// ---------------------------------------------------------------- bundle.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    bundle: BundleSection,
    #[serde(default)]
    halls: Vec<HallSection>,
    #[serde(default)]
    villages: Vec<VillageSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleSection {
    county: String,
    title: String,
    publisher: String,
    base_url: String,
    apply_url: String,
    wechat_url: Option<String>,
    map_image: Option<String>,
    grace_days: Option<u32>,
    progress_as_of: Option<Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HallSection {
    id: String,
    name: String,
    address: String,
    hours: String,
    phone: String,
    floor_plan: Option<String>,
    #[serde(default)]
    windows: Vec<WindowSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowSection {
    number: String,
    name: String,
    x: f32,
    y: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VillageSection {
    id: String,
    name: String,
    township: String,
    hall: Option<String>,
    phone: Option<String>,
}

/// A village declared in bundle.toml; its tables live in villages/<id>/.
pub(crate) struct VillageDecl {
    pub id: String,
    pub name: String,
    pub township: String,
    pub hall: Option<String>,
    pub phone: Option<String>,
}

pub(crate) struct ParsedBundle {
    pub meta: BundleMeta,
    pub villages: Vec<VillageDecl>,
}

fn check_url(ctx: &TomlCtx, key: &str, url: &str, problems: &mut Vec<Problem>) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        problems.push(ctx.problem(
            key,
            0,
            format!("\"{url}\" is not a web address; it must start with https://"),
        ));
    }
}

pub(crate) fn parse_bundle(bytes: &[u8], problems: &mut Vec<Problem>) -> Option<ParsedBundle> {
    let file = "bundle.toml";
    let text = text_of(file, bytes, problems)?;
    let ctx = TomlCtx {
        file,
        text,
        first_line: 1,
    };
    let raw: BundleFile = ctx.parse(problems)?;
    let b = raw.bundle;
    check_url(&ctx, "base_url", &b.base_url, problems);
    check_url(&ctx, "apply_url", &b.apply_url, problems);
    if b.county.trim().is_empty() {
        problems.push(ctx.problem(
            "county",
            0,
            "the county name is shown on every screen; it cannot be empty",
        ));
    }
    let mut halls = Vec::new();
    let mut window_nth = 0;
    for (n, h) in raw.halls.into_iter().enumerate() {
        if !valid_id(&h.id) {
            problems.push(ctx.problem(
                "id",
                n,
                format!(
                    "hall id \"{}\" must be lowercase letters, digits and -",
                    h.id
                ),
            ));
        }
        let mut windows = Vec::new();
        for w in h.windows {
            if !(0.0..=1.0).contains(&w.x) || !(0.0..=1.0).contains(&w.y) {
                problems.push(ctx.problem(
                    "x",
                    window_nth,
                    format!(
                        "window {} position ({}, {}) must be within 0..1 of the floor plan",
                        w.number, w.x, w.y
                    ),
                ));
            }
            window_nth += 1;
            windows.push(HallWindow {
                number: w.number,
                name: w.name,
                x: w.x,
                y: w.y,
            });
        }
        halls.push(Hall {
            id: h.id,
            name: h.name,
            address: h.address,
            hours: h.hours,
            phone: h.phone,
            floor_plan: h.floor_plan,
            windows,
        });
    }
    let mut villages = Vec::new();
    for (n, v) in raw.villages.into_iter().enumerate() {
        let nth = halls.len() + n; // `id =` lines count halls first
        if !valid_id(&v.id) {
            problems.push(ctx.problem(
                "id",
                nth,
                format!(
                    "village id \"{}\" must be lowercase letters, digits and -",
                    v.id
                ),
            ));
        }
        villages.push(VillageDecl {
            id: v.id,
            name: v.name,
            township: v.township,
            hall: v.hall,
            phone: v.phone,
        });
    }
    let progress_as_of = match &b.progress_as_of {
        Some(d) => match date_of(d) {
            Some(d) => Some(d),
            None => {
                problems.push(ctx.problem("progress_as_of", 0, "must be a date like 2021-06-30"));
                None
            }
        },
        None => None,
    };
    Some(ParsedBundle {
        meta: BundleMeta {
            county: b.county,
            title: b.title,
            publisher: b.publisher,
            base_url: b.base_url,
            apply_url: b.apply_url,
            wechat_url: b.wechat_url,
            map_image: b.map_image,
            grace_days: b.grace_days.unwrap_or(365),
            progress_as_of,
            halls,
        },
        villages,
    })
}

// ------------------------------------------------------------- front matter

/// Splits `+++` TOML front matter from a Markdown body.
pub(crate) fn split_front_matter<'a>(
    file: &'a str,
    text: &'a str,
    problems: &mut Vec<Problem>,
) -> Option<(TomlCtx<'a>, &'a str)> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        problems.push(Problem::new(
            file,
            Some("1".into()),
            None,
            "must start with a line \"+++\", then TOML front matter, then a closing \"+++\"",
        ));
        return None;
    }
    let start = first.len();
    let mut offset = start;
    for line in lines {
        if line.trim_end() == "+++" {
            let fm = &text[start..offset];
            let body = &text[offset + line.len()..];
            return Some((
                TomlCtx {
                    file,
                    text: fm,
                    first_line: 2,
                },
                body.trim(),
            ));
        }
        offset += line.len();
    }
    problems.push(Problem::new(
        file,
        Some("1".into()),
        None,
        "front matter is not closed; add a line \"+++\" after it",
    ));
    None
}

/// Shared fields of every front matter, checked in one place.
struct Common<'a> {
    title: &'a str,
    agency: &'a str,
    domain: Option<&'a str>,
    domain_required: bool,
    disclosure: &'a str,
    published: &'a Datetime,
    keywords: Vec<String>,
}

/// The shared fields of a front matter struct `f`, for [`meta`].
macro_rules! common {
    ($f:ident, $domain:expr, $required:expr) => {
        Common {
            title: &$f.title,
            agency: &$f.agency,
            domain: $domain,
            domain_required: $required,
            disclosure: &$f.disclosure,
            published: &$f.published,
            keywords: $f.keywords.clone(),
        }
    };
}

fn meta(ctx: &TomlCtx, id: &str, c: Common, problems: &mut Vec<Problem>) -> Option<ItemMeta> {
    let before = problems.len();
    if !valid_id(id) {
        problems.push(Problem::new(
            ctx.file,
            None,
            Some("id"),
            format!("file name \"{id}\" is the item id: use lowercase letters, digits and - only, then .md"),
        ));
    }
    if c.title.trim().is_empty() {
        problems.push(ctx.problem("title", 0, "the title cannot be empty"));
    }
    if c.agency.trim().is_empty() {
        problems.push(ctx.problem("agency", 0, "the issuing agency cannot be empty"));
    }
    let disclosure = match Disclosure::parse(c.disclosure) {
        Some(Disclosure::Proactive) => Disclosure::Proactive,
        Some(other) => {
            problems.push(ctx.problem(
                "disclosure",
                0,
                format!(
                    "\"{other}\" items are never shown on a public kiosk; only 主动公开 items may be published (remove the file, or publish a redacted version as 主动公开)"
                ),
            ));
            other
        }
        None => {
            problems.push(ctx.problem(
                "disclosure",
                0,
                format!(
                    "unknown disclosure attribute \"{}\"; use one of: {}",
                    c.disclosure,
                    Disclosure::choices()
                ),
            ));
            Disclosure::NotDisclosed
        }
    };
    let domain = match c.domain {
        Some(d) => match Domain::parse(d) {
            Some(d) => Some(d),
            None => {
                problems.push(ctx.problem(
                    "domain",
                    0,
                    format!(
                        "unknown domain \"{d}\"; use one of the 26 standard domains: {}",
                        Domain::choices()
                    ),
                ));
                None
            }
        },
        None if c.domain_required => {
            problems.push(Problem::new(
                ctx.file,
                Some(ctx.first_line.to_string()),
                Some("domain"),
                "missing; name one of the 26 standard domains",
            ));
            None
        }
        None => None,
    };
    let published = date_field(ctx, "published", c.published, problems);
    (problems.len() == before).then(|| ItemMeta {
        id: id.to_string(),
        title: c.title.trim().to_string(),
        agency: c.agency.trim().to_string(),
        domain,
        disclosure,
        published,
        keywords: c.keywords,
    })
}

fn date_field(
    ctx: &TomlCtx,
    key: &str,
    dt: &Datetime,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    let d = date_of(dt);
    if d.is_none() {
        problems.push(ctx.problem(
            key,
            0,
            format!("\"{dt}\" is not a date; write it like 2021-06-30"),
        ));
    }
    d
}

fn opt_date(
    ctx: &TomlCtx,
    key: &str,
    dt: &Option<Datetime>,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    dt.as_ref().and_then(|d| date_field(ctx, key, d, problems))
}

fn check_order(
    ctx: &TomlCtx,
    key: &str,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    problems: &mut Vec<Problem>,
) {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problems.push(ctx.problem(
            key,
            0,
            format!("ends ({e}) before it starts ({s}); check both dates"),
        ));
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFront {
    title: String,
    doc_number: Option<String>,
    agency: String,
    domain: String,
    disclosure: String,
    published: Datetime,
    effective: Option<Datetime>,
    expires: Option<Datetime>,
    validity: Option<String>,
    replaced_by: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterpretationFront {
    title: String,
    agency: String,
    domain: String,
    disclosure: String,
    published: Datetime,
    #[serde(default)]
    policies: Vec<String>,
    image: Option<String>,
    image_caption: Option<String>,
    video_url: Option<String>,
    audio_url: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    qa: Vec<QaPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialFront {
    name: String,
    form: String,
    copies: Option<u32>,
    source: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuideFront {
    title: String,
    agency: String,
    domain: String,
    disclosure: String,
    published: Datetime,
    matter_code: Option<String>,
    #[serde(default)]
    basis: Vec<String>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    steps: Vec<String>,
    statutory_days: Option<u32>,
    promised_days: Option<u32>,
    fee: Option<String>,
    hall: String,
    window: String,
    hours: Option<String>,
    phone: String,
    complaint_phone: Option<String>,
    online_url: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    materials: Vec<MaterialFront>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterpriseFront {
    title: String,
    agency: String,
    domain: Option<String>,
    disclosure: String,
    published: Datetime,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    materials: Vec<String>,
    #[serde(default)]
    process: Vec<String>,
    department: String,
    contact: Option<String>,
    phone: String,
    apply_start: Datetime,
    apply_end: Datetime,
    online_url: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsultationFront {
    title: String,
    agency: String,
    domain: Option<String>,
    disclosure: String,
    published: Datetime,
    opens: Datetime,
    closes: Datetime,
    submit_url: String,
    email: Option<String>,
    address: Option<String>,
    feedback: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeFront {
    title: String,
    agency: String,
    domain: Option<String>,
    disclosure: String,
    published: Datetime,
    starts: Datetime,
    ends: Datetime,
    hall: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

/// Parses one Markdown item; returns it with the file line of its title.
pub(crate) fn parse_item(
    dir: &str,
    file: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Option<(Item, usize)> {
    let text = text_of(file, bytes, problems)?;
    let (ctx, body) = split_front_matter(file, text, problems)?;
    let id = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".md");
    let body = body.to_string();
    let title_line = ctx.line_of("title", 0);
    let item = match dir {
        "policies" => {
            let f: PolicyFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, Some(&f.domain), true), problems);
            let effective = opt_date(&ctx, "effective", &f.effective, problems);
            let expires = opt_date(&ctx, "expires", &f.expires, problems);
            check_order(&ctx, "expires", effective, expires, problems);
            let validity = match f.validity.as_deref() {
                None => Some(Validity::Valid),
                Some(v) => {
                    let parsed = Validity::parse(v);
                    if parsed.is_none() {
                        problems.push(ctx.problem(
                            "validity",
                            0,
                            format!(
                                "unknown validity \"{v}\"; use one of: {}",
                                Validity::choices()
                            ),
                        ));
                    }
                    parsed
                }
            };
            if let Some(dn) = &f.doc_number
                && crate::text::doc_number_key(dn).is_none()
            {
                problems.push(ctx.problem(
                    "doc_number",
                    0,
                    format!(
                        "\"{dn}\" has no year and serial number; write it like 示政办发〔2020〕33号"
                    ),
                ));
            }
            Item::Policy(Policy {
                meta: meta?,
                doc_number: f.doc_number,
                effective,
                expires,
                validity: validity?,
                replaced_by: f.replaced_by,
                body,
            })
        }
        "interpretations" => {
            let f: InterpretationFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, Some(&f.domain), true), problems);
            for (n, qa) in f.qa.iter().enumerate() {
                if qa.q.trim().is_empty() || qa.a.trim().is_empty() {
                    problems.push(ctx.problem("q", n, "a Q&A entry needs both q and a"));
                }
            }
            Item::Interpretation(Interpretation {
                meta: meta?,
                policies: f.policies,
                image: f.image,
                image_caption: f.image_caption,
                video_url: f.video_url,
                audio_url: f.audio_url,
                qa: f.qa,
                body,
            })
        }
        "guides" => {
            let f: GuideFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, Some(&f.domain), true), problems);
            const FORMS: &[&str] = &["原件", "复印件", "原件及复印件", "电子证照"];
            let mut materials = Vec::new();
            for (n, m) in f.materials.into_iter().enumerate() {
                if !FORMS.contains(&m.form.as_str()) {
                    problems.push(ctx.problem(
                        "form",
                        n,
                        format!(
                            "material \"{}\": form \"{}\" must be one of {}",
                            m.name,
                            m.form,
                            FORMS.join("、")
                        ),
                    ));
                }
                materials.push(Material {
                    name: m.name,
                    form: m.form,
                    copies: m.copies.unwrap_or(1),
                    source: m.source.unwrap_or_else(|| "申请人自备".into()),
                    note: m.note,
                });
            }
            if materials.is_empty() {
                problems.push(Problem::new(
                    file,
                    Some(title_line.to_string()),
                    Some("materials"),
                    "a service guide lists its materials as [[materials]] entries (write 无 as one entry if none)",
                ));
            }
            if let (Some(s), Some(p)) = (f.statutory_days, f.promised_days)
                && p > s
            {
                problems.push(ctx.problem(
                        "promised_days",
                        0,
                        format!("promised time limit ({p} days) is longer than the statutory one ({s}); check both"),
                    ));
            }
            if let Some(u) = &f.online_url {
                check_url(&ctx, "online_url", u, problems);
            }
            Item::Guide(Guide {
                meta: meta?,
                matter_code: f.matter_code,
                basis: f.basis,
                conditions: f.conditions,
                materials,
                steps: f.steps,
                statutory_days: f.statutory_days,
                promised_days: f.promised_days,
                fee: f.fee.unwrap_or_else(|| "不收费".into()),
                hall: f.hall,
                window: f.window,
                hours: f.hours.unwrap_or_default(),
                phone: f.phone,
                complaint_phone: f.complaint_phone,
                online_url: f.online_url,
                body,
            })
        }
        "enterprise" => {
            let f: EnterpriseFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, f.domain.as_deref(), false), problems);
            let start = date_field(&ctx, "apply_start", &f.apply_start, problems);
            let end = date_field(&ctx, "apply_end", &f.apply_end, problems);
            check_order(&ctx, "apply_end", start, end, problems);
            if let Some(u) = &f.online_url {
                check_url(&ctx, "online_url", u, problems);
            }
            Item::Enterprise(EnterprisePolicy {
                meta: meta?,
                conditions: f.conditions,
                materials: f.materials,
                process: f.process,
                department: f.department,
                contact: f.contact,
                phone: f.phone,
                apply_start: start?,
                apply_end: end?,
                online_url: f.online_url,
                body,
            })
        }
        "consultations" => {
            let f: ConsultationFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, f.domain.as_deref(), false), problems);
            let opens = date_field(&ctx, "opens", &f.opens, problems);
            let closes = date_field(&ctx, "closes", &f.closes, problems);
            check_order(&ctx, "closes", opens, closes, problems);
            check_url(&ctx, "submit_url", &f.submit_url, problems);
            Item::Consultation(Consultation {
                meta: meta?,
                opens: opens?,
                closes: closes?,
                submit_url: f.submit_url,
                email: f.email,
                address: f.address,
                feedback: f.feedback.map(|s| s.trim().to_string()),
                body,
            })
        }
        "notices" => {
            let f: NoticeFront = ctx.parse(problems)?;
            let meta = meta(&ctx, id, common!(f, f.domain.as_deref(), false), problems);
            let starts = date_field(&ctx, "starts", &f.starts, problems);
            let ends = date_field(&ctx, "ends", &f.ends, problems);
            check_order(&ctx, "ends", starts, ends, problems);
            Item::Notice(Notice {
                meta: meta?,
                starts: starts?,
                ends: ends?,
                hall: f.hall,
                body,
            })
        }
        _ => return None,
    };
    Some((item, title_line))
}
