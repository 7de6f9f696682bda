//! The GitHub Actions token endpoint: `GET $ACTIONS_ID_TOKEN_REQUEST_URL`
//! with `&audience=...` and the request token as a bearer; the answer is
//! `{"value": "<jwt>"}`. Every call mints a new token. The request token is
//! never printed and never follows a redirect.

use std::time::Duration;

use crate::error::Error;
use crate::model::aws::Secret;
use crate::net::NetOptions;
use crate::net::http::HttpClient;

/// The runner's variables, read from the environment.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub url: String,
    pub request_token: Secret,
}

/// The variable that tells a job can request tokens.
pub const REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
const REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

impl Runtime {
    /// The runner's token endpoint, or why it cannot be used.
    pub fn from_env() -> Result<Runtime, Error> {
        let variable = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::Environment {
                    message: format!(
                        "a token from the GitHub Actions runtime needs {name}, and it is not set"
                    ),
                    help: "the job needs `permissions: id-token: write` (a pull request from a fork never gets it); \
                           outside GitHub Actions, give the token another way"
                        .to_owned(),
                })
        };
        Ok(Runtime {
            url: variable(REQUEST_URL)?,
            request_token: Secret::new(variable(REQUEST_TOKEN)?),
        })
    }

    /// Whether this process runs in a job that may request tokens.
    pub fn available() -> bool {
        std::env::var_os(REQUEST_URL).is_some_and(|v| !v.is_empty())
    }

    /// A fresh token for `audience`.
    pub fn request(&self, audience: &str) -> Result<String, Error> {
        let mut url = url::Url::parse(&self.url).map_err(|error| Error::Environment {
            message: format!("{REQUEST_URL} is not a URL ({error})"),
            help: "it is set by the Actions runner; do not override it".to_owned(),
        })?;
        url.query_pairs_mut().append_pair("audience", audience);
        let client = HttpClient::new(&NetOptions {
            timeout: Duration::from_secs(10),
            ca_bundle: None,
        })?;
        let runtime = crate::net::runtime()?;
        let fetch = runtime.block_on(client.fetch_with_bearer(url.as_str(), &self.request_token));
        let failed = |why: String| {
            Error::Environment {
            message: format!("the GitHub Actions runtime gave no token: {why}"),
            help: "check `permissions: id-token: write` on the job; the runtime answers 403 without it"
                .to_owned(),
        }
        };
        let response = match &fetch.result {
            Ok(response) if response.is_success() && !response.truncated => response,
            Ok(response) => return Err(failed(format!("HTTP {}", response.status))),
            Err(failure) => return Err(failed(failure.to_string())),
        };
        let value: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|error| failed(format!("the answer is not JSON ({error})")))?;
        value
            .get("value")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| failed("the answer has no `value`".to_owned()))
    }
}
