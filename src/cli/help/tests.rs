use super::*;

#[test]
fn every_variable_a_page_names_exists() {
    for page in PAGES {
        for name in page.vars {
            assert!(var_named(name).is_some(), "{}: {name}", page.name);
        }
        assert!(
            (2..=3).contains(&page.examples.len()),
            "{}: 2 or 3 examples",
            page.name
        );
    }
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
