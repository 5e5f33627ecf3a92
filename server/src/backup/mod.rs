//! Backups over HTTP: `GET /backup` streams the engine's point-in-time
//! backup as a tar archive, which `kvstore restore` unpacks.
//!
//! | module | what |
//! |---|---|
//! | [`archive`] | the archive format: writing a backup directory as tar, unpacking one safely |
//! | `stream` | a `Storage` the engine's backup writes into, turning segments into tar entries |
//! | `route` | the handler: the backup on a blocking thread, its archive streamed as it is made |

pub mod archive;
mod route;
mod stream;

pub(crate) use route::get_backup;
