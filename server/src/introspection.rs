//! The store looking at itself: `/health`, `/stats`, `/segments`,
//! `/compactions` and `POST /compact`.
//!
//! Stats and reports are the engine's own serialisable types, sent as they
//! are with a few derived numbers added, so the server, the CLI and the
//! playground agree.
//!
//! `/segments?summary=true` answers with the lighter [`SummaryJson`] (in
//! `summary`) instead of every record; `/segments/{id}/records` (in
//! `records`) pages through one segment's records, each a [`RecordJson`]
//! as here.
//!
//! The layout is not: `/segments` is [`LayoutJson`], a mirror of the
//! engine's [`Layout`] that this module owns, and it is the one definition
//! of that JSON (the engine's types derive `Serialize` too, but the server
//! never sends them) — and of `KVSTORE.SEGMENTS`'s answer over RESP, which
//! serializes the same value. A mirror rather than the engine's types, because
//!
//! - keys and value previews are bytes, which serde writes as arrays of
//!   numbers, while every key this server sends — here and in `/blobs`
//!   listings — is a string, or `{"hex": …}` for one that is not UTF-8
//!   ([`KeyJson`]);
//! - the answer carries numbers the engine derives but does not store: each
//!   segment's `live_bytes`, the plan's `bytes_reclaimed`.
//!
//! What holds no bytes — segment ids, kinds, record states, corrupt ranges,
//! locations, the decoded payloads of seal and commit records (`meta`) —
//! goes into the mirror as the engine's own type, serialized as the engine
//! derives it, so the words (`live`, `log`, `tombstone`, …) are decided
//! once, in the engine's layout module.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mini_kvstore::compaction::Survivor;
use mini_kvstore::{
    CompactionPlan, CompactionPolicy, CompactionReport, CorruptRange, Layout, Location,
    MetaPayload, RecordKind, RecordLayout, RecordState, SegmentAssessment, SegmentId, SegmentKind,
    SegmentLayout, Stats,
};
use serde::Serialize;

use crate::auth::WriteAccess;
use crate::error::ApiError;
use crate::keys::{KeyJson, parse_flag, query_pairs};
use crate::state::AppState;
use crate::summary::SummaryJson;

/// `GET /health`.
#[derive(Serialize)]
pub(crate) struct Health {
    /// `healthy`, or `unavailable` with a `reason`.
    status: &'static str,
    /// Why the store is unavailable; absent when it is healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    volume_id: String,
    keys: usize,
    segments: usize,
    total_bytes: u64,
    live_bytes: u64,
    dead_bytes: u64,
    space_amplification: f64,
    compactions: u64,
    compaction_failures: u64,
}

/// `GET /health`: the original API's answer (`status`, `volume_id`) and the
/// numbers a dashboard wants first; 503 with `"status": "unavailable"` and
/// a `reason` when the store should get no traffic (the rule is in
/// `availability`), so a load balancer can act on the status alone.
pub(crate) async fn health(State(app): State<AppState>) -> Result<Response, ApiError> {
    let store = app.store.clone();
    let stats = app.engine(|store| Ok(store.stats())).await?;
    let verdict = app.merges.check(&store, &stats);
    let (status, code, reason) = match verdict {
        Ok(()) => ("healthy", StatusCode::OK, None),
        Err(reason) => {
            tracing::warn!(%reason, "health check: unavailable");
            (
                "unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                Some(reason.to_string()),
            )
        }
    };
    let body = Health {
        status,
        reason,
        volume_id: app.config.volume_id().to_owned(),
        keys: stats.keys,
        segments: stats.segments,
        total_bytes: stats.total_bytes,
        live_bytes: stats.live_bytes,
        dead_bytes: stats.dead_bytes,
        space_amplification: stats.space_amplification(),
        compactions: stats.compactions,
        compaction_failures: stats.compaction_failures,
    };
    Ok((code, Json(body)).into_response())
}

/// `GET /stats`.
#[derive(Serialize)]
pub(crate) struct StatsReply {
    volume_id: String,
    #[serde(flatten)]
    stats: Stats,
    /// Share of the bytes on disk that compaction would reclaim, 0 to 1.
    dead_ratio: f64,
    /// Bytes on disk per live byte.
    space_amplification: f64,
    /// Bytes written per byte writes asked for, since the store opened.
    write_amplification: f64,
}

impl StatsReply {
    /// The answer for `stats` of volume `volume_id`; `/events` sends the
    /// same.
    pub(crate) fn new(volume_id: &str, stats: Stats) -> Self {
        StatsReply {
            volume_id: volume_id.to_owned(),
            dead_ratio: stats.dead_ratio(),
            space_amplification: stats.space_amplification(),
            write_amplification: stats.write_amplification(),
            stats,
        }
    }
}

/// `GET /stats`: every number the engine keeps.
pub(crate) async fn stats(State(app): State<AppState>) -> Result<Json<StatsReply>, ApiError> {
    let stats = app.engine(|store| Ok(store.stats())).await?;
    Ok(Json(StatsReply::new(app.config.volume_id(), stats)))
}

/// `POST /compact`.
#[derive(Serialize)]
pub(crate) struct CompactReply {
    #[serde(flatten)]
    report: CompactionReport,
    bytes_reclaimed: u64,
}

/// `POST /compact`: compacts now (reads and writes go on meanwhile) and
/// answers with what was done.
pub(crate) async fn compact(
    State(app): State<AppState>,
    _access: WriteAccess,
) -> Result<Json<CompactReply>, ApiError> {
    let report = app.engine(|store| store.compact()).await?;
    Ok(Json(CompactReply {
        bytes_reclaimed: report.bytes_reclaimed(),
        report,
    }))
}

/// `GET /segments`: every segment and record with its state, and the plan
/// compaction would follow now; with `?summary=true`, each segment in
/// numbers instead ([`SummaryJson`]).
///
/// The engine reads every segment to build the whole layout, so it costs
/// as much as the store is large: meant for the playground and for
/// looking, not for polling a big store. The summary comes from the index
/// alone and costs a walk over the keys' locations.
pub(crate) async fn segments(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut summary = false;
    for (name, value) in query_pairs(query.as_deref().unwrap_or_default()) {
        // Unknown parameters are ignored, as in the listings.
        if name == b"summary" {
            summary = parse_flag("summary", &value)?;
        }
    }
    if summary {
        let summary = app.engine(|store| Ok(store.layout_summary())).await?;
        return Ok(Json(SummaryJson::from(&summary)).into_response());
    }
    let layout = app.engine(|store| store.layout()).await?;
    Ok(Json(LayoutJson::from(&layout)).into_response())
}

/// [`Layout`] with text keys: the body of `GET /segments`.
#[derive(Serialize)]
pub(crate) struct LayoutJson {
    segments: Vec<SegmentJson>,
    plan: PlanJson,
}

#[derive(Serialize)]
struct SegmentJson {
    id: SegmentId,
    kind: SegmentKind,
    len: u64,
    active: bool,
    sealed: bool,
    live_bytes: u64,
    records: Vec<RecordJson>,
    corrupt: Vec<CorruptRange>,
}

/// One record as `/segments` and `/segments/{id}/records` show it.
#[derive(Serialize)]
pub(crate) struct RecordJson {
    offset: u64,
    len: u64,
    kind: RecordKind,
    seq: u64,
    key: KeyJson,
    value_len: u64,
    /// A put's first bytes as text or hex; a seal's or commit's always hex.
    value_preview: KeyJson,
    crc: u32,
    state: RecordState,
    /// What a seal or commit record says, decoded by the engine; `null` for
    /// puts and tombstones.
    meta: Option<MetaPayload>,
}

#[derive(Serialize)]
struct PlanJson {
    inputs: Vec<SegmentId>,
    survivors: Vec<SurvivorJson>,
    bytes_before: u64,
    bytes_after: u64,
    bytes_reclaimed: u64,
    output_segments: usize,
    kept_tombstones: usize,
    dropped_tombstones: usize,
}

#[derive(Serialize)]
struct SurvivorJson {
    key: KeyJson,
    from: Location,
}

impl From<&Layout> for LayoutJson {
    fn from(layout: &Layout) -> Self {
        LayoutJson {
            segments: layout.segments.iter().map(SegmentJson::from).collect(),
            plan: PlanJson::from(&layout.plan),
        }
    }
}

impl From<&SegmentLayout> for SegmentJson {
    fn from(segment: &SegmentLayout) -> Self {
        SegmentJson {
            id: segment.id,
            kind: segment.kind,
            len: segment.len,
            active: segment.active,
            sealed: segment.sealed,
            live_bytes: segment.live_bytes(),
            records: segment.records.iter().map(RecordJson::from).collect(),
            corrupt: segment.corrupt.clone(),
        }
    }
}

impl From<&RecordLayout> for RecordJson {
    fn from(record: &RecordLayout) -> Self {
        RecordJson {
            offset: record.offset,
            len: record.len,
            kind: record.kind,
            seq: record.seq,
            key: KeyJson::new(&record.key),
            value_len: record.value_len,
            // Seal and commit payloads are binary by definition, and `meta`
            // carries them decoded: they go out as hex without a look. Only
            // a stored value is looked at to see whether it reads as text.
            value_preview: if record.state == RecordState::Meta {
                KeyJson::hex(&record.value_preview)
            } else {
                KeyJson::preview(&record.value_preview)
            },
            crc: record.crc,
            state: record.state,
            meta: record.meta.clone(),
        }
    }
}

impl From<&CompactionPlan> for PlanJson {
    fn from(plan: &CompactionPlan) -> Self {
        PlanJson {
            inputs: plan.inputs.clone(),
            survivors: plan.survivors.iter().map(SurvivorJson::from).collect(),
            bytes_before: plan.bytes_before,
            bytes_after: plan.bytes_after,
            bytes_reclaimed: plan.bytes_reclaimed(),
            output_segments: plan.output_segments,
            kept_tombstones: plan.kept_tombstones.len(),
            dropped_tombstones: plan.dropped_tombstones,
        }
    }
}

impl From<&Survivor> for SurvivorJson {
    fn from(survivor: &Survivor) -> Self {
        SurvivorJson {
            key: KeyJson::new(&survivor.key),
            from: survivor.from,
        }
    }
}

/// `GET /compactions`.
#[derive(Serialize)]
pub(crate) struct CompactionsReply {
    /// The merge policy's settings.
    policy: PolicySettings,
    /// How the policy sees every sealed segment, and the merge it would run
    /// next (`null` when nothing is due).
    next: NextMerge,
    /// The last few merges since the store opened, oldest first.
    recent: Vec<CompactionReport>,
}

#[derive(Serialize)]
struct PolicySettings {
    background: bool,
    fragmentation_trigger: f64,
    dead_bytes_trigger: u64,
    fragmentation_threshold: f64,
    dead_bytes_threshold: u64,
    small_segment_threshold: u64,
    max_merge_bytes: u64,
    rate_limit: Option<u64>,
    check_interval_ms: u128,
}

#[derive(Serialize)]
struct NextMerge {
    segments: Vec<SegmentAssessment>,
    merge: Option<PlanJson>,
}

/// `GET /compactions`: what the merge policy is set to, what it would do
/// next and why, and what the last merges did.
pub(crate) async fn compactions(
    State(app): State<AppState>,
) -> Result<Json<CompactionsReply>, ApiError> {
    let (settings, next, recent) = app
        .engine(|store| {
            Ok((
                store.compaction_policy().clone(),
                store.policy_plan(),
                store.recent_compactions(),
            ))
        })
        .await?;
    Ok(Json(CompactionsReply {
        policy: PolicySettings::from(&settings),
        next: NextMerge {
            merge: next.merge.as_ref().map(PlanJson::from),
            segments: next.segments,
        },
        recent,
    }))
}

impl From<&CompactionPolicy> for PolicySettings {
    fn from(policy: &CompactionPolicy) -> Self {
        PolicySettings {
            background: policy.get_background(),
            fragmentation_trigger: policy.get_fragmentation_trigger(),
            dead_bytes_trigger: policy.get_dead_bytes_trigger(),
            fragmentation_threshold: policy.get_fragmentation_threshold(),
            dead_bytes_threshold: policy.get_dead_bytes_threshold(),
            small_segment_threshold: policy.get_small_segment_threshold(),
            max_merge_bytes: policy.get_max_merge_bytes(),
            rate_limit: policy.get_rate_limit(),
            check_interval_ms: policy.get_check_interval().as_millis(),
        }
    }
}
