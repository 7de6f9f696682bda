//! Name resolution as every fetch and handshake here does it: the system's
//! resolver, except for `.invalid` names (RFC 6761), which fail at once,
//! so tests can make a name fail without asking anyone.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How a name lookup of a `.invalid` host fails: without asking anyone.
pub const INVALID_TLD: &str =
    "Name or service not known (`.invalid` names never resolve, RFC 6761; not looked up)";

/// Whether `host` is under the special-use TLD `.invalid` (RFC 6761 §6.4:
/// name resolution APIs should answer it negatively at once).
pub fn is_invalid_tld(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

/// Resolves `host` the way every fetch and handshake here does: the
/// system's resolver, except for `.invalid` names, which fail at once.
pub async fn lookup(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    if is_invalid_tld(host) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("failed to lookup address information: {INVALID_TLD}"),
        ));
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// The client's resolver: [`lookup`].
#[derive(Debug)]
pub struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = lookup(&host, 0).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `host` resolves from this machine, within `limit`: `Ok` with
/// no lookup for an IP literal, else the lookup's error in words.
pub async fn resolves(host: &str, limit: Duration) -> Result<(), String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    match tokio::time::timeout(limit, lookup(bare, 443)).await {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(()),
        Ok(Ok(_)) => Err("the lookup returned no address".to_owned()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "no answer within {}",
            crate::model::issuer::seconds(limit)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_fail_without_a_lookup() {
        assert!(is_invalid_tld("issuer.invalid"));
        assert!(is_invalid_tld("A.INVALID."));
        assert!(!is_invalid_tld("invalid.example"));
        let runtime = crate::net::runtime().unwrap();
        let error = runtime.block_on(lookup("issuer.invalid", 443)).unwrap_err();
        assert!(error.to_string().contains("Name or service not known"));
        assert!(
            runtime
                .block_on(resolves("127.0.0.1", Duration::from_secs(1)))
                .is_ok()
        );
        assert!(
            runtime
                .block_on(resolves("sts.invalid", Duration::from_secs(1)))
                .is_err()
        );
    }
}
