// reload.test.mjs: `make serve`'s live preview, in a real headless browser.
//
// Usage: node tests/browser/reload.test.mjs   (make test-browser; needs a
// built build/html).  Works on a scratch copy of the sources and of
// build/book, build/html and build/figures (removed at the end), so the
// chapters of this checkout are never touched.  There it starts
// `server.mjs --watch`, opens the pipe chapter and checks, RUNS times, that
// saving an edited chapter reloads the page with the edit in it: the time
// from the write to the reloaded page's load event is printed, and must stay
// under RELOAD_LIMIT_MS (default 10000: this test also runs on a busy CI
// machine, where one `make html` took 3.9 s at a load of 13 on 2 CPUs; the
// goal, and what a quiet machine gives, is under 2 s: about 1 s here).  Then a broken link: the
// page shows make's error with the chapter's FILE:LINE, and keeps its text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, cp, rm, readFile, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LIMIT = Number(process.env.RELOAD_LIMIT_MS || 10000);
const RUNS = Number(process.env.RELOAD_RUNS || 3);
const REPO = resolve('.');
const CHAPTER = 'chapters/02-pipe.md';
const PAGE = '02-pipe.html';

let scratch, server, browser, base;

before(async () => {
  await access(join(REPO, 'build/html', PAGE)).catch(() => {
    throw new Error(`build/html/${PAGE} is missing: run make html first`);
  });
  scratch = await mkdtemp(join(tmpdir(), 'book-reload-'));
  for (const d of ['Makefile', 'mk', 'book', 'chapters', 'figures', 'tests/book',
                   'build/book', 'build/html', 'build/figures']) {
    await cp(join(REPO, d), join(scratch, d), { recursive: true, preserveTimestamps: true });
  }
  // what `make serve` does before it serves: the pages are up to date
  const warm = spawn('make', ['--no-print-directory', '-s', 'html'], { cwd: scratch, stdio: 'inherit' });
  const code = await new Promise((ok) => warm.on('exit', ok));
  if (code !== 0) throw new Error(`make html in ${scratch} failed (${code})`);
  server = spawn(process.execPath, [join(REPO, 'tests/browser/server.mjs'), '--watch', 'build/html', '0'],
    // no search index in the copy: `make site` there would need (and could
    // reinstall) node_modules
    { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SERVE_SEARCH: '0' } });
  server.stderr.on('data', (d) => process.stdout.write(`# server: ${d}`));
  base = await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`server.mjs --watch exited (${code}): ${out}`)));
  });
  server.stdout.on('data', (d) => String(d).split('\n').filter(Boolean)
    .forEach((l) => console.log(`# ${l}`)));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-dev-shm-usage',
      '--no-first-run', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((ok) => server.once('exit', ok));
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

// Append TEXT to the chapter, the way an editor saves: a new file renamed over.
async function save(text) {
  const path = join(scratch, CHAPTER);
  const tmp = path + '.new';
  await writeFile(tmp, text);
  await cp(tmp, path);
  await rm(tmp);
}

test('a saved chapter is rebuilt and its open page reloads', async () => {
  const page = await browser.newPage();
  const connected = () => page.waitForFunction(() => window.liveReload?.readyState === 1);
  await page.goto(base + PAGE);
  await connected();
  const original = await readFile(join(scratch, CHAPTER), 'utf8');
  const times = [];
  for (let i = 1; i <= RUNS; i++) {
    const marker = `实时预览第${i}次-${Date.now()}`;
    const loaded = page.waitForEvent('load', { timeout: 30000 });
    const t0 = performance.now();
    await save(`${original}\n${marker}\n`);
    await loaded;
    const ms = performance.now() - t0;
    assert.ok((await page.textContent('#content')).includes(marker), `run ${i}: the reloaded page lacks the edit`);
    await connected();
    times.push(ms);
    console.log(`# run ${i}: save -> reloaded page in ${ms.toFixed(0)} ms`);
  }
  times.sort((a, b) => a - b);
  console.log(`# save -> reloaded page: median ${times[times.length >> 1].toFixed(0)} ms, ` +
    `max ${times[times.length - 1].toFixed(0)} ms over ${RUNS} runs (limit ${LIMIT} ms)`);
  assert.ok(times[times.length - 1] < LIMIT, `reload took ${times[times.length - 1].toFixed(0)} ms`);

  // a mistake: the page keeps its text and shows make's message
  await save(`${original}\n[坏链接](02-pipe.md#sec:no-such-section)\n`);
  const bar = page.locator('#live-errors');
  await bar.waitFor({ timeout: 30000 });
  const msg = await bar.textContent();
  assert.match(msg, /chapters\/02-pipe\.md:\d+: error: link to 02-pipe\.md#sec:no-such-section/);
  console.log(`# error bar: ${msg.split('\n').find((l) => l.includes('error:'))}`);
  // fixed again: the bar goes, the page reloads
  const loaded = page.waitForEvent('load', { timeout: 30000 });
  await save(original);
  await loaded;
  assert.equal(await page.locator('#live-errors').count(), 0);
  await page.close();
});
