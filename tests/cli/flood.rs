//! A server on 127.0.0.1 whose every answer is larger than any client
//! should read (an endless chunked body, or a huge one of declared
//! length), and a runner that watches a child's memory while it runs: what
//! the tests of the body caps need. Plain threads and blocking sockets, so
//! the server streams as fast as the client reads and stops when it hangs up.

#![allow(dead_code, reason = "not every user calls every helper")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Chooses the answer from the request's form body.
pub type Script = Arc<dyn Fn(&str) -> Flood + Send + Sync>;

/// What every request is answered with.
#[derive(Clone)]
pub enum Flood {
    /// `status` and `body`, as they are.
    Plain { status: u16, body: String },
    /// Whatever the script answers to this request's body.
    Scripted(Script),
    /// `status`, chunked, `prefix` then `a` forever.
    Endless { status: u16, prefix: String },
    /// `status` with a `Content-Length`: `prefix`, `len` bytes of `m`, `suffix`.
    Sized {
        status: u16,
        prefix: String,
        len: usize,
        suffix: String,
    },
}

/// A running server; dropping it stops accepting.
pub struct FloodServer {
    port: u16,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl FloodServer {
    pub fn start(flood: Flood) -> FloodServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, sent, requests) = (stop.clone(), sent.clone(), requests.clone());
            std::thread::Builder::new()
                .name(format!("flood-{port}"))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let Ok(stream) = stream else { continue };
                        let (flood, sent, requests) =
                            (flood.clone(), sent.clone(), requests.clone());
                        std::thread::spawn(move || serve(stream, &flood, &sent, &requests));
                    }
                })
                .expect("spawn the flood server")
        };
        FloodServer {
            port,
            stop,
            sent,
            requests,
            thread: Some(thread),
        }
    }

    /// The endpoint, for `AWS_ENDPOINT_URL` and its per-service variants.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Body bytes written so far, on every connection.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Requests answered (or being answered) so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FloodServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (headers and a `Content-Length` body), then answers
/// until the client hangs up.
fn serve(stream: TcpStream, flood: &Flood, sent: &AtomicU64, requests: &AtomicU64) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut length = 0_usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let mut out = stream;
    let scripted;
    let flood = match flood {
        Flood::Scripted(script) => {
            scripted = script(&String::from_utf8_lossy(&body));
            &scripted
        }
        other => other,
    };
    let _ = match flood {
        Flood::Scripted(_) => Ok(()),
        Flood::Plain { status, body } => sized(&mut out, *status, body, 0, "", sent),
        Flood::Endless { status, prefix } => endless(&mut out, *status, prefix, sent),
        Flood::Sized {
            status,
            prefix,
            len,
            suffix,
        } => sized(&mut out, *status, prefix, *len, suffix, sent),
    };
}

fn endless(
    out: &mut TcpStream,
    status: u16,
    prefix: &str,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status} Whatever\r\ncontent-type: text/xml\r\ntransfer-encoding: chunked\r\n\r\n"
    )?;
    write!(out, "{:x}\r\n{prefix}\r\n", prefix.len())?;
    let chunk = vec![b'a'; 64 * 1024];
    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
    framed.extend_from_slice(&chunk);
    framed.extend_from_slice(b"\r\n");
    loop {
        out.write_all(&framed)?;
        sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
}

fn sized(
    out: &mut TcpStream,
    status: u16,
    prefix: &str,
    len: usize,
    suffix: &str,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let total = prefix.len() + len + suffix.len();
    write!(
        out,
        "HTTP/1.1 {status} Whatever\r\ncontent-type: text/xml\r\ncontent-length: {total}\r\n\r\n{prefix}"
    )?;
    let chunk = vec![b'm'; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        out.write_all(&chunk[..n])?;
        sent.fetch_add(n as u64, Ordering::SeqCst);
        left -= n;
    }
    out.write_all(suffix.as_bytes())?;
    out.flush()
}

/// How a watched child ended.
#[derive(Debug)]
pub struct Watched {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The highest resident set size seen (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// How many times the memory was read.
    pub samples: u32,
    pub elapsed: Duration,
    /// Killed for using more memory than allowed.
    pub killed_for_memory: bool,
    /// Killed for running longer than allowed.
    pub killed_for_time: bool,
}

impl Watched {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `cmd`, reading its peak resident memory from `/proc` every few
/// milliseconds; kills it as soon as it exceeds `max_rss_kib` or runs
/// longer than `max_time` (so a test of an unbounded read fails fast
/// instead of exhausting the machine).
pub fn run_watched(mut cmd: Command, max_rss_kib: u64, max_time: Duration) -> Watched {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the tool");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let (mut peak, mut samples) = (0, 0);
    let (mut killed_for_memory, mut killed_for_time) = (false, false);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if let Some(hwm) = high_water_mark(&child) {
            peak = peak.max(hwm);
            samples += 1;
        }
        if peak > max_rss_kib {
            killed_for_memory = true;
            break kill(&mut child);
        }
        if started.elapsed() > max_time {
            killed_for_time = true;
            break kill(&mut child);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Watched {
        status: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        peak_rss_kib: peak,
        samples,
        elapsed: started.elapsed(),
        killed_for_memory,
        killed_for_time,
    }
}

fn kill(child: &mut Child) -> std::process::ExitStatus {
    let _ = child.kill();
    child.wait().expect("wait after kill")
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// `VmHWM` of a running child, in KiB (`None` once it has exited).
fn high_water_mark(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
