//! 依申请公开: the 申请表 as a QR code; the process and the statutory time
//! limits are fixed text in `ui/pages/apply.slint`.

use std::rc::Rc;

use kiosk_content::StoreError;
use slint::ComponentHandle;

use super::{facts, show_page};
use crate::context::AppContext;
use crate::strings as zh;
use crate::{ApplyAdapter, MainWindow, PageId};

pub fn show(win: &MainWindow, ctx: &Rc<AppContext>) -> Result<(), StoreError> {
    let url = ctx.content.borrow().bundle().apply_url.clone();
    let a = win.global::<ApplyAdapter>();
    a.set_qr(crate::qr::image_or_empty(&url));
    ctx.usage.count(kiosk_content::usage::counter::QR_SHOWN);
    a.set_qr_url(url.into());
    a.set_qr_caption(zh::QR_APPLY.into());
    let hall = ctx.hall();
    a.set_where(facts(vec![
        (
            zh::PLACE,
            hall.as_ref()
                .map(|h| format!("{}（{}）", h.name, h.address))
                .unwrap_or_default(),
        ),
        (
            zh::OFFICE_HOURS,
            hall.as_ref().map(|h| h.hours.clone()).unwrap_or_default(),
        ),
        (
            zh::PHONE,
            hall.as_ref().map(|h| h.phone.clone()).unwrap_or_default(),
        ),
    ]));
    show_page(win, PageId::Apply, zh::TITLE_APPLY);
    Ok(())
}
