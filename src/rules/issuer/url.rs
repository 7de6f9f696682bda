//! IS001: the issuer URL itself, as IAM and STS compare it.

use crate::finding::{Finding, Severity};
use crate::rules::IS001;

/// What is wrong with an issuer URL as typed: each problem is one finding.
pub fn check(url: &str) -> Vec<Finding> {
    let problem = |message: String, help: &str| Finding::new(&IS001, message, help);
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![problem(
            format!("`{url}` is not an absolute URL."),
            "An issuer is an https URL such as https://token.actions.githubusercontent.com.",
        )];
    };
    let mut findings = Vec::new();
    if scheme != "https" {
        findings.push(problem(
            format!("The issuer URL uses `{scheme}`; IAM and STS accept only https issuers."),
            "Serve the issuer over https and use the https URL in the token's `iss` and the provider.",
        ));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = match authority.rsplit_once('@') {
        Some((_, host_port)) => {
            findings.push(problem(
                "The issuer URL carries a user name or password.".to_owned(),
                "Remove the credentials: an issuer URL is public and compared character by character.",
            ));
            host_port
        }
        None => authority,
    };
    // The port follows the last `:` outside an IPv6 literal's brackets.
    let after_brackets = host_port.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match host_port[after_brackets..].rfind(':') {
        Some(colon) => {
            let at = after_brackets + colon;
            (&host_port[..at], Some(&host_port[at + 1..]))
        }
        None => (host_port, None),
    };
    if host.is_empty() {
        findings.push(problem(
            format!("`{url}` has no host."),
            "An issuer is an https URL with a host name.",
        ));
    }
    if let Some(port) = port {
        findings.push(problem(
            format!("The issuer URL names a port (`:{port}`); IAM does not accept a port in a provider URL."),
            "Serve the issuer on the default https port 443 and drop the port from `iss`.",
        ));
    }
    if host.chars().any(|c| c.is_ascii_uppercase()) {
        findings.push(problem(
            format!("The host `{host}` has upper-case letters; STS compares `iss` with the provider URL exactly."),
            "Write the host in lower case everywhere: in the issuer's `iss`, its discovery `issuer` and the IAM provider.",
        ));
    }
    if tail.contains('?') {
        findings.push(problem(
            "The issuer URL has a query (`?...`); issuer identifiers may not carry one.".to_owned(),
            "Use the issuer URL without a query string.",
        ));
    }
    if tail.contains('#') {
        findings.push(problem(
            "The issuer URL has a fragment (`#...`); issuer identifiers may not carry one."
                .to_owned(),
            "Use the issuer URL without a fragment.",
        ));
    }
    if tail
        .split(['?', '#'])
        .next()
        .is_some_and(|path| path.ends_with('/'))
    {
        findings.push(
            problem(
                "The issuer URL ends with `/`: the token's `iss`, the discovery `issuer` and the IAM provider URL must all end the same way.".to_owned(),
                "Check that `iss` in the tokens ends with `/` too; most issuers do not use one.",
            )
            .with_severity(Severity::Info),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(url: &str) -> Vec<(String, Severity)> {
        check(url)
            .into_iter()
            .map(|f| (f.message, f.severity))
            .collect()
    }

    #[test]
    fn a_plain_https_issuer_is_fine() {
        assert!(check("https://token.actions.githubusercontent.com").is_empty());
        assert!(check("https://gitlab.example.com/tenant/path").is_empty());
        assert!(check("https://[2001:db8::1]").is_empty());
    }

    #[test]
    fn each_problem_is_named_once() {
        let found = problems("http://user@Example.COM:8443/x?a=1#f");
        let text: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(found.len(), 6, "{text:?}");
        assert!(text[0].contains("uses `http`"));
        assert!(text[1].contains("user name"));
        assert!(text[2].contains("`:8443`"));
        assert!(text[3].contains("`Example.COM`"));
        assert!(text[4].contains("query"));
        assert!(text[5].contains("fragment"));
        assert!(found.iter().all(|(_, s)| *s == Severity::High));
    }

    #[test]
    fn a_trailing_slash_is_only_info() {
        let found = problems("https://example.com/");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Severity::Info);
        assert_eq!(problems("https://example.com/tenant/")[0].1, Severity::Info);
    }

    #[test]
    fn ipv6_literals_keep_their_colons_and_ports_are_found_after_them() {
        assert!(
            problems("https://[2001:db8::1]:8443")[0]
                .0
                .contains("`:8443`")
        );
        assert!(problems("example.com")[0].0.contains("not an absolute URL"));
    }
}
