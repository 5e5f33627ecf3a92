// End-to-end tests of the policy panel ("The policy at work") in headless
// Chromium: auto compaction under a running workload, the chart and its
// merge marks, a merge replayed on the map (the index repointed from the
// inputs to the copies before the inputs go), the side-by-side demo, and
// the panel at phone width. Run with
// `node --test tests/e2e/` after `trunk build --release --offline`. The
// side-by-side test saves docs/policy-chart.png.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, launch, open, serveDist } from './harness.mjs';

const SEGMENT = 512;

let server;

before(async () => {
  server = await serveDist();
});

after(async () => {
  await server?.close();
});

/** A number from the policy panel's stats. */
async function policyStat(page, name) {
  return Number(await page.textContent(`#policy-stats [data-policy-stat="${name}"]`));
}

/** A number from the side-by-side table. */
async function compared(page, store, field) {
  return Number(await page.textContent(`#compare-table [data-store="${store}"][data-field="${field}"]`));
}

async function waitForMerges(page, atLeast, timeout = 15_000) {
  await page.waitForFunction(
    (n) => Number(document.querySelector('#policy-stats [data-policy-stat="merges"]')?.textContent) >= n,
    atLeast,
    { timeout },
  );
}

/**
 * Watches every frame until `window.repointStop` is set, recording what the
 * page shows of a merge being replayed: the line over the map, the index
 * rows with a `data-repoint` (key, state, the segment they show, their
 * words, the segment cell's animation), and the merged inputs still drawn.
 */
async function watchReplay(page) {
  await page.evaluate(() => {
    window.repointSamples = [];
    window.repointStop = false;
    const sample = () => {
      const status = document.querySelector('#merge-status .merge-status');
      const rows = [...document.querySelectorAll('#index tr[data-index-key][data-repoint]')].map((row) => {
        const seg = row.querySelector('td.seg');
        return {
          key: row.dataset.indexKey,
          repoint: row.dataset.repoint,
          was: row.dataset.wasSegment,
          segment: seg?.lastChild?.textContent.trim(),
          words: row.querySelector('.repoint-word')?.textContent ?? '',
          animation: seg ? getComputedStyle(seg).animationName : null,
        };
      });
      const cells = [...document.querySelectorAll('#map-strips .cell.repoint-now')].map(
        (cell) => getComputedStyle(cell).animationName,
      );
      window.repointSamples.push({
        phase: status?.dataset.phase ?? null,
        inputs: status?.dataset.inputs ?? null,
        outputs: status?.dataset.outputs ?? null,
        moved: status ? Number(status.dataset.moved) : null,
        text: status?.textContent ?? '',
        rows,
        cells,
        merged: [...document.querySelectorAll('#map-strips [data-merged-segment]')].map((s) => ({
          id: s.dataset.mergedSegment,
          words: s.querySelector('.merge-role')?.textContent ?? '',
          pointed: Number(s.querySelector('.merge-role')?.dataset.pointed),
        })),
      });
      if (!window.repointStop) requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  });
}

/** The index as `{key: segment}`. */
async function indexSegments(page) {
  return page.$$eval('#index tr[data-index-key]', (rows) =>
    Object.fromEntries(rows.map((row) => [row.dataset.indexKey, row.querySelector('td.seg').lastChild.textContent.trim()])),
  );
}

/**
 * Writes by hand until the policy has a merge, runs it with "Merge now"
 * while a sampler watches, writes a key while the replay is on show, and
 * returns what was seen: the index before, the merge's inputs, the samples,
 * the index after, and the active segment the write went to.
 */
async function replayOneMerge(page) {
  // Until the policy has a merge whose inputs still hold a live key (a
  // merge of dead segments only has nothing to repoint).
  let inputs = [];
  let before = {};
  for (let round = 0; round < 40; round += 1) {
    inputs = await page.$$eval('#map-strips [data-segment][data-next-merge="true"]', (strips) =>
      strips.map((s) => s.dataset.segment),
    );
    before = await indexSegments(page);
    if (Object.values(before).some((segment) => inputs.includes(segment))) break;
    if (inputs.length > 0) {
      // The next merge takes dead segments only (they give back the most,
      // so the policy takes them first): run it out of the way, and its
      // replay out, until one with a live key is next.
      await page.click('#policy-merge-now');
      await page.waitForSelector('#merge-status[hidden]', { state: 'attached', timeout: 10_000 });
    } else {
      await page.click('#random');
    }
  }
  assert.match(await page.textContent('#policy-next'), /Next merge: segments? \d/);
  assert.ok(inputs.length >= 1);
  await watchReplay(page);
  await page.click('#policy-merge-now');
  // The store merged at once; while the replay is still moving the
  // index, a new write lands in the active segment.
  // The sampler sees every frame; a one-step repointing lasts 400 ms,
  // which a poll of the page can miss on a loaded machine.
  await page.waitForFunction(() => window.repointSamples.some((s) => s.phase === 'repointing'), null, {
    timeout: 5_000,
  });
  await page.fill('#command', 'set during-the-merge yes');
  await page.press('#command', 'Enter');
  const active = await page.$eval('#map-strips [data-segment][data-active="true"]', (s) => s.dataset.segment);
  await page.waitForSelector('#merge-status[hidden]', { state: 'attached', timeout: 10_000 });
  const samples = await page.evaluate(() => {
    window.repointStop = true;
    return window.repointSamples;
  });
  return { inputs, before, samples, after: await indexSegments(page), active };
}

/** Checks what `replayOneMerge` saw: the repointing is real, in order, and complete. */
function checkReplay({ inputs, before, samples, after, active }) {
  const moving = Object.keys(before).filter((key) => inputs.includes(before[key]));
  assert.ok(moving.length >= 1, 'the inputs hold live keys');
  const shown = samples.filter((s) => s.phase);
  assert.deepEqual([...new Set(shown.map((s) => s.phase))], ['copying', 'repointing', 'removed'], 'the steps, in order');
  assert.equal(shown[0].inputs.split(' ').sort().join(' '), [...inputs].sort().join(' '));
  const outputs = shown[0].outputs.split(' ');
  assert.ok(outputs.every((o) => !inputs.includes(o)), 'the outputs are new segments');

  // Copying: every entry still points at its input record, and the inputs
  // are drawn, saying so.
  const copying = shown.find((s) => s.phase === 'copying');
  assert.deepEqual(copying.rows.map((r) => r.key).sort(), [...moving].sort(), 'the keys the inputs held');
  for (const row of copying.rows) {
    assert.equal(row.repoint, 'waiting');
    assert.equal(row.segment, before[row.key], 'shown where it still points');
    assert.match(row.words, /^waits: still on merged \d+$/);
  }
  assert.deepEqual(copying.merged.map((m) => m.id).sort(), [...inputs].sort());
  for (const m of copying.merged) {
    assert.match(m.words, /^merged input · (\d+ keys? still points? here|no key points here)$/);
  }
  const pointed = (s) => s.merged.reduce((sum, m) => sum + m.pointed, 0);
  assert.equal(pointed(copying), moving.length, 'the inputs count the entries still on them');

  // Repointing: the keys move a step at a time, each once and never back,
  // and the inputs stay while any entry still points into them.
  const order = { waiting: 0, moving: 1, moved: 2 };
  const last = {};
  let partly = false;
  for (const s of shown.filter((x) => x.phase === 'repointing')) {
    const states = new Set(s.rows.map((r) => r.repoint));
    if (states.has('waiting') && (states.has('moving') || states.has('moved'))) partly = true;
    if (states.has('waiting')) {
      assert.deepEqual(s.merged.map((m) => m.id).sort(), [...inputs].sort(), 'no input goes while an entry waits');
    }
    assert.equal(pointed(s), s.rows.filter((r) => r.repoint === 'waiting').length, 'the inputs say how many wait');
    for (const row of s.rows) {
      assert.ok(moving.includes(row.key), `${row.key} was in an input`);
      assert.ok(inputs.includes(row.was), `${row.key} came from input ${row.was}`);
      assert.ok((last[row.key] ?? 0) <= order[row.repoint], `${row.key} never moves back`);
      last[row.key] = order[row.repoint];
      if (row.repoint !== 'waiting') {
        assert.ok(outputs.includes(row.segment), `${row.key} now on ${row.segment}, an output`);
        assert.match(row.words, /^repointed( now)?: \d+ → \d+$/);
      }
    }
    assert.match(s.text, /Repointing the index, step \d+ of \d+: \d+ of \d+ keys? now points? at the copies/);
  }
  if (moving.length >= 2) assert.ok(partly, 'a step where some entries moved and others still waited');
  assert.deepEqual(Object.keys(last).sort(), [...moving].sort(), 'every key was repointed');

  // Removed: the inputs are gone only once every entry moved.
  const removed = shown.find((s) => s.phase === 'removed');
  assert.deepEqual(removed.merged, [], 'the inputs are gone');
  assert.ok(removed.rows.every((r) => r.repoint === 'moved'));
  assert.match(removed.text, /Inputs [\d, ]+ removed/);

  // Afterwards every entry the inputs held points into an output, and the
  // write made during the replay is in the active segment.
  for (const key of moving) {
    if (key === 'during-the-merge') continue;
    assert.ok(outputs.includes(after[key]), `${key} points at ${after[key]}, not an output ${outputs}`);
  }
  assert.equal(after['during-the-merge'], active, 'the write during the merge went to the active segment');
  assert.ok(!moving.includes('during-the-merge'));
  return shown;
}

describe('the policy at work', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch({ width: 1440, height: 1100 });
    page = browser.page;
    await open(page, server.url);
    await page.selectOption('#segment-size', String(SEGMENT));
  });

  after(async () => {
    await browser?.close();
  });

  test('the map shows the policy: dead fraction, trigger and threshold, the next merge', async () => {
    // Overwrite a few keys by hand (auto off) until the policy has a merge.
    for (let round = 0; round < 4; round += 1) {
      await page.click('#random');
    }
    await page.waitForSelector('#map-strips [data-segment][data-dead-pct] .policy-meter .mark.trigger');
    const meters = await page.$$eval('#map-strips [data-segment][data-dead-pct]', (strips) =>
      strips.map((s) => ({
        active: s.dataset.active,
        trigger: s.querySelector('.mark.trigger')?.textContent,
        threshold: s.querySelector('.mark.threshold')?.textContent,
        words: s.querySelector('.verdict-text')?.textContent ?? '',
      })),
    );
    assert.ok(meters.length >= 1);
    for (const m of meters) {
      assert.equal(m.active, 'false', 'only sealed segments are assessed');
      assert.equal(m.trigger, 'trigger');
      assert.equal(m.threshold, 'threshold');
      assert.match(m.words, /^\d+% dead · /);
    }
    const next = await page.textContent('#policy-next');
    if (/Next merge: segments? \d/.test(next)) {
      const marked = await page.$$('#map-strips [data-next-merge="true"]');
      assert.ok(marked.length >= 1, 'the next merge is marked on the map');
      assert.match(await page.textContent('#map-strips [data-next-merge="true"] .next-merge-text'), /next merge: /);
    } else {
      assert.match(next, /Next merge: none/);
    }
  });

  test('auto compaction merges while the workload runs, and space stays under the bound', async () => {
    // The bound holds once the policy has run: start from a compacted
    // store, not from the dead bytes the hand-made writes left.
    await page.click('#compact-apply');
    await page.waitForFunction(() => Number(document.querySelector('#stats [data-stat="dead_bytes"]')?.textContent) === 0);
    await page.click('#policy-clear');
    await page.check('#policy-auto');
    await page.selectOption('#workload-kind', 'uniform');
    await page.fill('#workload-rate', '25');
    assert.equal(await page.textContent('#workload-rate-value'), '25 ops/s');
    // Sample what the stats panel shows, ten times a second, in the page.
    await page.evaluate(() => {
      const value = (name) => Number(document.querySelector(`#stats [data-stat="${name}"]`)?.textContent);
      window.policySamples = [];
      window.policySampler = setInterval(() => {
        window.policySamples.push({ total: value('total_bytes'), live: value('live_bytes') });
      }, 100);
    });
    await page.click('#workload-start');
    await page.waitForSelector('#policy-panel[data-running="true"]');
    await waitForMerges(page, 2);
    // A merge on show marks its inputs, then its outputs, on the map.
    await page.waitForSelector('#map-strips .segment.merging-input, #map-strips .segment.merge-output', {
      timeout: 10_000,
    });
    await page.waitForTimeout(2_000);
    await page.click('#workload-pause');
    await page.waitForSelector('#policy-panel[data-running="false"]');
    const samples = await page.evaluate(() => {
      clearInterval(window.policySampler);
      return window.policySamples;
    });

    // A merge chosen just before the pause still runs, and the chart marks
    // it at its next sample: wait for the two to agree, then compare.
    await page
      .waitForFunction(
        () =>
          document.querySelectorAll('#policy-chart [data-merge^="a:"]').length ===
          Number(document.querySelector('#policy-stats [data-policy-stat="merges"]')?.textContent),
        null,
        { timeout: 5_000 },
      )
      .catch(() => {});
    const merges = await policyStat(page, 'merges');
    assert.ok(merges >= 2, `${merges} merges`);
    const marks = await page.$$('#policy-chart [data-merge^="a:"]');
    assert.equal(marks.length, merges, 'one mark on the chart per merge');
    assert.ok((await policyStat(page, 'ops')) > 20);
    assert.ok((await policyStat(page, 'write_amplification')) > 1, 'merges write');

    // The policy's bound: no sealed segment stays `trigger` dead, so the
    // sealed ones hold at most 1 / (1 - trigger) × the live bytes. On top:
    // the active segment, and what the workload writes while a merge's
    // inputs are on show before it runs — a few segments' worth.
    const trigger = Number(await page.inputValue('#policy-knobs [data-knob="fragmentation_trigger"]')) / 100;
    assert.equal(await policyStat(page, 'bound'), Number((1 / (1 - trigger)).toFixed(2)));
    assert.ok(samples.length > 20, `${samples.length} samples`);
    let worst = 0;
    for (const { total, live } of samples) {
      if (!(live > 0)) continue;
      const bound = 1 / (1 - trigger) + (3 * SEGMENT) / live;
      worst = Math.max(worst, total / live / bound);
      assert.ok(total / live <= bound, `space amplification ${(total / live).toFixed(2)} over ${bound.toFixed(2)}`);
    }
    assert.ok(worst > 0);

    // A merge mark's report, by pointer and by keyboard.
    await page.hover('#policy-chart [data-merge="a:0"] path');
    await page.waitForSelector('#policy-merge [data-merge-report="0"]');
    const report = await page.textContent('#policy-merge');
    assert.match(report, /merge 1/);
    assert.match(report, /inputs/);
    assert.match(report, /reclaimed/);
    assert.match(report, /dead fraction reached the trigger/);
    await page.focus('#policy-chart [data-merge="a:1"]');
    await page.waitForSelector('#policy-merge [data-merge-report="1"]');
    assert.deepEqual(browser.errors, []);
  });

  test('side by side: the store that never merges ends up bigger', async () => {
    await page.selectOption('#compare-policy', 'manual');
    await page.click('#compare-start');
    await page.waitForSelector('#policy-panel[data-comparing="true"]');
    assert.equal(await page.$$eval('#policy-chart .legend-row', (rows) => rows.length), 2);
    await page.click('#workload-start');
    await page.waitForFunction(
      () => Number(document.querySelector('#policy-stats [data-policy-stat="ops"]')?.textContent) >= 100,
      null,
      { timeout: 15_000 },
    );
    await page.click('#workload-pause');

    const auto = await compared(page, 'a', 'total_bytes');
    const manual = await compared(page, 'b', 'total_bytes');
    assert.ok(manual > auto, `manual ${manual} bytes against auto ${auto}`);
    assert.equal(await compared(page, 'b', 'merges'), 0);
    assert.ok((await compared(page, 'a', 'merges')) >= 1);
    assert.ok((await compared(page, 'b', 'space_amplification')) > (await compared(page, 'a', 'space_amplification')));
    // Both stores on one chart: B's lines are dashed, and named in the legend.
    const dashed = await page.$$eval('#policy-chart polyline[stroke-dasharray]', (lines) => lines.length);
    assert.equal(dashed, 4, "B's four lines are dashed");
    assert.match(await page.textContent('#policy-chart .legend-row[data-run="b"]'), /manual/);

    await mkdir(join(ROOT, 'docs'), { recursive: true });
    await page.locator('#policy-panel').screenshot({ path: join(ROOT, 'docs', 'policy-chart.png') });

    await page.click('#compare-stop');
    await page.waitForSelector('#policy-panel:not([data-comparing])');
    assert.equal(await page.$$eval('#policy-chart .legend-row', (rows) => rows.length), 1);
    assert.deepEqual(browser.errors, []);
  });

  test('a slider reopens the store with the new policy and keeps every key', async () => {
    const keys = Number(await page.textContent('#stats [data-stat="keys"]'));
    await page.fill('#policy-knobs [data-knob="fragmentation_trigger"]', '30');
    await page.waitForFunction(() => /fragmentation_trigger is now 30 %/.test(document.querySelector('#output').textContent));
    assert.equal(await page.textContent('#policy-knobs [data-knob-value="fragmentation_trigger"]'), '30 %');
    assert.equal(await page.inputValue('#policy-knobs [data-knob="fragmentation_threshold"]'), '30', 'the threshold follows');
    assert.equal(await policyStat(page, 'bound'), 1.43);
    assert.equal(Number(await page.textContent('#stats [data-stat="keys"]')), keys);

    // Step: exactly one operation of the chosen workload.
    await page.selectOption('#workload-kind', 'append-only');
    const ops = await policyStat(page, 'ops');
    await page.click('#workload-step');
    assert.equal(await policyStat(page, 'ops'), ops + 1);
    await page.waitForSelector('#map-strips [data-key="a:000001"][data-state="live"]');
    assert.match(await page.textContent('#workload-status'), /^Paused: append-only at \d+ ops\/s/);
    assert.deepEqual(browser.errors, []);
  });
});

describe('a merge replayed on the map', () => {
  test('the index is repointed to the copies, a step at a time, before the inputs go', async () => {
    const browser = await launch({ width: 1440, height: 1100 });
    try {
      const { page } = browser;
      await open(page, server.url);
      await page.selectOption('#segment-size', String(SEGMENT));
      const shown = checkReplay(await replayOneMerge(page));
      const animations = shown.flatMap((s) => s.rows.filter((r) => r.repoint === 'moving').map((r) => r.animation));
      assert.ok(animations.length >= 1, 'a row was seen moving');
      assert.ok(animations.includes('repoint-slide'), `the moving rows slide: ${animations}`);

      // Under reduced motion the same steps happen, as steps: nothing
      // slides or flashes.
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.fill('#command', 'delete during-the-merge');
      await page.press('#command', 'Enter');
      const still = checkReplay(await replayOneMerge(page));
      const moves = still.flatMap((s) => s.rows.filter((r) => r.repoint === 'moving').map((r) => r.animation));
      assert.ok(moves.length >= 1, 'a row was seen moving');
      assert.ok(moves.every((a) => a === 'none'), `no motion: ${moves}`);
      const cells = still.flatMap((s) => s.cells);
      assert.ok(cells.length >= 1 && cells.every((a) => a === 'none'), `no flash: ${cells}`);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('the policy panel on a phone', () => {
  test('fits 360 px and steps its animation under reduced motion', async () => {
    const browser = await launch({ width: 360, height: 800 });
    try {
      const { page } = browser;
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await open(page, server.url);
      await page.check('#policy-auto');
      await page.fill('#workload-rate', '40');
      await page.click('#workload-start');
      // Read in the page as soon as a chosen merge is marked: the merge
      // runs 600 ms later and the strip goes with it.
      const marked = await page.waitForFunction(
        () => {
          const strip = document.querySelector('#map-strips .segment.merging-input .strip');
          return strip && getComputedStyle(strip).animationName;
        },
        null,
        { timeout: 15_000 },
      );
      const animation = await marked.jsonValue();
      assert.equal(animation, 'none', 'no pulse under reduced motion');
      await waitForMerges(page, 1);
      await page.click('#workload-pause');
      const overflow = await page.$eval('#policy-panel', (panel) => panel.scrollWidth - panel.clientWidth);
      assert.ok(overflow <= 1, `the panel overflows by ${overflow} px`);
      const chart = await page.$eval('#policy-chart svg', (svg) => svg.getBoundingClientRect().width);
      const box = await page.$eval('#policy-chart', (div) => div.clientWidth);
      assert.ok(chart <= box + 1, `chart ${chart} px in a ${box} px box`);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});
