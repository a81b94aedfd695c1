//! Golden tests: the full text of every export, for the built-in defaults and for a tuned
//! configuration, compared with the snapshots committed under `tests/snapshots`. A change to any
//! emitted line fails here until the snapshot is reviewed (`cargo insta review`).

mod common;

use pubsub_hunt_rules::{BUILT_IN_DEFAULTS, Target, describe, export};

fn snapshot_name(target: Target, config: &str) -> String {
    format!("{}_{config}", target.as_str().replace('-', "_"))
}

#[test]
fn exports_for_the_default_config() {
    let cfg = common::default_config();
    for target in Target::ALL {
        insta::assert_snapshot!(
            snapshot_name(target, "default"),
            export(target, &cfg, BUILT_IN_DEFAULTS)
        );
    }
}

#[test]
fn exports_for_a_tuned_config() {
    let cfg = common::tuned_config();
    for target in Target::ALL {
        insta::assert_snapshot!(
            snapshot_name(target, "tuned"),
            export(target, &cfg, common::TUNED_SOURCE)
        );
    }
}

#[test]
fn descriptions() {
    insta::assert_snapshot!("describe_default", describe(&common::default_config()));
    insta::assert_snapshot!("describe_tuned", describe(&common::tuned_config()));
}

/// The tuning must actually reach every target, not just the snapshot: each export of the tuned
/// config carries its extra internal range, its threshold and the allowlisted destination, and
/// none of them carries the default's threshold-less shape.
#[test]
fn tuning_reaches_every_target() {
    let cfg = common::tuned_config();
    for target in Target::ALL {
        let text = export(target, &cfg, common::TUNED_SOURCE);
        assert!(
            text.contains("198.51.100.0/24"),
            "{target}: extra internal range"
        );
        assert!(
            text.contains("2001:db8:42::/48"),
            "{target}: extra IPv6 range"
        );
        assert!(
            text.contains("203.0.113.0/24"),
            "{target}: allowlisted destination"
        );
        assert!(
            text.contains("192.0.2.10/32"),
            "{target}: allowlisted address"
        );
        assert!(text.contains("Vendor Agent"), "{target}: allowlisted path");
        assert!(
            text.contains(common::TUNED_SOURCE),
            "{target}: config source"
        );
        assert!(text.contains('3'), "{target}: threshold");
        assert!(
            text.contains("1h") || text.contains("3600") || text.contains("1 hour"),
            "{target}: window"
        );
    }
}
