//! A stand-in for the GitHub Actions token endpoint on 127.0.0.1 (plain
//! HTTP): `GET <url>?api-version=2.0&audience=<aud>` with the request token
//! as a bearer answers `{"value": "<jwt>"}`, a new token each time; any other
//! bearer gets 403, as a job without `id-token: write` does.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use crate::local_http::LocalServer;

/// The request token a job would have in `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub const REQUEST_TOKEN: &str = "ghs_requestTokenNeverPrinted0123456789";

type Mint = Box<dyn FnMut(&str) -> String + Send>;

struct State {
    mint: Mutex<Mint>,
    /// The audience of every request that was answered.
    audiences: Mutex<Vec<String>>,
}

pub struct ActionsRuntime {
    server: LocalServer,
    state: Arc<State>,
}

impl ActionsRuntime {
    /// `mint` makes the token for each request, given its audience.
    pub fn start(mint: Mint) -> ActionsRuntime {
        let state = Arc::new(State {
            mint: Mutex::new(mint),
            audiences: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let server = LocalServer::start("actions-runtime", move |request| {
            let answer = respond(&shared, &request);
            async move { answer }
        });
        ActionsRuntime { server, state }
    }

    /// What the runner puts in `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/_apis/distributedtask/idtoken?api-version=2.0",
            self.server.port()
        )
    }

    pub fn audiences(&self) -> Vec<String> {
        self.state.audiences.lock().expect("lock").clone()
    }
}

fn respond(state: &State, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let authorized = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == format!("Bearer {REQUEST_TOKEN}").as_bytes());
    let audience =
        url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "audience")
            .map(|(_, v)| v.into_owned());
    let (status, body) = match (authorized, audience) {
        (true, Some(audience)) => {
            let token = (state.mint.lock().expect("lock"))(&audience);
            state.audiences.lock().expect("lock").push(audience);
            (
                StatusCode::OK,
                serde_json::json!({"count": 1, "value": token}).to_string(),
            )
        }
        (true, None) => (StatusCode::BAD_REQUEST, "no audience".to_owned()),
        (false, _) => (
            StatusCode::FORBIDDEN,
            "{\"message\":\"Forbidden\"}".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}
