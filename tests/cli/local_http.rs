//! A plain-HTTP server on 127.0.0.1 for the test stand-ins (STS, the GitHub
//! Actions token endpoint): an OS-chosen port, a thread with its own
//! current-thread runtime, one task per connection, `TCP_NODELAY` as real
//! servers set it. Dropping the server stops it and joins the thread.

#![allow(dead_code, reason = "not every user calls every helper")]

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;

pub struct LocalServer {
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LocalServer {
    /// Serves every request with `respond` until dropped.
    pub fn start<F, Fut>(name: &str, respond: F) -> LocalServer
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let std_listener =
            StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).expect("tokio listener")
        };
        let (shutdown, stop) = oneshot::channel();
        let respond = Arc::new(respond);
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{port}"))
            .spawn(move || runtime.block_on(serve(listener, respond, stop)))
            .expect("spawn the server thread");
        LocalServer {
            port,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Returning from block_on drops the runtime and every connection task.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve<F, Fut>(
    listener: tokio::net::TcpListener,
    respond: Arc<F>,
    mut stop: oneshot::Receiver<()>,
) where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    let respond = Arc::clone(&respond);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                            let answer = respond(request);
                            async move { Ok::<_, Infallible>(answer.await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(TokioIo::new(tcp), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}
