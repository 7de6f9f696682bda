//! `oidc-doctor issuer` against the in-process HTTPS issuer: one test per IS
//! rule that makes the issuer misbehave and checks the finding appears, with
//! a well-behaved issuer as the control that proves it is not always there.

use std::time::{Duration, Instant};

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::support::{codes, oidc_doctor};
use crate::test_issuer::{Behaviour, ChainLayout, DAY, TestIssuer};

/// Runs `issuer` on the test issuer (trusting its CA) and returns the JSON report.
fn probe_url(issuer: &TestIssuer, url: &str, extra: &[&str]) -> Value {
    let output = oidc_doctor()
        .args(["issuer", url, "--format", "json", "--fail-on", "never"])
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle())
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn probe(issuer: &TestIssuer, extra: &[&str]) -> Value {
    probe_url(issuer, &issuer.url(), extra)
}

/// The findings of one code.
fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn message(report: &Value, code: &str) -> String {
    let found = findings(report, code);
    assert!(!found.is_empty(), "no {code} in {:?}", codes(report));
    found[0]["message"].as_str().unwrap().to_owned()
}

fn one_sample(behaviour: Behaviour) -> (TestIssuer, Value) {
    let issuer = TestIssuer::start(behaviour);
    let report = probe(&issuer, &["--samples", "1"]);
    (issuer, report)
}

pub fn hex_sha1(der: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha1::digest(der)
        .iter()
        .fold(String::new(), |mut hex, byte| {
            write!(hex, "{byte:02x}").unwrap();
            hex
        })
}

#[test]
fn a_well_behaved_issuer_has_only_the_port_private_ca_and_loopback_findings() {
    let (issuer, report) = one_sample(Behaviour::default());
    // A local issuer needs a port (IS001), has a test CA (IS016) and is out
    // of STS's reach (IS022); nothing else.
    assert_eq!(codes(&report), ["IS001", "IS022", "IS016"]);
    assert!(
        message(&report, "IS022").contains("resolves only to 127.0.0.1 (loopback)"),
        "{report:#}"
    );
    assert_eq!(report["issuer"]["not_judged"], serde_json::json!([]));
    assert!(message(&report, "IS001").contains(&format!("`:{}`", issuer.port())));
    let data = &report["issuer"];
    assert_eq!(data["jwks_url"], issuer.jwks_url());
    assert_eq!(data["jwks"]["keys"], 2);
    assert_eq!(data["jwks"]["cache"]["lifetime_seconds"], 3600);
    assert_eq!(data["discovery"]["signing_algs"][0], "RS256");
    let sample = &data["samples"][0];
    assert_eq!(sample["ok"], true);
    assert_eq!(sample["discovery"]["status"], 200);
    assert_eq!(sample["jwks"]["status"], 200);
    for phase in [
        "dns_ms",
        "connect_ms",
        "tls_ms",
        "first_byte_ms",
        "total_ms",
    ] {
        assert!(sample["discovery"][phase].is_number(), "{phase}: {sample}");
    }
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["url", "discovery", "jwks", "tls", "latency", "burst"]
    );
}

#[test]
fn every_request_names_the_tool_in_its_user_agent() {
    let (issuer, _) = one_sample(Behaviour::default());
    let requests = issuer.requests();
    assert_eq!(requests.len(), 2, "discovery then JWKS");
    for request in requests {
        let agent = request.user_agent.unwrap_or_default();
        assert!(agent.starts_with("oidc-doctor/"), "{agent}");
    }
}

#[test]
fn is001_names_a_trailing_slash_as_info_and_is004_the_mismatch_it_causes() {
    let issuer = TestIssuer::start(Behaviour::default());
    let report = probe_url(&issuer, &format!("{}/", issuer.url()), &["--samples", "1"]);
    let slash = findings(&report, "IS001")
        .into_iter()
        .find(|f| f["message"].as_str().unwrap().contains("ends with `/`"))
        .expect("trailing slash reported");
    assert_eq!(slash["severity"], "info");
    assert!(message(&report, "IS004").contains("differ only in the trailing `/`"));
}

#[test]
fn is002_names_an_http_error_status() {
    // The issuer lives under /tenant; its host's root has no discovery document.
    let issuer = TestIssuer::start(Behaviour {
        path_prefix: "/tenant".into(),
        ..Behaviour::default()
    });
    let root = format!("https://127.0.0.1:{}", issuer.port());
    let report = probe_url(&issuer, &root, &["--samples", "1"]);
    assert!(message(&report, "IS002").contains("HTTP 404"));
    assert!(findings(&report, "IS006").is_empty(), "no JWKS fetched");
    let control = probe(&issuer, &["--samples", "1"]);
    assert!(findings(&control, "IS002").is_empty());
}

#[test]
fn is002_names_an_untrusted_certificate_without_the_ca_bundle() {
    let issuer = TestIssuer::start(Behaviour::default());
    let output = oidc_doctor()
        .args([
            "issuer",
            &issuer.url(),
            "--samples",
            "1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = message(&report, "IS002");
    assert!(text.contains("TLS failed"), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
}

#[test]
fn is002_names_a_refused_connection() {
    let port = {
        let issuer = TestIssuer::start(Behaviour::default());
        issuer.port()
    };
    // The issuer is gone: nothing listens on its port any more.
    let issuer = TestIssuer::start(Behaviour::default());
    let report = probe_url(
        &issuer,
        &format!("https://127.0.0.1:{port}"),
        &["--samples", "2"],
    );
    let text = message(&report, "IS002");
    assert!(text.contains("connection failed"), "{text}");
    assert!(text.contains("in 2 of 2 samples"), "{text}");
    assert_eq!(report["stages"][3]["status"], "skip", "no chain captured");
}

#[test]
fn is002_a_slow_answer_is_cut_at_the_timeout() {
    let issuer = TestIssuer::start(Behaviour {
        delay: Duration::from_secs(3),
        ..Behaviour::default()
    });
    let started = Instant::now();
    let report = probe(&issuer, &["--samples", "1", "--timeout", "0.3"]);
    assert!(message(&report, "IS002").contains("no complete answer within 300 ms"));
    // Generous: the point is that the tool did not wait for the 3 s answer.
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[test]
fn is003_a_discovery_document_that_is_not_json() {
    let (_issuer, report) = one_sample(Behaviour {
        discovery_body: Some("<html>login</html>".into()),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS003").contains("not JSON"));
    let (_issuer, report) = one_sample(Behaviour {
        discovery_body: Some("{}".into()),
        ..Behaviour::default()
    });
    let missing: Vec<&str> = findings(&report, "IS003")
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "The discovery document has no `issuer`.",
            "The discovery document has no `jwks_uri`."
        ]
    );
}

#[test]
fn is004_a_discovery_document_for_another_issuer() {
    let (_issuer, report) = one_sample(Behaviour {
        discovery_issuer: Some("https://other.example.com".into()),
        ..Behaviour::default()
    });
    let finding = &findings(&report, "IS004")[0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("`https://other.example.com`")
    );
    assert_eq!(finding["location"]["pointer"], "/issuer");
}

#[test]
fn is005_an_http_jwks_uri_is_not_followed() {
    let (issuer, report) = one_sample(Behaviour {
        jwks_uri: Some("http://{base}/jwks".into()),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS005").contains("uses `http`"));
    assert_eq!(issuer.count("/jwks"), 0, "STS would not fetch it either");
    assert!(report["issuer"]["samples"][0]["jwks"].is_null());
}

#[test]
fn is006_a_jwks_uri_that_answers_404() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_uri: Some("https://{base}/keys-moved".into()),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS006").contains("HTTP 404"));
    assert!(findings(&report, "IS002").is_empty());
}

#[test]
fn is007_a_jwks_that_is_not_json() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_body: Some("not json".into()),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS007").contains("not JSON"));
}

#[test]
fn is008_a_chain_of_two_seconds_or_more_is_slow() {
    let issuer = TestIssuer::start(Behaviour {
        jwks_delay: Duration::from_millis(2100),
        ..Behaviour::default()
    });
    let report = probe(&issuer, &["--samples", "1"]);
    let finding = &findings(&report, "IS008")[0];
    assert_eq!(finding["severity"], "medium");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("close to STS's 5 s limit")
    );
    assert!(report["issuer"]["chain_ms"]["max"].as_f64().unwrap() >= 2100.0);
}

#[test]
fn is009_a_jwks_that_forbids_caching() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_cache_control: Some("no-cache, max-age=0".into()),
        jwks_pragma_no_cache: true,
        ..Behaviour::default()
    });
    let text = message(&report, "IS009");
    assert!(
        text.contains("Cache-Control: no-cache, Cache-Control: max-age=0, Pragma: no-cache"),
        "{text}"
    );
    assert_eq!(report["issuer"]["jwks"]["cache"]["cacheable"], false);
    assert_eq!(
        findings(&report, "IS009").len(),
        1,
        "discovery is cacheable"
    );
}

/// A key set of `n` copies of the test RSA key with the given kids.
fn key_set(kids: impl Iterator<Item = String>, extra: &str) -> String {
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::fixture("keys/test-jwks.json")).unwrap(),
    )
    .unwrap();
    let rsa = jwks["keys"][0].clone();
    let keys: Vec<Value> = kids
        .map(|kid| {
            let mut key = rsa.clone();
            key["kid"] = kid.into();
            if !extra.is_empty() {
                key[extra] = "AQAB".into();
            }
            key
        })
        .collect();
    serde_json::json!({ "keys": keys }).to_string()
}

#[test]
fn is010_a_jwks_of_150_rsa_keys() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_body: Some(key_set((0..150).map(|i| format!("k{i}")), "")),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS010").contains("150 RSA keys"));
    assert!(findings(&report, "IS011").is_empty());
}

#[test]
fn is011_duplicate_kids() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_body: Some(key_set(["a", "b", "a"].iter().map(ToString::to_string), "")),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS011").contains("Keys 0 and 2 share `kid` `a`"));
    // STS may check a token against the wrong key: high, as rules.md says.
    assert_eq!(findings(&report, "IS011")[0]["severity"], "high");
}

#[test]
fn is012_a_key_marked_for_encryption() {
    let mut jwks: Value =
        serde_json::from_str(&key_set(std::iter::once("enc".to_owned()), "")).unwrap();
    jwks["keys"][0]["use"] = "enc".into();
    let (_issuer, report) = one_sample(Behaviour {
        jwks_body: Some(jwks.to_string()),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS012").contains("enc"));
}

#[test]
fn is013_a_published_private_key_member() {
    let (_issuer, report) = one_sample(Behaviour {
        jwks_body: Some(key_set(std::iter::once("leaky".to_owned()), "d")),
        ..Behaviour::default()
    });
    let finding = &findings(&report, "IS013")[0];
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["location"]["pointer"], "/keys/0");
}

#[test]
fn is014_signing_algorithms_sts_does_not_accept() {
    let (_issuer, report) = one_sample(Behaviour {
        signing_algs: Some(vec!["PS256".into(), "EdDSA".into()]),
        ..Behaviour::default()
    });
    assert!(message(&report, "IS014").contains("PS256, EdDSA"));
}

#[test]
fn is015_a_chain_in_the_wrong_order_with_a_duplicate_or_an_extra_certificate() {
    for (layout, words) in [
        (
            ChainLayout::WrongOrder,
            "is a CA, not the server's own certificate",
        ),
        (ChainLayout::Duplicate, "is sent twice"),
        (ChainLayout::Extra, "does not belong to the chain"),
    ] {
        let (_issuer, report) = one_sample(Behaviour {
            chain: layout.clone(),
            ..Behaviour::default()
        });
        let text = message(&report, "IS015");
        assert!(text.contains(words), "{layout:?}: {text}");
    }
    for layout in [
        ChainLayout::Normal,
        ChainLayout::WithRoot,
        ChainLayout::LeafOnly,
    ] {
        let (_issuer, report) = one_sample(Behaviour {
            chain: layout.clone(),
            ..Behaviour::default()
        });
        assert!(findings(&report, "IS015").is_empty(), "{layout:?}");
    }
}

#[test]
fn is016_gives_the_thumbprint_iam_computes_from_the_top_intermediate() {
    let (issuer, report) = one_sample(Behaviour {
        chain: ChainLayout::WithRoot,
        ..Behaviour::default()
    });
    // Computed here from the certificate's DER with another SHA-1 implementation.
    let expected = hex_sha1(&issuer.intermediate_der());
    assert_eq!(expected.len(), 40);
    assert!(message(&report, "IS016").contains(&format!("register thumbprint {expected}")));
    let tls = &report["issuer"]["tls"][0];
    assert_eq!(
        tls["thumbprint"],
        expected.as_str(),
        "the root served last is skipped"
    );
    assert_eq!(tls["publicly_trusted"], false);
    assert_eq!(tls["documents"], serde_json::json!(["discovery", "jwks"]));
    let served: Vec<&str> = tls["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha1"].as_str().unwrap())
        .collect();
    let ders = [
        issuer.leaf_der(),
        issuer.intermediate_der(),
        issuer.root_der(),
    ];
    let independent: Vec<String> = ders.iter().map(|der| hex_sha1(der)).collect();
    assert_eq!(served, independent);
}

#[test]
fn is016_with_only_a_leaf_served_the_leaf_thumbprint_is_named_as_such() {
    let (issuer, report) = one_sample(Behaviour {
        chain: ChainLayout::LeafOnly,
        ..Behaviour::default()
    });
    let text = message(&report, "IS016");
    assert!(text.contains(&hex_sha1(&issuer.leaf_der())), "{text}");
    assert!(text.contains("the leaf certificate"), "{text}");
}

#[test]
fn is017_a_redirected_discovery_is_reported_and_followed() {
    let (issuer, report) = one_sample(Behaviour {
        discovery_redirects: 1,
        ..Behaviour::default()
    });
    assert!(message(&report, "IS017").contains("answered 302"));
    assert!(findings(&report, "IS002").is_empty(), "one hop is followed");
    assert_eq!(issuer.count("/jwks"), 1);
}

#[test]
fn is017_more_than_three_redirects_or_one_to_http_is_not_followed() {
    let (_issuer, report) = one_sample(Behaviour {
        discovery_redirects: 4,
        ..Behaviour::default()
    });
    assert_eq!(findings(&report, "IS017").len(), 4);
    assert!(message(&report, "IS002").contains("more than 3 redirects"));
    let (_issuer, report) = one_sample(Behaviour {
        jwks_redirect_to_http: true,
        ..Behaviour::default()
    });
    assert!(message(&report, "IS017").contains("http://"));
    assert!(message(&report, "IS006").contains("not https"));
}

#[test]
fn is018_some_samples_fail_and_others_succeed() {
    let issuer = TestIssuer::start(Behaviour {
        fail_every_other: true,
        ..Behaviour::default()
    });
    let report = probe(&issuer, &["--samples", "2"]);
    let text = message(&report, "IS018");
    assert!(text.starts_with("1 of 2 samples failed"), "{text}");
    assert!(text.contains("HTTP 503"), "{text}");
    // Every sample failing is not intermittent: it is IS002 alone.
    let issuer = TestIssuer::start(Behaviour {
        max_in_flight: Some(0),
        ..Behaviour::default()
    });
    let report = probe(&issuer, &["--samples", "2"]);
    assert!(findings(&report, "IS018").is_empty());
}

#[test]
fn is019_429_answers_in_the_samples() {
    let (_issuer, report) = one_sample(Behaviour {
        max_in_flight: Some(0),
        ..Behaviour::default()
    });
    let text = message(&report, "IS019");
    assert!(text.contains("Retry-After: 1"), "{text}");
    assert!(message(&report, "IS002").contains("HTTP 429"));
}

#[test]
fn is019_the_burst_makes_a_rate_limit_visible() {
    let issuer = TestIssuer::start(Behaviour {
        max_in_flight: Some(3),
        jwks_delay: Duration::from_millis(300),
        ..Behaviour::default()
    });
    let quiet = probe(&issuer, &["--samples", "1"]);
    assert!(
        findings(&quiet, "IS019").is_empty(),
        "one request at a time passes"
    );
    let report = probe(&issuer, &["--samples", "1", "--burst", "10"]);
    let text = message(&report, "IS019");
    assert!(
        text.contains("in the burst of parallel JWKS fetches"),
        "{text}"
    );
    let burst = &report["issuer"]["burst"];
    assert_eq!(burst["requests"], 10);
    assert!(burst["throttled"].as_u64().unwrap() >= 1, "{burst}");
    assert_eq!(report["stages"][5]["status"], "fail");
}

#[test]
fn the_burst_is_capped_at_50() {
    let issuer = TestIssuer::start(Behaviour::default());
    oidc_doctor()
        .args(["issuer", &issuer.url(), "--burst", "51"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "invalid value '51' for '--burst <K>': 51 is not in 1..=50",
        ));
    assert_eq!(issuer.requests().len(), 0);
}

#[test]
fn is020_a_body_over_one_mebibyte_is_cut_and_not_parsed() {
    let (_issuer, report) = one_sample(Behaviour {
        oversize_jwks: true,
        ..Behaviour::default()
    });
    assert!(message(&report, "IS020").contains("larger than 1024 KiB"));
    assert!(
        findings(&report, "IS007").is_empty(),
        "a cut body is not judged"
    );
    let jwks = &report["issuer"]["samples"][0]["jwks"];
    assert_eq!(jwks["bytes"], 1024 * 1024);
    assert_eq!(jwks["truncated"], true);
}

#[test]
fn is021_a_leaf_that_expires_within_two_weeks() {
    let (_issuer, report) = one_sample(Behaviour {
        leaf_expires_in: Some(3 * DAY),
        ..Behaviour::default()
    });
    let finding = &findings(&report, "IS021")[0];
    assert_eq!(finding["severity"], "medium");
    let text = finding["message"].as_str().unwrap();
    assert!(text.contains("Certificate 1 of 127.0.0.1"), "{text}");
    assert!(
        text.contains("(in 2 days)") || text.contains("(in 3 days)"),
        "{text}"
    );
}

#[test]
fn human_output_has_the_phase_table_the_chain_and_a_verdict() {
    let issuer = TestIssuer::start(Behaviour::default());
    let output = oidc_doctor()
        .args(["issuer", &issuer.url(), "--samples", "2"])
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "│ sample ┆ document  ┆ DNS",
        "┆ first byte ┆ total",
        "│ 2      ┆ jwks",
        "Discovery + JWKS: min ",
        "cacheable for 1h; Cache-Control: public, max-age=3600",
        &format!("TLS chain of 127.0.0.1:{}", issuer.port()),
        "↑ IAM thumbprint",
        "Verdict: STS is likely to fail with this issuer (IS001 issuer-url-form): ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // The thumbprint to paste into IAM is never wrapped across lines.
    let thumbprint = hex_sha1(&issuer.intermediate_der());
    assert!(
        text.lines()
            .any(|line| line.starts_with("│ 2 ") && line.contains(&thumbprint)),
        "thumbprint {thumbprint} not whole on the intermediate's row in\n{text}"
    );
}

#[test]
fn the_ca_bundle_must_be_readable_pem() {
    oidc_doctor()
        .args([
            "issuer",
            "https://127.0.0.1:9",
            "--ca-bundle",
            "no/such.pem",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read CA bundle"));
    let not_pem = crate::support::fixture("keys/test-jwks.json");
    oidc_doctor()
        .args(["issuer", "https://127.0.0.1:9", "--ca-bundle"])
        .arg(not_pem)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("holds no certificate"));
}

#[test]
fn an_sts_emulator_beside_the_issuer_can_reach_it_so_is022_is_not_judged_and_said_so() {
    let issuer = TestIssuer::start(Behaviour::default());
    for variable in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        let output = oidc_doctor()
            .args([
                "issuer",
                &issuer.url(),
                "--format",
                "json",
                "--fail-on",
                "never",
                "--samples",
                "1",
            ])
            .arg("--ca-bundle")
            .arg(issuer.ca_bundle())
            .env(variable, "http://127.0.0.1:4566")
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(codes(&report), ["IS001", "IS016"], "{variable}");
        let note = report["issuer"]["not_judged"][0].as_str().unwrap();
        assert!(
            note.contains("IS022") && note.contains("http://127.0.0.1:4566"),
            "{note}"
        );
    }
    // A real AWS endpoint is on the internet: IS022 stands.
    let output = oidc_doctor()
        .args([
            "issuer",
            &issuer.url(),
            "--format",
            "json",
            "--fail-on",
            "never",
            "--samples",
            "1",
        ])
        .arg("--ca-bundle")
        .arg(issuer.ca_bundle())
        .env(
            "AWS_ENDPOINT_URL_STS",
            "https://sts.eu-west-1.amazonaws.com",
        )
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(codes(&report).contains(&"IS022".to_owned()), "{report:#}");
}

/// Runs `issuer` with exactly these variables (every other AWS and proxy
/// variable removed) and returns the exit code and the JSON report.
fn probe_env(url: &str, env: &[(&str, &str)], extra: &[&str]) -> (Option<i32>, Value) {
    let output = oidc_doctor()
        .args(["issuer", url, "--format", "json", "--samples", "1"])
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

/// A name this machine cannot resolve, with a control name it cannot
/// resolve either: the failure is this machine's, not the issuer's. Both
/// are `.invalid` names, answered without a lookup (RFC 6761).
#[test]
fn a_name_that_fails_beside_a_control_name_that_fails_too_is_this_machines_problem() {
    let env = [("AWS_ENDPOINT_URL_STS", "http://sts.invalid")];
    let (code, report) = probe_env("https://issuer.invalid", &env, &[]);
    assert_eq!(code, Some(3), "{report:#}");
    assert!(findings(&report, "IS002").is_empty(), "{report:#}");
    assert!(findings(&report, "IS006").is_empty(), "{report:#}");
    let why = report["issuer"]["unreachable_from_here"].as_str().unwrap();
    assert!(why.contains("DNS resolver"), "{why}");
    assert!(why.contains("`sts.invalid`"), "{why}");
    let discovery = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "discovery")
        .unwrap();
    assert_eq!(discovery["status"], "skip", "{discovery}");
    assert!(
        discovery["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach the issuer from this machine"),
        "{discovery}"
    );

    let output = oidc_doctor()
        .args(["issuer", "https://issuer.invalid", "--samples", "1"])
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Verdict: Could not check this issuer from here:"),
        "{text}"
    );
    assert!(
        text.contains("JWKS      not fetched: the issuer cannot be reached from this machine"),
        "{text}"
    );
    assert!(!text.contains("STS is likely to fail"), "{text}");
}

/// The same name failure while this machine resolves the STS endpoint's
/// host (an IP literal resolves by itself): the issuer's name is the problem.
#[test]
fn a_name_that_fails_while_the_control_name_resolves_is_is002() {
    let (code, report) = probe_env(
        "https://issuer.invalid",
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
        &[],
    );
    assert_eq!(code, Some(1), "{report:#}");
    assert!(report["issuer"]["unreachable_from_here"].is_null());
    let text = message(&report, "IS002");
    assert!(
        text.contains("the issuer's name does not resolve while this machine resolves 127.0.0.1"),
        "{text}"
    );
    let help = findings(&report, "IS002")[0]["help"].as_str().unwrap();
    assert!(
        help.contains("this machine resolves 127.0.0.1, so the issuer's name is the problem"),
        "{help}"
    );
}

/// A proxy that does not answer: the issuer was never asked, and the proxy
/// is named by host and port, never with its credentials.
#[test]
fn a_proxy_that_fails_is_this_machines_problem_and_named_without_credentials() {
    let issuer = TestIssuer::start(Behaviour::default());
    let bundle = issuer.ca_bundle().display().to_string();
    let env = [
        ("HTTPS_PROXY", "http://user:secret@127.0.0.1:1"),
        // STS beside the issuer: IS022 is not judged.
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
    ];
    let (code, report) = probe_env(&issuer.url(), &env, &["--ca-bundle", &bundle]);
    assert!(findings(&report, "IS002").is_empty(), "{report:#}");
    let why = report["issuer"]["unreachable_from_here"].as_str().unwrap();
    assert!(
        why.contains("through the proxy 127.0.0.1:1 (from HTTPS_PROXY)"),
        "{why}"
    );
    assert_eq!(issuer.count("/.well-known/openid-configuration"), 0);
    // The local issuer's port and test CA are real findings (IS001,
    // IS016): they, not the unreached documents, decide the exit code.
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        !codes(&report).iter().any(|c| c == "IS008" || c == "IS018"),
        "{report:#}"
    );
    let output = oidc_doctor()
        .args([
            "issuer",
            &issuer.url(),
            "--samples",
            "1",
            "--fail-on",
            "never",
        ])
        .args(["--ca-bundle", &bundle])
        .envs(env)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Could not check this issuer from here: through the proxy 127.0.0.1:1"),
        "{text}"
    );
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let output = oidc_doctor()
            .args([
                "issuer",
                &issuer.url(),
                "--samples",
                "1",
                "--format",
                format,
            ])
            .args(["--ca-bundle", &bundle])
            .envs(env)
            .output()
            .unwrap();
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains("secret"), "{format}: {text}");
        }
    }
}

/// `NO_PROXY` naming the issuer's address sends the fetches direct.
#[test]
fn no_proxy_covering_the_issuer_sends_the_fetches_direct() {
    let issuer = TestIssuer::start(Behaviour::default());
    let bundle = issuer.ca_bundle().display().to_string();
    let (_, report) = probe_env(
        &issuer.url(),
        &[
            ("HTTPS_PROXY", "http://127.0.0.1:1"),
            ("NO_PROXY", "localhost,127.0.0.0/8"),
        ],
        &["--ca-bundle", &bundle],
    );
    assert!(report["issuer"]["unreachable_from_here"].is_null());
    assert_eq!(report["issuer"]["samples"][0]["ok"], true, "{report:#}");
}
