use super::*;

#[test]
fn every_variable_is_read_by_some_command_and_every_page_has_2_or_3_examples() {
    for v in VARS {
        assert!(
            PAGES.iter().any(|p| p.reads & v.read_by != 0),
            "{}: no page lists it",
            v.name
        );
    }
    for page in PAGES {
        assert!(
            (2..=3).contains(&page.examples.len()),
            "{}: 2 or 3 examples",
            page.name
        );
    }
    assert_eq!(
        vars_of(&TOP).count(),
        VARS.len(),
        "the top page lists them all"
    );
    let event: Vec<&str> = vars_of(&pages::SEND_EVENT).map(|v| v.name).collect();
    assert!(!event.contains(&"TELEMETRY_EXIT_CODE"), "{event:?}");
    assert_eq!(vars_of(&pages::COMPLETION).count(), 0);
}

#[test]
fn each_page_is_attached_to_its_command_only_when_asked_for() {
    let full = super::super::command(true);
    let plain = super::super::command(false);
    for page in PAGES.iter().chain([&&TOP]) {
        let path = page.name.strip_prefix("pk3s-telemetry").unwrap_or_default();
        let find = |root: &clap::Command| {
            let mut c = root.clone();
            for name in path.split('-').filter(|n| !n.is_empty()) {
                c = c.find_subcommand(name).unwrap().clone();
            }
            c.get_after_long_help().map(ToString::to_string)
        };
        assert_eq!(find(&full), Some(text(page)), "{}", page.name);
        assert_eq!(find(&plain), None, "{}", page.name);
    }
}
