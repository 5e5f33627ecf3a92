// End-to-end tests of the Server tab: a real `kvstore` process (the debug
// binary `cargo xtask ci` builds before this step, or KVSTORE_BIN) serves
// dist/ and its REST API on a free port, over a volume of twelve segments
// written in the on-disk format (harness.mjs's writeVolume: the server has
// no segment-size flag). The tests write through the REST API while the tab
// is open and check that it follows without a reload, compact and see the
// merge in the log, page through a segment's records, and — on a server
// that merges by itself — see a policy merge arrive; that one saves
// docs/server-tab.png. Every kvstore started here is stopped in an `after`
// hook, and killed when the process exits whatever happened.
//
// Run with `node --test tests/e2e/` after `trunk build --release --offline`
// and `cargo build -p kvstore`.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, launch, open, serveDist, startKvstore, writeVolume } from './harness.mjs';

// 12 segments of 300 keys with 4 KiB values (about 1.3 MiB each): big enough
// that the server's policy (scaled to its 16 MiB segments) does not take
// them as small ones, so a merge takes only the segments that earned it.
const VOLUME = { segments: 12, keys: 3600, valueBytes: 4096 };
const PER_SEGMENT = VOLUME.keys / VOLUME.segments;
const VALUE = 'x'.repeat(4096);

const key = (n) => `key:${String(n).padStart(7, '0')}`;

/** PUTs every [key, value] through the REST API, eight at a time. */
async function putAll(base, pairs) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < pairs.length) {
        const [k, v] = pairs[next];
        next += 1;
        const answer = await fetch(`${base}blobs/${encodeURIComponent(k)}`, { method: 'PUT', body: v });
        assert.ok(answer.ok, `PUT ${k}: ${answer.status}`);
      }
    }),
  );
}

/** Overwrites keys `from..to` (of one segment of the volume). */
function overwrite(base, from, to) {
  const pairs = [];
  for (let n = from; n < to; n += 1) pairs.push([key(n), VALUE]);
  return putAll(base, pairs);
}

/** The text of a stat in the Server tab. */
function serverStat(page, name) {
  return page.textContent(`#server-stats [data-server-stat="${name}"]`);
}

async function waitForServerStat(page, name, text, timeout = 10_000) {
  await page.waitForFunction(
    ([name, text]) => document.querySelector(`#server-stats [data-server-stat="${name}"]`)?.textContent === text,
    [name, text],
    { timeout },
  );
}

/** What every strip shows. */
function strips(page) {
  return page.$$eval('#server-strips > *', (all) =>
    all.map((s) => ({
      id: Number(s.dataset.segment),
      active: s.dataset.active === 'true',
      next: s.dataset.nextMerge === 'true',
      len: Number(s.dataset.len),
      label: s.textContent,
      parts: s.dataset.parts,
      children: s.childElementCount,
      name: s.getAttribute('aria-label'),
    })),
  );
}

/** The ids the strips show, once they are `ids` (the server's summary). */
async function waitForStrips(page, ids, timeout = 10_000) {
  await page.waitForFunction(
    (ids) => [...document.querySelectorAll('#server-strips > [data-segment]')].map((s) => s.dataset.segment).join(' ') === ids,
    ids.join(' '),
    { timeout },
  );
}

async function summaryIds(base) {
  const summary = await (await fetch(`${base}segments?summary=true`)).json();
  return summary.segments.map((s) => s.id);
}

/** The records page on show: its segment, page number and row offsets. */
function recordsPage(page) {
  return page.evaluate(() => {
    const where = document.querySelector('#server-records-body .records-where');
    return {
      segment: Number(where?.dataset.recordsSegment),
      page: Number(where?.dataset.page),
      offsets: [...document.querySelectorAll('#server-records-body tr[data-offset]')].map((r) => Number(r.dataset.offset)),
      text: where?.textContent ?? '',
    };
  });
}

describe('the Server tab on a real kvstore', () => {
  let kv;
  let browser;
  let page;
  const requests = [];

  before(async () => {
    kv = await startKvstore({ prepare: (dir) => writeVolume(dir, VOLUME) });
    browser = await launch({ width: 1440, height: 1100 });
    page = browser.page;
    page.on('request', (request) => {
      const url = new URL(request.url());
      requests.push(url.pathname + url.search);
    });
    await open(page, kv.url);
  });

  after(async () => {
    await browser?.close();
    await kv?.close();
  });

  test('draws every segment from /events and follows writes without a reload', async () => {
    await page.click('#server-open');
    await page.waitForSelector('#server-panel[data-state="live"]');
    await page.waitForSelector('body[data-server="kvstore"][data-tab="server"]');
    assert.equal(await page.isHidden('main'), true, "the page's own panels give way to the tab");
    await waitForServerStat(page, 'segments', '12');
    assert.equal(await serverStat(page, 'keys'), '3,600');
    assert.match(await page.textContent('#server-volume'), /e2e/);

    const drawn = await strips(page);
    assert.deepEqual(drawn.map((s) => s.id), await summaryIds(kv.url));
    assert.ok(drawn.every((s) => s.children === 0), 'one element per segment, no children');
    assert.deepEqual(drawn.filter((s) => s.active).map((s) => s.id), [12]);
    assert.match(drawn[11].label, /^seg 12 · .* · active$/);
    for (const s of drawn) {
      assert.match(s.parts, /^live \d+%/);
      assert.match(s.name, new RegExp(`^segment ${s.id}, (active|sealed)`));
    }
    assert.match(drawn[0].name, /% overwritten/, 'later segments overwrote keys of the first');
    assert.equal(await page.getAttribute('#server-strips [tabindex="0"]', 'data-segment'), '1', 'one Tab stop');
    assert.equal(await page.$$eval('#server-strips [tabindex="0"]', (s) => s.length), 1);

    // A strip the writes do not change stays the same element.
    await page.$eval('#server-strips [data-segment="1"]', (s) => {
      s.keptAcrossEvents = true;
    });
    const activeLen = drawn[11].len;
    await putAll(
      kv.url,
      Array.from({ length: 30 }, (_, i) => [`new:${i}`, `value ${i}`]),
    );
    await waitForServerStat(page, 'keys', '3,630');
    await page.waitForFunction(
      (len) => Number(document.querySelector('#server-strips [data-segment="12"]')?.dataset.len) > len,
      activeLen,
    );
    assert.equal(
      await page.$eval('#server-strips [data-segment="1"]', (s) => s.keptAcrossEvents),
      true,
      'strip 1 was not redrawn',
    );

    // One stream, no polling, and never the full /segments.
    assert.equal(requests.filter((r) => r === '/events').length, 1);
    assert.deepEqual(
      requests.filter((r) => r.startsWith('/segments') || r.startsWith('/stats')),
      [],
    );
  });

  test("marks the policy's next merge once a segment is dead enough", async () => {
    await page.waitForSelector('#server-next [data-next="none"]');
    // Two thirds of segment 1's keys written again: past the trigger (60 %).
    await overwrite(kv.url, 0, 200);
    await page.waitForSelector('#server-strips [data-segment="1"][data-next-merge="true"]');
    const first = (await strips(page))[0];
    assert.match(first.label, /next merge$/);
    assert.match(first.name, /the next merge takes it \(dead fraction reached the trigger\)/);
    const next = await page.textContent('#server-next');
    assert.match(next, /Next merge: segments? 1\b/);
    assert.match(next, /segment 1: dead fraction reached the trigger/);
  });

  test("drills into a segment and pages through its records", async () => {
    await page.click('#server-strips [data-segment="2"]');
    await page.waitForSelector('#server-records-body [data-records-segment="2"][data-page="1"]');
    assert.equal(await page.getAttribute('#server-strips [data-segment="2"]', 'aria-pressed'), 'true');
    const first = await recordsPage(page);
    assert.equal(first.offsets.length, 100);
    assert.equal(first.offsets[0], 16, 'the first record follows the header');
    assert.match(first.text, /records 1–100 — more follow/);
    assert.equal(await page.isDisabled('#server-first-page'), true);

    let last = first;
    const seen = new Set(first.offsets);
    while (!(await page.isDisabled('#server-next-page'))) {
      await page.click('#server-next-page');
      await page.waitForSelector(`#server-records-body [data-page="${last.page + 1}"]`);
      const now = await recordsPage(page);
      assert.ok(now.offsets[0] > last.offsets.at(-1), 'a page starts after the one before');
      for (const offset of now.offsets) {
        assert.ok(!seen.has(offset), `offset ${offset} shown twice`);
        seen.add(offset);
      }
      last = now;
    }
    assert.ok(last.page >= 3, `${last.page} pages of 100 for over 300 records`);
    assert.match(last.text, /the last page/);
    // The segment's last record is its seal.
    assert.equal(
      await page.getAttribute('#server-records-body tr[data-offset]:last-child', 'data-state'),
      'meta',
    );
    await page.click('#server-first-page');
    await page.waitForSelector('#server-records-body [data-records-segment="2"][data-page="1"]');

    // From the keyboard: the open strip is the Tab stop; arrows move, Enter opens.
    await page.focus('#server-strips [data-segment="2"]');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.segment), '3');
    assert.equal(await page.getAttribute('#server-strips [data-segment="3"]', 'tabindex'), '0');
    assert.equal(await page.getAttribute('#server-strips [data-segment="2"]', 'tabindex'), '-1');
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.segment), '12');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#server-records-body [data-records-segment="3"][data-page="1"]');
    await page.click('#server-records-close');
    await page.waitForSelector('#server-records-body .hint');
    assert.equal(await page.getAttribute('#server-strips [data-segment="3"]', 'aria-pressed'), 'false');
  });

  test('a compaction arrives in the log and the strips follow', async () => {
    const answer = await fetch(`${kv.url}compact`, { method: 'POST' });
    assert.equal(answer.status, 200);
    const report = await answer.json();
    await page.waitForSelector('#server-log [data-compaction="1"]');
    const entry = await page.$eval('#server-log [data-compaction="1"]', (li) => ({
      trigger: li.dataset.trigger,
      inputs: li.dataset.inputs,
      outputs: li.dataset.outputs,
      reclaimed: Number(li.querySelector('[data-reclaimed]')?.dataset.reclaimed),
      text: li.textContent,
    }));
    assert.equal(entry.trigger, 'full');
    assert.equal(entry.inputs, report.inputs.join(' '));
    assert.equal(entry.outputs, report.outputs.join(' '));
    assert.equal(entry.reclaimed, report.bytes_reclaimed);
    assert.ok(entry.reclaimed > 0, 'the overwritten values came back');
    assert.match(entry.text, /full compaction/);
    assert.match(entry.text, / reclaimed /);

    await waitForStrips(page, await summaryIds(kv.url));
    await waitForServerStat(page, 'segments', String(report.segments_after));
    await waitForServerStat(page, 'compactions', '1');
    const after = await strips(page);
    assert.ok(!after.some((s) => s.id === 1), 'segment 1 was merged away');
    for (const output of report.outputs) {
      const strip = after.find((s) => s.id === output);
      assert.ok(strip, `output ${output} is drawn`);
      assert.match(strip.name, /written by compaction/);
    }
    assert.match(await page.textContent('#server-next'), /Next merge: none/);
    assert.deepEqual(browser.errors, []);
  });

  test('leaving the tab closes the stream and gives the page back', async () => {
    await page.click('.server-back');
    await page.waitForSelector('#server-panel[hidden]', { state: 'attached' });
    await page.waitForSelector('#server-panel[data-state="idle"]', { state: 'attached' });
    assert.equal(await page.isVisible('main'), true);
    // The map was hidden meanwhile: it measured itself again.
    const width = await page.$eval('#map-strips .strip', (strip) => strip.getBoundingClientRect().width);
    assert.ok(width > 300, `the map's strips are ${width} px wide`);
    assert.deepEqual(browser.errors, []);
  });
});

describe('the Server tab on a kvstore that merges by itself', () => {
  let kv;
  let browser;

  after(async () => {
    await browser?.close();
    await kv?.close();
  });

  test('a policy merge arrives with its reasons; saves docs/server-tab.png', async () => {
    kv = await startKvstore({ compaction: 'auto', prepare: (dir) => writeVolume(dir, { ...VOLUME, seed: 11 }) });
    browser = await launch({ width: 1440, height: 1000 });
    const { page } = browser;
    // Opened at its address: the tab shows at once.
    await page.goto(`${kv.url}#server`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('#server-panel[data-state="live"]');
    await waitForServerStat(page, 'segments', '12');

    // The background compactor looks every 5 s: a segment past the trigger
    // is merged within that.
    await overwrite(kv.url, 0, 210);
    await page.waitForSelector('#server-log [data-trigger="policy"]', { timeout: 15_000 });
    const text = await page.textContent('#server-log [data-trigger="policy"]');
    assert.match(text, /policy merge/);
    assert.match(text, /segment 1: dead fraction reached the trigger/);
    await waitForStrips(page, await summaryIds(kv.url));
    assert.ok(!(await strips(page)).some((s) => s.id === 1));

    await page.click('#server-strips [data-segment="3"]');
    await page.waitForSelector('#server-records-body [data-records-segment="3"][data-page="1"]');
    await page.click('#server-next-page');
    await page.waitForSelector('#server-records-body [data-records-segment="3"][data-page="2"]');
    // Segment 2 past its trigger too: marked for the next merge until the
    // compactor's next look (when it is merged, the log has a second entry).
    await overwrite(kv.url, PER_SEGMENT, PER_SEGMENT + 210);
    await page
      .waitForSelector('#server-strips [data-next-merge="true"], #server-log [data-compaction="2"]', { timeout: 5_000 })
      .catch(() => {});
    await page.mouse.move(0, 0);
    await mkdir(join(ROOT, 'docs'), { recursive: true });
    await page.locator('#server-panel').screenshot({ path: join(ROOT, 'docs', 'server-tab.png') });
    assert.deepEqual(browser.errors, []);
  });
});

describe('the Server tab without a kvstore', () => {
  test('says plainly there is no server here, and subscribes to nothing', async () => {
    const server = await serveDist();
    const browser = await launch({ width: 1200, height: 900 });
    try {
      const { page } = browser;
      const requests = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));
      await open(page, server.url);
      assert.ok(!requests.includes('/health'), 'nothing is asked before the tab opens');
      await page.click('#server-open');
      await page.waitForSelector('#server-panel[data-state="absent"]');
      await page.waitForSelector('body[data-server="absent"]');
      assert.equal(await page.isVisible('#server-absent'), true);
      assert.equal(await page.isHidden('#server-live'), true);
      assert.match(await page.textContent('#server-absent'), /No kvstore server here/);
      assert.match(await page.textContent('#server-absent'), /cargo xtask start/);
      assert.ok(!requests.includes('/events'), 'no stream without a server');
      await page.click('.server-back');
      await page.waitForSelector('#server-panel[hidden]', { state: 'attached' });
      assert.equal(await page.isVisible('#map-panel'), true);
      // The static server's 404 for /health is the browser's only complaint.
      assert.deepEqual(
        browser.errors.filter((e) => !/Failed to load resource: .*404/.test(e)),
        [],
      );
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
