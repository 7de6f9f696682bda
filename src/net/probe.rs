//! Walking the chain STS walks: discovery, then the `jwks_uri` it names,
//! each with a TLS handshake probe beside it; and the opt-in burst.

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use url::Url;

use crate::model::discovery::DiscoveryDocument;
use crate::model::discovery::jwks_uri_problem;
use crate::model::issuer::{Burst, Fetch, HandshakeProbe, Sample};
use crate::net::http::HttpClient;
use crate::net::tls;

/// `<issuer>/.well-known/openid-configuration`, a trailing `/` of the issuer
/// removed first (`OpenID` Connect Discovery §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The `jwks_uri` of a discovery answer, when STS could fetch it.
pub fn jwks_uri(discovery: &Fetch) -> Option<String> {
    let response = discovery
        .response()
        .filter(|r| r.is_success() && !r.truncated)?;
    let value: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let uri = DiscoveryDocument::from_value(&value)?.jwks_uri?;
    jwks_uri_problem(&uri).is_none().then_some(uri)
}

/// One sample: discovery then JWKS, each beside a handshake probe of its host.
pub async fn sample(client: HttpClient, issuer: String, index: usize, offset: Duration) -> Sample {
    tokio::time::sleep(offset).await;
    let discovery_url = discovery_url(&issuer);
    let (discovery, discovery_probe) = tokio::join!(
        client.fetch(&discovery_url),
        probe(&discovery_url, client.timeout())
    );
    let (jwks, jwks_probe) = match jwks_uri(&discovery) {
        Some(uri) => {
            let (fetch, probe) = tokio::join!(client.fetch(&uri), probe(&uri, client.timeout()));
            (Some(fetch), probe)
        }
        None => (None, None),
    };
    Sample {
        index,
        offset,
        discovery,
        discovery_probe,
        jwks,
        jwks_probe,
    }
}

/// `samples` samples, the k-th starting `k × interval` after the first;
/// they run concurrently, so with no interval they overlap completely.
pub async fn samples(
    client: &HttpClient,
    issuer: &str,
    count: usize,
    interval: Duration,
) -> Vec<Sample> {
    let mut set = JoinSet::new();
    for index in 1..=count {
        let offset = interval * u32::try_from(index - 1).unwrap_or(u32::MAX);
        set.spawn(sample(client.clone(), issuer.to_owned(), index, offset));
    }
    let mut samples = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        // A sample task cannot panic short of a bug; a lost sample is simply absent.
        if let Ok(sample) = joined {
            samples.push(sample);
        }
    }
    samples.sort_by_key(|s| s.index);
    samples
}

/// `count` parallel fetches of `url`, started at once.
pub async fn burst(client: &HttpClient, url: &str, count: usize) -> Burst {
    let started = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..count {
        let client = client.clone();
        let url = url.to_owned();
        set.spawn(async move { client.fetch(&url).await });
    }
    let mut fetches = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        if let Ok(fetch) = joined {
            fetches.push(fetch);
        }
    }
    Burst {
        url: url.to_owned(),
        fetches,
        duration: started.elapsed(),
    }
}

/// A handshake probe of the host of an https `url`; `None` for other URLs.
async fn probe(url: &str, timeout: Duration) -> Option<HandshakeProbe> {
    let url = Url::parse(url).ok().filter(|u| u.scheme() == "https")?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port_or_known_default()?;
    Some(tls::probe(&host, port, timeout).await)
}
