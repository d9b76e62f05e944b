//! `amp-stub`: a stand-in for the Amp CLI (see `ampere_tests::stub`).

fn main() {
    let code = ampere_tests::stub::main_with(std::env::args_os().skip(1).collect());
    std::process::exit(code);
}
