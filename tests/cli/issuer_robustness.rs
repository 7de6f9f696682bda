//! No answer from an issuer may panic the tool: property tests feed the IS
//! rules, the certificate-chain reader, the signature check and every output
//! format arbitrary bodies, headers, status codes and chains (the same
//! properties as the `issuer` fuzz target, on every `cargo test`).

use std::time::Duration;

use jiff::Timestamp;
use oidc_doctor::model::issuer::{
    Burst, Fetch, FetchFailure, HandshakeProbe, HttpResponse, Sample,
};
use oidc_doctor::model::{signature, token};
use oidc_doctor::output::{self, Options};
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::stages::issuer::{self, Probed};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::injection::FORMATS;
use crate::robustness::json_value;

/// Headers the rules read, with arbitrary values.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop_oneof![
        Just("cache-control"),
        Just("pragma"),
        Just("expires"),
        Just("age"),
        Just("etag"),
        Just("retry-after"),
        Just("date"),
        Just("content-type"),
    ];
    let values = prop_oneof![
        "\\PC{0,40}",
        Just("max-age=0, no-cache".to_owned()),
        Just("max-age=99999999999999999999".to_owned()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        Just("-1".to_owned()),
    ];
    vec((names.prop_map(str::to_owned), values), 0..6)
}

/// Bodies: arbitrary JSON, discovery- and JWKS-shaped objects, or bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), json_value(), json_value()).prop_map(|(issuer, jwks_uri, algs)| json!({
            "issuer": issuer, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": algs
        })
        .to_string()
        .into_bytes()),
        vec(json_value(), 0..4).prop_map(|keys| json!({"keys": keys}).to_string().into_bytes()),
        vec(any::<u8>(), 0..256),
    ]
}

fn fetch(
    url: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    kind: u8,
) -> Fetch {
    let result = match kind % 6 {
        0 => Err(FetchFailure::Timeout(Duration::from_secs(5))),
        1 => Err(FetchFailure::Dns("no such host".to_owned())),
        2 => Ok(HttpResponse {
            status,
            headers,
            body,
            truncated: true,
        }),
        _ => Ok(HttpResponse {
            status,
            headers,
            body,
            truncated: false,
        }),
    };
    Fetch {
        url,
        redirects: Vec::new(),
        result,
        first_byte: Some(Duration::from_millis(u64::from(status))),
        total: Duration::from_millis(u64::from(status) * 11),
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200_u16), Just(429), Just(503), Just(301), 0_u16..1000]
}

fn served() -> impl Strategy<Value = Fetch> {
    ("\\PC{0,60}", status(), headers(), body(), any::<u8>())
        .prop_map(|(url, status, headers, body, kind)| fetch(url, status, headers, body, kind))
}

fn probe() -> impl Strategy<Value = HandshakeProbe> {
    vec(vec(any::<u8>(), 0..64), 0..4).prop_map(|chain| HandshakeProbe {
        host: "issuer.example".to_owned(),
        port: 443,
        chain,
        ..HandshakeProbe::default()
    })
}

fn sample() -> impl Strategy<Value = Sample> {
    (served(), proptest::option::of(served()), probe()).prop_map(|(discovery, jwks, probe)| {
        Sample {
            index: 1,
            offset: Duration::ZERO,
            discovery,
            discovery_probe: Some(probe.clone()),
            jwks,
            jwks_probe: Some(probe),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_issuer_answers_never_panic_and_render_in_every_format(
        url in prop_oneof!["\\PC{0,60}", Just("https://issuer.example".to_owned())],
        samples in vec(sample(), 1..4),
        burst in proptest::option::of(vec(served(), 0..5)),
    ) {
        let samples: Vec<Sample> = samples
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| { s.index = i + 1; s })
            .collect();
        let judged = issuer::judge(
            Probed {
                url,
                samples,
                burst_asked: burst.is_some(),
                burst: burst.map(|fetches| Burst { url: "https://issuer.example/jwks".to_owned(), fetches, duration: Duration::from_millis(5) }),
                elapsed: Duration::from_millis(50),
                timeout: Duration::from_secs(5),
            },
            Timestamp::from_second(1_780_315_200).unwrap(),
            None,
        );
        let report = Report::of("issuer", judged, |data| CommandData::Issuer(Box::new(data)));
        for format in FORMATS {
            let mut out = Vec::new();
            output::write_report(&report, &Options { format, color: false, width: 80 }, &mut out)
                .expect("writing to memory");
            let text = String::from_utf8(out).expect("output is UTF-8");
            prop_assert!(!text.contains('\u{1b}'), "{:?} printed a raw escape", format);
            if format == oidc_doctor::cli::Format::Json {
                let value: Value = serde_json::from_str(&text).expect("json output parses");
                prop_assert_eq!(value["command"].as_str(), Some("issuer"));
            }
        }
    }

    #[test]
    fn arbitrary_key_sets_never_panic_the_signature_check(keys in vec(json_value(), 0..4), kid in "\\PC{0,8}") {
        let token = std::fs::read("fixtures/examples/github-actions.jwt").unwrap();
        let parsed = token::parse(&token);
        let jwt = parsed.jwt().unwrap();
        let mut keys = keys;
        keys.push(json!({"kty": "RSA", "kid": kid, "n": "AQAB", "e": "AQAB"}));
        if let Ok(verification) = signature::verify(jwt, &json!({"keys": keys})) {
            prop_assert!(!verification.is_verified(), "no arbitrary key verifies the example token");
        }
    }
}
