//! IS015, IS016, IS021: the TLS certificate chains of the discovery and
//! JWKS hosts, as STS and IAM read them.

use jiff::{SignedDuration, Timestamp};

use crate::finding::{Finding, Severity};
use crate::model::chain::HostChain;
use crate::rules::{IS015, IS016, IS021};

/// Certificates expiring within this many days are reported.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

pub fn check(host: &HostChain, now: Timestamp) -> Vec<Finding> {
    let mut findings = Vec::new();
    let name = &host.chain.host;
    let documents: Vec<&str> = host.documents.iter().map(|d| d.as_str()).collect();
    let serving = format!("{name} (serving {})", documents.join(" and "));

    let problems = host.chain.order_problems();
    if !problems.is_empty() {
        findings.push(Finding::new(
            &IS015,
            format!("The certificate chain of {serving} is not in order: {}.", problems.join("; ")),
            "Serve the leaf first, then each intermediate in turn (optionally the root last), each once; AWS says a chain in another order or with extra certificates makes STS fail to validate the token.",
        ));
    }

    if let Err(reason) = &host.public_trust {
        let thumbprint = host.chain.top_intermediate().map_or_else(
            || "no certificate was captured, so no thumbprint can be given".to_owned(),
            |top| {
                let which = if top.position == 0 {
                    "the leaf certificate, as no intermediate was served; it changes at every renewal"
                } else {
                    "the top intermediate"
                };
                format!("register thumbprint {} ({which}: {})", top.sha1, top.name())
            },
        );
        findings.push(Finding::new(
            &IS016,
            format!(
                "The certificate chain of {serving} does not lead to a publicly trusted root ({reason}): STS then falls back to the thumbprints on the IAM OIDC provider; {thumbprint}."
            ),
            "Prefer a certificate from a public CA. Otherwise add the thumbprint to the provider's ThumbprintList (up to five; one per host when discovery and JWKS differ) and update it when the CA changes.",
        ));
    }

    for certificate in &host.chain.certificates {
        let left = certificate.not_after.duration_since(now);
        let expired = left <= SignedDuration::ZERO;
        if !expired && left >= SignedDuration::from_hours(24 * EXPIRY_WARNING_DAYS) {
            continue;
        }
        let when = if expired {
            format!("expired on {}", date(certificate.not_after))
        } else {
            format!(
                "expires on {} (in {})",
                date(certificate.not_after),
                crate::finding::counted(
                    usize::try_from(left.as_hours() / 24).unwrap_or(0),
                    "day",
                    "days"
                )
            )
        };
        let finding = Finding::new(
            &IS021,
            format!(
                "Certificate {} of {name} ({}) {when}.",
                certificate.position + 1,
                certificate.name()
            ),
            "Renew it before it expires; if the new certificate comes from another intermediate, update the thumbprint registered on the IAM provider too.",
        );
        findings.push(if expired {
            finding.with_severity(Severity::High)
        } else {
            finding
        });
    }
    findings
}

fn date(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%d").to_string()
}
