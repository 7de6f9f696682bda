//! `check` never panics and never prints an untrusted byte raw, whatever
//! the token: arbitrary and hostile tokens go through the whole offline
//! pipeline (the saved policy and provider of the README's example) and
//! every format.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::rules::assume::retry::RetryPolicy;
use oidc_doctor::stages::Silent;
use oidc_doctor::stages::pipeline::{self, CheckRequest, Given};
use oidc_doctor::stages::token::TokenSpec;
use proptest::prelude::*;
use serde_json::json;

use crate::injection::{assert_safe, render};
use crate::robustness::almost_jwt;
use crate::support::fixture;

/// Values an attacker would put in a claim.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("repo:acme/app:ref:refs/heads/x\n::error::injected".to_owned()),
        Just("repo:acme/app\r\n::add-mask::x".to_owned()),
        Just("repo:\u{1b}[31macme\u{1b}[0m/app:ref:refs/heads/main".to_owned()),
        Just("repo:acme/app:ref:refs/heads/\u{202e}niam".to_owned()),
        Just("repo:acme\u{200b}/app:ref:refs/heads/main".to_owned()),
        Just("repo:evil/app:ref:refs/heads/main`\n```\n# injected".to_owned()),
        "\\PC{0,40}",
    ]
}

fn hostile_token() -> impl Strategy<Value = String> {
    (hostile(), hostile()).prop_map(|(sub, aud)| {
        let header = json!({"alg": "RS256", "kid": "test-rsa-1"});
        let claims = json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": sub,
            "aud": aud,
            "iat": 1_767_225_600,
            "exp": 4_102_444_800_i64,
        });
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    })
}

fn checked(token: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.jwt");
    std::fs::write(&path, token).unwrap();
    let request = CheckRequest {
        token: TokenSpec {
            file: Some(path),
            ..TokenSpec::default()
        },
        role_arn: Some(Given {
            value: "arn:aws:iam::123456789012:role/deploy".to_owned(),
            from: "--role-arn".to_owned(),
        }),
        session_name: None,
        duration: None,
        policy_file: Some(fixture("examples/check/trust-policy.json")),
        provider_file: Some(fixture("examples/check/provider.json")),
        jwks_file: Some(fixture("keys/test-jwks.json")),
        offline: true,
        no_assume: false,
        samples: 1,
        net: oidc_doctor::net::NetOptions {
            timeout: std::time::Duration::from_secs(5),
            ca_bundle: None,
        },
        aws: oidc_doctor::net::aws::AwsOptions::default(),
        retry: RetryPolicy::default(),
        cache: None,
    };
    let staged = pipeline::run(&request, &Silent).expect("an offline check runs");
    let mut report = Report::of("check", staged, |data| CommandData::Check(Box::new(data)));
    report.sort_findings();
    report
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tokens_never_panic_check_or_reach_the_output_raw(token in almost_jwt()) {
        let outputs = render(&checked(&token));
        assert_safe(&outputs)?;
    }

    #[test]
    fn hostile_claims_are_shown_escaped_in_every_format(token in hostile_token()) {
        let report = checked(&token);
        let CommandData::Check(data) = &report.data else { unreachable!() };
        prop_assert_eq!(data.verdict.status.as_str(), "fails");
        assert_safe(&render(&report))?;
    }
}
