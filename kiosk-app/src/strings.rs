//! Every user-visible string the Rust side sets, in one table, so a
//! translation (or a wording fix) touches one file. Content itself (titles,
//! bodies, names) comes from the store as published.

// Page titles.
pub const TITLE_SEARCH: &str = "搜索";
pub const TITLE_POLICIES: &str = "政策文件";
pub const TITLE_INTERPRETATIONS: &str = "政策解读";
pub const TITLE_GUIDES: &str = "办事指南";
pub const TITLE_ENTERPRISE: &str = "惠企政策";
pub const TITLE_CONSULTATIONS: &str = "意见征集";
pub const TITLE_NOTICES: &str = "公告通知";
pub const TITLE_PROGRESS: &str = "办事进度查询";
pub const TITLE_MAP: &str = "便民地图";
pub const TITLE_HALL: &str = "大厅导航";
pub const TITLE_APPLY: &str = "依申请公开";
pub const TITLE_CATALOG: &str = "公开目录";
pub const TITLE_VILLAGE: &str = "村务公开";
pub const TITLE_STAFF: &str = "工作人员管理";
pub const TITLE_CATALOG_ENTRY: &str = "公开目录事项";

// Filters.
pub const ALL: &str = "全部";
pub const FILTER_DOMAIN: &str = "领域";
pub const FILTER_AGENCY: &str = "发布机构";
pub const FILTER_IMPLEMENTER: &str = "实施主体";
pub const FILTER_DEPARTMENT: &str = "主管部门";
pub const FILTER_YEAR: &str = "年份";
pub const FILTER_VALIDITY: &str = "效力";
pub const FILTER_STATUS: &str = "状态";
pub const VALID: &str = "有效";
pub const ENDED_POLICY: &str = "已失效";
pub const OPEN_NOW: &str = "申报中";
pub const CONSULTING_NOW: &str = "征集中";
pub const ENDED: &str = "已截止";
pub const UPCOMING: &str = "未开始";

// Badges.
pub const REVISED: &str = "已修订";
pub const REPEALED: &str = "已废止";

// Fact labels.
pub const DOC_NUMBER: &str = "文号";
pub const AGENCY: &str = "发布机构";
pub const IMPLEMENTER: &str = "实施主体";
pub const DOMAIN: &str = "领域";
pub const PUBLISHED: &str = "发布日期";
pub const EFFECTIVE: &str = "施行日期";
pub const EXPIRES: &str = "有效期至";
pub const VALIDITY: &str = "效力";
pub const INTERPRETS: &str = "解读文件";
pub const DEPARTMENT: &str = "受理部门";
pub const CONTACT: &str = "联系人";
pub const PHONE: &str = "咨询电话";
pub const COMPLAINT_PHONE: &str = "监督电话";
pub const APPLY_PERIOD: &str = "申报时间";
pub const STATUS: &str = "状态";
pub const CONSULT_PERIOD: &str = "征集时间";
pub const EMAIL: &str = "电子邮箱";
pub const POST_ADDRESS: &str = "信函地址";
pub const TIME_LIMIT: &str = "办理时限";
pub const FEE: &str = "收费标准";
pub const PLACE: &str = "办理地点";
pub const WINDOW: &str = "办理窗口";
pub const HOURS: &str = "办理时间";
pub const MATTER_CODE: &str = "事项编码";
pub const ADDRESS: &str = "地址";
pub const OPENING_HOURS: &str = "开放时间";
pub const TEL: &str = "电话";
pub const SERVICES: &str = "服务";
pub const OFFICE_HOURS: &str = "办公时间";
pub const CATEGORY: &str = "事项类别";
pub const PUBLIC_BODY: &str = "公开主体";
pub const PUBLIC_LIMIT: &str = "公开时限";
pub const PUBLIC_METHOD: &str = "公开方式";
pub const PUBLIC_CHANNEL: &str = "公开渠道";
pub const PUBLIC_AUDIENCE: &str = "公开对象";
pub const NOTICE_PERIOD: &str = "公告时间";
pub const TOWNSHIP: &str = "所属乡镇";
pub const CASE_NUMBER: &str = "办件编号";
pub const MATTER: &str = "事项名称";
pub const APPLICANT: &str = "申请人";
pub const ACCEPTED: &str = "受理日期";
pub const DUE: &str = "承诺办结";
pub const HANDLING_WINDOW: &str = "办理窗口";

// Section titles.
pub const BODY: &str = "正文";
pub const QA: &str = "简明问答";
pub const INTERPRETATION_BODY: &str = "解读内容";
pub const CONDITIONS: &str = "申报条件";
pub const MATERIALS: &str = "申报材料";
pub const PROCESS: &str = "申报流程";
pub const POLICY_CONTENT: &str = "政策内容";
pub const DRAFT: &str = "征求意见稿";
pub const FEEDBACK: &str = "意见采纳情况反馈";
pub const PUBLIC_CONTENT: &str = "公开内容";
pub const PUBLIC_BASIS: &str = "公开依据";
pub const RELATED_INTERPRETATIONS: &str = "相关解读";
pub const INTERPRETED_POLICIES: &str = "解读的政策文件";
pub const REPLACED_BY: &str = "修订或废止本文件的文件";
pub const QUESTION: &str = "问";
pub const ANSWER: &str = "答";

// QR captions.
pub const QR_ITEM: &str = "扫码在手机上查看";
pub const QR_ONLINE: &str = "扫码网上办理";
pub const QR_DECLARE: &str = "扫码网上申报";
pub const QR_COMMENT: &str = "扫码提交意见";
pub const QR_VIDEO: &str = "扫码观看视频解读";
/// The map card's code when the place has coordinates: it opens the place
/// in a phone's map app (Amap), which navigates there.
pub const QR_NAVIGATE: &str = "扫码用手机地图导航";
/// The map card's code when the place has no coordinates: it opens the
/// place's page on the county site, which gives the address, not a route.
pub const QR_PLACE_PAGE: &str = "扫码在手机上查看地址和电话";
pub const QR_APPLY: &str = "扫码填写申请表";

// Search.
pub const SEARCH_HINT: &str = "输入拼音即可搜索，例如低保输入 db 或 dibao。";
/// The hint on the 手写 tab before anything is written.
pub const SEARCH_HINT_HANDWRITING: &str =
    "在下方格子里用手指写字，一次写一个字，再点上面出现的字。";
/// The hint on the 123 tab.
pub const SEARCH_HINT_DIGITS: &str = "输入文号数字，例如 2020 33，就能找到这份文件。";
pub const SEARCH_NONE: &str = "没有找到相关内容。请换一个词，或少输入几个字再试。";
pub const SEARCH_MORE: &str = "还有更多结果，输入更完整的词可以找得更准。";
/// Shown above the closest partial matches when nothing matched exactly.
pub const SEARCH_PARTIAL: &str = "没有完全相符的内容，下面是最接近的结果。";
/// Followed by the hall's enquiry phone.
pub const SEARCH_PHONE: &str = "不清楚可以拨打咨询电话 ";
/// Title of the group of service places whose services mention the words.
pub const SEARCH_PLACES: &str = "可以去这里办理或咨询";

// Lists.
pub const LIST_EMPTY: &str = "没有符合条件的内容，请换一个筛选条件。";

// Progress.
pub const PROGRESS_NOT_FOUND: &str =
    "没有查到这个办件。请核对受理回执上的办件编号和查询码后再试；如仍有疑问，请到窗口咨询。";
pub const PROGRESS_NEED_CASE: &str = "请先输入办件编号。";
pub const PROGRESS_NEED_CODE: &str = "请输入 6 位查询码。";
pub const PROGRESS_BUSY: &str = "正在查询，请稍候……";
pub const PROGRESS_ERROR: &str = "暂时无法查询，请到窗口咨询。";
/// A scan that is not a receipt's code (see kiosk-content/FORMAT.md).
pub const PROGRESS_SCAN_UNREADABLE: &str =
    "没有认出这个码。请扫描受理回执上的查询码图案，或用数字键输入办件编号。";
/// A receipt's code that carried the case number only.
pub const PROGRESS_SCAN_NEED_CODE: &str = "已读取办件编号，请输入 6 位查询码。";

/// A receipt of another case system (its case number has another prefix).
pub fn progress_scan_other_prefix(prefix: &str) -> String {
    format!("这张回执的办件编号不是 {prefix} 开头的，本机查不到。请到窗口咨询。")
}

// Hall and map.
pub const HALL_WINDOW_COUNT: &str = "可办理事项";
pub const HALL_NO_GUIDES: &str = "本窗口暂无办事指南，请咨询工作人员。";
pub const NO_HALL: &str = "本机未设置所在大厅，请联系工作人员。";

// Images.
pub const IMAGE_MISSING: &str = "图片暂缺";

// Printing.
pub const PRINT_SENT: &str = "正在打印，请在打印口取走材料清单。";
pub const PRINT_DONE: &str = "已打印，请取走材料清单。";
/// The guide page's section title for the guide's free text (`@tr` in
/// guide.slint shows the same words).
pub const NOTES_TITLE: &str = "注意事项";

pub const PRINT_FOOTER: &str = "以窗口受理要求为准";

/// The slip's small print, with the guide's enquiry phone when it has one.
pub fn print_footer(phone: &str) -> String {
    let phone = phone.trim();
    if phone.is_empty() {
        PRINT_FOOTER.to_string()
    } else {
        format!("{PRINT_FOOTER}。咨询电话 {phone}")
    }
}
pub const PRINTER_NONE: &str = "本机未连接打印机";

// Village.
pub const INCOME: &str = "收入";
pub const EXPENSE: &str = "支出";
pub const INCOME_TOTAL: &str = "收入合计";
pub const EXPENSE_TOTAL: &str = "支出合计";
pub const BALANCE: &str = "收支相抵";
pub const VILLAGE_NONE: &str = "暂无村务公开内容。";
/// 数据截至2021年12月 (the end of the newest period with figures).
pub fn data_as_of(year: i32, month: u32) -> String {
    format!("数据截至{year}年{month}月")
}
pub const SUBTOTAL: &str = "小计";

// Staff.
pub const PIN_NOT_SET: &str = "本机未设置管理密码（配置项 staff_pin_hash），无法进入管理。";
pub const DAEMON_RUNNING: &str = "同步服务运行中";
pub const DAEMON_NOT_RUNNING: &str = "同步服务未运行";
pub const DAEMON_CHECKING: &str = "正在连接同步服务……";

// Header and errors.
pub const CONTENT_DATE: &str = "信息更新";
pub const CONTENT_ERROR: &str = "内容读取出错，当前显示的内容保持不变。请联系工作人员。";
pub const NO_CONTENT: &str = "本机暂无可显示的内容";
pub const NO_CONTENT_HINT: &str = "工作人员可通过同步或导入U盘加载内容。";
pub const ITEM_GONE: &str = "该内容已更新或下架，已返回上一页。";

pub fn list_count(n: usize, more: bool) -> String {
    if more {
        format!("已显示 {n} 条，还有更多")
    } else {
        format!("共 {n} 条")
    }
}

pub fn days_left(n: i64) -> String {
    if n <= 0 {
        "今天截止".into()
    } else {
        format!("还剩 {n} 天")
    }
}

pub fn window_label(number: &str, name: &str) -> String {
    if name.is_empty() {
        format!("{number}号窗口")
    } else {
        format!("{number}号窗口（{name}）")
    }
}

pub fn time_limit(statutory: Option<u32>, promised: Option<u32>) -> String {
    match (statutory, promised) {
        (Some(s), Some(p)) => format!("法定 {s} 个工作日，承诺 {p} 个工作日"),
        (Some(s), None) => format!("法定 {s} 个工作日"),
        (None, Some(p)) => format!("承诺 {p} 个工作日"),
        (None, None) => String::new(),
    }
}

fn material_parts(form: &str, copies: u32, source: &str) -> Vec<String> {
    let mut parts = vec![form.to_string()];
    if copies > 0 {
        parts.push(format!("{copies} 份"));
    }
    if !source.is_empty() {
        parts.push(source.to_string());
    }
    parts
}

pub fn material_detail(form: &str, copies: u32, source: &str) -> String {
    material_parts(form, copies, source).join(" · ")
}

/// A material's form and copies on a printed slip: plain spaces, since the
/// slip font prints "·" as a wide gap.
pub fn slip_material_detail(form: &str, copies: u32) -> String {
    material_parts(form, copies, "").join(" ")
}

pub fn image_missing(name: &str) -> String {
    format!("{IMAGE_MISSING}（{name}）")
}

pub fn data_date(d: &str) -> String {
    format!("数据日期：{d}。办理情况以窗口答复为准。")
}

pub fn pin_wrong(tries_left: u32) -> String {
    format!("密码错误，还可以再试 {tries_left} 次。")
}

pub fn pin_locked(minutes: u64) -> String {
    format!("密码错误次数过多，已锁定。请 {minutes} 分钟后再试。")
}

pub fn window_guides(number: &str, name: &str) -> String {
    format!("{} 可办理的事项", window_label(number, name))
}

pub fn guides_count(n: usize) -> String {
    format!("{}：{n} 项", HALL_WINDOW_COUNT)
}

pub fn households(n: usize) -> String {
    format!("{n} 户")
}

pub fn amount_yuan(s: &str) -> String {
    format!("{s} 元")
}

pub fn daemon_not_running(socket: &str) -> String {
    format!(
        "{DAEMON_NOT_RUNNING}：找不到 {socket}。内容照常显示，但不会更新。请执行 systemctl start kiosk-sync，或联系运维。"
    )
}

pub fn daemon_error(detail: &str) -> String {
    format!("同步服务无应答：{detail}")
}

pub fn usb_missing(dir: &str) -> String {
    format!("未找到U盘目录 {dir}。请插入U盘，等待几秒后再试。")
}

pub fn printer_test_sent() -> &'static str {
    "测试页已发送到打印机。"
}

pub const SYNC_STATE: &str = "同步状态";

/// The banner after a USB import (`generation`: the content it made
/// current; none when the stick held nothing newer). The banner is seen by
/// residents too, so a failure says only that nothing changed and where
/// staff find the reason (the daemon's message is technical, for staff).
/// The generation it made current is for staff too: the panel's import
/// row names it, the banner does not.
pub fn import_result(ok: bool, generation: Option<u64>) -> String {
    match (ok, generation) {
        (true, Some(_)) => "U盘内容已导入，屏幕上的信息已更新。".into(),
        (true, None) => "U盘中的内容不比本机新，未更新。".into(),
        (false, _) => "U盘导入失败，本机内容没有改变。原因请在工作人员管理中查看。".into(),
    }
}

/// The staff panel's row for the last USB import.
pub fn import_summary(when: &str, ok: bool, generation: Option<u64>, message: &str) -> String {
    let result = match (ok, generation) {
        (true, Some(g)) => format!("已导入，现为第 {g} 代内容"),
        (true, None) => "U盘内容不比本机新，未更新".into(),
        (false, _) => format!("失败：{}", message.trim()),
    };
    format!("{when} {result}")
}

/// Labels of the staff panel.
pub mod staff {
    pub const BUNDLE_VERSION: &str = "内容版本";
    pub const GENERATION: &str = "本机代次";
    pub const PUBLISHED_AT: &str = "发布时间";
    pub const APPLIED_AT: &str = "应用时间";
    pub const ITEMS: &str = "条目数";
    pub const CHANNEL: &str = "来源";
    pub const PROGRESS_AS_OF: &str = "办件数据";
    pub const STORE_FILE: &str = "内容文件";
    pub const REFRESH_ERROR: &str = "刷新错误";
    pub const LAST_ATTEMPT: &str = "上次尝试";
    pub const LAST_SUCCESS: &str = "上次成功";
    pub const LAST_ERROR: &str = "上次错误";
    pub const NEXT_ATTEMPT: &str = "下次同步";
    pub const REPOSITORY: &str = "内容源";
    pub const REVERT_TO: &str = "可回退到";
    pub const LAST_IMPORT: &str = "U盘导入";
    pub const DISK_FREE: &str = "磁盘剩余";
    pub const PRINTER: &str = "打印机";
    pub const NETWORK: &str = "网络";
    pub const APP_VERSION: &str = "程序版本";
    pub const UNKNOWN: &str = "未知";
    pub const NONE: &str = "无";
    pub const LINK_UP: &str = "已连接";
    pub const LINK_DOWN: &str = "未连接";
    pub const NO_INTERFACES: &str = "无网络接口";
    pub const SYNCING: &str = "正在同步";

    pub fn as_of(date: &str) -> String {
        format!("截至 {date}")
    }

    pub fn generation_no(g: u64) -> String {
        format!("第 {g} 代")
    }
}
