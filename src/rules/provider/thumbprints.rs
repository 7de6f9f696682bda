//! PV004 and PV008: the provider's thumbprints against the certificate
//! chains the issuer really serves.

use crate::finding::Finding;
use crate::model::chain::HostChain;
use crate::model::provider::OidcProvider;
use crate::rules::{PV004, PV008};

/// IAM keeps at most five thumbprints per provider.
const MAX_THUMBPRINTS: usize = 5;

fn is_thumbprint(value: &str) -> bool {
    value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// PV004 (malformed, too many, or none matching a chain STS must pin) and
/// PV008 (registered for chains STS does not pin).
pub fn check(provider: &OidcProvider, arn: Option<&str>, hosts: &[HostChain]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let malformed: Vec<&str> = provider
        .thumbprints
        .iter()
        .map(String::as_str)
        .filter(|t| !is_thumbprint(t))
        .collect();
    if !malformed.is_empty() {
        findings.push(Finding::new(
            &PV004,
            format!(
                "Provider `{}` holds {} not 40 hex characters: {}.",
                provider.url,
                if malformed.len() == 1 { "a thumbprint that is" } else { "thumbprints that are" },
                malformed.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            ),
            "A thumbprint is the SHA-1 of a certificate, 40 hex characters; `oidc-doctor issuer <iss>` prints the right one.",
        ));
    }
    if provider.thumbprints.len() > MAX_THUMBPRINTS {
        findings.push(Finding::new(
            &PV004,
            format!(
                "Provider `{}` lists {} thumbprints; IAM keeps at most {MAX_THUMBPRINTS}.",
                provider.url,
                provider.thumbprints.len()
            ),
            "Keep the current top-intermediate thumbprint of each host (discovery and JWKS) and drop the rest.",
        ));
    }
    let registered = |sha1: &str| {
        provider
            .thumbprints
            .iter()
            .any(|t| t.eq_ignore_ascii_case(sha1))
    };
    for host in hosts {
        let Some(top) = host.chain.top_intermediate() else {
            continue;
        };
        let documents: Vec<&str> = host.documents.iter().map(|d| d.as_str()).collect();
        match &host.public_trust {
            Err(reason) if !registered(&top.sha1) => findings.push(Finding::new(
                &PV004,
                format!(
                    "{} (serving {}) has a chain that is not publicly trusted ({reason}), so STS checks the \
                     thumbprints; none of `{}`'s matches its top intermediate `{}` ({}). STS answers \
                     `OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint`.",
                    host.chain.host,
                    documents.join(" and "),
                    provider.url,
                    top.sha1,
                    top.name()
                ),
                "Register the top intermediate's thumbprint with the provider, keeping the valid ones it has:",
            )
            .with_suggestion(format!(
                "aws iam update-open-id-connect-provider-thumbprint \\\n  --open-id-connect-provider-arn {} \\\n  --thumbprint-list {}",
                crate::finding::shown(arn.unwrap_or("<provider-arn>")),
                std::iter::once(top.sha1.as_str())
                    .chain(
                        provider
                            .thumbprints
                            .iter()
                            .map(String::as_str)
                            .filter(|t| is_thumbprint(t))
                            .take(MAX_THUMBPRINTS - 1)
                    )
                    .collect::<Vec<_>>()
                    .join(" ")
            ))),
            Ok(()) if !provider.thumbprints.is_empty() => findings.push(Finding::new(
                &PV008,
                format!(
                    "{} (serving {}) has a publicly trusted chain, so STS ignores the {} registered on `{}`.",
                    host.chain.host,
                    documents.join(" and "),
                    crate::finding::counted(provider.thumbprints.len(), "thumbprint", "thumbprints"),
                    provider.url
                ),
                "Nothing breaks; but when debugging, do not chase thumbprints for this issuer: STS verifies it against its own trusted roots.",
            )),
            _ => {}
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::chain::ServedChain;

    fn provider(thumbprints: &[&str]) -> OidcProvider {
        OidcProvider {
            url: "idp.example.com".into(),
            client_ids: vec!["sts.amazonaws.com".into()],
            thumbprints: thumbprints.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn malformed_and_too_many_thumbprints_are_pv004() {
        let findings = check(&provider(&["abc", "zz"]), None, &[]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("`abc`, `zz`"));
        let six = ["a"; 6].map(|_| "0123456789abcdef0123456789abcdef01234567");
        let findings = check(&provider(&six), None, &[]);
        assert!(findings[0].message.contains("lists 6 thumbprints"));
    }

    fn ca(name: &str) -> rcgen::CertificateParams {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params
    }

    /// A leaf and the intermediate that signed it, as a server serves them
    /// (the root, which signed the intermediate, is not served).
    fn served(public: bool) -> (HostChain, String) {
        let root_key = rcgen::KeyPair::generate().unwrap();
        let root_params = ca("Example Root");
        let root = rcgen::Issuer::new(root_params, root_key);
        let middle_key = rcgen::KeyPair::generate().unwrap();
        let middle_params = ca("Example Intermediate");
        let middle = middle_params.clone().signed_by(&middle_key, &root).unwrap();
        let middle_issuer = rcgen::Issuer::new(middle_params, middle_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["idp.example.com".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &middle_issuer)
            .unwrap();
        let ders = vec![leaf.der().to_vec(), middle.der().to_vec()];
        let top = crate::model::chain::thumbprint(middle.der());
        let host = HostChain {
            chain: ServedChain::read("idp.example.com", &ders),
            port: 443,
            documents: vec![crate::model::issuer::Document::Discovery],
            public_trust: if public {
                Ok(())
            } else {
                Err("unknown issuer".into())
            },
        };
        (host, top)
    }

    #[test]
    fn a_private_chain_needs_its_top_intermediate_registered() {
        let (host, top) = served(false);
        let arn = "arn:aws:iam::111122223333:oidc-provider/idp.example.com";
        let findings = check(
            &provider(&["0000000000000000000000000000000000000000"]),
            Some(arn),
            std::slice::from_ref(&host),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code(), "PV004");
        let command = findings[0].suggestion.as_deref().unwrap_or_default();
        assert!(
            command.contains(&format!("--thumbprint-list {top} 0000")),
            "{command}"
        );
        assert!(
            command.contains(&format!("--open-id-connect-provider-arn {arn}")),
            "the command names the real provider: {command}"
        );
        assert!(
            check(&provider(&[&top.to_ascii_uppercase()]), None, &[host]).is_empty(),
            "case does not matter"
        );
    }

    #[test]
    fn thumbprints_for_a_publicly_trusted_chain_are_pv008() {
        let (host, _) = served(true);
        let findings = check(
            &provider(&["0123456789abcdef0123456789abcdef01234567"]),
            None,
            std::slice::from_ref(&host),
        );
        assert_eq!(
            findings.iter().map(Finding::code).collect::<Vec<_>>(),
            ["PV008"]
        );
        assert!(
            check(&provider(&[]), None, &[host]).is_empty(),
            "no thumbprints, nothing unused"
        );
    }

    #[test]
    fn without_a_chain_only_the_registered_values_are_judged() {
        let host = HostChain {
            chain: ServedChain::default(),
            port: 443,
            documents: vec![],
            public_trust: Err("unknown issuer".into()),
        };
        assert!(
            check(
                &provider(&["0123456789abcdef0123456789abcdef01234567"]),
                None,
                &[host]
            )
            .is_empty()
        );
    }
}
