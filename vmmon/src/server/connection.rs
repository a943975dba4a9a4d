//! The serve loops: accept within the bounds, serve each connection with hyper under the
//! time limits, and stop within [`GRACE`].

use super::{CONNECTION_LIMIT, GRACE, HEADER_LIMIT, MAX_PER_USER, REQUEST_LIMIT, Shared};
use crate::access::Peer;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::os::fd::{AsRawFd as _, BorrowedFd};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// Serves the API's Unix socket until `stop`; each peer is answered by its credentials.
pub async fn serve_unix(
    listener: tokio::net::UnixListener,
    shared: Shared,
    stop: watch::Receiver<bool>,
) {
    accept_until(listener, stop.clone(), |tasks, stream| {
        let Ok(cred) = stream.peer_cred() else {
            return;
        };
        let Some(slot) = Slot::take(&shared, &shared.unix_slots, Some(cred.uid())) else {
            refuse_if_room(tasks, &shared, stream);
            return;
        };
        let (shared, stop) = (shared.clone(), stop.clone());
        tasks.spawn(async move {
            let _slot = slot;
            let fd = stream.as_raw_fd();
            let local = tokio::task::spawn_blocking(move || {
                // SAFETY: the stream owning `fd` outlives this task, which is awaited below.
                let socket = unsafe { BorrowedFd::borrow_raw(fd) };
                crate::procfs::creds::peer(socket, cred.uid(), cred.gid(), cred.pid())
            })
            .await;
            let Ok(local) = local else { return };
            serve(stream, shared, Peer::Local(local), Door::Socket, stop).await;
        });
    })
    .await;
}

/// Serves `agent.listen` until `stop`: TLS when configured, the TCP gate on every request.
pub async fn serve_tcp(
    listener: tokio::net::TcpListener,
    shared: Shared,
    stop: watch::Receiver<bool>,
) {
    accept_until(listener, stop.clone(), |tasks, stream| {
        let tls = shared.credentials().tls.clone();
        let Some(slot) = Slot::take(&shared, &shared.tcp_slots, None) else {
            if tls.is_none() {
                refuse_if_room(tasks, &shared, stream);
            }
            return;
        };
        let (shared, stop) = (shared.clone(), stop.clone());
        tasks.spawn(async move {
            let _slot = slot;
            match tls {
                None => serve(stream, shared, Peer::Operator, Door::Tcp, stop).await,
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HEADER_LIMIT, acceptor.accept(stream)).await
                    {
                        serve(stream, shared, Peer::Operator, Door::Tls, stop).await;
                    }
                }
            }
        });
    })
    .await;
}

/// A door's listener: the socket or the TCP port.
trait Listener {
    type Stream;
    fn accept_one(&self) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
}

impl Listener for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;
    async fn accept_one(&self) -> std::io::Result<Self::Stream> {
        self.accept().await.map(|(s, _)| s)
    }
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept_one(&self) -> std::io::Result<Self::Stream> {
        self.accept().await.map(|(s, _)| s)
    }
}

/// The loop of both doors: accepts until `stop` (backing off when an accept fails), hands
/// each connection to `take` (which serves or refuses it on the set), closes the listener,
/// then lets the connections finish within [`GRACE`].
async fn accept_until<L: Listener>(
    listener: L,
    mut stop: watch::Receiver<bool>,
    mut take: impl FnMut(&mut JoinSet<()>, L::Stream),
) {
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            a = listener.accept_one() => a,
        };
        match accepted {
            Ok(stream) => take(&mut tasks, stream),
            Err(e) => back_off(&e).await,
        }
    }
    drop(listener);
    finish(tasks).await;
}

/// Which door a connection came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Door {
    Socket,
    Tcp,
    /// TCP with TLS: a client certificate, if required, was verified in its handshake.
    Tls,
}

/// One connection: hyper's HTTP/1.1 with the header limit, closed between requests at the
/// connection limit or when the agent stops, and dropped [`GRACE`] after that.
async fn serve<I>(io: I, shared: Shared, peer: Peer, door: Door, mut stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (shared, peer) = (shared.clone(), peer.clone());
        async move { Ok::<_, Infallible>(answer(shared, peer, door, req).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_LIMIT)
        .max_buf_size(16 * 1024);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
        _ = tokio::time::sleep(CONNECTION_LIMIT) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(GRACE, conn).await;
}

/// One request: through the TCP gate, with the peer attached, within [`REQUEST_LIMIT`].
async fn answer(shared: Shared, peer: Peer, door: Door, req: Request<Incoming>) -> Response {
    let (mut parts, body) = req.into_parts();
    if door != Door::Socket
        && let Some(refused) = super::tcp_gate::check(&shared, &parts, door == Door::Tls).await
    {
        return refused;
    }
    parts.extensions.insert(peer);
    let req = Request::from_parts(parts, axum::body::Body::new(body));
    match tokio::time::timeout(REQUEST_LIMIT, shared.app.clone().oneshot(req)).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "error": format!("no answer within {} s", REQUEST_LIMIT.as_secs())
            })),
        )
            .into_response(),
    }
}

/// A place among the connections: one of a door's [`super::MAX_CONNECTIONS`], and for a local
/// user but root one of its [`MAX_PER_USER`]; given back when dropped.
struct Slot {
    _permit: OwnedSemaphorePermit,
    user: Option<(u32, Shared)>,
}

impl Slot {
    fn take(
        shared: &Shared,
        door: &std::sync::Arc<tokio::sync::Semaphore>,
        uid: Option<u32>,
    ) -> Option<Self> {
        let permit = std::sync::Arc::clone(door).try_acquire_owned().ok()?;
        let user = match uid.filter(|&u| u != 0) {
            None => None,
            Some(uid) => {
                let mut counts = shared.per_user.lock().expect("per-user lock");
                let n = counts.entry(uid).or_default();
                if *n >= MAX_PER_USER {
                    return None;
                }
                *n += 1;
                Some((uid, shared.clone()))
            }
        };
        Some(Self {
            _permit: permit,
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((uid, shared)) = &self.user {
            let mut counts = shared.per_user.lock().expect("per-user lock");
            if let Some(n) = counts.get_mut(uid) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(uid);
                }
            }
        }
    }
}

/// Refuses a client past the bound with a 503 while fewer than [`super::MAX_REFUSING`] are
/// being refused; else closes it at once (a flood must not hold a file per client).
fn refuse_if_room<I>(tasks: &mut JoinSet<()>, shared: &Shared, io: I)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if let Ok(permit) = std::sync::Arc::clone(&shared.refusing).try_acquire_owned() {
        tasks.spawn(async move {
            refuse(io).await;
            drop(permit);
        });
    }
}

/// A client past the bounds: a 503 saying so, written within a second, then closed once
/// what it sent is read (closing on unread bytes would reset the connection before the
/// client reads the answer).
async fn refuse<I: AsyncRead + AsyncWrite + Unpin>(mut io: I) {
    let body = r#"{"error":"too many connections to the vmmon agent; retry"}"#;
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = async {
        io.write_all(reply.as_bytes()).await?;
        io.shutdown().await?;
        let mut sent = [0u8; 4096];
        while io.read(&mut sent).await? > 0 {}
        std::io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// After a failed accept: out of files (or another passing error), wait a little rather
/// than spin.
async fn back_off(e: &std::io::Error) {
    log::warn!("accepting a connection: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Waits for the connections to finish (each closes within [`GRACE`] of the stop), then
/// drops what is left.
async fn finish(mut tasks: JoinSet<()>) {
    let all = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(GRACE + Duration::from_millis(500), all).await;
    tasks.shutdown().await;
}
