//! IS022: an issuer STS cannot reach. STS fetches discovery and the JWKS
//! from AWS's network, on the internet: a host whose name resolves only to
//! loopback, private, link-local or shared addresses is out of its reach,
//! however well it answers the machine the tool runs on.

use std::net::IpAddr;

use crate::finding::Finding;
use crate::model::issuer::{Document, HandshakeProbe, Sample, non_public};
use crate::rules::IS022;

/// IS022 per host (the discovery host, and the JWKS host when it differs)
/// that resolved only to non-public addresses.
pub fn check(samples: &[Sample]) -> Vec<Finding> {
    let mut seen: Vec<(&str, u16)> = Vec::new();
    let mut findings = Vec::new();
    let probes = samples.iter().flat_map(|s| {
        [
            (Document::Discovery, s.discovery_probe.as_ref()),
            (Document::Jwks, s.jwks_probe.as_ref()),
        ]
    });
    for (document, probe) in probes {
        let Some(probe) = probe.filter(|p| !p.addresses.is_empty()) else {
            continue;
        };
        if seen.contains(&(probe.host.as_str(), probe.port)) {
            continue;
        }
        seen.push((probe.host.as_str(), probe.port));
        findings.extend(host(probe, document));
    }
    findings
}

fn host(probe: &HandshakeProbe, document: Document) -> Option<Finding> {
    let kinds: Vec<(IpAddr, &str)> = probe
        .addresses
        .iter()
        .map(|address| non_public(*address).map(|kind| (*address, kind)))
        .collect::<Option<_>>()?;
    let addresses = kinds
        .iter()
        .map(|(address, kind)| format!("{address} ({kind})"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Finding::new(
        &IS022,
        format!(
            "`{}`, the host of {}, resolves only to {addresses}: STS fetches from the internet and cannot reach it, so every \
             AssumeRoleWithWebIdentity with its tokens fails with `InvalidIdentityToken: Couldn't retrieve verification \
             key from your identity provider`.",
            probe.host,
            document.title().to_ascii_lowercase()
        ),
        "Publish the discovery document and the JWKS at a public https URL (the issuer's own, reachable from the \
         internet, or static copies in a public bucket with the token's `iss` pointing there). If the name resolves \
         differently outside your network (split DNS), run the probe from outside to be sure.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::issuer::{Fetch, FetchFailure};

    fn sample(addresses: &[&str]) -> Sample {
        let probe = HandshakeProbe {
            host: "gitlab.internal".to_owned(),
            port: 443,
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
            ..HandshakeProbe::default()
        };
        Sample {
            index: 1,
            offset: std::time::Duration::ZERO,
            discovery: Fetch {
                url: "https://gitlab.internal/.well-known/openid-configuration".to_owned(),
                redirects: Vec::new(),
                result: Err(FetchFailure::Other("not fetched".to_owned())),
                first_byte: None,
                total: std::time::Duration::ZERO,
            },
            discovery_probe: Some(probe),
            jwks: None,
            jwks_probe: None,
        }
    }

    #[test]
    fn a_host_with_only_private_addresses_is_named_with_them() {
        let findings = check(&[sample(&["10.0.0.5", "fd00::5", "100.64.1.1"])]);
        assert_eq!(findings.len(), 1);
        let message = &findings[0].message;
        assert!(
            message.contains("10.0.0.5 (private, RFC 1918)"),
            "{message}"
        );
        assert!(
            message.contains("fd00::5 (unique local, fc00::/7)"),
            "{message}"
        );
        assert!(
            message.contains("100.64.1.1 (shared address space"),
            "{message}"
        );
    }

    #[test]
    fn one_public_address_is_enough() {
        assert!(check(&[sample(&["10.0.0.5", "203.0.113.7"])]).is_empty());
        assert!(check(&[sample(&["2001:db8::1"])]).is_empty());
        assert_eq!(check(&[sample(&["127.0.0.1", "::1"])]).len(), 1);
        assert_eq!(check(&[sample(&["169.254.169.254"])]).len(), 1);
    }
}
