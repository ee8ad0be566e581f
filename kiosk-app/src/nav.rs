//! Where the resident is: a stack of routes. Rust owns it; the UI only shows
//! the page of the top route and asks for back, home or a new route.

use kiosk_content::ItemKind;

/// The lists a home tile opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Policy,
    Interpretation,
    Guide,
    Enterprise,
    Consultation,
    Notice,
}

impl ListKind {
    pub fn item_kind(self) -> ItemKind {
        match self {
            ListKind::Policy => ItemKind::Policy,
            ListKind::Interpretation => ItemKind::Interpretation,
            ListKind::Guide => ItemKind::Guide,
            ListKind::Enterprise => ItemKind::EnterprisePolicy,
            ListKind::Consultation => ItemKind::Consultation,
            ListKind::Notice => ItemKind::Notice,
        }
    }

    /// Lists of things open for a while (申报, 征集): the open ones first.
    pub fn open_first(self) -> bool {
        matches!(self, ListKind::Enterprise | ListKind::Consultation)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Attract,
    Home,
    Search,
    List(ListKind),
    /// Any item by id: the page depends on its kind.
    Item(String),
    Progress,
    Map,
    Hall,
    Apply,
    Catalog,
    Village,
    StaffPin,
    Staff,
}

impl Route {
    /// The route a home tile (or screenshot page name) stands for.
    pub fn from_key(key: &str) -> Option<Route> {
        Some(match key {
            "attract" => Route::Attract,
            "home" => Route::Home,
            "search" => Route::Search,
            "policy" | "policies" => Route::List(ListKind::Policy),
            "interpretation" | "interpretations" => Route::List(ListKind::Interpretation),
            "guide" | "guides" => Route::List(ListKind::Guide),
            "enterprise" => Route::List(ListKind::Enterprise),
            "consultation" | "consultations" => Route::List(ListKind::Consultation),
            "notice" | "notices" => Route::List(ListKind::Notice),
            "progress" => Route::Progress,
            "map" => Route::Map,
            "hall" => Route::Hall,
            "apply" => Route::Apply,
            "catalog" => Route::Catalog,
            "village" => Route::Village,
            "staff-pin" => Route::StaffPin,
            "staff" => Route::Staff,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub struct Navigator {
    stack: Vec<Route>,
}

impl Default for Navigator {
    fn default() -> Self {
        Self::new()
    }
}

impl Navigator {
    pub fn new() -> Navigator {
        Navigator {
            stack: vec![Route::Attract],
        }
    }

    pub fn current(&self) -> Route {
        self.stack.last().cloned().unwrap_or(Route::Home)
    }

    pub fn push(&mut self, route: Route) {
        match route {
            Route::Attract => self.stack = vec![Route::Attract],
            Route::Home => self.stack = vec![Route::Home],
            _ => {
                if self.stack.last() != Some(&route) {
                    if self.stack.last() == Some(&Route::Attract) {
                        self.stack = vec![Route::Home];
                    }
                    self.stack.push(route);
                }
            }
        }
    }

    /// Replaces the top route (the PIN page by the panel).
    pub fn replace(&mut self, route: Route) {
        self.stack.pop();
        self.push(route);
    }

    /// Goes back one page; from the first page, home.
    pub fn back(&mut self) -> Route {
        if self.stack.len() > 1 {
            self.stack.pop();
        } else {
            self.stack = vec![Route::Home];
        }
        self.current()
    }

    pub fn can_go_back(&self) -> bool {
        self.stack.len() > 1
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_and_home_behave_like_a_browser() {
        let mut n = Navigator::new();
        assert_eq!(n.current(), Route::Attract);
        n.push(Route::Search);
        assert_eq!(n.depth(), 2, "leaving the attract screen starts at home");
        n.push(Route::Item("a".into()));
        n.push(Route::Item("a".into()));
        assert_eq!(n.depth(), 3, "the same page twice is one step");
        assert_eq!(n.back(), Route::Search);
        assert_eq!(n.back(), Route::Home);
        assert!(!n.can_go_back());
        assert_eq!(n.back(), Route::Home);
        n.push(Route::StaffPin);
        n.replace(Route::Staff);
        assert_eq!(n.back(), Route::Home);
    }
}
