//! The policy panel's words: what the policy would merge next and why,
//! what its trigger bounds, where the workload is, and where a merge being
//! replayed on the map is. The chart itself is [`super::chart`].

use std::fmt::Write as _;

use mini_kvstore::{CompactionReport, Layout, PolicyPlan};
use mini_kvstore_commands::{count, human_bytes};

use super::escape;
use crate::merge_policy::{Knob, PolicySettings, reason_name};
use crate::merge_replay::{MergeReplay, Phase};
use crate::workload::Workload;

fn ids(ids: impl IntoIterator<Item = impl ToString>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The policy's next choice (`plan`, from `KvStore::policy_plan`), in
/// words; `auto` says whether the page will run it by itself.
pub fn next_choice_html(plan: &PolicyPlan, settings: &PolicySettings, auto: bool) -> String {
    let trigger = settings.get(Knob::FragmentationTrigger);
    let Some(merge) = &plan.merge else {
        let deadest = plan
            .segments
            .iter()
            .max_by(|a, b| a.dead_fraction.total_cmp(&b.dead_fraction));
        let why = match deadest {
            None => "there is no sealed segment yet (the active one never merges)".to_owned(),
            Some(s) => format!(
                "no sealed segment is {trigger} % dead yet: the deadest, segment {}, is {:.0} %",
                s.id,
                s.dead_fraction * 100.0
            ),
        };
        return format!(
            r#"<p data-next="none"><b>Next merge: none.</b> Nothing triggers — {why}.</p>"#
        );
    };
    let mut reasons = String::new();
    for s in plan.segments.iter().filter(|s| s.selected) {
        if let Some(reason) = s.reason {
            let _ = write!(
                reasons,
                r#"<li data-reason="{}"><b>segment {}</b> ({:.0} % dead): {}</li>"#,
                reason_name(reason),
                s.id,
                s.dead_fraction * 100.0,
                escape(reason.describe())
            );
        }
    }
    let then = if auto {
        "Auto compaction runs it after the next writes."
    } else {
        "Auto compaction is off: press <b>Merge now</b>, or turn auto on."
    };
    format!(
        r#"<p data-next="merge"><b>Next merge:</b> {} {} → {}, copying {} and giving back <b>{}</b>. {then}</p><ul class="reasons">{reasons}</ul>"#,
        if merge.inputs.len() == 1 {
            "segment"
        } else {
            "segments"
        },
        ids(&merge.inputs),
        count(merge.output_segments as u64, "new segment"),
        count(merge.survivors.len() as u64, "live record"),
        human_bytes(merge.bytes_reclaimed()),
    )
}

/// What the trigger promises, for segments of `segment_size`.
pub fn bound_html(settings: &PolicySettings, segment_size: u64) -> String {
    format!(
        "With a {} % trigger no sealed segment stays that dead, so the sealed segments take at most <b>{:.2}×</b> the live bytes (plus the active segment, up to {}); each merge rewrites the live part of what it takes, about <b>{:.1}×</b> write amplification under steady overwrites.",
        settings.get(Knob::FragmentationTrigger),
        settings.sealed_space_bound(),
        human_bytes(segment_size),
        settings.expected_write_amplification(),
    )
}

/// Where the workload runner is.
pub fn runner_status(workload: Workload, rate: u32, running: bool, ops: u64) -> String {
    let name = match workload.kind {
        crate::workload::WorkloadKind::Uniform => "uniform overwrites",
        crate::workload::WorkloadKind::HotSet => "hot set (zipf)",
        crate::workload::WorkloadKind::DeleteHeavy => "delete-heavy",
        crate::workload::WorkloadKind::AppendOnly => "append-only",
    };
    let expiring = if workload.expiring {
        ", half the keys expiring"
    } else {
        ""
    };
    let state = if running { "Running" } else { "Paused" };
    format!(
        "{state}: {name}{expiring} at {rate} ops/s — {} so far. {}",
        count(ops, "op"),
        workload.kind.describe()
    )
}

/// The console line for a merge the learner asked for.
pub fn merge_line(report: &CompactionReport) -> String {
    format!(
        "# merged segments {} into {}: {} copied, {} reclaimed",
        ids(&report.inputs),
        if report.outputs.is_empty() {
            "nothing (every record was dead)".to_owned()
        } else {
            format!("segment {}", ids(&report.outputs))
        },
        count(report.records_copied, "record"),
        human_bytes(report.bytes_reclaimed())
    )
}

/// Where the merge being replayed is at `now`, in a sentence over the
/// map, against the store's `current` layout: copying, repointing (how
/// many keys have moved), the inputs removed. The hooks say the same for
/// the end-to-end suite: `data-phase`, `data-inputs`, `data-outputs`,
/// `data-moved` of `data-moves`. `None` when no merge is on show.
pub fn merge_status_html(replay: &MergeReplay, now: u64, current: &Layout) -> Option<String> {
    let inputs = ids(replay.inputs.iter().map(|s| s.id));
    let outputs = if replay.outputs.is_empty() {
        "nothing".to_owned()
    } else {
        ids(&replay.outputs)
    };
    let (waiting, moves) = replay.waiting(now, current);
    let moved = moves - waiting;
    let keys = count(moves as u64, "key");
    let (phase, words) = match replay.phase(now) {
        Phase::Copying => (
            "copying",
            format!(
                "<b>Merging {inputs} → {outputs}: copying.</b> The live records are copied into the output; the index still points at the inputs for all {keys}."
            ),
        ),
        Phase::Repointing { step, steps, .. } => (
            "repointing",
            format!(
                "<b>Repointing the index, step {step} of {steps}:</b> {moved} of {keys} now point at the copies in {outputs}. The inputs stay until none points at them; new writes go on landing in the active segment."
            ),
        ),
        Phase::Removed => (
            "removed",
            format!(
                "<b>Inputs {inputs} removed.</b> Every key they held points at its copy in {outputs} ({keys}); nothing reads the inputs any more."
            ),
        ),
        Phase::Over => return None,
    };
    Some(format!(
        r#"<p class="merge-status" data-phase="{phase}" data-inputs="{}" data-outputs="{}" data-moved="{moved}" data-moves="{moves}">{words}</p>"#,
        replay
            .inputs
            .iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        replay
            .outputs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadKind;
    use mini_kvstore::{KvStore, MemStorage, Options};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_next_choice_names_its_inputs_and_reasons() -> TestResult {
        let settings = PolicySettings::default();
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(settings.policy(256)),
        )?;
        let html = next_choice_html(&store.policy_plan(), &settings, true);
        assert!(html.contains("there is no sealed segment yet"), "{html}");
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "a value of some length")?;
        }
        let plan = store.policy_plan();
        let html = next_choice_html(&plan, &settings, false);
        assert!(html.contains(r#"data-next="merge""#), "{html}");
        assert!(html.contains("dead fraction reached the trigger"));
        assert!(html.contains("Merge now"));
        let report = store.compact_by_policy()?.ok_or("a merge")?;
        assert!(merge_line(&report).starts_with("# merged segments "));
        // One merge takes at most `max_merge` segments: the rest of the
        // dead ones wait for the next.
        for _ in 0..10 {
            if store.compact_by_policy()?.is_none() {
                break;
            }
        }
        let html = next_choice_html(&store.policy_plan(), &settings, true);
        assert!(html.contains(r#"data-next="none""#), "{html}");
        Ok(())
    }

    #[test]
    fn the_bound_and_the_status_read_well() {
        let html = bound_html(&PolicySettings::default(), 512);
        assert!(
            html.contains("60 % trigger") && html.contains("<b>2.50×</b>"),
            "{html}"
        );
        let status = runner_status(
            Workload {
                kind: WorkloadKind::HotSet,
                expiring: true,
            },
            20,
            true,
            1,
        );
        assert!(
            status.starts_with(
                "Running: hot set (zipf), half the keys expiring at 20 ops/s — 1 op so far."
            ),
            "{status}"
        );
    }

    #[test]
    fn a_replayed_merge_says_where_it_is() -> TestResult {
        let (before, report, after) = crate::merge_policy::real_merge()?;
        let replay = MergeReplay::of(&before, &report, &after, 0);
        let n = replay.moves.len();
        assert!(n >= 2);
        let inputs = ids(report.inputs.iter());
        let hooks = |phase: &str, moved: usize| {
            format!(
                r#"data-phase="{phase}" data-inputs="{}" data-outputs="{}" data-moved="{moved}" data-moves="{n}">"#,
                inputs.replace(", ", " "),
                ids(report.outputs.iter()).replace(", ", " "),
            )
        };

        let html = merge_status_html(&replay, 0, &after).ok_or("copying")?;
        assert!(html.contains(&hooks("copying", 0)), "{html}");
        assert!(html.contains(&format!("<b>Merging {inputs} → ")), "{html}");
        assert!(
            html.contains("the index still points at the inputs"),
            "{html}"
        );

        let t = MergeReplay::COPY_MS;
        let Phase::Repointing { moved, steps, .. } = replay.phase(t) else {
            return Err("repointing".into());
        };
        assert!(moved > 0 && moved < n);
        let html = merge_status_html(&replay, t, &after).ok_or("repointing")?;
        assert!(html.contains(&hooks("repointing", moved)), "{html}");
        assert!(
            html.contains(&format!(
                "step 1 of {steps}:</b> {moved} of {n} keys now point at the copies"
            )),
            "{html}"
        );
        assert!(html.contains("new writes go on landing in the active segment"));

        let t = t + steps as u64 * MergeReplay::STEP_MS;
        let html = merge_status_html(&replay, t, &after).ok_or("removed")?;
        assert!(html.contains(&hooks("removed", n)), "{html}");
        assert!(
            html.contains(&format!("<b>Inputs {inputs} removed.</b>")),
            "{html}"
        );
        assert_eq!(
            merge_status_html(&replay, t + MergeReplay::REMOVED_MS, &after),
            None,
            "over"
        );
        Ok(())
    }
}
