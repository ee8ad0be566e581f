//! Writes a sample slip as PNG, to look at a layout change without a
//! printer: `cargo run -p kiosk-hardware --example slip_preview -- out.png [58|80]`
//! (`TEST_PAGE=1` for the staff test page).

use kiosk_hardware::{PaperWidth, SlipContent, render_slip};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "slip.png".into());
    let paper = match args.next().as_deref() {
        Some("58") => PaperWidth::Mm58,
        _ => PaperWidth::Mm80,
    };
    let test_page = std::env::var_os("TEST_PAGE").is_some();
    let content = SlipContent {
        county: "示例县".into(),
        hall: "政务服务中心".into(),
        title: "城乡居民基本养老保险参保登记".into(),
        checklist: vec![
            "居民身份证原件及复印件（本人）".into(),
            "户口簿原件及复印件".into(),
            "《城乡居民基本养老保险参保登记表》一式两份".into(),
            "委托他人办理的，提供委托书和受托人身份证".into(),
        ],
        window: "一楼 3号综合窗口".into(),
        hours: "工作日 9:00-12:00，13:30-17:00（法定节假日除外）".into(),
        qr_url: "https://zwfw.example.gov.cn/form/yl-cbdj?from=kiosk".into(),
        printed_at: chrono::NaiveDate::from_ymd_opt(2025, 3, 14)
            .and_then(|d| d.and_hms_opt(10, 24, 0))
            .ok_or("bad date")?,
        footer: "本凭条仅供参考，以窗口受理为准。咨询电话 0000-12345".into(),
    };
    let content = if test_page {
        SlipContent::test_page(&content.county, &content.hall, content.printed_at)
    } else {
        content
    };
    let slip = render_slip(&content, paper)?;
    std::fs::write(&out, slip.raster.to_png()?)?;
    println!(
        "{out}: {}x{} dots, missing {:?}",
        slip.raster.width(),
        slip.raster.height(),
        slip.missing_chars
    );
    Ok(())
}
