//! `amp-flood`: a CLI stand-in that writes stream JSON as fast as it can and records its
//! progress (see `ampere_tests::flood`).

fn main() {
    std::process::exit(ampere_tests::flood::main_with(
        std::env::args_os().skip(1).collect(),
    ));
}
