//! The content model: every kind of item a kiosk shows. These types are what
//! the parser produces, what a bundle carries (as JSON) and what the store
//! returns to the app.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Disclosure, Domain, ItemKind, PlaceCategory, Validity};

/// Fields every item has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// Stable id: lowercase ASCII letters, digits and `-`; unique in a bundle.
    pub id: String,
    pub title: String,
    /// 发布机构 / 实施主体 / 公开主体.
    pub agency: String,
    pub domain: Option<Domain>,
    /// Always [`Disclosure::Proactive`] once compiled; kept so the store can
    /// filter again on read.
    pub disclosure: Disclosure,
    pub published: Option<NaiveDate>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub meta: ItemMeta,
    /// 文号, e.g. 示政办发〔2020〕33号.
    pub doc_number: Option<String>,
    pub effective: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub validity: Validity,
    /// Id of the policy that revised or repealed this one.
    pub replaced_by: Option<String>,
    /// 正文, Markdown.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaPair {
    pub q: String,
    pub a: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpretation {
    pub meta: ItemMeta,
    /// Ids of the interpreted policies.
    pub policies: Vec<String>,
    /// Asset name of the 图解 illustration.
    pub image: Option<String>,
    pub image_caption: Option<String>,
    pub video_url: Option<String>,
    pub audio_url: Option<String>,
    pub qa: Vec<QaPair>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    /// 原件 | 复印件 | 原件及复印件 | 电子证照.
    pub form: String,
    pub copies: u32,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    pub meta: ItemMeta,
    pub matter_code: Option<String>,
    /// 设定依据.
    pub basis: Vec<String>,
    /// 受理条件.
    pub conditions: Vec<String>,
    pub materials: Vec<Material>,
    /// 办理流程.
    pub steps: Vec<String>,
    /// 法定办结时限, working days.
    pub statutory_days: Option<u32>,
    /// 承诺办结时限, working days.
    pub promised_days: Option<u32>,
    pub fee: String,
    /// Hall id from the bundle.
    pub hall: String,
    pub window: String,
    pub hours: String,
    pub phone: String,
    pub complaint_phone: Option<String>,
    pub online_url: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterprisePolicy {
    pub meta: ItemMeta,
    pub conditions: Vec<String>,
    pub materials: Vec<String>,
    pub process: Vec<String>,
    pub department: String,
    pub contact: Option<String>,
    pub phone: String,
    pub apply_start: NaiveDate,
    pub apply_end: NaiveDate,
    pub online_url: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consultation {
    pub meta: ItemMeta,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
    pub submit_url: String,
    pub email: Option<String>,
    pub address: Option<String>,
    /// 意见采纳情况反馈, once the consultation has closed.
    pub feedback: Option<String>,
    /// The draft text, Markdown.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub meta: ItemMeta,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    /// Only on this hall's kiosks when set.
    pub hall: Option<String>,
    pub body: String,
}

/// One row of the standard disclosure catalog (标准目录 / 事项清单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// `title` is 事项名称, `agency` is 公开主体, `domain` is always set.
    pub meta: ItemMeta,
    /// 事项类别.
    pub category: String,
    /// 公开内容（要素）.
    pub content: String,
    /// 公开依据.
    pub basis: String,
    /// 公开时限.
    pub time_limit: String,
    /// 公开方式.
    pub methods: Vec<String>,
    /// 公开渠道（载体）.
    pub channels: Vec<String>,
    /// 公开对象: 全社会 or 特定群体.
    pub audience: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// `title` is the place's name; `agency` is empty.
    pub meta: ItemMeta,
    pub category: PlaceCategory,
    pub address: String,
    pub hours: String,
    pub phone: String,
    /// Position on the bundle's map image, 0..1 from the left and the top.
    pub map_x: f32,
    pub map_y: f32,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinanceRow {
    /// 期间, e.g. 2021年第一季度.
    pub period: String,
    /// true for 收入, false for 支出.
    pub income: bool,
    pub subject: String,
    /// Amount in fen (1/100 yuan), so sums are exact.
    pub amount_fen: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistanceRow {
    /// 月份, e.g. 2021-05.
    pub month: String,
    /// 低保, 特困, 耕地地力保护补贴, ...
    pub category: String,
    /// Head of household as published locally, masked (张*明).
    pub head: String,
    pub persons: u32,
    pub amount_fen: i64,
    pub note: String,
}

/// 村务公开 for one village station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Village {
    /// `title` is the village name.
    pub meta: ItemMeta,
    pub township: String,
    pub hall: Option<String>,
    pub phone: Option<String>,
    pub finance: Vec<FinanceRow>,
    pub assistance: Vec<AssistanceRow>,
}

/// Any item, tagged by kind in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Item {
    Policy(Policy),
    Interpretation(Interpretation),
    Guide(Guide),
    Enterprise(EnterprisePolicy),
    Consultation(Consultation),
    Catalog(CatalogEntry),
    Place(Place),
    Notice(Notice),
    Village(Village),
}

/// How an item stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemStatus {
    /// In force / open / current.
    Current,
    /// Not open yet (consultation, enterprise application, notice).
    Upcoming,
    /// 已失效 (policy) or 已截止 (application period, consultation), still shown.
    Ended,
    /// Ended longer ago than the bundle's grace period: not shown.
    Hidden,
}

impl Item {
    pub fn meta(&self) -> &ItemMeta {
        match self {
            Item::Policy(x) => &x.meta,
            Item::Interpretation(x) => &x.meta,
            Item::Guide(x) => &x.meta,
            Item::Enterprise(x) => &x.meta,
            Item::Consultation(x) => &x.meta,
            Item::Catalog(x) => &x.meta,
            Item::Place(x) => &x.meta,
            Item::Notice(x) => &x.meta,
            Item::Village(x) => &x.meta,
        }
    }

    pub fn kind(&self) -> ItemKind {
        match self {
            Item::Policy(_) => ItemKind::Policy,
            Item::Interpretation(_) => ItemKind::Interpretation,
            Item::Guide(_) => ItemKind::Guide,
            Item::Enterprise(_) => ItemKind::EnterprisePolicy,
            Item::Consultation(_) => ItemKind::Consultation,
            Item::Catalog(_) => ItemKind::CatalogEntry,
            Item::Place(_) => ItemKind::Place,
            Item::Notice(_) => ItemKind::Notice,
            Item::Village(_) => ItemKind::Village,
        }
    }

    /// The long text searched beyond the title.
    pub fn search_body(&self) -> String {
        let mut s = String::new();
        let mut push = |t: &str| {
            s.push_str(t);
            s.push('\n');
        };
        match self {
            Item::Policy(x) => {
                push(&x.body);
            }
            Item::Interpretation(x) => {
                for qa in &x.qa {
                    push(&qa.q);
                    push(&qa.a);
                }
                push(&x.body);
            }
            Item::Guide(x) => {
                x.conditions.iter().for_each(|t| push(t));
                x.materials.iter().for_each(|m| push(&m.name));
                x.steps.iter().for_each(|t| push(t));
                push(&x.body);
            }
            Item::Enterprise(x) => {
                x.conditions.iter().for_each(|t| push(t));
                push(&x.department);
                push(&x.body);
            }
            Item::Consultation(x) => {
                push(&x.body);
            }
            Item::Catalog(x) => {
                push(&x.category);
                push(&x.content);
                push(&x.basis);
            }
            Item::Place(x) => {
                push(&x.address);
                x.services.iter().for_each(|t| push(t));
            }
            Item::Notice(x) => {
                push(&x.body);
            }
            Item::Village(x) => {
                push(&x.township);
            }
        }
        push(&self.meta().agency);
        s
    }

    /// Start of the item's period, where it has one.
    pub fn start_date(&self) -> Option<NaiveDate> {
        match self {
            Item::Policy(x) => x.effective,
            Item::Enterprise(x) => Some(x.apply_start),
            Item::Consultation(x) => Some(x.opens),
            Item::Notice(x) => Some(x.starts),
            _ => None,
        }
    }

    /// End of the item's period, where it has one.
    pub fn end_date(&self) -> Option<NaiveDate> {
        match self {
            Item::Policy(x) => x.expires,
            Item::Enterprise(x) => Some(x.apply_end),
            Item::Consultation(x) => Some(x.closes),
            Item::Notice(x) => Some(x.ends),
            _ => None,
        }
    }

    /// The validity used for ranking: a policy's own, otherwise derived
    /// from its period.
    pub fn validity_on(&self, today: NaiveDate) -> Validity {
        if let Item::Policy(p) = self {
            if p.validity == Validity::Valid && p.expires.is_some_and(|e| e < today) {
                return Validity::Expired;
            }
            return p.validity;
        }
        match self.end_date() {
            Some(end) if end < today => Validity::Expired,
            _ => Validity::Valid,
        }
    }

    /// Where the item stands on `today`, given the bundle's grace period.
    /// Policies that are no longer valid stay visible (shown as 已失效)
    /// until their end is past the grace period.
    pub fn status_on(&self, today: NaiveDate, grace_days: u32) -> ItemStatus {
        status_for(
            self.kind(),
            self.start_date(),
            self.end_date(),
            self.validity_on(today),
            today,
            grace_days,
        )
    }
}

/// Status from the columns the store keeps, shared by [`Item::status_on`]
/// and the store's list queries so both agree.
pub fn status_for(
    kind: ItemKind,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    validity: Validity,
    today: NaiveDate,
    grace_days: u32,
) -> ItemStatus {
    let grace = chrono::Duration::days(i64::from(grace_days));
    if let Some(end) = end
        && end < today
    {
        // A hall notice is only worth showing during its period.
        if kind == ItemKind::Notice || end + grace < today {
            return ItemStatus::Hidden;
        }
        return ItemStatus::Ended;
    }
    if matches!(
        validity,
        Validity::Expired | Validity::Repealed | Validity::Revised
    ) {
        return ItemStatus::Ended;
    }
    if let Some(start) = start
        && start > today
        && kind != ItemKind::Policy
    {
        return if kind == ItemKind::Notice {
            ItemStatus::Hidden
        } else {
            ItemStatus::Upcoming
        };
    }
    ItemStatus::Current
}

/// A window in a hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallWindow {
    pub number: String,
    pub name: String,
    /// Position on the hall floor plan, 0..1.
    pub x: f32,
    pub y: f32,
}

/// A convenience-service hall (便民服务中心) whose kiosks show this content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hall {
    pub id: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub phone: String,
    /// Asset name of the floor plan image.
    pub floor_plan: Option<String>,
    pub windows: Vec<HallWindow>,
}

/// Bundle-wide settings from `bundle.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    pub county: String,
    pub title: String,
    pub publisher: String,
    /// Phone QR for an item: `base_url` + `item/<id>`.
    pub base_url: String,
    /// 政府信息公开申请 online form.
    pub apply_url: String,
    pub wechat_url: Option<String>,
    /// Asset name of the convenience-map image.
    pub map_image: Option<String>,
    pub grace_days: u32,
    pub progress_as_of: Option<NaiveDate>,
    pub halls: Vec<Hall>,
}

impl BundleMeta {
    /// The URL a phone opens for an item (shown as QR on every detail page).
    pub fn item_url(&self, id: &str) -> String {
        let base = self.base_url.trim_end_matches('/');
        format!("{base}/item/{id}")
    }

    pub fn hall(&self, id: &str) -> Option<&Hall> {
        self.halls.iter().find(|h| h.id == id)
    }
}

/// One step of a case's handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressStep {
    pub date: NaiveDate,
    pub name: String,
}

/// A case's progress as the resident sees it after a successful lookup.
/// Only ever stored sealed (see [`crate::progress`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressRecord {
    pub case_number: String,
    pub matter: String,
    /// Applicant as masked in the export (李*华).
    pub applicant: String,
    pub accepted: NaiveDate,
    pub due: Option<NaiveDate>,
    pub status: String,
    pub steps: Vec<ProgressStep>,
    pub window: String,
}
