//! The lessons: eight short walks through what a log-structured store
//! does, each a few [`Step`]s, each step a few real actions on a fresh
//! store of its own, a part of the page to look at, two or three sentences,
//! and sometimes a [`Question`] to answer before the step reveals what
//! happens.
//!
//! A lesson's store always starts empty, with [`SEGMENT_SIZE`]-byte
//! segments, so the actions of steps `1..n` always lead to the same place:
//! that is how the page opens step `n` directly (it replays the ones
//! before). The texts may say `code` (shown as code) and **bold**.

use std::collections::BTreeSet;

use mini_kvstore::RecordState;

use super::action::{Action, Target};
use super::facts::{Facts, RecordAt};
use super::question::{Ask, Question};

/// Segment size of every lesson store: a new segment every few writes.
pub const SEGMENT_SIZE: u64 = 256;

/// One lesson.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    /// Its title.
    pub title: &'static str,
    /// What it teaches, in one sentence (the lesson list shows it).
    pub summary: &'static str,
    /// Its steps, in order.
    pub steps: &'static [Step],
}

/// One step of a lesson.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Its title.
    pub title: &'static str,
    /// Two or three sentences.
    pub text: &'static str,
    /// What runs when the step opens.
    pub actions: &'static [Action],
    /// What the step points at.
    pub highlight: &'static [Target],
    /// The prediction it asks for, if any.
    pub question: Option<Question>,
    /// What it points at once the question is answered (the highlight
    /// stays when this is empty).
    pub highlight_after: &'static [Target],
    /// A line worked out from the store as it is now (the policy's numbers,
    /// the amplification so far).
    pub note: Option<fn(&Facts) -> String>,
}

impl Step {
    const fn new(title: &'static str, text: &'static str) -> Step {
        Step {
            title,
            text,
            actions: &[],
            highlight: &[],
            question: None,
            highlight_after: &[],
            note: None,
        }
    }

    const fn runs(mut self, actions: &'static [Action]) -> Step {
        self.actions = actions;
        self
    }

    const fn shows(mut self, targets: &'static [Target]) -> Step {
        self.highlight = targets;
        self
    }

    const fn asks(mut self, question: Question) -> Step {
        self.question = Some(question);
        self
    }

    const fn then_shows(mut self, targets: &'static [Target]) -> Step {
        self.highlight_after = targets;
        self
    }

    const fn notes(mut self, note: fn(&Facts) -> String) -> Step {
        self.note = Some(note);
        self
    }

    /// Everything the step runs when it is replayed on the way to a later
    /// step: its actions, then its reveal.
    pub fn replay(&self) -> impl Iterator<Item = Action> + '_ {
        self.actions
            .iter()
            .chain(self.question.iter().flat_map(|q| q.reveal.iter()))
            .copied()
    }
}

use Action::{Flip, Plan, Reload, Run, Select, Step as StepOnce, Tear, Wait};

const fn id(id: &'static str) -> Target {
    Target::Id(id)
}

const fn live(key: &'static str) -> Target {
    Target::Records {
        key,
        state: Some("live"),
    }
}

const fn all(key: &'static str) -> Target {
    Target::Records { key, state: None }
}

/// Every lesson, in the order they are meant to be taken.
pub static LESSONS: [Lesson; 8] = [
    Lesson {
        title: "The log",
        summary: "Every write is appended as a record; nothing is changed in place.",
        steps: &[
            Step::new(
                "A write is a record",
                "`set fruit apple` just ran. The store **appended** one record to the active segment: a CRC checksum, its kind (put), a sequence number, the key and the value. Hover the green box to see its bytes.",
            )
            .runs(&[Run("set fruit apple")])
            .shows(&[live("fruit"), id("map-panel")]),
            Step::new(
                "Always at the end",
                "Two more writes, two more records, each after the last one: offsets only grow. Writing at the end is the cheapest thing a disk does, and it is all this store ever does.",
            )
            .runs(&[Run("set veg carrot"), Run("set nut pecan")])
            .shows(&[all("veg"), all("nut")]),
            Step::new(
                "An overwrite",
                "Now `fruit` gets a new value. Predict first.",
            )
            .asks(Question {
                prompt: "After `set fruit banana`, how many records will the log hold?",
                ask: Ask::Count {
                    max: 6,
                    answer: |_, after| after.record_count() as u64,
                },
                reveal: &[Run("set fruit banana")],
                why: "The new value is a new record at the end. The record of apple is still there, striped now: overwritten, because a newer record of `fruit` exists.",
            })
            .shows(&[all("fruit")]),
            Step::new(
                "Nothing changes in place",
                "`get fruit` answers banana, yet apple's bytes have not moved or changed. Records are never edited, so a crash can only ever damage the end of the log. How the store finds the newest record is the next lesson.",
            )
            .runs(&[Run("get fruit")])
            .shows(&[all("fruit"), id("console-panel")]),
        ],
    },
    Lesson {
        title: "The index",
        summary: "A get is one lookup in memory plus one read.",
        steps: &[
            Step::new(
                "A map in memory",
                "The **index** holds one row per live key: the segment, offset and length of its newest record. It is in memory only. `city` has two records but one row.",
            )
            .runs(&[Run("set city Paris"), Run("set pet cat"), Run("set city Lisbon")])
            .shows(&[id("index-panel"), all("city")]),
            Step::new("Which record does a get read?", "Predict before the read.")
                .asks(Question {
                    prompt: "`get city`: which record will it read? Click it on the map, or choose it below.",
                    ask: Ask::Records {
                        one: true,
                        answer: |f| f.indexed("city").into_iter().collect(),
                    },
                    reveal: &[Select("city"), Run("get city")],
                    why: "The index row for `city` names one segment and offset: the get reads those bytes and nothing else. The older Paris record is never read again.",
                })
                .shows(&[id("map-panel")])
                .then_shows(&[Target::Arrow("city")]),
            Step::new(
                "One lookup, one read",
                "However many records the log holds, a get costs one lookup in memory and one read at a known offset. The price: every key has to fit in memory.",
            )
            .runs(&[Select("pet"), Run("get pet")])
            .shows(&[Target::Arrow("pet")]),
            Step::new(
                "Rebuilt at every open",
                "The index is never saved. Reload reopened the store: recovery read every segment and kept, for each key, the record with the highest seq — so the index came back as it was.",
            )
            .runs(&[Reload])
            .shows(&[id("index-panel"), id("recovery")]),
        ],
    },
    Lesson {
        title: "Overwrites and deletes",
        summary: "Dead bytes and tombstones.",
        steps: &[
            Step::new(
                "Dead bytes",
                "Three values of `color`: one live record and two overwritten ones. The overwritten records are **dead bytes**: still stored, never read again. The stats panel counts them.",
            )
            .runs(&[
                Run("set color red"),
                Run("set shape circle"),
                Run("set color green"),
                Run("set color blue"),
            ])
            .shows(&[all("color"), id("stats-panel")]),
            Step::new("A delete", "Deleting is a write too. Predict first.")
                .asks(Question {
                    prompt: "What will `delete color` write?",
                    ask: Ask::Choice {
                        options: &[
                            "nothing: it erases the live record",
                            "a tombstone: one more record, at the end of the log",
                            "a copy of the segment without color",
                        ],
                        answer: |before, after| {
                            let tombstone = after
                                .records_of("color")
                                .any(|(_, r)| r.state == RecordState::Tombstone);
                            if tombstone && after.record_count() == before.record_count() + 1 {
                                1
                            } else if after.layout.segments.len() != before.layout.segments.len() {
                                2
                            } else {
                                0
                            }
                        },
                    },
                    reveal: &[Run("delete color")],
                    why: "A delete appends a **tombstone**, a record that says “color is gone as of this seq”. Nothing before it changes: the old records of color stay where they are.",
                })
                .shows(&[all("color")])
                .then_shows(&[Target::Records {
                    key: "color",
                    state: Some("tombstone"),
                }]),
            Step::new(
                "Why a tombstone",
                "After a reload `get color` says Key not found. Recovery replays every record; without the tombstone it would find blue's record and bring color back.",
            )
            .runs(&[Reload, Run("get color")])
            .shows(&[Target::Records {
                key: "color",
                state: Some("tombstone"),
            }]),
            Step::new("What is dead?", "Dead bytes are what compaction will give back.")
                .asks(Question {
                    prompt: "Click every record that is dead bytes now, then Check.",
                    ask: Ask::Records {
                        one: false,
                        answer: |f| {
                            f.records()
                                .filter(|(_, r)| r.state != RecordState::Live)
                                .map(|(at, _)| at)
                                .collect()
                        },
                    },
                    reveal: &[Run("stats")],
                    why: "Only records the index points at are live. Overwritten values are dead, and so is the tombstone: it only has to last until the records it hides are gone.",
                })
                .shows(&[id("map-panel")])
                .then_shows(&[id("stats-panel")]),
        ],
    },
    Lesson {
        title: "Segments",
        summary: "The log is cut into segments: rotation and sealing.",
        steps: &[
            Step::new(
                "The active segment",
                "The log is cut into **segments** — 256 bytes here, megabytes in real stores. New records go only to the **active** segment, outlined in blue.",
            )
            .runs(&[Run("set user:1 'Ada Lovelace'"), Run("set user:2 'Alan Turing'")])
            .shows(&[Target::ActiveSegment]),
            Step::new("Filling up", "Predict before the writes.")
                .asks(Question {
                    prompt: "Five more writes of about 40 bytes each. How many segments will there be afterwards?",
                    ask: Ask::Count {
                        max: 5,
                        answer: |_, after| after.layout.segments.len() as u64,
                    },
                    reveal: &[
                        Run("set user:3 'Grace Hopper'"),
                        Run("set user:4 'Edsger Dijkstra'"),
                        Run("set user:5 'Barbara Liskov'"),
                        Run("set user:6 'Donald Knuth'"),
                        Run("set user:7 'Frances Allen'"),
                    ],
                    why: "When the next record would not fit, the store **rotates**: it seals the active segment and starts a new one, which becomes the active segment.",
                })
                .shows(&[Target::ActiveSegment, id("stats-panel")])
                .then_shows(&[Target::ActiveSegment, Target::SealedSegments]),
            Step::new(
                "Sealed",
                "A full segment ends with a **seal** record (slate) and is never written again: it can be read, copied or checksummed without any lock. `inspect` draws the same segments as text.",
            )
            .runs(&[Run("inspect")])
            .shows(&[Target::Seals, Target::SealedSegments]),
            Step::new(
                "Reading an old segment",
                "The index points into any segment: reading `user:1` goes straight to the sealed segment that holds it. Segments are also what compaction works in: a whole segment can be rewritten and deleted.",
            )
            .runs(&[Select("user:1"), Run("get user:1")])
            .shows(&[Target::Arrow("user:1")]),
        ],
    },
    Lesson {
        title: "Compaction",
        summary: "The full rewrite, step by step.",
        steps: &[
            Step::new(
                "Dead bytes pile up",
                "Overwrites and deletes left many dead records across three segments: look at the dead-bytes gauge. **Compaction** copies every live record into new segments and deletes the old ones.",
            )
            .runs(&[
                Run("set a apple"),
                Run("set b banana"),
                Run("set c cherry"),
                Run("set d date"),
                Run("set a apricot"),
                Run("set b blueberry"),
                Run("delete c"),
                Run("set e elderberry"),
                Run("set a avocado"),
                Run("set f fig"),
                Run("set d 'dragon fruit'"),
                Run("set g grape"),
                Run("set e eggplant"),
                Run("set b 'black currant'"),
                Run("delete f"),
                Run("set h honeydew"),
                Run("set a 'apple again'"),
                Run("set i 'ice cream bean'"),
            ])
            .shows(&[id("dead-gauge"), id("map-panel")]),
            Step::new("What survives?", "Predict before the plan.")
                .asks(Question {
                    prompt: "Which records will compaction keep? Click each one on the map (or below), then Check.",
                    ask: Ask::Records {
                        one: false,
                        answer: plan_copies,
                    },
                    reveal: &[Plan],
                    why: "Compaction keeps exactly the records the index points at, one per live key. Overwritten values, tombstones and seals stay behind: a full compaction takes every segment, so no older record can outlive a tombstone.",
                })
                .shows(&[id("map-panel")])
                .then_shows(&[id("compaction")]),
            Step::new(
                "Step: the first copy",
                "Step copies the first survivor into a new segment (dashed green below), keeping its seq, so recovery still knows it is the newest.",
            )
            .runs(&[StepOnce])
            .shows(&[id("compact-preview"), id("compaction")]),
            Step::new(
                "Step by step",
                "Three more copies. The old segments are not touched while this runs: a crash half-way leaves the old segments whole and the new ones ignored, so nothing is lost.",
            )
            .runs(&[StepOnce, StepOnce, StepOnce])
            .shows(&[id("compact-preview")]),
            Step::new("Apply", "Now for real. Predict first.")
                .asks(Question {
                    prompt: "How many segments will the store have after compaction?",
                    ask: Ask::Count {
                        max: 6,
                        answer: |_, after| after.layout.segments.len() as u64,
                    },
                    reveal: &[Run("compact")],
                    why: "The live records fit in fewer segments than before, and a fresh, empty active segment takes new writes. The index now points into the new segments; the old ones are gone.",
                })
                .shows(&[id("compaction"), id("stats-panel")])
                .then_shows(&[id("map-panel"), id("stats-panel")]),
        ],
    },
    Lesson {
        title: "The policy",
        summary: "Triggers and thresholds, partial merges, the tombstone that must be kept, space against write amplification.",
        steps: &[
            Step::new(
                "Not every segment is worth it",
                "A full compaction rewrites every live byte, even in segments that are almost all live. A **merge policy** looks at each sealed segment's dead fraction: a **trigger** starts a merge, a lower **threshold** lets more segments join one. `inspect` marks how the policy sees each segment.",
            )
            .runs(&[
                Run("set k1 'first value, k1'"),
                Run("set k2 'first value, k2'"),
                Run("set k3 'first value, k3'"),
                Run("set k4 'first value, k4'"),
                Run("set k5 'first value, k5'"),
                Run("set k1 'second value'"),
                Run("set k2 'second value'"),
                Run("set k3 'second value'"),
                Run("set k4 'second value'"),
                Run("set k5 'second value'"),
                Run("set ghost boo"),
                Run("set k6 'first value, k6'"),
                Run("set k7 'first value, k7'"),
                Run("set k8 'first value, k8'"),
                Run("inspect"),
            ])
            .shows(&[Target::SealedSegments, id("console-panel")])
            .notes(policy_numbers),
            Step::new("A partial merge", "Predict before the merge.")
                .asks(Question {
                    prompt: "Which segments will `compact --policy` merge? Pick them below.",
                    ask: Ask::Segments {
                        answer: |f| f.policy.selected().iter().map(|s| s.0).collect(),
                    },
                    reveal: &[Run("compact --policy"), Run("inspect")],
                    why: "Only segments the policy chose are rewritten; the others stay as they are. The active segment never merges: it is still being written.",
                })
                .shows(&[Target::SealedSegments])
                .then_shows(&[id("map-panel")]),
            Step::new("The tombstone that must be kept", "A delete, then more overwrites. Predict first.")
                .runs(&[
                    Run("delete ghost"),
                    Run("set k7 'second value'"),
                    Run("set k8 'second value'"),
                    Run("set k9 'first value, k9'"),
                    Run("set k7 'third value'"),
                    Run("set k8 'third value'"),
                    Run("set k9 'second value'"),
                    Run("inspect"),
                ])
                .asks(Question {
                    prompt: "The next merge takes the segment with ghost's tombstone, but not the older segment with ghost's put. Will the merge keep the tombstone?",
                    ask: Ask::Choice {
                        options: &["yes, it copies the tombstone", "no, it drops the tombstone"],
                        answer: |before, _| {
                            let kept = before.policy.merge.as_ref().is_some_and(|merge| {
                                merge.kept_tombstones.iter().any(|t| {
                                    before
                                        .at_location(t.from.segment.0, t.from.offset)
                                        .and_then(|at| before.record(at))
                                        .is_some_and(|r| r.key == b"ghost")
                                })
                            });
                            if kept { 0 } else { 1 }
                        },
                    },
                    reveal: &[Run("compact --policy"), Run("get ghost")],
                    why: "A put of ghost older than the tombstone survives outside the merge. Were the tombstone dropped, that put would be ghost's newest record again, and ghost would come back at the next open. So a merge drops a tombstone only when nothing older of its key survives elsewhere.",
                })
                .shows(&[all("ghost")])
                .then_shows(&[all("ghost")]),
            Step::new(
                "Space against writing",
                "A low trigger keeps little dead space but rewrites live bytes often; a high one writes less and keeps more. Merging a segment that is a fraction d dead rewrites 1 − d of it to give back d, so under steady overwrites every byte written costs about 1/d bytes of writing in all.",
            )
            .runs(&[Run("stats")])
            .shows(&[id("stats-panel")])
            .notes(amplification),
        ],
    },
    Lesson {
        title: "Crashes",
        summary: "A torn write, a flipped bit: what recovery keeps and what it cuts.",
        steps: &[
            Step::new(
                "A checksum on every record",
                "Every record starts with a **CRC** of its bytes. At every open recovery reads each record and checks its CRC, so it can tell a whole record from a damaged one.",
            )
            .runs(&[
                Run("set city Paris"),
                Run("set pet cat"),
                Run("set city Lisbon"),
                Run("set plant fern"),
                Run("set food bread"),
                Run("set drink tea"),
                Run("set game chess"),
                Run("set note 'written last'"),
            ])
            .shows(&[id("faults")]),
            Step::new("A torn write", "Power fails in the middle of the last write. Predict first.")
                .asks(Question {
                    prompt: "“Tear the last write” cuts the newest record in half. Which record will recovery cut away? Click it.",
                    ask: Ask::Records {
                        one: true,
                        answer: |f| {
                            f.active()
                                .and_then(|segment| {
                                    let index = segment
                                        .records
                                        .iter()
                                        .rposition(crate::view::is_data)?;
                                    Some((segment.id.0, index))
                                })
                                .into_iter()
                                .collect()
                        },
                    },
                    reveal: &[Tear],
                    why: "Only the last write can be torn: nothing is ever written after it or in place. The store is now stopped, as a crashed machine would be.",
                })
                .shows(&[Target::ActiveSegment])
                .then_shows(&[id("faults")]),
            Step::new(
                "Recovery cuts the tail",
                "Reload reopened the store. Recovery found a record whose bytes end early and **truncated** the segment there, so later appends are never stranded behind garbage. `note` is gone: its write never finished.",
            )
            .runs(&[Reload, Run("get note")])
            .shows(&[id("recovery")]),
            Step::new("A flipped bit", "Bit rot in data written long ago. Predict first.")
                .asks(Question {
                    prompt: "A bit flips inside city's live record (Lisbon), in a sealed segment. After a reload, what will `get city` answer?",
                    ask: Ask::Choice {
                        options: &[
                            "its newest value",
                            "its previous value",
                            "Key not found",
                            "nothing: the store will not open",
                        ],
                        answer: |before, _| {
                            let damaged = before.indexed("city");
                            let previous = before
                                .records_of("city")
                                .filter(|(at, _)| Some(*at) != damaged)
                                .max_by_key(|(_, r)| r.seq);
                            match previous {
                                Some((_, r)) if r.kind == mini_kvstore::RecordKind::Put => 1,
                                _ => 2,
                            }
                        },
                    },
                    reveal: &[Select("city"), Flip, Reload, Run("get city")],
                    why: "The damaged record fails its CRC, so recovery skips it and reports where. The records after it are whole, so they are kept, and the newest record of city left is the older one.",
                })
                .shows(&[all("city")])
                .then_shows(&[id("recovery")]),
            Step::new(
                "What recovery keeps",
                "A torn tail is cut: that write never finished. A bad record in the middle is skipped and reported, and every whole record around it is kept. `verify` still finds the damaged bytes; `compact` copies the whole records and leaves them behind.",
            )
            .runs(&[Run("verify"), Run("compact"), Run("verify")])
            .shows(&[id("console-panel")]),
        ],
    },
    Lesson {
        title: "Expiry",
        summary: "Records that die by the clock.",
        steps: &[
            Step::new(
                "A time to live",
                "`set otp 4711 --ttl 3s` stores a value that expires in three seconds: the record carries its expiry time, and the map marks it with a clock face. Watch it: when the time runs out it turns cross-hatched grey, with no write at all.",
            )
            .runs(&[Run("set user ada"), Run("set otp 4711 --ttl 3s")])
            .shows(&[all("otp")]),
            Step::new("By the clock", "Predict first.")
                .asks(Question {
                    prompt: "`set session token --ttl 2s`, then a wait of three seconds. What will `get session` answer then?",
                    ask: Ask::Choice {
                        options: &["token", "Key not found"],
                        answer: |_, after| {
                            let alive = after
                                .indexed("session")
                                .and_then(|at| after.record(at))
                                .is_some_and(|r| r.state == RecordState::Live);
                            if alive { 0 } else { 1 }
                        },
                    },
                    reveal: &[
                        Run("set session token --ttl 2s"),
                        Wait(3000),
                        Run("get session"),
                    ],
                    why: "The store compares each record's expiry with its clock on every read: once the time has passed, the key reads as absent everywhere, though nothing was written.",
                })
                .shows(&[id("console-panel")])
                .then_shows(&[all("session")]),
            Step::new(
                "Expired is dead",
                "An expired record is dead bytes, like an overwritten one: the stats count it, and the index no longer lists the key. `ttl` tells how long a key has left; `persist` takes the expiry away.",
            )
            .runs(&[Run("set visit 1 --ttl 1h"), Run("ttl visit"), Run("persist visit"), Run("ttl visit"), Run("stats")])
            .shows(&[id("stats-panel"), id("index-panel")]),
            Step::new("Compaction drops them", "Predict before the plan.")
                .asks(Question {
                    prompt: "Which records will compaction keep now? Click them, then Check.",
                    ask: Ask::Records {
                        one: false,
                        answer: plan_copies,
                    },
                    reveal: &[Plan],
                    why: "Compaction copies only what is live: an expired record is dropped like an overwritten one, and its key leaves the index for good.",
                })
                .shows(&[id("map-panel")])
                .then_shows(&[id("compaction")]),
        ],
    },
];

/// The records a full compaction copies: its survivors and kept tombstones.
fn plan_copies(facts: &Facts) -> BTreeSet<RecordAt> {
    let plan = &facts.layout.plan;
    plan.survivors
        .iter()
        .map(|s| s.from)
        .chain(plan.kept_tombstones.iter().map(|t| t.from))
        .filter_map(|from| facts.at_location(from.segment.0, from.offset))
        .collect()
}

/// The policy's settings and how it sees each sealed segment now.
fn policy_numbers(facts: &Facts) -> String {
    let p = &facts.settings;
    let seen = facts
        .policy
        .segments
        .iter()
        .map(|s| {
            format!(
                "segment {} {}% dead{}",
                s.id,
                (s.dead_fraction * 100.0).round(),
                match s.reason {
                    Some(reason) if reason.is_trigger() => " (trigger)",
                    Some(_) => " (threshold)",
                    None => "",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "This store's policy: a sealed segment at least {}% dead triggers a merge; once one does, segments at least {}% dead, with {} B dead or more, or smaller than {} B join it. Now: {}.",
        (p.get_fragmentation_trigger() * 100.0).round(),
        (p.get_fragmentation_threshold() * 100.0).round(),
        p.get_dead_bytes_threshold(),
        p.get_small_segment_threshold(),
        if seen.is_empty() {
            "no sealed segment yet".to_owned()
        } else {
            seen
        }
    )
}

/// The bound the trigger sets, and the amplification of this session.
fn amplification(facts: &Facts) -> String {
    let trigger = facts.settings.get_fragmentation_trigger();
    let bound = if trigger < 1.0 {
        format!("{:.1}×", 1.0 / (1.0 - trigger))
    } else {
        "no bound".to_owned()
    };
    format!(
        "With a trigger of {}%, sealed segments take at most {bound} the live bytes, and each byte written costs about {:.1} bytes of writing in all. This store so far: {:.2}× space, {:.2}× writes.",
        (trigger * 100.0).round(),
        1.0 / trigger.max(f64::EPSILON),
        facts.stats.space_amplification(),
        facts.stats.write_amplification(),
    )
}
