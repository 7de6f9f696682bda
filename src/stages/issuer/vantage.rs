//! Where a failed fetch broke: on this machine's side (its DNS resolver,
//! its routes, its proxy) or the issuer's. A failure from here says nothing
//! about what STS meets, so it must not be blamed on the issuer.
//!
//! A name that does not resolve is ambiguous: the issuer's DNS, or a
//! machine that resolves no public name. One control name settles it: the
//! host of the STS endpoint the tool would use. If this machine cannot
//! resolve that either, the failure is ours; if it can, the issuer's name
//! is the problem.

use std::time::Duration;

use url::Url;

use crate::model::issuer::{DnsAnswer, Fetch, FetchFailure, Sample, no_route};
use crate::net::dns;
use crate::net::proxy::{self, Proxy};

/// How long the control name may take to resolve.
pub const CONTROL_LIMIT: Duration = Duration::from_secs(2);

/// The STS endpoint used when none is configured.
const DEFAULT_STS_HOST: &str = "sts.amazonaws.com";

/// The control name and whether this machine resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub host: String,
    /// `Err` holds the lookup's error in words.
    pub resolved: Result<(), String>,
}

/// The host of the STS endpoint the tool would use: `AWS_ENDPOINT_URL_STS`,
/// else `AWS_ENDPOINT_URL`, else `sts.amazonaws.com`.
pub fn control_host() -> String {
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .and_then(|endpoint| {
            Url::parse(endpoint.trim())
                .ok()?
                .host_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_STS_HOST.to_owned())
}

/// Marks every failed fetch of the samples that broke on this machine's
/// side ([`FetchFailure::FromHere`]), and every name failure this machine's
/// resolver is not to blame for ([`FetchFailure::NameUnresolved`]).
pub async fn attribute(samples: &mut [Sample]) {
    attribute_fetches(
        samples
            .iter_mut()
            .flat_map(|s| std::iter::once(&mut s.discovery).chain(s.jwks.as_mut()))
            .collect(),
    )
    .await;
}

/// [`attribute`] over any fetches. The control name is resolved only when
/// a lookup failed, and at most once per run.
pub async fn attribute_fetches(fetches: Vec<&mut Fetch>) {
    static CONTROL: tokio::sync::OnceCell<Control> = tokio::sync::OnceCell::const_new();
    let needs_control = fetches.iter().any(|fetch| {
        matches!(fetch.result, Err(FetchFailure::Dns(_)))
            && failed_url(fetch).is_some_and(|u| proxy::proxy_for(&u).is_none())
    });
    let control = if needs_control {
        Some(
            CONTROL
                .get_or_init(|| async {
                    let host = control_host();
                    let resolved = dns::resolves(&host, CONTROL_LIMIT).await;
                    Control { host, resolved }
                })
                .await,
        )
    } else {
        None
    };
    for fetch in fetches {
        let url = failed_url(fetch);
        let proxy = url.as_ref().and_then(proxy::proxy_for);
        let host = url
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        if let Err(failure) = &fetch.result
            && let Some(judged) = judge(failure, &host, proxy.as_ref(), control)
        {
            fetch.result = Err(judged);
        }
    }
}

/// The URL the failure met: the last redirect's target, else the URL asked for.
fn failed_url(fetch: &Fetch) -> Option<Url> {
    let first = Url::parse(&fetch.url).ok()?;
    fetch.redirects.iter().try_fold(first, |current, redirect| {
        current.join(&redirect.location).ok()
    })
}

/// What a failure of a fetch of `host` becomes once its side is known;
/// `None` when it stays as it is (the issuer's side).
pub fn judge(
    failure: &FetchFailure,
    host: &str,
    proxy: Option<&Proxy>,
    control: Option<&Control>,
) -> Option<FetchFailure> {
    let from_here = |why: String| FetchFailure::FromHere {
        failure: Box::new(failure.clone()),
        why,
    };
    if let Some(proxy) = proxy {
        // Nothing came back from the issuer: the proxy (or the way to it)
        // failed first, or would not say what the issuer did.
        let before_an_answer = match failure {
            FetchFailure::Dns(_)
            | FetchFailure::Connect(_)
            | FetchFailure::Timeout(_)
            | FetchFailure::Other(_) => true,
            FetchFailure::Tls(_) => proxy.tls,
            _ => false,
        };
        return before_an_answer.then(|| {
            from_here(format!(
                "through the proxy {} (from {}): {failure}",
                proxy.address, proxy.variable
            ))
        });
    }
    match failure {
        FetchFailure::Connect(detail) if no_route(detail) => {
            Some(from_here(format!("no route from this machine ({detail})")))
        }
        FetchFailure::Dns(detail) => {
            let control = control?;
            match &control.resolved {
                Ok(()) => Some(FetchFailure::NameUnresolved {
                    detail: detail.clone(),
                    control: control.host.clone(),
                }),
                Err(control_error) => {
                    let what = match DnsAnswer::of(detail) {
                        DnsAnswer::Unanswered => "this machine's DNS resolver does not answer",
                        DnsAnswer::NoSuchName | DnsAnswer::Unknown => {
                            "this machine's DNS resolver resolves no public name"
                        }
                    };
                    Some(from_here(format!(
                        "{what}: neither `{host}` ({detail}) nor the control name `{}` ({control_error}) resolves",
                        control.host
                    )))
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NXDOMAIN: &str = "failed to lookup address information: Name or service not known";
    const EAI_AGAIN: &str =
        "failed to lookup address information: Temporary failure in name resolution";

    fn control(resolved: bool) -> Control {
        Control {
            host: "sts.amazonaws.com".to_owned(),
            resolved: if resolved {
                Ok(())
            } else {
                Err(NXDOMAIN.to_owned())
            },
        }
    }

    fn proxy(tls: bool) -> Proxy {
        Proxy {
            address: "proxy.corp:3128".to_owned(),
            variable: "HTTPS_PROXY",
            tls,
        }
    }

    #[test]
    fn a_name_failure_is_ours_when_the_control_name_fails_too() {
        for detail in [NXDOMAIN, EAI_AGAIN] {
            let judged = judge(
                &FetchFailure::Dns(detail.to_owned()),
                "issuer.example",
                None,
                Some(&control(false)),
            )
            .unwrap();
            let why = judged.from_here().unwrap();
            assert!(why.contains("DNS resolver"), "{why}");
            assert!(why.contains("`sts.amazonaws.com`"), "{why}");
        }
    }

    #[test]
    fn a_name_failure_is_the_issuers_when_the_control_name_resolves() {
        let judged = judge(
            &FetchFailure::Dns(NXDOMAIN.to_owned()),
            "issuer.example",
            None,
            Some(&control(true)),
        )
        .unwrap();
        assert_eq!(judged.from_here(), None);
        assert!(
            judged
                .to_string()
                .contains("while this machine resolves sts.amazonaws.com")
        );
    }

    #[test]
    fn no_route_is_ours_and_a_refusal_the_issuers() {
        let unreachable = FetchFailure::Connect("Network is unreachable (os error 101)".into());
        assert!(judge(&unreachable, "h", None, None).is_some_and(|f| f.from_here().is_some()));
        let refused = FetchFailure::Connect("Connection refused (os error 111)".into());
        assert_eq!(judge(&refused, "h", None, None), None);
        let tls = FetchFailure::Tls("invalid peer certificate: UnknownIssuer".into());
        assert_eq!(judge(&tls, "h", None, None), None);
        let timeout = FetchFailure::Timeout(Duration::from_secs(5));
        assert_eq!(judge(&timeout, "h", None, None), None);
    }

    #[test]
    fn through_a_proxy_a_failure_before_any_answer_is_ours() {
        let refused = FetchFailure::Connect("Connection refused (os error 111)".into());
        let why = judge(&refused, "h", Some(&proxy(false)), None)
            .and_then(|f| f.from_here().map(str::to_owned))
            .unwrap();
        assert!(why.contains("proxy.corp:3128"), "{why}");
        let tls = FetchFailure::Tls("invalid peer certificate: UnknownIssuer".into());
        assert_eq!(judge(&tls, "h", Some(&proxy(false)), None), None);
        assert!(judge(&tls, "h", Some(&proxy(true)), None).is_some());
        let redirect = FetchFailure::Redirect("to http".into());
        assert_eq!(judge(&redirect, "h", Some(&proxy(false)), None), None);
    }
}
