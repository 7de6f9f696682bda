//! docs/json-schema.md must describe the real output: every documented
//! example has exactly the fields and types the tool prints.

use serde_json::Value;

use crate::support::{FIXTURE_NOW, oidc_doctor, root};
use crate::test_issuer::{Behaviour, TestIssuer};

/// Objects whose keys come from the input (token header and claims, the
/// time entries present): the documented keys must be a subset.
const FREE_FORM: [&str; 3] = ["/token/header", "/token/claims", "/token/times"];

/// Fields that are `null` in some entries and an object or string in others.
const NULLABLE: &[&str] = &[
    "/findings/*/location",
    "/findings/*/suggestion",
    "/issuer/jwks_url",
    "/issuer/discovery/cache",
    "/issuer/discovery/cache/lifetime_seconds",
    "/issuer/discovery/cache/cache_control",
    "/issuer/discovery/cache/etag",
    "/issuer/discovery/issuer",
    "/issuer/discovery/signing_algs",
    "/issuer/jwks/cache",
    "/issuer/jwks/cache/lifetime_seconds",
    "/issuer/jwks/cache/cache_control",
    "/issuer/jwks/cache/etag",
    "/issuer/jwks/keys",
    "/issuer/samples/*/problem",
    "/issuer/samples/*/jwks",
    "/issuer/samples/*/discovery/status",
    "/issuer/samples/*/discovery/error",
    "/issuer/samples/*/discovery/error_kind",
    "/issuer/samples/*/discovery/bytes",
    "/issuer/samples/*/discovery/retry_after",
    "/issuer/samples/*/jwks/status",
    "/issuer/samples/*/jwks/error",
    "/issuer/samples/*/jwks/error_kind",
    "/issuer/samples/*/jwks/retry_after",
    "/issuer/chain_ms",
    "/issuer/tls/*/trust_error",
    "/issuer/tls/*/thumbprint",
    "/issuer/burst",
    "/findings/*/location/resource",
    "/findings/*/location/inner",
    "/lint/policies/*/resource",
    "/lint/policies/*/unresolved",
    "/evaluation/policies/*/resource",
    "/evaluation/policies/*/statements/*/conditions/*/difference",
    "/evaluation/policies/*/statements/*/conditions/*/token",
    "/assume/duration_seconds",
    "/assume/region",
    "/assume/partition",
    "/assume/endpoint",
    "/assume/token/iss",
    "/assume/token/sub",
    "/assume/token/aud",
    "/assume/token/exp",
    "/assume/attempts/*/code",
    "/assume/attempts/*/slug",
    "/assume/attempts/*/retryable",
    "/assume/attempts/*/answer",
    "/assume/attempts/*/wait_ms",
    "/assume/stopped",
    "/assume/assumed",
    "/assume/assumed/assumed_role_arn",
    "/assume/assumed/subject",
    "/assume/assumed/audience",
    "/assume/assumed/provider",
    "/assume/cache",
    "/assume/cache/miss",
    "/assume/cache/shared_failure",
    "/provider/account",
    "/provider/region",
    "/provider/partition",
    "/provider/endpoint",
    "/provider/issuer",
    "/provider/provider",
    "/provider/provider_skipped",
    "/provider/role",
    "/provider/role/max_session_duration",
    "/provider/role_skipped",
    "/provider/tls/*/thumbprint",
    "/provider/tls_skipped",
    "/provider/allowed",
    "/provider/reason",
    "/scan/account",
    "/scan/region",
    "/scan/endpoint",
    "/scan/provider_filter",
    "/scan/roles/*/worst",
    "/scan/providers/*/url",
    "/scan/providers/*/client_ids",
    "/scan/providers/*/error",
];

fn examples() -> Vec<Value> {
    let page = std::fs::read_to_string(root().join("docs/json-schema.md")).unwrap();
    page.split("```json\n")
        .skip(1)
        .map(|block| {
            let json = block.split("\n```").next().unwrap();
            serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("example is not JSON: {e}\n{json}"))
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn assert_same_shape(documented: &Value, real: &Value, path: &str) {
    if NULLABLE.contains(&path) && (documented.is_null() || real.is_null()) {
        return;
    }
    assert_eq!(
        kind(documented),
        kind(real),
        "{path}: documented {documented} but the tool printed {real}"
    );
    match (documented, real) {
        (Value::Object(doc), Value::Object(out)) => {
            if FREE_FORM.contains(&path) {
                for key in doc.keys() {
                    assert!(
                        out.contains_key(key),
                        "{path}/{key} documented but not printed"
                    );
                }
            } else {
                let doc_keys: Vec<&String> = doc.keys().collect();
                let out_keys: Vec<&String> = out.keys().collect();
                assert_eq!(
                    doc_keys, out_keys,
                    "{path}: documented fields differ from the output"
                );
            }
            for (key, value) in doc {
                assert_same_shape(value, &out[key], &format!("{path}/{key}"));
            }
        }
        (Value::Array(doc), Value::Array(out)) => {
            if let Some(example) = doc.first() {
                assert!(!out.is_empty(), "{path}: documented entries, printed none");
                for item in out {
                    assert_same_shape(example, item, &format!("{path}/*"));
                }
            }
        }
        _ => {}
    }
}

fn run(args: &[&str]) -> Value {
    let out = oidc_doctor().args(args).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_documented_examples_match_real_output() {
    let examples = examples();
    assert_eq!(
        examples.len(),
        8,
        "one example each for decode, lint, issuer, explain, assume, provider, scan and check"
    );
    let decode = run(&[
        "decode",
        "--format",
        "json",
        "--at",
        FIXTURE_NOW,
        "fixtures/examples/expired-gitlab.jwt",
    ]);
    assert_same_shape(&examples[0], &decode, "");
    assert_eq!(
        examples[0]["token"]["claims"]["sub"],
        decode["token"]["claims"]["sub"]
    );
    assert_eq!(
        examples[0]["findings"][0]["message"],
        decode["findings"][0]["message"]
    );

    let lint = run(&[
        "lint",
        "--format",
        "json",
        "--token",
        "fixtures/examples/github-actions.jwt",
        "--at",
        FIXTURE_NOW,
        "--role-arn",
        "arn:aws:iam::123456789012:role/deploy",
        "fixtures/lint/cn-audience-role.json",
    ]);
    assert_same_shape(&examples[1], &lint, "");
    assert_eq!(examples[1]["findings"][0], lint["findings"][0]);
    assert_eq!(
        examples[1]["evaluation"]["policies"][0]["reason"],
        lint["evaluation"]["policies"][0]["reason"]
    );

    // The local issuer, made to show the optional parts: a redirect, an ETag,
    // an uncacheable JWKS.
    let issuer = TestIssuer::start(Behaviour {
        discovery_redirects: 1,
        extra_headers: vec![("ETag".into(), "\"v1\"".into())],
        jwks_cache_control: Some("no-cache".into()),
        ..Behaviour::default()
    });
    let ca = issuer.ca_bundle().display().to_string();
    let url = issuer.url();
    let probed = run(&[
        "issuer",
        &url,
        "--ca-bundle",
        &ca,
        "--samples",
        "1",
        "--burst",
        "2",
        "--format",
        "json",
    ]);
    assert_same_shape(&examples[2], &probed, "");
    assert_eq!(
        examples[2]["findings"][0]["code"],
        probed["findings"][0]["code"]
    );

    let explain = run(&["explain", "--all", "--format", "json"]);
    assert_same_shape(&examples[3], &explain, "");
    assert_eq!(examples[3]["rules"][0], explain["rules"][0]);
}

#[test]
fn the_documented_assume_example_matches_real_output() {
    use crate::sts_standin::{Answer, StsStandin};
    let examples = examples();
    let sts = StsStandin::start(vec![Answer::no_key(), Answer::assumed()]);
    let dir = tempfile::tempdir().unwrap();
    let token = crate::support::github_token_file(dir.path());
    let output = oidc_doctor()
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .envs(crate::support::no_aws_setup(dir.path()))
        .args([
            "assume",
            "--role-arn",
            "arn:aws:iam::123456789012:role/deploy",
            "--session-name",
            "ci",
        ])
        .arg(format!(
            "--cache-dir={}",
            dir.path().join("cache").display()
        ))
        .args(["--format", "json", "--token-file"])
        .arg(&token)
        .output()
        .unwrap();
    let assumed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_same_shape(&examples[4], &assumed, "");
    assert_eq!(
        examples[4]["findings"][0]["code"],
        assumed["findings"][0]["code"]
    );
    assert_eq!(
        examples[4]["assume"]["attempts"][0]["answer"],
        assumed["assume"]["attempts"][0]["answer"]
    );
}

#[test]
fn the_documented_provider_and_scan_examples_match_real_output() {
    use crate::aws_emulator::{moto, trust_policy, unique};
    let moto = moto();
    let examples = examples();
    let issuer = TestIssuer::start(Behaviour {
        // Ports are reused within a run; the path keeps each provider URL new.
        path_prefix: crate::aws_emulator::unique("schema-issuer"),
        ..Behaviour::default()
    });
    let name = issuer.url().trim_start_matches("https://").to_owned();
    let thumbprint = crate::issuer_cli::hex_sha1(&issuer.intermediate_der());
    let provider = moto.replace_provider(&issuer.url(), &["sts.amazonaws.com"], &[&thumbprint]);
    let role = moto.create_role(
        &unique("schema"),
        "/ci/",
        &trust_policy(
            &provider,
            &serde_json::json!({"StringEquals": {
                format!("{name}:aud"): "sts.amazonaws.com",
                format!("{name}:sub"): "repo:acme/app:ref:refs/heads/main",
            }}),
        ),
        Some(3600),
    );
    let dir = tempfile::tempdir().unwrap();
    let token =
        crate::support::signed_token("test-rsa", &crate::support::claims(&issuer.url(), 3600));
    let output = moto
        .command(dir.path())
        .args([
            "provider",
            "--role-arn",
            &role,
            "--format",
            "json",
            "--ca-bundle",
        ])
        .arg(issuer.ca_bundle())
        .arg(&token)
        .output()
        .unwrap();
    let mut read: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The example shows `provider` only: `evaluation` is documented under `lint`.
    read.as_object_mut().unwrap().remove("evaluation");
    assert_same_shape(&examples[5], &read, "");
    assert_eq!(read["provider"]["allowed"], true);

    let output = moto
        .command(dir.path())
        .args(["scan", "--provider", &name, "--format", "json"])
        .output()
        .unwrap();
    let scanned: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_same_shape(&examples[6], &scanned, "");
}

#[test]
fn the_shape_check_catches_a_missing_or_retyped_field() {
    let documented = serde_json::json!({"a": 1, "b": [{"c": "x"}]});
    let renamed = serde_json::json!({"a": 1, "b": [{"d": "x"}]});
    let retyped = serde_json::json!({"a": "1", "b": [{"c": "x"}]});
    for wrong in [renamed, retyped] {
        let caught = std::panic::catch_unwind(|| assert_same_shape(&documented, &wrong, ""));
        assert!(caught.is_err(), "{wrong} passed");
    }
}

#[test]
fn the_documented_check_example_matches_real_output() {
    let examples = examples();
    let output = oidc_doctor()
        .args(["check", "--offline", "--format", "json", "--quiet"])
        .args(crate::support::CHECK_EXAMPLE)
        .output()
        .unwrap();
    let checked: Value = serde_json::from_slice(&output.stdout).unwrap();
    let documented = &examples[7];
    assert_eq!(documented["command"], "check");
    assert_same_shape(documented, &checked, "");
    assert_eq!(documented["verdict"], checked["verdict"]);
    assert_eq!(documented["check"]["inputs"], checked["check"]["inputs"]);
    assert_eq!(documented["findings"][0], checked["findings"][0]);
}
