//! Arbitrary bytes as what the AWS commands read: an STS error code and
//! message, a credential cache entry, a trust policy as IAM returns it
//! (URL-encoded or not), a session name and listed provider names. None may
//! panic; every STS answer gets one AS class.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_doctor::model::aws::{StsFailure, session_name_problem};
use oidc_doctor::model::documents::PolicyDocument;
use oidc_doctor::net::cache::parse_entry;
use oidc_doctor::rules::assume::classify::classify;
use oidc_doctor::rules::provider::registry::{ListedProvider, lookup, not_found};
use oidc_doctor::rules::trust_policy::{self, LintOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (code, message) = text.split_once('\n').unwrap_or((&text, ""));
    let class = classify(&StsFailure::Service {
        code: code.to_owned(),
        message: message.to_owned(),
        status: data.first().map(|b| u16::from(*b) * 3),
    });
    assert!(class.rule.code.starts_with("AS"));
    let _ = parse_entry(&text);
    if let Ok(document) = PolicyDocument::from_text("arn:aws:iam::123456789012:role/fuzz", text.clone().into_owned()) {
        let _ = trust_policy::check(&document, &LintOptions::default());
    }
    let _ = session_name_problem(code);
    let listed: Vec<ListedProvider> = message
        .lines()
        .filter_map(|n| ListedProvider::from_arn(&format!("arn:aws:iam::123456789012:oidc-provider/{n}")))
        .collect();
    let found = lookup(code, &listed, Some("123456789012"));
    let _ = not_found(code, &found, listed.len(), None);
});
