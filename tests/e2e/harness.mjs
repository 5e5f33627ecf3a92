// Test harness for the playground's end-to-end suite: a tiny static server
// for dist/ (so the suite does not depend on the REST server), a headless
// Chromium with a fresh profile (so IndexedDB starts empty), and helpers that
// drive the page through its stable hooks (see index.html).
//
// Chromium is the system one (/usr/bin/chromium, from Debian); playwright-core
// never downloads a browser.

import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, stat as fileStat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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
