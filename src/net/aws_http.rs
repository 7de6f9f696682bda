//! The HTTP client every AWS call goes through: the SDK's own default
//! client, with each answer read up to [`BODY_CAP`] before the SDK sees it.
//!
//! It is installed once, on the shared configuration (`aws::load`), so
//! every client built from that configuration (IAM, STS, whatever is added
//! later) and every credential provider of the chain (SSO, web identity,
//! container, instance metadata) reads through it: no call can forget the
//! cap. An answer that declares a larger `Content-Length` is refused before
//! a byte of its body is read; one that streams past the cap is dropped at
//! the cap. Either way the request fails with [`AnswerTooLarge`], a dispatch
//! failure of the "user" kind that no SDK retry strategy retries: a second
//! request would get the same answer.
//!
//! The SDK reads every answer of the operations the tool uses whole before
//! parsing it, so reading it here first costs nothing; the SDK's
//! stalled-stream guard then has nothing to wait for, so a body that stops
//! arriving is given up here after the same grace.

use std::fmt;
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin as _;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::config_bag::ConfigBag;

use crate::net::BODY_CAP;

/// How long a body may send nothing before it is given up, when the
/// request sets no read timeout of its own: the grace the SDK's
/// stalled-stream protection allows.
const STALL_GRACE: Duration = Duration::from_secs(5);

/// An AWS answer larger than [`BODY_CAP`]: refused, never read past the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTooLarge {
    /// The answer's HTTP status.
    pub status: u16,
}

impl fmt::Display for AnswerTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer (HTTP {}) was larger than {}; the tool stops reading at that size",
            self.status,
            cap_in_words()
        )
    }
}

impl std::error::Error for AnswerTooLarge {}

/// [`BODY_CAP`] in words ("1 MiB").
pub fn cap_in_words() -> String {
    const MIB: usize = 1024 * 1024;
    if BODY_CAP.is_multiple_of(MIB) {
        format!("{} MiB", BODY_CAP / MIB)
    } else {
        format!("{BODY_CAP} bytes")
    }
}

/// The [`AnswerTooLarge`] somewhere in `error`'s chain of causes, if any.
pub fn too_large(error: &(dyn std::error::Error + 'static)) -> Option<AnswerTooLarge> {
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<AnswerTooLarge>() {
            return Some(*found);
        }
        current = cause.source();
    }
    None
}

/// The SDK's default HTTPS client (the one a client built without an HTTP
/// client of its own would use), wrapped in the cap. `None` only in a build
/// without the SDK's default client, where no AWS call could be sent anyway.
pub fn capped_client(behavior_version: BehaviorVersion) -> Option<SharedHttpClient> {
    let plugin =
        aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(behavior_version)?;
    let inner = plugin
        .runtime_components(&RuntimeComponentsBuilder::new("oidc-doctor"))
        .http_client()?;
    Some(SharedHttpClient::new(CappedClient { inner }))
}

#[derive(Debug)]
struct CappedClient {
    inner: SharedHttpClient,
}

impl HttpClient for CappedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CappedConnector {
            inner: self.inner.http_connector(settings, components),
            stall: settings.read_timeout().unwrap_or(STALL_GRACE),
        })
    }

    fn validate_base_client_config(
        &self,
        runtime_components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner
            .validate_base_client_config(runtime_components, cfg)
    }

    fn validate_final_config(
        &self,
        runtime_components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(runtime_components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct CappedConnector {
    inner: SharedHttpConnector,
    /// The longest wait for the next piece of a body.
    stall: Duration,
}

impl HttpConnector for CappedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let answer = self.inner.call(request);
        let stall = self.stall;
        HttpConnectorFuture::new(async move {
            let mut response = answer.await?;
            let status = response.status().as_u16();
            let body = read_capped(
                response.take_body(),
                response.headers(),
                status,
                BODY_CAP,
                stall,
            )
            .await?;
            *response.body_mut() = body;
            Ok(response)
        })
    }
}

/// The whole of `body`, if it is at most `cap` bytes.
async fn read_capped(
    body: SdkBody,
    headers: &Headers,
    status: u16,
    cap: usize,
    stall: Duration,
) -> Result<SdkBody, ConnectorError> {
    let too_large = || ConnectorError::user(Box::new(AnswerTooLarge { status }));
    let cap_u64 = u64::try_from(cap).unwrap_or(u64::MAX);
    let declared = headers
        .get("content-length")
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > cap_u64) {
        return Err(too_large());
    }
    if let Some(bytes) = body.bytes() {
        return if bytes.len() > cap {
            Err(too_large())
        } else {
            Ok(body)
        };
    }
    let mut stream = ByteStream::new(body);
    let mut read = Vec::new();
    loop {
        let chunk = match tokio::time::timeout(stall, stream.next()).await {
            Err(_) => {
                return Err(ConnectorError::timeout(
                    format!(
                        "the answer's body stopped arriving ({} s without a byte)",
                        stall.as_secs_f64()
                    )
                    .into(),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(error))) => return Err(ConnectorError::io(Box::new(error))),
            Ok(Some(Ok(chunk))) => chunk,
        };
        if chunk.len() > cap - read.len() {
            return Err(too_large());
        }
        read.extend_from_slice(&chunk);
    }
    Ok(SdkBody::from(read))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A body that arrives in `pieces` chunks of `size` bytes, as a network
    /// body does (not already in memory).
    fn streamed(pieces: usize, size: usize) -> SdkBody {
        let (sender, receiver) = tokio::sync::mpsc::channel(pieces.max(1));
        for _ in 0..pieces {
            sender
                .try_send(Ok(vec![b'a'; size]))
                .unwrap_or_else(|_| panic!("channel full"));
        }
        drop(sender);
        SdkBody::from_body_1_x(ChannelBody(receiver))
    }

    struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>);

    impl hyper::body::Body for ChannelBody {
        type Data = bytes::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            self.0.poll_recv(cx).map(|next| {
                next.map(|chunk| chunk.map(|bytes| hyper::body::Frame::data(bytes.into())))
            })
        }
    }

    fn read(body: SdkBody, headers: &Headers) -> Result<SdkBody, ConnectorError> {
        runtime().block_on(read_capped(body, headers, 200, 1000, STALL_GRACE))
    }

    fn is_too_large(result: &Result<SdkBody, ConnectorError>) -> bool {
        result
            .as_ref()
            .err()
            .and_then(|error| too_large(error))
            .is_some()
    }

    #[test]
    fn a_body_up_to_the_cap_is_read_whole_and_one_byte_more_is_refused() {
        let whole = read(streamed(10, 100), &Headers::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whole.bytes().map(<[u8]>::len), Some(1000));
        assert!(is_too_large(&read(streamed(1001, 1), &Headers::new())));
        assert!(is_too_large(&read(
            SdkBody::from(vec![b'a'; 1001]),
            &Headers::new()
        )));
        assert!(read(SdkBody::from(vec![b'a'; 1000]), &Headers::new()).is_ok());
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_reading() {
        let mut headers = Headers::new();
        headers.insert("content-length", "1001");
        // A body that never ends: only the declared length can refuse it in time.
        let (_sender, receiver) = tokio::sync::mpsc::channel(1);
        let endless = SdkBody::from_body_1_x(ChannelBody(receiver));
        assert!(is_too_large(&read(endless, &headers)));
    }

    #[test]
    fn a_body_that_stops_arriving_is_a_timeout() {
        let (_sender, receiver) = tokio::sync::mpsc::channel(1);
        let stalled = SdkBody::from_body_1_x(ChannelBody(receiver));
        let result = runtime().block_on(read_capped(
            stalled,
            &Headers::new(),
            200,
            1000,
            Duration::from_millis(20),
        ));
        assert!(result.is_err_and(|e| e.is_timeout()));
    }

    #[test]
    fn the_refusal_is_a_sentence_with_the_status_and_the_cap() {
        assert_eq!(
            AnswerTooLarge { status: 200 }.to_string(),
            "the answer (HTTP 200) was larger than 1 MiB; the tool stops reading at that size"
        );
    }

    #[test]
    fn the_sdk_default_client_is_available_to_wrap() {
        assert!(capped_client(BehaviorVersion::latest()).is_some());
    }
}
