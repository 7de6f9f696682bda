//! No answer from AWS and no file the AWS commands read may panic the tool:
//! property tests over STS error codes and messages, cache entries, trust
//! policies as IAM returns them (URL-encoded or not), session names and
//! provider names (the same properties as the `aws` fuzz target).

use oidc_doctor::model::aws::{StsFailure, session_name_problem};
use oidc_doctor::model::documents::PolicyDocument;
use oidc_doctor::net::cache::parse_entry;
use oidc_doctor::rules::assume::classify::{Retry, classify};
use oidc_doctor::rules::provider::registry::{ListedProvider, Lookup, lookup, not_found};
use oidc_doctor::rules::trust_policy::{self, LintOptions};
use proptest::prelude::*;

use crate::robustness::json_value;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_sts_answer_gets_exactly_one_class(code in "\\PC{0,30}", message in "\\PC{0,200}", status in proptest::option::of(0_u16..600)) {
        let class = classify(&StsFailure::Service { code, message, status });
        prop_assert!(class.rule.code.starts_with("AS"));
    }

    #[test]
    fn access_denied_and_audience_errors_are_never_retried(
        before in "\\PC{0,40}",
        after in "\\PC{0,40}",
        status in proptest::option::of(0_u16..600),
    ) {
        // Whatever surrounds the text, and whatever the status.
        let denied = classify(&StsFailure::Service {
            code: "AccessDenied".to_owned(),
            message: format!("{before}Not authorized to perform sts:AssumeRoleWithWebIdentity{after}"),
            status,
        });
        prop_assert_eq!((denied.rule.code, denied.retry), ("AS101", Retry::No));
        let audience = classify(&StsFailure::Service {
            code: "InvalidIdentityToken".to_owned(),
            message: format!("{before}Incorrect token audience{after}"),
            status,
        });
        prop_assert_eq!(audience.retry, Retry::No);
    }

    #[test]
    fn arbitrary_cache_entries_are_refused_without_a_panic(text in "\\PC{0,300}", value in json_value()) {
        // Text and JSON that are not an entry of this version are refused,
        // with a reason.
        let refusal = parse_entry(&text).err();
        prop_assert!(refusal.is_some_and(|why| !why.is_empty()));
        prop_assert!(parse_entry(&value.to_string()).is_err());
        // A whole entry is used only when its expiration is a timestamp.
        let mut entry = serde_json::json!({"version": 1, "access_key_id": "a", "secret_access_key": "s",
            "session_token": "t", "expiration": "2026-12-01T00:00:00Z"});
        prop_assert!(parse_entry(&entry.to_string()).is_ok());
        let timestamp = value.as_str().is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok());
        entry["expiration"] = value;
        let parsed = parse_entry(&entry.to_string());
        prop_assert_eq!(parsed.is_ok(), timestamp, "{:?}", parsed.err());
    }

    #[test]
    fn trust_policies_from_iam_never_panic_the_rules(value in json_value(), encode in any::<bool>()) {
        let text = value.to_string();
        let text = if encode { url::form_urlencoded::byte_serialize(text.as_bytes()).collect() } else { text };
        if let Ok(document) = PolicyDocument::from_text("arn:aws:iam::123456789012:role/x", text) {
            let findings = trust_policy::check(&document, &LintOptions::default());
            // Only trust-policy findings, and a document that is no object
            // is said to be no policy (TP002).
            prop_assert!(findings.iter().all(|f| f.rule.code.starts_with("TP") || f.rule.code.starts_with("TK")));
            if !document.value().is_object() {
                prop_assert!(findings.iter().any(|f| f.rule.code == "TP002"));
            }
        }
    }

    #[test]
    fn session_names_and_provider_lookups_never_panic(name in "\\PC{0,80}", listed in proptest::collection::vec("\\PC{0,40}", 0..5)) {
        // A name is refused exactly when STS would refuse it: 2 to 64 of
        // `[A-Za-z0-9_+=,.@-]`.
        let valid = (2..=64).contains(&name.chars().count())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        prop_assert_eq!(session_name_problem(&name).is_none(), valid);
        let providers: Vec<ListedProvider> = listed
            .iter()
            .filter_map(|n| ListedProvider::from_arn(&format!("arn:aws:iam::123456789012:oidc-provider/{n}")))
            .collect();
        let found = lookup(&name, &providers, Some("123456789012"));
        if !matches!(found, Lookup::Found(_)) {
            prop_assert!(not_found(&name, &found, providers.len(), None).is_some());
        }
    }
}
