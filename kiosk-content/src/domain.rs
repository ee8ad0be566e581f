//! The fixed vocabularies of government disclosure: the 26 standard domains,
//! disclosure attributes and document validity. Each list is defined here
//! once; parsers, the store and the UI all read it from here.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $zh:literal, $slug:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order of the official list.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The Chinese name, exactly as content officers write it.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// A stable ASCII slug for URLs and database columns.
            pub fn slug(self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }

            /// Parses the Chinese name (or the slug).
            pub fn parse(text: &str) -> Option<$name> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.zh() == text || v.slug() == text)
            }

            /// The accepted spellings, for error messages.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.zh()).collect::<Vec<_>>().join("、")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.zh())
            }
        }
    };
}

vocabulary! {
    /// The 26 pilot domains of grassroots disclosure standardisation
    /// (基层政务公开标准化规范化试点领域).
    Domain {
        MajorProjects => "重大建设项目", "major-projects";
        PublicResourceTrading => "公共资源交易", "public-resource-trading";
        Budget => "财政预决算", "budget";
        WorkSafety => "安全生产", "work-safety";
        Taxation => "税收管理", "taxation";
        LandCompensation => "征地补偿", "land-compensation";
        HousingExpropriation => "国有土地上房屋征收", "housing-expropriation";
        RuralHousingRenovation => "农村危房改造", "rural-housing-renovation";
        UrbanEnforcement => "城市综合执法", "urban-enforcement";
        PovertyAlleviation => "扶贫", "poverty-alleviation";
        Employment => "就业", "employment";
        SocialAssistance => "社会救助", "social-assistance";
        ElderlyCare => "养老服务", "elderly-care";
        HouseholdRegistration => "户籍管理", "household-registration";
        AgriculturalSubsidies => "涉农补贴", "agricultural-subsidies";
        PublicCulture => "公共文化服务", "public-culture";
        PublicLegalServices => "公共法律服务", "public-legal-services";
        Environment => "环境保护", "environment";
        CompulsoryEducation => "义务教育", "compulsory-education";
        Health => "医疗卫生", "health";
        MunicipalServices => "市政服务", "municipal-services";
        DisasterRelief => "救灾", "disaster-relief";
        FoodAndDrugs => "食品药品监管", "food-and-drugs";
        UrbanRuralPlanning => "城乡规划", "urban-rural-planning";
        AffordableHousing => "保障性住房", "affordable-housing";
        SocialInsurance => "社会保险", "social-insurance";
    }
}

vocabulary! {
    /// 公开属性. Only [`Disclosure::Proactive`] is ever shown on a kiosk.
    Disclosure {
        Proactive => "主动公开", "proactive";
        OnRequest => "依申请公开", "on-request";
        NotDisclosed => "不予公开", "not-disclosed";
        Redacted => "删减后公开", "redacted";
    }
}

vocabulary! {
    /// Validity of a policy document (立、改、废 shown dynamically).
    Validity {
        Valid => "有效", "valid";
        Expired => "失效", "expired";
        Revised => "已修订", "revised";
        Repealed => "废止", "repealed";
    }
}

vocabulary! {
    /// The kinds of content a kiosk shows.
    ItemKind {
        Policy => "政策文件", "policy";
        Interpretation => "政策解读", "interpretation";
        Guide => "办事指南", "guide";
        EnterprisePolicy => "惠企政策", "enterprise";
        Consultation => "意见征集", "consultation";
        CatalogEntry => "公开目录", "catalog";
        Place => "便民地图", "place";
        Notice => "公告", "notice";
        Village => "村务公开", "village";
    }
}

vocabulary! {
    /// Categories of a place on the convenience map.
    PlaceCategory {
        GovernmentService => "政务服务", "government-service";
        Health => "医疗卫生", "health";
        Police => "公安", "police";
        SocialSecurity => "社会保障", "social-security";
        Bank => "银行", "bank";
        VillageStation => "便民服务站", "village-station";
        Toilet => "公共厕所", "toilet";
        Education => "教育", "education";
        Transport => "交通", "transport";
        Other => "其他", "other";
    }
}

impl Validity {
    /// Sort key for ranking: documents in force first.
    pub fn rank(self) -> u8 {
        match self {
            Validity::Valid => 0,
            Validity::Revised => 1,
            Validity::Expired => 2,
            Validity::Repealed => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_exactly_26_standard_domains_with_unique_names() {
        assert_eq!(Domain::ALL.len(), 26);
        let mut names: Vec<_> = Domain::ALL.iter().map(|d| d.zh()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 26);
    }

    #[test]
    fn parse_accepts_chinese_and_slug_and_rejects_near_misses() {
        assert_eq!(Domain::parse("社会救助"), Some(Domain::SocialAssistance));
        assert_eq!(
            Domain::parse(" social-assistance "),
            Some(Domain::SocialAssistance)
        );
        assert_eq!(Domain::parse("社会救济"), None);
        assert_eq!(Disclosure::parse("主动公开"), Some(Disclosure::Proactive));
    }
}
