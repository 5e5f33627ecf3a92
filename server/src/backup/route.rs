//! `GET /backup`: the store as of the request, as a tar archive streamed
//! while it is made (the format: [`archive`](super::archive)).
//!
//! The engine's backup runs on a blocking thread and writes into an
//! [`ArchiveStorage`] whose writer hands the archive's bytes, a chunk at a
//! time, through a bounded channel to the response body: memory stays at
//! one segment plus a few chunks whatever the store's size, and a client
//! that reads slowly slows the copy rather than filling memory. A client
//! that goes away ends the copy (its next chunk has nowhere to go). A
//! failure part way — the response has started, so no status can say it —
//! ends the body with an error, and the archive lacks its manifest, which
//! `kvstore restore` refuses. The token is required when one is set: a
//! backup is every value the store holds.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::auth::WriteAccess;
use crate::backup::stream::ArchiveStorage;
use crate::state::AppState;

/// Bytes per chunk handed to the body.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the copy and the socket.
const IN_FLIGHT: usize = 4;

/// The archive's bytes, as chunks on a channel.
struct ChannelWriter {
    chunks: mpsc::Sender<io::Result<Bytes>>,
    pending: Vec<u8>,
}

impl ChannelWriter {
    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(CHUNK),
        ));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= CHUNK {
            self.send_pending()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

pub(crate) async fn get_backup(_access: WriteAccess, State(state): State<AppState>) -> Response {
    let (chunks, mut received) = mpsc::channel(IN_FLIGHT);
    let store = state.store.clone();
    let failed = chunks.clone();
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            chunks,
            pending: Vec::with_capacity(CHUNK),
        };
        let archive = ArchiveStorage::new(writer);
        let made = store
            .backup_to(&archive, |_, _| {})
            .map_err(io::Error::other)
            .and_then(|report| archive.finish(&report).map(|()| report));
        match made {
            Ok(report) => tracing::info!(
                segments = report.segments,
                bytes = report.bytes,
                through_seq = report.through_seq,
                "backup streamed"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "a backup stream failed; the archive ends without its manifest");
                let _ = failed.blocking_send(Err(e));
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| received.poll_recv(cx));
    let name = format!(
        "attachment; filename=\"kvstore-backup-{}.tar\"",
        state
            .config
            .volume_id()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect::<String>()
    );
    (
        [
            (CONTENT_TYPE, "application/x-tar".to_owned()),
            (CONTENT_DISPOSITION, name),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
