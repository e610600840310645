//! Compile tests of `#[derive(WebhookEvent)]`: what passes, and one case per error with its
//! message committed in a `.stderr` file.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
