// Probe: which layouts measure wrapped text correctly.
slint::slint! {
    import "../fonts/NotoSansSCKiosk-Regular.otf";
    component Row1 inherits HorizontalLayout {
        in property <string> v;
        spacing: 10px;
        Text { text: "标签"; width: 200px; font-size: 40px; }
        Text { text: v; wrap: word-wrap; horizontal-stretch: 1; font-size: 40px; }
    }
    component Row2 inherits Rectangle {
        in property <string> v;
        HorizontalLayout { padding-left: 210px; Text { text: v; wrap: word-wrap; font-size: 40px; } }
        Text { x: 0; y: 0; text: "标签"; width: 200px; font-size: 40px; }
    }
    component Row3 inherits FlexboxLayout {
        in property <string> v;
        flex-wrap: no-wrap;
        spacing: 10px;
        Text { text: "标签"; width: 200px; font-size: 40px; }
        Text { text: v; wrap: word-wrap; horizontal-stretch: 1; font-size: 40px; }
    }
    export component W inherits Window {
        width: 600px; height: 1200px;
        default-font-family: "Noto Sans SC Kiosk";
        background: white;
        property <[string]> vals: ["城关镇便民服务中心（示范县城关镇人民路88号）"];
        VerticalLayout {
            spacing: 20px; alignment: start;
            Rectangle { background: #fdd; VerticalLayout { for v in vals: Row1 { v: v; } Text { text: "END1"; font-size: 30px; } } }
            Rectangle { background: #dfd; VerticalLayout { Row1 { v: vals[0]; } Text { text: "END2"; font-size: 30px; } } }
            Rectangle { background: #ddf; VerticalLayout { for v in vals: Row2 { v: v; } Text { text: "END3"; font-size: 30px; } } }
            Rectangle { background: #ffd; VerticalLayout { for v in vals: Row3 { v: v; } Text { text: "END4"; font-size: 30px; } } }
            Rectangle { background: #dff; VerticalLayout { for v in vals: HorizontalLayout { spacing: 10px; Text { text: "标签"; width: 200px; font-size: 40px; } Text { text: v; wrap: word-wrap; font-size: 40px; } } Text { text: "END5"; font-size: 30px; } } }
            Rectangle { background: #fdf; VerticalLayout { for v in vals: HorizontalLayout { spacing: 10px; Rectangle { width: 200px; } Text { text: v; wrap: word-wrap; font-size: 40px; } } Text { text: "END6"; font-size: 30px; } } }
        }
    }
}

fn main() {
    kiosk_app::screenshot::install().expect("platform");
    kiosk_app::screenshot::set_size(600, 1200);
    let w = W::new().expect("window");
    slint::ComponentHandle::show(&w).expect("show");
    let img = kiosk_app::screenshot::render().expect("render");
    kiosk_app::screenshot::save(&img, std::path::Path::new("/tmp/probe.png")).expect("save");
}
