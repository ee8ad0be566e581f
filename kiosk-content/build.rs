// The demo source is embedded with include_dir, which cannot tell cargo
// which files it read; without this, edits to demo/ would not rebuild.
fn main() {
    println!("cargo:rerun-if-changed=demo");
}
