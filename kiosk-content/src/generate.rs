//! Synthetic content at scale (10k, 100k documents) for benchmarks and
//! scale tests. Deterministic for a seed; written in the same source format
//! content officers use, so it goes through the real parser.

use crate::domain::Domain;
use crate::source::SourceTree;

/// A small deterministic generator (SplitMix64): no dependency, same output
/// on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const AGENCIES: &[(&str, &str)] = &[
    ("示范县人民政府", "示政发"),
    ("示范县人民政府办公室", "示政办发"),
    ("示范县民政局", "示民发"),
    ("示范县人力资源和社会保障局", "示人社发"),
    ("示范县医疗保障局", "示医保发"),
    ("示范县税务局", "示税发"),
    ("示范县财政局", "示财发"),
    ("示范县农业农村局", "示农发"),
    ("示范县住房和城乡建设局", "示住建发"),
    ("示范县教育局", "示教发"),
    ("示范县卫生健康委员会", "示卫健发"),
    ("示范县生态环境分局", "示环发"),
];

const TOPICS: &[(&str, &str)] = &[
    ("城乡居民最低生活保障标准", "社会救助"),
    ("低保对象动态管理", "社会救助"),
    ("特困人员救助供养", "社会救助"),
    ("临时救助", "社会救助"),
    ("城乡居民基本医疗保险", "社会保险"),
    ("医保门诊慢特病待遇", "医疗卫生"),
    ("医保异地就医直接结算", "医疗卫生"),
    ("城乡居民基本养老保险", "社会保险"),
    ("失业保险稳岗返还", "就业"),
    ("高校毕业生就业创业", "就业"),
    ("小微企业减税降费", "税收管理"),
    ("增值税留抵退税", "税收管理"),
    ("个人所得税专项附加扣除", "税收管理"),
    ("耕地地力保护补贴", "涉农补贴"),
    ("农机购置补贴", "涉农补贴"),
    ("农村危房改造", "农村危房改造"),
    ("高龄老人津贴", "养老服务"),
    ("居家养老服务", "养老服务"),
    ("义务教育阶段学生资助", "义务教育"),
    ("公共租赁住房保障", "保障性住房"),
    ("安全生产专项整治", "安全生产"),
    ("农村生活垃圾治理", "环境保护"),
    ("重大建设项目批准和实施", "重大建设项目"),
    ("政府采购和工程招投标", "公共资源交易"),
    ("部门预算和决算", "财政预决算"),
    ("集体土地征收补偿", "征地补偿"),
    ("国有土地上房屋征收补偿", "国有土地上房屋征收"),
    ("户口迁移和居住证办理", "户籍管理"),
    ("公共文化场馆免费开放", "公共文化服务"),
    ("法律援助", "公共法律服务"),
    ("食品生产经营许可", "食品药品监管"),
    ("城市道路占用挖掘", "市政服务"),
    ("自然灾害救助", "救灾"),
    ("乡村振兴衔接资金", "扶贫"),
    ("国土空间规划", "城乡规划"),
    ("城市管理综合执法", "城市综合执法"),
];

const ACTIONS: &[&str] = &[
    "关于印发",
    "关于进一步做好",
    "关于调整",
    "关于加强",
    "关于做好2021年度",
    "关于开展",
];
const SUFFIXES: &[&str] = &[
    "实施办法的通知",
    "工作的通知",
    "管理办法",
    "实施细则",
    "工作方案",
    "的意见",
];

const SENTENCES: &[&str] = &[
    "各乡镇人民政府，县直各有关单位：",
    "为深入贯彻落实党中央、国务院决策部署，进一步规范工作程序，切实保障困难群众基本生活，结合我县实际，制定本办法。",
    "申请人应当向户籍所在地乡镇人民政府（街道办事处）提出书面申请，并如实提供家庭人口、收入和财产状况等材料。",
    "乡镇人民政府应当自受理之日起10个工作日内完成入户调查，调查结果在申请人所在村（社区）公示7天。",
    "县级主管部门应当加强对政策执行情况的监督检查，发现问题及时纠正。",
    "本办法所需资金由县财政统筹安排，实行专账管理、专款专用，任何单位和个人不得截留、挤占、挪用。",
    "符合条件的企业可在申报期内通过政务服务网提交申请，逾期不予受理。",
    "各部门要按照“谁制定、谁解读”的原则，做好政策解读和宣传工作，及时回应社会关切。",
    "对弄虚作假骗取补贴资金的，依法追回资金，并按照有关规定追究相关人员责任。",
    "医疗保障部门应当优化经办流程，推行一窗受理、一次办结，减少群众跑腿次数。",
    "税务部门要落实各项减税降费政策，确保政策红利直达市场主体。",
    "本办法自发布之日起施行，有效期五年。此前有关规定与本办法不一致的，以本办法为准。",
    "各乡镇要将政策落实情况纳入年度绩效考核，定期向县人民政府报告工作进展。",
    "村（居）民委员会应当协助做好政策宣传、申请受理和信息公开工作。",
];

/// A synthetic source with `docs` policies, plus a handful of guides, a
/// full catalog and places, in a fictional county.
pub fn synthetic_tree(docs: usize, seed: u64) -> SourceTree {
    let mut rng = Rng::new(seed);
    let mut tree = SourceTree::new();
    tree.insert(
        "bundle.toml",
        r#"[bundle]
county = "示范县"
title = "示范县政务公开（合成数据）"
publisher = "示范县人民政府办公室"
base_url = "https://zwgk.shifanxian.example/"
apply_url = "https://zwgk.shifanxian.example/ysqgk/"
grace_days = 3650

[[halls]]
id = "chengguan"
name = "城关镇便民服务中心"
address = "示范县城关镇人民路88号"
hours = "周一至周五 9:00-12:00 13:30-17:30"
phone = "0000-6123456"

  [[halls.windows]]
  number = "1"
  name = "综合受理窗口"
  x = 0.2
  y = 0.3
"#,
    );
    let mut catalog = String::from(
        "编号,领域,事项类别,事项名称,公开内容,公开依据,公开时限,公开主体,公开方式,公开渠道,公开对象,公开属性\n",
    );
    for (n, d) in Domain::ALL.iter().enumerate() {
        catalog.push_str(&format!(
            "cat-{n:03},{},政策文件,{}相关政策,政策文件及解读,《中华人民共和国政府信息公开条例》,信息形成或变更之日起20个工作日内,示范县人民政府办公室,主动公开,政府网站、政务公开专区,全社会,主动公开\n",
            d.zh(),
            d.zh()
        ));
    }
    tree.insert("catalog.csv", catalog);
    for i in 0..docs {
        let (agency, prefix) = *rng.pick(AGENCIES);
        let (topic, domain) = *rng.pick(TOPICS);
        let action = *rng.pick(ACTIONS);
        let suffix = *rng.pick(SUFFIXES);
        let year = 2010 + (i * 12 / docs.max(1)) as i32;
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let serial = 1 + rng.below(120);
        let expired = rng.below(10) == 0;
        let mut body = String::new();
        let sentences = 6 + rng.below(10);
        for _ in 0..sentences {
            let sentence: &&str = rng.pick(SENTENCES);
            body.push_str(sentence);
            body.push('\n');
        }
        let validity = if expired { "失效" } else { "有效" };
        let doc = format!(
            "+++\ntitle = \"{agency}{action}{topic}{suffix}\"\ndoc_number = \"{prefix}〔{year}〕{serial}号\"\nagency = \"{agency}\"\ndomain = \"{domain}\"\ndisclosure = \"主动公开\"\npublished = {year}-{month:02}-{day:02}\nvalidity = \"{validity}\"\n+++\n{body}"
        );
        tree.insert(format!("policies/p{i:06}.md"), doc);
    }
    tree
}

/// Cuts every item's 正文 (each string field named `body`) to its first
/// `chars` characters. Ids, titles, dates, keywords and links stay, so a
/// store keeps its shape (item counts, rowid gaps, vocabulary) with far
/// less text to index: for quick tests that need many items.
pub fn cut_bodies(set: &mut crate::ContentSet, chars: usize) {
    fn cut(v: &mut serde_json::Value, chars: usize) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match x {
                        serde_json::Value::String(s) if k == "body" => {
                            *s = s.chars().take(chars).collect();
                        }
                        _ => cut(x, chars),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| cut(x, chars)),
            _ => {}
        }
    }
    for item in &mut set.items {
        let Ok(mut v) = serde_json::to_value(&*item) else {
            continue;
        };
        cut(&mut v, chars);
        if let Ok(short) = serde_json::from_value(v) {
            *item = short;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_sources_compile_and_are_deterministic() {
        let a = synthetic_tree(50, 7);
        assert_eq!(a, synthetic_tree(50, 7));
        let set = crate::compile(&a).expect("synthetic source compiles");
        assert_eq!(
            set.items
                .iter()
                .filter(|i| matches!(i, crate::Item::Policy(_)))
                .count(),
            50
        );
    }
}
