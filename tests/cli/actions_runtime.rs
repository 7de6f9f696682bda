//! A stand-in for the GitHub Actions token endpoint on 127.0.0.1 (plain
//! HTTP): `GET <url>?api-version=2.0&audience=<aud>` with the request token
//! as a bearer answers `{"value": "<jwt>"}`, a new token each time; any other
//! bearer gets 403, as a job without `id-token: write` does.

use std::convert::Infallible;
use std::net::{Ipv4Addr, TcpListener as StdTcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;

/// The request token a job would have in `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub const REQUEST_TOKEN: &str = "ghs_requestTokenNeverPrinted0123456789";

type Mint = Box<dyn FnMut(&str) -> String + Send>;

struct State {
    mint: Mutex<Mint>,
    /// The audience of every request that was answered.
    audiences: Mutex<Vec<String>>,
}

pub struct ActionsRuntime {
    port: u16,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ActionsRuntime {
    /// `mint` makes the token for each request, given its audience.
    pub fn start(mint: Mint) -> ActionsRuntime {
        let std_listener = StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("addr").port();
        let state = Arc::new(State {
            mint: Mutex::new(mint),
            audiences: Mutex::new(Vec::new()),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).expect("listener")
        };
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                loop {
                    tokio::select! {
                        _ = &mut stop => return,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let state = Arc::clone(&served);
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                                    let state = Arc::clone(&state);
                                    async move { Ok::<_, Infallible>(respond(&state, &request)) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .timer(TokioTimer::new())
                                    .serve_connection(TokioIo::new(tcp), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        ActionsRuntime {
            port,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// What the runner puts in `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/_apis/distributedtask/idtoken?api-version=2.0",
            self.port
        )
    }

    pub fn audiences(&self) -> Vec<String> {
        self.state.audiences.lock().expect("lock").clone()
    }
}

impl Drop for ActionsRuntime {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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
