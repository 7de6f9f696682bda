//! Arbitrary bytes as what an issuer served: discovery and JWKS bodies,
//! response headers (cache, Retry-After, Location), status codes and a
//! certificate chain; and a token checked against the served key set. The IS
//! rules, the chain reader, the signature check and every output format must
//! neither panic nor fail to render.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use oidc_doctor::cli::Format;
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::stages::issuer::{self, Probed};
use oidc_doctor::model::{signature, token};
use oidc_doctor::model::issuer::{Burst, Fetch, FetchFailure, HandshakeProbe, HttpResponse, Redirect, Sample};
use oidc_doctor::output::{self, Options};

/// Parts are separated by a byte sequence that rarely occurs by chance.
const SEPARATOR: &[u8] = b"\x00|\x00";

fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// `name: value` lines.
fn headers(bytes: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect()
}

fn fetch(url: &str, status: u8, headers: Vec<(String, String)>, body: &[u8], location: Option<String>) -> Fetch {
    let result = match status % 8 {
        0 => Err(FetchFailure::Timeout(Duration::from_secs(5))),
        1 => Err(FetchFailure::Tls("invalid peer certificate: UnknownIssuer".to_owned())),
        2 => Ok(HttpResponse { status: 429, headers, body: body.to_vec(), truncated: false }),
        3 => Ok(HttpResponse { status: 200, headers, body: body.to_vec(), truncated: true }),
        4 => Ok(HttpResponse { status: u16::from(status) * 3, headers, body: body.to_vec(), truncated: false }),
        _ => Ok(HttpResponse { status: 200, headers, body: body.to_vec(), truncated: false }),
    };
    Fetch {
        url: url.to_owned(),
        redirects: location
            .map(|location| Redirect { from: url.to_owned(), status: 302, location })
            .into_iter()
            .collect(),
        result,
        first_byte: Some(Duration::from_millis(u64::from(status) * 7)),
        total: Duration::from_millis(u64::from(status) * 31),
    }
}

fuzz_target!(|data: &[u8]| {
    let parts = parts(data);
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    let url = String::from_utf8_lossy(part(0)).into_owned();
    let statuses = part(1);
    let status = |i: usize| statuses.get(i).copied().unwrap_or(7);
    let location = (!part(5).is_empty()).then(|| String::from_utf8_lossy(part(5)).into_owned());
    let chain: Vec<Vec<u8>> = part(6).split(|b| *b == 0xff).map(<[u8]>::to_vec).collect();
    let probe = HandshakeProbe {
        host: "issuer.example".to_owned(),
        port: 443,
        dns: Some(Duration::from_millis(1)),
        connect: Some(Duration::from_millis(2)),
        tls: Some(Duration::from_millis(3)),
        chain,
        ..HandshakeProbe::default()
    };
    let samples = (0..3)
        .map(|i| Sample {
            index: i + 1,
            offset: Duration::ZERO,
            discovery: fetch(&url, status(i), headers(part(2)), part(3), location.clone()),
            discovery_probe: Some(probe.clone()),
            jwks: (status(i + 3) % 5 != 0)
                .then(|| fetch("https://issuer.example/jwks", status(i + 3), headers(part(2)), part(4), None)),
            jwks_probe: Some(probe.clone()),
        })
        .collect();
    let burst = (status(6) % 2 == 0).then(|| Burst {
        url: "https://issuer.example/jwks".to_owned(),
        fetches: (0..4).map(|i| fetch("https://issuer.example/jwks", status(7 + i), headers(part(2)), b"", None)).collect(),
        duration: Duration::from_millis(9),
    });
    let judged = issuer::judge(
        Probed {
            url,
            samples,
            burst_asked: burst.is_some(),
            burst,
            elapsed: Duration::from_millis(100),
            timeout: Duration::from_secs(5),
        },
        jiff::Timestamp::from_second(1_780_315_200).unwrap(),
        None,
    );
    let report = Report::of("issuer", judged, |data| CommandData::Issuer(Box::new(data)));
    // The key set as `decode --verify` uses it, against a token.
    let parsed = token::parse(part(7));
    if let (Ok(jwks), Some(jwt)) = (
        serde_json::from_slice::<serde_json::Value>(part(4)),
        parsed.jwt(),
    ) {
        if let Ok(verification) = signature::verify(jwt, &jwks) {
            let _ = oidc_doctor::rules::token::signature::check(&verification, "fuzz");
        }
    }
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github, Format::Markdown] {
        let options = Options { format, color: false, width: 80 };
        let mut out = Vec::new();
        output::write_report(&report, &options, &mut out).unwrap();
    }
});
