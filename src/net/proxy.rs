//! The proxy a request goes through, read from the environment as the
//! HTTP client reads it, so a failure through it can be told apart from
//! the issuer's own (and the proxy named without its credentials).

use std::net::IpAddr;

use url::Url;

/// A proxy the client sends a request through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `host:port`: never the credentials a proxy URL may carry.
    pub address: String,
    /// The variable that named it.
    pub variable: &'static str,
    /// The client speaks TLS to the proxy itself (an `https://` proxy).
    pub tls: bool,
}

/// The proxy reqwest uses for `url`, read from the environment with the
/// rules of its matcher (hyper-util's): nothing in a CGI process
/// (`REQUEST_METHOD` set); `HTTPS_PROXY`/`https_proxy` for https and
/// `HTTP_PROXY`/`http_proxy` for http URLs, else `ALL_PROXY`/`all_proxy`
/// (the first of each pair that is set wins, even empty); hosts matched by
/// `NO_PROXY`/`no_proxy` go direct. Loopback is not exempt by itself.
pub fn proxy_for(url: &Url) -> Option<Proxy> {
    proxy_with(url, &|name| std::env::var(name).ok())
}

fn proxy_with(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<Proxy> {
    if env("REQUEST_METHOD").is_some() {
        return None;
    }
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|name| env(name).map(|value| (name, value)))
    };
    let no_proxy = first(["NO_PROXY", "no_proxy"]).map(|(_, v)| v);
    let host = url.host_str()?;
    if no_proxy.is_some_and(|list| no_proxy_matches(&list, host)) {
        return None;
    }
    let own = match url.scheme() {
        "https" => first(["HTTPS_PROXY", "https_proxy"]),
        "http" => first(["HTTP_PROXY", "http_proxy"]),
        _ => return None,
    };
    own.and_then(|(name, value)| parse_proxy(name, &value))
        .or_else(|| {
            first(["ALL_PROXY", "all_proxy"]).and_then(|(name, value)| parse_proxy(name, &value))
        })
}

/// A proxy variable's value as the matcher reads it: a URL (`http` when no
/// scheme is given) with a host; schemes it cannot use are ignored.
fn parse_proxy(variable: &'static str, value: &str) -> Option<Proxy> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let parsed = if value.contains("://") {
        Url::parse(value).ok()?
    } else {
        Url::parse(&format!("http://{value}")).ok()?
    };
    let (tls, default_port) = match parsed.scheme() {
        "http" => (false, 80),
        "https" => (true, 443),
        "socks4" | "socks4a" | "socks5" | "socks5h" => (false, 1080),
        _ => return None,
    };
    let host = parsed.host_str()?;
    Some(Proxy {
        address: format!("{host}:{}", parsed.port().unwrap_or(default_port)),
        variable,
        tls,
    })
}

/// Whether a `NO_PROXY` list exempts `host`: `*`, an IP address or
/// network (`10.0.0.0/8`), or a domain matching itself and its subdomains
/// (a leading `.` changes nothing).
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = host.parse::<IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        if let Some(network) = parse_network(entry) {
            return address.is_some_and(|a| in_network(a, network));
        }
        if address.is_some() {
            return false;
        }
        let domain = entry.strip_prefix('.').unwrap_or(entry);
        host.eq_ignore_ascii_case(domain)
            || host.len() > domain.len()
                && host
                    .get(host.len() - domain.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
    })
}

fn parse_network(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = entry.split_once('/').unwrap_or((entry, ""));
    let address: IpAddr = address.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = if prefix.is_empty() {
        max
    } else {
        prefix.parse().ok()?
    };
    (prefix <= max).then_some((address, prefix))
}

fn in_network(address: IpAddr, (network, prefix): (IpAddr, u8)) -> bool {
    let (a, n, bits) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    let shift = bits - u32::from(prefix);
    shift >= bits || a >> shift == n >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn proxy(url: &str, pairs: &[(&str, &str)]) -> Option<String> {
        proxy_with(&Url::parse(url).unwrap(), &env(pairs)).map(|p| p.address)
    }

    #[test]
    fn the_proxy_is_named_by_host_and_port_never_with_its_credentials() {
        let found = proxy(
            "https://issuer.example",
            &[("HTTPS_PROXY", "http://user:secret@proxy.corp:3128")],
        );
        assert_eq!(found.as_deref(), Some("proxy.corp:3128"));
        assert_eq!(
            proxy("https://issuer.example", &[("https_proxy", "proxy.corp")]).as_deref(),
            Some("proxy.corp:80")
        );
        assert_eq!(
            proxy("https://issuer.example", &[("ALL_PROXY", "socks5h://s:1")]).as_deref(),
            Some("s:1")
        );
        assert_eq!(
            proxy("http://issuer.example", &[("HTTPS_PROXY", "http://p:1")]),
            None
        );
        assert_eq!(
            proxy("https://issuer.example", &[("HTTPS_PROXY", "ftp://p:1")]),
            None
        );
        assert_eq!(
            proxy(
                "https://issuer.example",
                &[("HTTPS_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]
            ),
            None
        );
    }

    #[test]
    fn no_proxy_exempts_domains_addresses_and_networks_but_not_loopback_by_itself() {
        let with = |no: &str, url: &str| proxy(url, &[("HTTPS_PROXY", "p:1"), ("NO_PROXY", no)]);
        assert_eq!(with("", "https://127.0.0.1:8443").as_deref(), Some("p:1"));
        assert_eq!(
            with("localhost", "https://127.0.0.1:8443").as_deref(),
            Some("p:1")
        );
        assert_eq!(with("127.0.0.1", "https://127.0.0.1:8443"), None);
        assert_eq!(with("127.0.0.0/8", "https://127.0.0.1:8443"), None);
        assert_eq!(with("::1", "https://[::1]:8443"), None);
        assert_eq!(with("example.com", "https://a.example.com"), None);
        assert_eq!(with(".example.com", "https://example.com"), None);
        assert_eq!(
            with("example.com", "https://notexample.com").as_deref(),
            Some("p:1")
        );
        assert_eq!(with("*", "https://anything"), None);
    }
}
