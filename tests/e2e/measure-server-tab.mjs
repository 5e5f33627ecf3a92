// Measures the Server tab against a big store: a real `kvstore` over 1,000
// segments and 1,000,000 keys, the page in headless Chromium. Not part of
// CI (it takes a minute or two and its figures depend on the machine): a
// person runs it, and the figures go into web/README.md.
//
//   trunk build --release --offline
//   cargo build --release -p kvstore
//   node tests/e2e/measure-server-tab.mjs [--segments 1000] [--keys 1000000] [--runs 5] [--writes 20]
//   node tests/e2e/measure-server-tab.mjs --pipe     # 1,000,000 keys through redis-cli --pipe instead
//
// kvstore has no segment-size flag (its segments are 16 MiB), so a million
// keys written through it make four segments. To get 1,000 segments the
// script writes the volume itself, in the on-disk format (harness.mjs's
// writeVolume, docs/FORMAT.md), and the real server opens it — recovery
// checks every record's CRC, and the script checks the server counts
// every key and no corrupt range. With --pipe it loads the keys the way a
// user would instead, `redis-cli --pipe` into `--resp-port`, and measures
// the few segments that makes.
//
// What it times, all in the page (User Timing entries the tab records,
// `server-tab: …`, and the Event Timing API for the click):
// - first draw: from `new EventSource('/events')` to the first `segments`
//   event drawn — the server's first look (it looks every 200 ms), the
//   summary's transfer, parsing, and inserting every strip; and from there
//   to the next frame;
// - redraw: the `segments` handler (parse the summary, diff, touch the
//   strips that changed) for each write made while the tab is open, and
//   from its end to the next frame;
// - drill-down: a click on a strip, from the input event to the next frame
//   (the input latency, Event Timing's `duration`), and to its first page
//   of records drawn (a request to /segments/{id}/records included).

import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { KVSTORE, ROOT, launch, startKvstore, writeVolume } from './harness.mjs';

const { values: options } = parseArgs({
  options: {
    segments: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    writes: { type: 'string', default: '20' },
    clicks: { type: 'string', default: '10' },
    pipe: { type: 'boolean', default: false },
  },
});
const SEGMENTS = Number(options.segments);
const KEYS = Number(options.keys);
const RUNS = Number(options.runs);
const WRITES = Number(options.writes);
const CLICKS = Number(options.clicks);

const RELEASE = join(ROOT, 'target', 'release', 'kvstore');
const binary = process.env.KVSTORE_BIN ?? (await stat(RELEASE).then(() => RELEASE, () => KVSTORE));

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    n: sorted.length,
    median: at(0.5),
    p95: at(0.95),
    max: sorted.at(-1),
  };
}

function ms(value) {
  return value === undefined ? '–' : `${value.toFixed(1)} ms`;
}

function row(name, samples) {
  const s = stats(samples);
  return `| ${name} | ${s.n} | ${ms(s.median)} | ${ms(s.p95)} | ${ms(s.max)} |`;
}

async function freePort() {
  const server = createServer();
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** `count` SETs in the Redis protocol, for redis-cli --pipe. */
function* setCommands(count) {
  for (let i = 0; i < count; i += 1) {
    const key = `key:${String(i).padStart(7, '0')}`;
    const value = `v${i}`.padEnd(16, '.');
    yield `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
  }
}

async function pipeKeys(port, count) {
  const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  cli.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const done = new Promise((finish, fail) => {
    cli.once('error', fail);
    cli.once('exit', (code) => (code === 0 ? finish(out) : fail(new Error(`redis-cli exited ${code}: ${out}`))));
  });
  let batch = '';
  for (const command of setCommands(count)) {
    batch += command;
    if (batch.length > 1 << 16) {
      if (!cli.stdin.write(batch)) await new Promise((drained) => cli.stdin.once('drain', drained));
      batch = '';
    }
  }
  cli.stdin.end(batch);
  return done;
}

const figures = {};
const loadBefore = loadavg();
const volume = await mkdtemp(join(tmpdir(), 'kvstore-measure-'));
let kv;
let browser;
try {
  // ---- the store ---------------------------------------------------------
  let started = performance.now();
  let respPort;
  if (options.pipe) {
    respPort = await freePort();
    kv = await startKvstore({ volume, binary, args: ['--resp-port', String(respPort)] });
    figures.open_ms = performance.now() - started;
    started = performance.now();
    const report = await pipeKeys(respPort, KEYS);
    figures.load = `redis-cli --pipe: ${KEYS} SETs in ${((performance.now() - started) / 1000).toFixed(1)} s (${report.trim().split('\n').at(-1)})`;
  } else {
    const written = await writeVolume(volume, { segments: SEGMENTS, keys: KEYS });
    figures.load = `writeVolume: ${written.segments} segments, ${(written.bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    started = performance.now();
    kv = await startKvstore({ volume, binary });
    figures.open_ms = performance.now() - started;
  }
  const serverStats = await (await fetch(`${kv.url}stats`)).json();
  if (serverStats.corrupt_ranges !== 0 || serverStats.keys !== KEYS) {
    throw new Error(`the server sees ${serverStats.keys} keys and ${serverStats.corrupt_ranges} corrupt ranges`);
  }
  figures.keys = serverStats.keys;
  figures.segments = serverStats.segments;
  figures.bytes = serverStats.total_bytes;
  started = performance.now();
  const summaryText = await (await fetch(`${kv.url}segments?summary=true`)).text();
  figures.summary_bytes = summaryText.length;
  figures.summary_ms = performance.now() - started;

  // ---- the page ------------------------------------------------------------
  browser = await launch({ width: 1440, height: 1000 });
  const { page } = browser;
  // Frame times: from a timing entry's end to the next animation frame
  // after it (style, layout and paint of what the handler changed). On
  // every page load, before the page's own scripts.
  await page.addInitScript(() => {
    window.tabFrames = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (!entry.name.startsWith('server-tab:')) continue;
        const end = entry.startTime + entry.duration;
        requestAnimationFrame(() =>
          setTimeout(() => window.tabFrames.push({ name: entry.name, duration: entry.duration, toFrame: performance.now() - end })),
        );
      }
    }).observe({ type: 'measure' });
    window.clickTimes = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.name === 'click') window.clickTimes.push(entry.duration);
      }
    }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  });
  const frames = async (name) =>
    (await page.evaluate(() => window.tabFrames.splice(0))).filter((f) => f.name === name);

  const firstDraw = [];
  const firstHandler = [];
  const firstToFrame = [];
  // A fresh page each time, opened at the tab's address: the first
  // `segments` event draws every strip.
  for (let run = 0; run < RUNS; run += 1) {
    await page.goto(`${kv.url}?run=${run}#server`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('#server-strips > [data-segment]').length === n,
      figures.segments,
      { timeout: 60_000 },
    );
    await page.waitForFunction(() => window.tabFrames.some((f) => f.name === 'server-tab: first draw'));
    const seen = await page.evaluate(() => window.tabFrames.splice(0));
    const first = seen.find((f) => f.name === 'server-tab: first draw');
    const handler = seen.find((f) => f.name === 'server-tab: segments');
    firstDraw.push(first.duration);
    firstToFrame.push(first.toFrame);
    firstHandler.push(handler.duration);
    if (run === 0) {
      figures.strip_elements = await page.$$eval('#server-strips *', (all) => all.length);
      figures.dom_elements = await page.$$eval('*', (all) => all.length);
    }
    await sleep(300);
  }

  // Redraws: one write at a time, each answered by a stats and a segments
  // event; the active segment's strip is the one that changes.
  await frames('server-tab: segments');
  const redraws = [];
  const redrawToFrame = [];
  for (let i = 0; i < WRITES; i += 1) {
    await fetch(`${kv.url}blobs/measure:${i}`, { method: 'PUT', body: `value ${i}` });
    await sleep(450);
    for (const f of await frames('server-tab: segments')) {
      redraws.push(f.duration);
      redrawToFrame.push(f.toFrame);
    }
  }
  const statsHandler = [];
  // (stats entries were taken by frames() above; count them from the buffer)
  statsHandler.push(
    ...(await page.evaluate(() =>
      performance.getEntriesByName('server-tab: stats').map((e) => e.duration),
    )),
  );

  // Drill-down: clicks on strips along the list, and Next page.
  const ids = await page.$$eval('#server-strips > [data-segment]', (all) => all.map((s) => Number(s.dataset.segment)));
  const picks = Array.from({ length: CLICKS }, (_, i) => ids[Math.floor(((i + 0.5) * ids.length) / CLICKS)]);
  const clickToFrame = [];
  const clickToRecords = [];
  const nextToRecords = [];
  await page.evaluate(() => {
    window.clickTimes.length = 0;
    // Our own measure of the same thing, in case a click is under Event
    // Timing's 16 ms floor: from the input event to the frame after it.
    window.ownClicks = [];
    document.querySelector('#server-strips').addEventListener(
      'click',
      (event) => {
        const t0 = event.timeStamp;
        requestAnimationFrame(() => setTimeout(() => window.ownClicks.push(performance.now() - t0)));
      },
      { capture: true },
    );
  });
  for (const id of picks) {
    const strip = `#server-strips [data-segment="${id}"]`;
    await page.locator(strip).scrollIntoViewIfNeeded();
    await sleep(100);
    await page.click(strip);
    await page.waitForSelector(`#server-records-body [data-records-segment="${id}"][data-page="1"]`);
    await sleep(150);
    const records = await frames('server-tab: records');
    clickToRecords.push(...records.map((f) => f.duration));
    if (!(await page.isDisabled('#server-next-page'))) {
      await page.click('#server-next-page');
      await page.waitForSelector(`#server-records-body [data-records-segment="${id}"][data-page="2"]`);
      await sleep(150);
      nextToRecords.push(...(await frames('server-tab: records')).map((f) => f.duration));
    }
  }
  clickToFrame.push(...(await page.evaluate(() => window.ownClicks)));
  const eventTiming = await page.evaluate(() => window.clickTimes);
  if (browser.errors.length > 0) throw new Error(`the page complained: ${browser.errors.join('\n')}`);

  // ---- the report ------------------------------------------------------------
  const chromium = browser.context.browser()?.version() ?? 'Chromium';
  const lines = [
    `Store: ${figures.keys.toLocaleString('en')} keys in ${figures.segments.toLocaleString('en')} segments, ${(figures.bytes / 2 ** 20).toFixed(1)} MiB (${figures.load}); kvstore ${options.pipe ? 'started on the empty volume' : 'opened it'} in ${(figures.open_ms / 1000).toFixed(1)} s (${binary.replace(`${ROOT}/`, '')}).`,
    `A segments event: ${(figures.summary_bytes / 1024).toFixed(0)} KiB of JSON (GET /segments?summary=true took ${figures.summary_ms.toFixed(0)} ms from Node).`,
    `Strips: ${figures.strip_elements} elements for ${figures.segments} segments; ${figures.dom_elements} elements on the page.`,
    `Browser: headless Chromium ${chromium}, ${process.platform}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before the run.`,
    '',
    '| what | n | median | p95 | max |',
    '|---|---|---|---|---|',
    row('first draw: EventSource opened → every strip drawn', firstDraw),
    row('  of which the first `segments` handler (parse + insert all strips)', firstHandler),
    row('  then → next frame (style, layout, paint)', firstToFrame),
    row('redraw on a `segments` event (parse + diff + update)', redraws),
    row('  then → next frame', redrawToFrame),
    row('`stats` event handler', statsHandler),
    row('drill-down click → next frame (input latency)', clickToFrame),
    row('drill-down click → first records page drawn (fetch included)', clickToRecords),
    row('Next page → records drawn (fetch included)', nextToRecords),
    '',
    `Event Timing: ${eventTiming.length} of ${picks.length + nextToRecords.length} clicks reached its 16 ms reporting floor${eventTiming.length ? ` (durations ${eventTiming.map((d) => `${d} ms`).join(', ')})` : ''}.`,
  ];
  console.log(lines.join('\n'));
} finally {
  await browser?.close();
  await kv?.close();
  await rm(volume, { recursive: true, force: true });
}
