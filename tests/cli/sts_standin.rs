//! An in-process stand-in for STS's Query API on 127.0.0.1: it answers
//! `AssumeRoleWithWebIdentity` from a script (fail twice, then succeed;
//! an audience error; `AccessDenied`; throttling; an expired token...) with
//! the XML shapes STS really sends, and counts and records every call.
//! moto's server validates no token, so these answers come from here.
//!
//! `GET /calls` answers the number of calls so far (for the benchmark
//! script, which runs this through `cargo run --example sts_standin`).

#![allow(dead_code, reason = "not every user calls every helper")]

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use crate::local_http::LocalServer;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Credentials valid for this long, for the role and session asked.
    Assumed { valid_for: Duration },
    /// An STS error answer.
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// Never answer (a network failure, seen as a timeout).
    HangUp,
    /// This status and body, as they are (the fixtures of fixtures/sts/).
    Raw { status: u16, body: String },
}

impl Answer {
    pub fn assumed() -> Answer {
        Answer::Assumed {
            valid_for: Duration::from_hours(1),
        }
    }

    pub fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::Error {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    pub fn access_denied() -> Answer {
        Answer::error(
            403,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        )
    }

    pub fn audience() -> Answer {
        Answer::error(400, "InvalidIdentityToken", "Incorrect token audience")
    }

    pub fn no_key() -> Answer {
        Answer::error(
            400,
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )
    }

    pub fn throttled() -> Answer {
        Answer::error(400, "Throttling", "Rate exceeded")
    }

    pub fn expired() -> Answer {
        Answer::error(
            400,
            "ExpiredTokenException",
            "Token expired: current date/time 1731098245 must be before the expiration date/time 1731095240",
        )
    }
}

struct State {
    /// Answers still to give; the last one repeats.
    script: Mutex<VecDeque<Answer>>,
    calls: AtomicUsize,
    /// The form parameters of every call, in order.
    requests: Mutex<Vec<BTreeMap<String, String>>>,
    /// Added before every answer (STS's own latency).
    delay: Duration,
    /// Called with the call's number (1-based) before it is answered.
    hook: Mutex<Option<Hook>>,
}

/// What a test runs when a call arrives (to change the token file, say).
pub type Hook = Box<dyn FnMut(usize) + Send>;

/// A running stand-in; dropping it stops the server.
pub struct StsStandin {
    server: LocalServer,
    state: Arc<State>,
}

impl StsStandin {
    pub fn start(script: Vec<Answer>) -> StsStandin {
        StsStandin::with_delay(script, Duration::ZERO)
    }

    /// Runs `hook` with each call's number before answering it.
    pub fn with_hook(script: Vec<Answer>, hook: Hook) -> StsStandin {
        let standin = StsStandin::with_delay(script, Duration::ZERO);
        *standin.state.hook.lock().expect("hook lock") = Some(hook);
        standin
    }

    pub fn with_delay(script: Vec<Answer>, delay: Duration) -> StsStandin {
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            calls: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            delay,
            hook: Mutex::new(None),
        });
        let shared = Arc::clone(&state);
        let server = LocalServer::start("sts-standin", move |request| {
            let state = Arc::clone(&shared);
            async move { respond(&state, request).await }
        });
        StsStandin { server, state }
    }

    /// The endpoint, for `AWS_ENDPOINT_URL_STS`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// `AssumeRoleWithWebIdentity` calls answered so far.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// The form parameters of every call.
    pub fn requests(&self) -> Vec<BTreeMap<String, String>> {
        self.state.requests.lock().expect("requests lock").clone()
    }
}

async fn respond(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() == hyper::Method::GET && request.uri().path() == "/calls" {
        return text(
            StatusCode::OK,
            state.calls.load(Ordering::SeqCst).to_string(),
        );
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.get("Action").map(String::as_str) != Some("AssumeRoleWithWebIdentity") {
        return text(
            StatusCode::BAD_REQUEST,
            format!("unexpected action {form:?}"),
        );
    }
    let number = state.calls.fetch_add(1, Ordering::SeqCst) + 1;
    state
        .requests
        .lock()
        .expect("requests lock")
        .push(form.clone());
    if let Some(hook) = state.hook.lock().expect("hook lock").as_mut() {
        hook(number);
    }
    let answer = {
        let mut script = state.script.lock().expect("script lock");
        if script.len() > 1 {
            script.pop_front()
        } else {
            script.front().cloned()
        }
    }
    .unwrap_or_else(Answer::assumed);
    tokio::time::sleep(state.delay).await;
    match answer {
        Answer::Assumed { valid_for } => success(&form, valid_for),
        Answer::Error {
            status,
            code,
            message,
        } => error(status, &code, &message),
        // Never answer: the client's attempt times out.
        Answer::HangUp => std::future::pending().await,
        Answer::Raw { status, body } => xml(status, body),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

fn xml(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// STS's error shape (`ErrorResponse` with a `Sender` type).
fn error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    xml(
        status,
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error>\
             <RequestId>4f6b7b1c-standin</RequestId></ErrorResponse>",
            escape(code),
            escape(message)
        ),
    )
}

/// The success shape, with fixed test credentials.
fn success(form: &BTreeMap<String, String>, valid_for: Duration) -> Response<Full<Bytes>> {
    let role = form.get("RoleArn").cloned().unwrap_or_default();
    let session = form.get("RoleSessionName").cloned().unwrap_or_default();
    let role_name = role.rsplit('/').next().unwrap_or_default().to_owned();
    let account = role.split(':').nth(4).unwrap_or("123456789012").to_owned();
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + valid_for.as_secs();
    let expiration = jiff::Timestamp::from_second(i64::try_from(expires).expect("time"))
        .expect("timestamp")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    xml(
        200,
        format!(
            "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleWithWebIdentityResult>\
             <Audience>sts.amazonaws.com</Audience>\
             <AssumedRoleUser><AssumedRoleId>AROASTANDIN:{session}</AssumedRoleId>\
             <Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
             <Provider>arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com</Provider>\
             <Credentials><AccessKeyId>{ACCESS_KEY_ID}</AccessKeyId>\
             <SecretAccessKey>{SECRET_ACCESS_KEY}</SecretAccessKey>\
             <SessionToken>{SESSION_TOKEN}</SessionToken>\
             <Expiration>{expiration}</Expiration></Credentials>\
             <SubjectFromWebIdentityToken>repo:acme/app:ref:refs/heads/main</SubjectFromWebIdentityToken>\
             </AssumeRoleWithWebIdentityResult>\
             <ResponseMetadata><RequestId>7a62c49f-standin</RequestId></ResponseMetadata>\
             </AssumeRoleWithWebIdentityResponse>",
            session = escape(&session),
            role_name = escape(&role_name),
        ),
    )
}

/// The credentials every success carries, for tests to look for (and to
/// make sure they appear only where asked).
pub const ACCESS_KEY_ID: &str = "ASIASTANDINEXAMPLE01";
pub const SECRET_ACCESS_KEY: &str = "standinSecretKeyNeverPrinted/0123456789ab";
pub const SESSION_TOKEN: &str = "FwoGZXIvYXdzEStandinSessionTokenNeverPrinted";
