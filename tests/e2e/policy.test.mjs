// End-to-end tests of the policy panel ("The policy at work") in headless
// Chromium: auto compaction under a running workload, the chart and its
// merge marks, the side-by-side demo, and the panel at phone width. Run with
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
      await page.waitForSelector('#map-strips .segment.merging-input', { timeout: 15_000 });
      const animation = await page.$eval(
        '#map-strips .segment.merging-input .strip',
        (strip) => getComputedStyle(strip).animationName,
      );
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
