// End-to-end tests of the playground (dist/, built by `trunk build --release`)
// in headless Chromium: what a learner does, checked through the page's
// stable hooks. Run with `node --test tests/e2e/` from the repository root
// after `npm ci` in tests/e2e. The last test saves docs/playground.png.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  ROOT,
  flushed,
  launch,
  open,
  output,
  ready,
  run,
  serveDist,
  stat,
  statesOf,
  waitForStat,
} from './harness.mjs';

let server;

before(async () => {
  server = await serveDist();
});

after(async () => {
  await server?.close();
});

describe('a learner session', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch();
    page = browser.page;
    await open(page, server.url);
  });

  after(async () => {
    await browser?.close();
  });

  test('the page starts empty with one active segment', async () => {
    assert.equal(await stat(page, 'keys'), 0);
    assert.equal(await stat(page, 'segments'), 1);
    const active = await page.$$('#map-strips [data-segment][data-active="true"]');
    assert.equal(active.length, 1);
    assert.match(await output(page), /fresh, empty store/);
  });

  test('set, overwrite and delete through the console', async () => {
    await run(page, 'set fruit apple');
    assert.deepEqual(await statesOf(page, 'fruit'), ['live']);
    assert.equal(await stat(page, 'keys'), 1);

    await run(page, 'set fruit "blood orange"');
    assert.deepEqual(await statesOf(page, 'fruit'), ['overwritten', 'live']);
    await run(page, 'get fruit');
    assert.match(await output(page), /blood orange/);

    await run(page, 'delete fruit');
    assert.deepEqual(await statesOf(page, 'fruit'), ['overwritten', 'overwritten', 'tombstone']);
    assert.equal(await stat(page, 'keys'), 0);
    assert.ok((await stat(page, 'dead_bytes')) > 0, 'overwritten records and the tombstone are dead');

    await run(page, 'get fruit');
    assert.match(await output(page), /Key not found/);
    await run(page, 'frobnicate');
    assert.match(await output(page), /unknown command 'frobnicate'/);
  });

  test('a record shows its bytes; selecting a key shows where the index points', async () => {
    await run(page, 'set colour red');
    await run(page, 'set colour green');
    await page.hover('#map-strips [data-key="colour"][data-state="live"]');
    const details = await page.textContent('#details');
    assert.match(details, /green/);
    assert.match(details, /seq/);
    assert.match(details, /CRC32/);

    await page.click('#index [data-index-key="colour"]');
    const selected = await page.$$('#map-strips [data-key="colour"].sel');
    assert.equal(selected.length, 2, 'both records of the key are outlined');
    const target = await page.$$('#map-strips [data-key="colour"].target');
    assert.equal(target.length, 1, 'one record is what the index points at');
    assert.equal(await target[0].getAttribute('data-state'), 'live');
  });

  test('segments rotate at the segment size', async () => {
    await page.selectOption('#segment-size', '256');
    await page.click('#sample');
    await waitForStat(page, 'segments', 'v >= 3');
    const sealed = await page.$$('#map-strips [data-segment][data-sealed="true"]');
    assert.ok(sealed.length >= 2);
    assert.deepEqual(await statesOf(page, 'user:3:name'), ['overwritten', 'tombstone']);
  });

  test('compaction: the plan, then fewer segments and no dead bytes', async () => {
    await page.click('#random');
    await flushed(page);
    const segments = await stat(page, 'segments');
    const dead = await stat(page, 'dead_bytes');
    const keys = await stat(page, 'keys');
    assert.ok(dead > 0);

    await page.click('#compact-plan');
    const survivors = await page.$$('#map-strips [data-record].survives');
    assert.equal(survivors.length, keys, 'exactly the live records survive');
    const doomed = await page.$$('#map-strips [data-segment].doomed');
    assert.equal(doomed.length, segments, 'every segment is rewritten');
    assert.match(await page.textContent('#compact-text'), /reclaimed/);

    await page.click('#compact-step');
    await page.click('#compact-step');
    assert.equal((await page.$$('#map-strips [data-record].copied')).length, 2);
    assert.ok((await page.$$('#compact-preview .segment')).length >= 1);

    await page.click('#compact-apply');
    await waitForStat(page, 'segments', `v < ${segments}`);
    assert.ok((await stat(page, 'dead_bytes')) < dead);
    assert.equal(await stat(page, 'keys'), keys, 'no key lost');
    const states = await page.$$eval('#map-strips [data-record]', (cells) =>
      cells.map((cell) => cell.dataset.state),
    );
    assert.ok(states.length === keys && states.every((s) => s === 'live'), `${states}`);
    assert.match(await output(page), /Compaction finished/);
  });

  test('a reload keeps exactly what was flushed', async () => {
    await run(page, 'set survivor "still here"');
    await flushed(page);
    const keys = await page.$$eval('#index [data-index-key]', (rows) =>
      rows.map((row) => row.dataset.indexKey),
    );
    await page.reload();
    await ready(page);
    const after = await page.$$eval('#index [data-index-key]', (rows) =>
      rows.map((row) => row.dataset.indexKey),
    );
    assert.deepEqual(after, keys);
    await run(page, 'get survivor');
    assert.match(await output(page), /still here/);
    assert.equal(await page.$('#recovery:not([hidden])'), null, 'nothing to repair');
  });

  test('a flipped bit is reported by recovery after a reload', async () => {
    await run(page, 'set victim precious');
    await run(page, 'set bystander fine');
    await page.click('#index [data-index-key="victim"]');
    await page.click('#fault-flip');
    await page.waitForSelector('body[data-stopped="true"]');
    assert.match(await page.textContent('#fault-note'), /Flipped one bit/);
    await run(page, 'get victim');
    assert.match(await output(page), /store is stopped/);

    await page.click('#reload');
    await page.waitForSelector('#recovery [data-recovery]');
    await ready(page);
    const report = await page.textContent('#recovery');
    assert.match(report, /CRC/);
    assert.match(report, /victim/, 'the report names the key the fault cost');
    await run(page, 'get bystander');
    assert.match(await output(page), /fine/);
  });

  test('a torn write is cut off, and survives a real page reload', async () => {
    await run(page, 'set last-words "never finished"');
    await flushed(page);
    await page.click('#fault-tear');
    await page.waitForSelector('body[data-stopped="true"]');
    await flushed(page);
    await page.reload();
    await ready(page);
    const report = await page.textContent('#recovery');
    assert.match(report, /Torn tail/);
    await run(page, 'get last-words');
    assert.match(await output(page), /Key not found/);
  });

  test('a second tab is refused instead of overwriting the first', async () => {
    const second = await browser.context.newPage();
    try {
      await second.goto(server.url);
      await second.waitForSelector('body[data-ready="error"]', { timeout: 15_000 });
      assert.match(await second.textContent('#banner'), /already open in another tab/);
    } finally {
      await second.close();
    }
  });

  test('reset wipes the database', async () => {
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#reset');
    await waitForStat(page, 'keys', 'v === 0');
    await ready(page);
    assert.equal(await stat(page, 'segments'), 1);
    assert.equal(await page.$('#recovery:not([hidden])'), null);
    await flushed(page);
    await page.reload();
    await ready(page);
    assert.equal(await stat(page, 'keys'), 0, 'the wipe reached IndexedDB');
  });

  test('the page reported no script errors', () => {
    assert.deepEqual(browser.errors, []);
  });
});

describe('a big store', () => {
  test('10,000 records stay responsive', async () => {
    const browser = await launch();
    try {
      const { page } = browser;
      await open(page, server.url);
      await page.selectOption('#segment-size', '4096');
      for (let i = 0; i < 100; i += 1) {
        await page.click('#random');
      }
      await waitForStat(page, 'segments', 'v >= 80');
      const started = Date.now();
      await run(page, 'set one more');
      await page.waitForSelector('#map-strips [data-key="one"][data-state="live"]');
      const took = Date.now() - started;
      // Generous: CI machines are small and busy. A full redraw of 10,000
      // cells per write would take seconds; the incremental map does not.
      assert.ok(took < 3000, `a write with 10,000 records took ${took} ms`);
      const cells = await page.$$eval('#map-strips .cell', (all) => all.length);
      assert.ok(cells > 5000, `${cells} cells drawn`);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('expiry', () => {
  test('an expiring record counts down, then turns dead without a write', async () => {
    const browser = await launch();
    try {
      const { page } = browser;
      await open(page, server.url);
      await run(page, 'set session token --ttl 3s');
      const cell = '#map-strips [data-key="session"]';
      await page.waitForSelector(`${cell}[data-state="live"].expiring[data-expires-at]`);
      assert.equal(await stat(page, 'keys'), 1);
      const deadBefore = await stat(page, 'dead_bytes');

      await page.hover(`${cell}[data-state="live"]`);
      assert.match(await page.textContent('#details [data-countdown]'), /^expires in [1-3] s$/);
      // The countdown moves on while the pointer rests on the record.
      await page.waitForFunction(
        () => /^expires in 1 s$/.test(document.querySelector('#details [data-countdown]')?.textContent ?? ''),
        null,
        { timeout: 5_000 },
      );

      // Its time comes: dead on the map, gone from the index, counted dead.
      await page.waitForSelector(`${cell}[data-state="expired"].expired`, { timeout: 5_000 });
      assert.equal((await page.$$(`${cell}.expiring`)).length, 0);
      await waitForStat(page, 'keys', 'v === 0');
      assert.ok((await stat(page, 'dead_bytes')) > deadBefore);
      assert.equal((await page.$$('#index [data-index-key="session"]')).length, 0);
      await page.waitForFunction(
        () => /^expired (just now|\d+ s ago)$/.test(document.querySelector('#details [data-countdown]')?.textContent ?? ''),
        null,
        { timeout: 3_000 },
      );
      assert.match(await page.textContent('#details'), /expired — the key's latest value/);
      assert.equal(await stat(page, 'unflushed_bytes'), 0, 'expiring wrote nothing');
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('the screenshot', () => {
  test('docs/playground.png after a scripted session', async () => {
    const browser = await launch({ width: 1440, height: 1050 });
    try {
      const { page } = browser;
      await open(page, server.url);
      // Small segments, so the picture shows rotation and sealed segments.
      await page.selectOption('#segment-size', '256');
      await page.click('#sample');
      for (const line of [
        'set user:1:name Alicia',
        'set color:sky "deep blue"',
        'set counter 4',
        'set user:4:name Dave',
        'delete color:grass',
        'set counter 5',
        'get user:2:name',
      ]) {
        await run(page, line);
      }
      await flushed(page);
      await page.click('#index [data-index-key="counter"]');
      await page.hover('#map-strips [data-key="counter"][data-state="live"]');
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'playground.png'), fullPage: true });
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});
