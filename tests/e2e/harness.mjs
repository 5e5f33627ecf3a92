// Test harness for the playground's end-to-end suite: a tiny static server
// for dist/ (so most of the suite does not depend on the REST server), a
// real `kvstore` serving dist/ for the Server tab (`startKvstore`), a
// writer of volumes in the engine's on-disk format (`writeVolume`), a headless
// Chromium with a fresh profile (so IndexedDB starts empty), and helpers that
// drive the page through its stable hooks (see index.html).
//
// Chromium is the system one (/usr/bin/chromium, from Debian); playwright-core
// never downloads a browser.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, stat as fileStat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// E2E_DIST serves another build (a second checkout building at the same time).
export const DIST = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(ROOT, 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Serves dist/ on a free loopback port; resolves to { url, close }. */
export async function serveDist() {
  try {
    await fileStat(join(DIST, 'index.html'));
  } catch {
    throw new Error(`${DIST}/index.html is missing: run \`trunk build --release\` at the repository root first`);
  }
  const server = createServer(async (request, response) => {
    try {
      const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
      const file = normalize(join(DIST, path.endsWith('/') ? `${path}index.html` : path));
      if (file !== DIST && !file.startsWith(DIST + sep)) {
        response.writeHead(403).end();
        return;
      }
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ready);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((done) => server.close(done)),
  };
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a fresh profile; resolves to { context, page, close }. */
export async function launch({ width = 1440, height = 1000 } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'kvstore-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width, height },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the playground and waits until the store is loaded. */
export async function open(page, url) {
  await page.goto(url);
  await ready(page);
}

export async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.waitForSelector('body:not([data-busy])');
}

/** Runs one console line through the input and the Run button. */
export async function run(page, line) {
  await page.fill('#command', line);
  await page.click('#run');
}

/** A number from the stats panel. */
export async function stat(page, name) {
  const text = await page.textContent(`#stats [data-stat="${name}"]`);
  return Number(text);
}

/** Waits until the stat satisfies `predicate` (a JS expression of `v`). */
export async function waitForStat(page, name, predicate, timeout = 10_000) {
  await page.waitForFunction(
    ([name, predicate]) => {
      const cell = document.querySelector(`#stats [data-stat="${name}"]`);
      const v = Number(cell?.textContent);
      return Function('v', `return (${predicate});`)(v);
    },
    [name, predicate],
    { timeout },
  );
}

/** Waits until every byte is in IndexedDB. */
export async function flushed(page) {
  await waitForStat(page, 'unflushed_bytes', 'v === 0');
}

/** `[state, ...]` of the map's records for `key`, in segment/offset order. */
export async function statesOf(page, key) {
  return page.$$eval(
    `#map-strips [data-record][data-key="${key}"]`,
    (cells) => cells.map((cell) => cell.dataset.state),
  );
}

/** The text of the console log. */
export async function output(page) {
  return page.textContent('#output');
}

/** The address's `#…` part (`''` when there is none). */
export function hashOf(page) {
  return new URL(page.url()).hash;
}

/**
 * Waits until the Learn panel shows step `step` of lesson `lesson` ready for
 * the learner (its actions have run: reading, or asking a question);
 * resolves to the phase.
 */
export async function learnStep(page, lesson, step, timeout = 20_000) {
  const panel = `#learn-panel[data-lesson="${lesson}"][data-step="${step}"]`;
  await page.waitForSelector(`${panel}[data-phase="reading"], ${panel}[data-phase="asking"]`, { timeout });
  return page.getAttribute('#learn-panel', 'data-phase');
}

// ---- a real kvstore --------------------------------------------------------

// The binary `cargo xtask ci` builds before the e2e step (`cargo build
// --workspace`), in CARGO_TARGET_DIR when that is set, as cargo does;
// KVSTORE_BIN picks another (a release build, say).
export const KVSTORE = process.env.KVSTORE_BIN
  ? resolve(process.env.KVSTORE_BIN)
  : join(resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target'), 'debug', 'kvstore');

// Every kvstore started here, so none outlives the test run.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts `kvstore` on a free loopback port, serving dist/ at `/` beside the
 * REST API, over `volume` (a fresh temporary directory unless given, which
 * `prepare(dir)` may fill first and close() removes again).
 * `--compaction manual` unless `compaction` says otherwise, so merges happen
 * only when a test asks. Resolves to { url, volume, stdout, stderr, close };
 * close() stops it (SIGTERM, then SIGKILL) and is safe to call twice.
 */
export async function startKvstore({ volume, prepare, compaction = 'manual', args = [], binary = KVSTORE } = {}) {
  try {
    await fileStat(binary);
  } catch {
    throw new Error(`${binary} is missing: build it first (\`cargo build -p kvstore\`)`);
  }
  await fileStat(join(DIST, 'index.html')).catch(() => {
    throw new Error(`${DIST}/index.html is missing: run \`trunk build --release --offline\` first`);
  });
  const owned = volume === undefined;
  const dir = volume ?? (await mkdtemp(join(tmpdir(), 'kvstore-e2e-volume-')));
  if (prepare) await prepare(dir);
  const child = spawn(
    binary,
    ['--compaction', compaction, '--volume', dir, '--id', 'e2e', '--port', '0', '--playground', DIST, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  children.add(child);
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  exited.then(() => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`kvstore did not start within 60 s:\n${stderr}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        ready(`${found[1].replace(/\/$/, '')}/`);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`kvstore exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  return {
    url,
    volume: dir,
    stdout: () => stdout,
    stderr: () => stderr,
    close: async () => {
      if (children.has(child)) {
        child.kill('SIGTERM');
        const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(late);
      }
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---- volumes in the on-disk format -----------------------------------------

// docs/FORMAT.md, version 2. Little-endian integers, CRC32 (IEEE).
const MAGIC = Buffer.from([0x4d, 0x4b, 0x56, 0x53, 0x45, 0x47, 0x0d, 0x0a]);
const PUT = 1;
const TOMBSTONE = 2;
const SEAL = 3;
const EXPIRING_PUT = 5;

function segmentHeader() {
  const header = Buffer.alloc(16);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(2, 8); // version
  header.writeUInt8(1, 10); // a log segment
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return header;
}

function record(kind, seq, key, value) {
  const keyBytes = Buffer.from(key);
  const out = Buffer.alloc(21 + keyBytes.length + value.length);
  out.writeUInt8(kind, 4);
  out.writeBigUInt64LE(BigInt(seq), 5);
  out.writeUInt32LE(keyBytes.length, 13);
  out.writeUInt32LE(value.length, 17);
  keyBytes.copy(out, 21);
  value.copy(out, 21 + keyBytes.length);
  out.writeUInt32LE(crc32(out.subarray(4)), 0);
  return out;
}

/** A small seeded generator (mulberry32), so a volume is the same every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a store of `keys` live keys in `segments` log segments into `dir`,
 * in the engine's on-disk format (docs/FORMAT.md): every segment but the
 * last sealed, the last one unsealed (the store appends to it). Besides the
 * new keys, each segment overwrites some keys of earlier segments, writes
 * and deletes some temporary keys (overwritten puts and tombstones) and
 * writes some puts whose time to live ran out an hour ago (expired), more
 * in some segments than in others, so the strips differ. `kvstore` has no
 * segment-size flag (its segments are 16 MiB), which is why a store of
 * many small segments is written here rather than through the server; the
 * real server then opens it, and recovery checks every CRC.
 * Resolves to { keys, segments, bytes }.
 */
export async function writeVolume(dir, { segments, keys, valueBytes = 16, seed = 7, dead = 0.15 }) {
  await mkdir(dir, { recursive: true });
  const next = random(seed);
  const perSegment = Math.ceil(keys / segments);
  const value = (seq) => Buffer.from(`v${seq}`.padEnd(valueBytes, '.'));
  const expired = Buffer.alloc(8);
  expired.writeBigUInt64LE(BigInt(Date.now() - 3_600_000));
  let seq = 1;
  let bytes = 0;
  for (let s = 0; s < segments; s += 1) {
    const parts = [segmentHeader()];
    const first = s * perSegment;
    const last = Math.min(keys, first + perSegment);
    // How dead this segment's neighbours make earlier ones: 0 to 2 × `dead`.
    const share = dead * 2 * next();
    const overwrites = s === 0 ? 0 : Math.round((last - first) * share);
    const temporary = Math.round((last - first) * share * 0.3);
    const expiring = Math.round((last - first) * share * 0.2);
    for (let k = first; k < last; k += 1) {
      parts.push(record(PUT, seq, `key:${String(k).padStart(7, '0')}`, value(seq)));
      seq += 1;
    }
    for (let i = 0; i < overwrites; i += 1) {
      const k = Math.floor(next() * first);
      parts.push(record(PUT, seq, `key:${String(k).padStart(7, '0')}`, value(seq)));
      seq += 1;
    }
    for (let i = 0; i < temporary; i += 1) {
      parts.push(record(PUT, seq, `tmp:${s}:${i}`, value(seq)));
      seq += 1;
    }
    for (let i = 0; i < temporary; i += 1) {
      parts.push(record(TOMBSTONE, seq, `tmp:${s}:${i}`, Buffer.alloc(0)));
      seq += 1;
    }
    for (let i = 0; i < expiring; i += 1) {
      parts.push(record(EXPIRING_PUT, seq, `ttl:${s}:${i}`, Buffer.concat([expired, value(seq)])));
      seq += 1;
    }
    if (s < segments - 1) {
      const nextSeq = Buffer.alloc(8);
      nextSeq.writeBigUInt64LE(BigInt(seq));
      parts.push(record(SEAL, 0, '', nextSeq));
    }
    const file = Buffer.concat(parts);
    bytes += file.length;
    await writeFile(join(dir, `segment-${String(s + 1).padStart(8, '0')}.dat`), file);
  }
  return { keys, segments, bytes };
}
