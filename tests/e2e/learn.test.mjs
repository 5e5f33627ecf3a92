// End-to-end tests of the Learn panel (dist/, built by `trunk build
// --release`) in headless Chromium: every lesson walked to its end through
// the panel's own buttons, with predictions answered on the map and in the
// panel (once right, once wrong, on purpose), the address following every
// step, progress surviving a reload, and the learner's own keys back after
// leaving. Saves docs/learn-step.png.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  ROOT,
  flushed,
  hashOf,
  launch,
  learnStep,
  open,
  output,
  ready,
  run,
  serveDist,
} from './harness.mjs';

/** Steps per lesson, as the lesson list and the step list show them. */
const STEPS = [4, 4, 4, 4, 5, 4, 5, 4];

let server;

before(async () => {
  server = await serveDist();
});

after(async () => {
  await server?.close();
});

/** The keys in the index panel. */
async function indexKeys(page) {
  return page.$$eval('#index [data-index-key]', (rows) => rows.map((row) => row.dataset.indexKey));
}

/**
 * Answers the question on show. Lesson 2 step 2 is answered wrong on
 * purpose (the overwritten record, on the map), lesson 5 step 2 and lesson
 * 1 step 3 right (the live records, on the map; four records); the others
 * with the first answer offered, right or not. Resolves to the verdict.
 */
async function answer(page, lesson, step) {
  if (lesson === 2 && step === 2) {
    await page.click('#map-strips [data-record][data-key="city"][data-state="overwritten"]');
    assert.equal(await page.$$eval('#map-strips .learn-pick', (c) => c.length), 1, 'the pick is marked on the map');
    assert.equal(await page.getAttribute('[data-learn="pick"][aria-pressed="true"]', 'data-arg') !== null, true);
    await page.click('[data-learn="check"]');
  } else if (lesson === 5 && step === 2) {
    for (const cell of await page.$$('#map-strips [data-record][data-state="live"]')) {
      await cell.click();
    }
    await page.click('[data-learn="check"]');
  } else if (lesson === 1 && step === 3) {
    await page.click('[data-learn="count"][data-arg="4"]');
  } else if (await page.$('[data-learn="pick"]')) {
    await page.click('[data-learn="pick"]');
    await page.click('[data-learn="check"]');
  } else if (await page.$('[data-learn="pick-segment"]')) {
    await page.click('[data-learn="pick-segment"]');
    await page.click('[data-learn="check"]');
  } else if (await page.$('[data-learn="choose"]')) {
    await page.click('[data-learn="choose"]');
  } else {
    await page.click('[data-learn="count"]');
  }
  await page.waitForSelector(
    `#learn-panel[data-lesson="${lesson}"][data-step="${step}"][data-phase="answered"]`,
    { timeout: 15_000 },
  );
  return page.getAttribute('.learn-verdict', 'data-verdict');
}

describe('the Learn panel', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch();
    page = browser.page;
    await open(page, server.url);
    await run(page, 'set mine "my own value"');
    await flushed(page);
  });

  after(async () => {
    await browser?.close();
  });

  test('the lesson list opens from the header; lesson 1 is where to start', async () => {
    await page.click('#learn-open');
    await page.waitForSelector('#learn-panel[data-phase="menu"]');
    assert.equal(hashOf(page), '#learn');
    const lessons = await page.$$eval('#learn-panel [data-lesson-item]', (items) => items.length);
    assert.equal(lessons, STEPS.length);
    assert.match(await page.textContent('[data-lesson-item="1"]'), /start here/);
    assert.deepEqual(await indexKeys(page), ['mine'], 'the lesson list keeps your own store on show');
  });

  test('every lesson walks to its end, the address following each step', async () => {
    const verdicts = {};
    for (let lesson = 1; lesson <= STEPS.length; lesson += 1) {
      await page.click(`#learn-panel a[href="#learn/${lesson}/1"]`);
      for (let step = 1; step <= STEPS[lesson - 1]; step += 1) {
        const phase = await learnStep(page, lesson, step);
        assert.equal(hashOf(page), `#learn/${lesson}/${step}`);
        assert.ok(
          (await page.$$('.learn-highlight')).length > 0,
          `lesson ${lesson} step ${step} points at something`,
        );
        if (phase === 'asking') {
          assert.equal(await page.$('[data-learn="next"][disabled]') !== null, true, 'predict before going on');
          verdicts[`${lesson}/${step}`] = await answer(page, lesson, step);
        }
        if (lesson === 2 && step === 2) {
          // The answer's reveal draws the index → record link.
          await page.waitForSelector('#learn-arrow svg path[marker-end]');
          assert.equal((await page.$$('#index .learn-highlight[data-index-key="city"]')).length, 1);
          assert.equal((await page.$$('#map-strips .learn-missed[data-state="live"]')).length, 1);
          assert.equal((await page.$$('#map-strips .learn-wrong[data-state="overwritten"]')).length, 1);
        }
        if (lesson === 5 && step === 2) {
          assert.ok((await page.$$('#map-strips .learn-right.survives')).length >= 4, 'the plan confirms the picks');
        }
        await page.click('[data-learn="next"]');
      }
      // Finishing a lesson: back to the list, the lesson done.
      await page.waitForSelector('#learn-panel[data-phase="menu"]');
      assert.equal(hashOf(page), '#learn');
      assert.match(await page.textContent(`[data-lesson-item="${lesson}"]`), /✓ done/);
    }
    assert.equal(verdicts['2/2'], 'wrong', 'the overwritten record is not what get reads');
    assert.equal(verdicts['5/2'], 'right', 'compaction keeps the live records');
    assert.equal(verdicts['1/3'], 'right');
    assert.equal(Object.keys(verdicts).length, 13, 'every question was asked');
    const log = await output(page);
    assert.match(log, /> set fruit banana/, 'lessons run their commands through the console');
    assert.match(log, /Torn tail|truncated|Recovery/);
    assert.deepEqual(await indexKeys(page), ['mine'], 'the lesson list shows your own store again');
  });

  test('a reload keeps progress and the step on show', async () => {
    await page.goto(`${server.url}#learn/6/3`);
    await ready(page);
    await learnStep(page, 6, 3);
    // Opening step 3 directly replayed steps 1 and 2 on a fresh store.
    assert.match(await output(page), /Replaying steps 1–2 to get to step 3/);
    assert.ok((await page.$$('#map-strips [data-key="ghost"][data-state="tombstone"]')).length === 1);
    assert.equal(
      await page.$$eval('.learn-steps li.done', (items) => items.length),
      3,
      'the other steps of lesson 6 are marked done',
    );
    await page.reload();
    await ready(page);
    await learnStep(page, 6, 3);
    assert.equal(hashOf(page), '#learn/6/3');
    await page.click('[data-learn="menu"]');
    await page.waitForSelector('#learn-panel[data-phase="menu"]');
    const done = await page.$$eval('#learn-panel li.done[data-lesson-item]', (items) => items.length);
    assert.equal(done, STEPS.length, 'every lesson is still done after the reload');
  });

  test('restart and Back run a lesson afresh', async () => {
    await page.click('#learn-panel a[href="#learn/3/1"]');
    await learnStep(page, 3, 1);
    await page.click('[data-learn="next"]');
    await learnStep(page, 3, 2);
    await page.click('[data-learn="back"]');
    await learnStep(page, 3, 1);
    assert.equal(hashOf(page), '#learn/3/1');
    assert.deepEqual(
      await page.$$eval('#map-strips [data-key="color"]', (cells) => cells.map((c) => c.dataset.state)),
      ['overwritten', 'overwritten', 'live'],
      'step 1 again, on a fresh store: no tombstone yet',
    );
    await run(page, 'set scribble 1');
    await page.click('[data-learn="restart"]');
    await page.waitForFunction(() => !document.querySelector('#index [data-index-key="scribble"]'));
    await learnStep(page, 3, 1);
  });

  test('Esc leaves the lesson and the learner’s own keys come back', async () => {
    await page.keyboard.press('Escape');
    await page.waitForSelector('#learn-panel[data-phase="closed"]', { state: 'attached' });
    await ready(page);
    assert.equal(hashOf(page), '');
    assert.equal(await page.$('#learn-panel:not([hidden])'), null);
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'learn-open',
      'focus goes back to the link that opens the panel',
    );
    assert.deepEqual(await indexKeys(page), ['mine']);
    await run(page, 'get mine');
    assert.match(await output(page), /my own value\s*$/);
  });

  test('the page reported no script errors', () => {
    assert.deepEqual(browser.errors, []);
  });
});

describe('the Learn panel on a phone', () => {
  test('360 px wide, driven by the keyboard', async () => {
    const browser = await launch({ width: 360, height: 740 });
    try {
      const { page } = browser;
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.goto(`${server.url}#learn/1/1`);
      await ready(page);
      await learnStep(page, 1, 1);
      const box = await page.$eval('#learn-panel', (panel) => {
        const r = panel.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width };
      });
      assert.ok(box.left >= 0 && box.right <= 360, `the panel fits: ${JSON.stringify(box)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(overflow <= 362, `no sideways scrolling: ${overflow}px`);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'learn-step-title');
      for (let i = 0; i < 12; i += 1) {
        if (await page.evaluate(() => document.activeElement?.dataset?.learn === 'next')) break;
        await page.keyboard.press('Tab');
      }
      await page.keyboard.press('Enter');
      await learnStep(page, 1, 2);
      assert.equal(hashOf(page), '#learn/1/2');
      assert.equal(
        await page.$eval('.learn-highlight', (e) => getComputedStyle(e).animationName),
        'none',
        'no animation when the learner asks for reduced motion',
      );
      await page.keyboard.press('Escape');
      await page.waitForSelector('#learn-panel[data-phase="closed"]', { state: 'attached' });
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('the screenshot', () => {
  test('docs/learn-step.png: lesson 2, a prediction answered', async () => {
    // Tall enough for the index row and the record the arrow joins.
    const browser = await launch({ width: 1440, height: 1400 });
    try {
      const { page } = browser;
      // No smooth scrolling to wait for before the picture.
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.goto(`${server.url}#learn/2/2`);
      await ready(page);
      await learnStep(page, 2, 2);
      await page.click('#map-strips [data-record][data-key="city"][data-state="overwritten"]');
      await page.click('[data-learn="check"]');
      await page.waitForSelector('#learn-panel[data-phase="answered"]');
      await page.waitForSelector('#learn-arrow svg path[marker-end]');
      await page.evaluate(() => window.scrollTo(0, 0));
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'learn-step.png') });
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});
