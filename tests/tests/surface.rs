//! One piece of usage code ([`ampere_tests::same_surface!`]) compiled against each runtime:
//! if a name or a signature drifts between `ampere-tokio`, `ampere-async-std` and
//! `ampere-blocking`, this file stops compiling.

ampere_tests::same_surface!(tokio_surface, ampere_tokio, [async], [.await]);
ampere_tests::same_surface!(async_std_surface, ampere_async_std, [async], [.await]);
ampere_tests::same_surface!(blocking_surface, ampere_blocking, [], []);

/// The builders take the same settings in every runtime and build without a runtime.
#[test]
fn builders_build_the_same_clients() {
    let debug = |amp: &dyn std::fmt::Debug, ex: &dyn std::fmt::Debug| format!("{amp:?}|{ex:?}");
    let (a, x) = tokio_surface::builders();
    let tokio = debug(&a, &x);
    let (a, x) = async_std_surface::builders();
    let async_std = debug(&a, &x);
    let (a, x) = blocking_surface::builders();
    let blocking = debug(&a, &x);
    for (name, text) in [
        ("tokio", &tokio),
        ("async-std", &async_std),
        ("blocking", &blocking),
    ] {
        assert!(
            !text.contains("token\""),
            "[{name}] the auth token shows in Debug: {text}"
        );
    }
}
