//! One item in full: policies (with their interpretations and the revising
//! document), interpretations (Q&A and 图解), enterprise policies,
//! consultations, catalog entries and notices. Every one offers a QR code
//! that opens it on a phone.

use std::rc::Rc;

use kiosk_content::{Item, ItemStatus, StoreError, Validity};
use slint::{ComponentHandle, Image};

use super::{facts, item_row, model, show_page, status_badge, summary_row};
use crate::app;
use crate::context::{AppContext, Handle};
use crate::nav::Route;
use crate::strings as zh;
use crate::text::{block, date_opt, date_zh, kind, list_blocks, markdown_blocks, period_zh};
use crate::{Block, DetailAdapter, MainWindow, PageId, Row, Section};

pub fn setup(win: &MainWindow, ctx: &Rc<AppContext>) {
    let h = Handle::new(win, ctx);
    win.global::<DetailAdapter>()
        .on_open(move |r| h.run(|win, ctx| app::go(win, ctx, Route::Item(r.id.to_string()))));
}

fn section(title: &str, blocks: Vec<Block>) -> Option<Section> {
    (!blocks.is_empty()).then(|| Section {
        title: title.into(),
        blocks: model(blocks),
    })
}

struct Detail {
    title: String,
    badge: (String, i32),
    facts: Vec<(&'static str, String)>,
    picture: Option<Result<Image, String>>,
    caption: String,
    sections: Vec<Option<Section>>,
    links_title: &'static str,
    links: Vec<Row>,
    qr: (String, &'static str),
    qr2: Option<(String, &'static str)>,
}

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>, item: &Item) -> Result<(), StoreError> {
    let content = ctx.content.borrow();
    let bundle = content.bundle().clone();
    let today = content.today();
    let grace = bundle.grace_days;
    let item_url = bundle.item_url(&item.meta().id);
    let meta = item.meta();
    let status = item.status_on(today, grace);
    let badge = status_badge(item.kind(), item.validity_on(today), status);
    let domain = meta.domain.map(|d| d.zh().to_string()).unwrap_or_default();
    let mut d = Detail {
        title: meta.title.clone(),
        badge,
        facts: Vec::new(),
        picture: None,
        caption: String::new(),
        sections: Vec::new(),
        links_title: "",
        links: Vec::new(),
        qr: (item_url.clone(), zh::QR_ITEM),
        qr2: None,
    };
    match item {
        Item::Policy(p) => {
            let mut validity = match item.validity_on(today) {
                Validity::Expired => zh::ENDED_POLICY.to_string(),
                v => v.zh().to_string(),
            };
            let mut links = Vec::new();
            for s in content.interpretations_for(&meta.id)? {
                links.push(summary_row(ctx, &s));
            }
            let newer = match &p.replaced_by {
                Some(id) => content.item(id)?,
                None => None,
            };
            if let Some(n) = newer {
                validity = format!("{validity}（{}：《{}》）", zh::REPLACED_BY, n.meta().title);
                links.push(item_row(ctx, &n));
            }
            d.facts = vec![
                (zh::DOC_NUMBER, p.doc_number.clone().unwrap_or_default()),
                (zh::AGENCY, meta.agency.clone()),
                (zh::DOMAIN, domain),
                (zh::PUBLISHED, date_opt(meta.published)),
                (zh::EFFECTIVE, date_opt(p.effective)),
                (zh::EXPIRES, date_opt(p.expires)),
                (zh::VALIDITY, validity),
            ];
            d.sections.push(section(zh::BODY, markdown_blocks(&p.body)));
            d.links_title = zh::RELATED_INTERPRETATIONS;
            d.links = links;
        }
        Item::Interpretation(i) => {
            let mut titles = Vec::new();
            for pid in &i.policies {
                if let Some(p) = content.item(pid)? {
                    titles.push(format!("《{}》", p.meta().title));
                    d.links.push(item_row(ctx, &p));
                }
            }
            d.facts = vec![
                (zh::AGENCY, meta.agency.clone()),
                (zh::PUBLISHED, date_opt(meta.published)),
                (zh::DOMAIN, domain),
                (zh::INTERPRETS, titles.join("、")),
            ];
            if let Some(name) = &i.image {
                d.picture = Some(ctx.images.borrow_mut().get(&content, name).map_err(|e| {
                    tracing::warn!("{e}");
                    zh::image_missing(name)
                }));
                d.caption = i.image_caption.clone().unwrap_or_default();
            }
            let mut qa = Vec::new();
            for pair in &i.qa {
                qa.push(block(kind::QUESTION, pair.q.as_str(), zh::QUESTION));
                qa.push(block(kind::ANSWER, pair.a.as_str(), zh::ANSWER));
            }
            d.sections.push(section(zh::QA, qa));
            d.sections
                .push(section(zh::INTERPRETATION_BODY, markdown_blocks(&i.body)));
            d.links_title = zh::INTERPRETED_POLICIES;
            if let Some(v) = i.video_url.as_ref().or(i.audio_url.as_ref()) {
                d.qr2 = Some((v.clone(), zh::QR_VIDEO));
            }
        }
        Item::Enterprise(e) => {
            let state = match status {
                ItemStatus::Current => format!(
                    "{}，{}",
                    zh::OPEN_NOW,
                    zh::days_left((e.apply_end - today).num_days())
                ),
                ItemStatus::Upcoming => zh::UPCOMING.to_string(),
                _ => zh::ENDED.to_string(),
            };
            d.facts = vec![
                (zh::DEPARTMENT, e.department.clone()),
                (zh::CONTACT, e.contact.clone().unwrap_or_default()),
                (zh::PHONE, e.phone.clone()),
                (zh::APPLY_PERIOD, period_zh(e.apply_start, e.apply_end)),
                (zh::STATUS, state),
                (zh::AGENCY, meta.agency.clone()),
            ];
            d.sections
                .push(section(zh::CONDITIONS, list_blocks(&e.conditions, false)));
            d.sections
                .push(section(zh::MATERIALS, list_blocks(&e.materials, false)));
            d.sections
                .push(section(zh::PROCESS, list_blocks(&e.process, true)));
            d.sections
                .push(section(zh::POLICY_CONTENT, markdown_blocks(&e.body)));
            if let Some(url) = &e.online_url {
                d.qr = (url.clone(), zh::QR_DECLARE);
                d.qr2 = Some((item_url.clone(), zh::QR_ITEM));
            }
        }
        Item::Consultation(c) => {
            let state = match status {
                ItemStatus::Current => format!(
                    "{}，{}",
                    zh::CONSULTING_NOW,
                    zh::days_left((c.closes - today).num_days())
                ),
                ItemStatus::Upcoming => zh::UPCOMING.to_string(),
                _ => zh::ENDED.to_string(),
            };
            d.facts = vec![
                (zh::AGENCY, meta.agency.clone()),
                (zh::CONSULT_PERIOD, period_zh(c.opens, c.closes)),
                (zh::STATUS, state),
                (zh::EMAIL, c.email.clone().unwrap_or_default()),
                (zh::POST_ADDRESS, c.address.clone().unwrap_or_default()),
            ];
            if let Some(f) = &c.feedback {
                d.sections.push(section(zh::FEEDBACK, markdown_blocks(f)));
            }
            d.sections
                .push(section(zh::DRAFT, markdown_blocks(&c.body)));
            if status == ItemStatus::Current {
                d.qr = (c.submit_url.clone(), zh::QR_COMMENT);
                d.qr2 = Some((item_url.clone(), zh::QR_ITEM));
            }
        }
        Item::Catalog(c) => {
            d.facts = vec![
                (zh::DOMAIN, domain),
                (zh::CATEGORY, c.category.clone()),
                (zh::PUBLIC_BODY, meta.agency.clone()),
                (zh::PUBLIC_LIMIT, c.time_limit.clone()),
                (zh::PUBLIC_METHOD, c.methods.join("、")),
                (zh::PUBLIC_CHANNEL, c.channels.join("、")),
                (zh::PUBLIC_AUDIENCE, c.audience.clone()),
            ];
            d.sections
                .push(section(zh::PUBLIC_CONTENT, markdown_blocks(&c.content)));
            d.sections
                .push(section(zh::PUBLIC_BASIS, markdown_blocks(&c.basis)));
        }
        Item::Notice(n) => {
            d.facts = vec![
                (zh::AGENCY, meta.agency.clone()),
                (zh::NOTICE_PERIOD, period_zh(n.starts, n.ends)),
            ];
            d.sections.push(section("", markdown_blocks(&n.body)));
        }
        Item::Guide(_) | Item::Place(_) | Item::Village(_) => {}
    }
    drop(content);
    let page_title = match item {
        Item::Catalog(_) => zh::TITLE_CATALOG_ENTRY,
        other => other.kind().zh(),
    };
    let a = win.global::<DetailAdapter>();
    a.set_kind_label(item.kind().zh().into());
    a.set_title(d.title.into());
    a.set_badge(d.badge.0.into());
    a.set_tone(d.badge.1);
    a.set_facts(facts(d.facts));
    match d.picture {
        Some(Ok(img)) => {
            a.set_has_picture(true);
            a.set_picture(img);
            a.set_picture_missing("".into());
        }
        Some(Err(msg)) => {
            a.set_has_picture(true);
            a.set_picture(Image::default());
            a.set_picture_missing(msg.into());
        }
        None => {
            a.set_has_picture(false);
            a.set_picture(Image::default());
            a.set_picture_missing("".into());
        }
    }
    a.set_picture_caption(d.caption.into());
    a.set_sections(model(d.sections.into_iter().flatten().collect()));
    a.set_links_title(d.links_title.into());
    a.set_links(model(d.links));
    a.set_qr(crate::qr::image_or_empty(&d.qr.0));
    ctx.usage.count(kiosk_content::usage::counter::QR_SHOWN);
    a.set_qr_url(d.qr.0.into());
    a.set_qr_caption(d.qr.1.into());
    match d.qr2 {
        Some((url, caption)) => {
            a.set_has_qr2(true);
            a.set_qr2(crate::qr::image_or_empty(&url));
            a.set_qr2_url(url.into());
            a.set_qr2_caption(caption.into());
        }
        None => {
            a.set_has_qr2(false);
            a.set_qr2_url("".into());
        }
    }
    show_page(win, PageId::Detail, page_title);
    let _ = date_zh;
    Ok(())
}
