fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("app.slint", config) {
        println!("cargo:warning=slint: {e}");
        std::process::exit(1);
    }
}
