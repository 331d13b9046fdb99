// site.test.mjs: the HTML book in a real headless browser (Debian's chromium,
// driven by playwright-core; no browser is ever downloaded).
//
// Usage: node tests/browser/site.test.mjs   (make test-browser builds the
// site first).  Serves build/html on a free localhost port, then checks:
//   - every page loads with no console error, failed request, request that
//     leaves localhost, broken link or anchor, missing image or empty alt;
//   - lang="zh-CN", the CJK font stack, copy buttons and heading anchors;
//   - search ranking, on a fixture site built here (fixed pages, so no
//     chapter's wording can change the answer): the page with more hits
//     first, whole words above prefixes, navigation not indexed, code names;
//   - search in the book: 管道 and SCM_RIGHTS find every page containing them;
//   - the theme follows prefers-color-scheme, and the toggle changes the
//     theme and persists across a reload and to other pages;
//   - the copy button puts the code on the clipboard;
//   - the sidebar is a collapsed drawer at phone width, opens and closes;
//   - the print view hides the navigation;
//   - (issue 12, a test each) axe-core finds no serious or critical
//     violation on any page, light and dark, desktop and phone; the skip
//     link, s and / for search, arrow keys through the results; a word the
//     segmenter splits (套接字) finds its chapter first, excerpts are prose,
//     the phone search box shows the query; a file block's copy button
//     copies the whole tangled file, references show listing numbers; the
//     appendices are lettered and grouped, each chapter points to its own,
//     edit link, PDF/EPUB links, print.html, the front page's next link;
//     figures open full size and wide tables say so on a phone; printing
//     from the dark theme gives white pages.
// Screenshots go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, mkdir, access, mkdtemp, cp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';
import { axeViolations, AXE_MODES } from './axe.mjs';

const SITE = process.env.SITE_DIR || 'build/html';
const SHOTS = process.env.SCREENSHOT_DIR || 'build/screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server, browser, base, pages, chapter;
const pageInfo = new Map(); // page -> { ids: Set, text: string }

before(async () => {
  await access(join(SITE, 'index.html')).catch(() => {
    throw new Error(`${SITE}/index.html is missing: build the site first (make site)`);
  });
  pages = (await readdir(SITE)).filter((f) => f.endsWith('.html')).sort();
  // the chapter used for screenshots and the per-feature checks
  chapter = pages.find((p) => /^02-pipe\.html$/.test(p)) ||
            pages.find((p) => p !== 'index.html') || 'index.html';
  server = await serve(SITE, 0);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // --disable-dev-shm-usage: Docker (CI) gives /dev/shm only 64 MB
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SHOTS, { recursive: true });
  console.log(`# serving ${SITE} at ${base}; ${pages.length} pages; chapter: ${chapter}`);
});

after(async () => {
  await browser?.close();
  server?.close();
});

// A browser context that records every problem a reader could meet.
async function newContext(options = {}) {
  const ctx = await browser.newContext({ viewport: DESKTOP, colorScheme: 'light', ...options });
  const problems = [];
  // works offline: anything that would leave this machine is an error
  await ctx.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' ||
        (url.hostname === '127.0.0.1' && url.port === String(server.address().port))) {
      return route.continue();
    }
    problems.push(`request leaves localhost: ${url.href}`);
    return route.abort();
  });
  ctx.on('page', (page) => watch(page, problems));
  return { ctx, problems };
}

function watch(page, problems) {
  const where = () => page.url().replace(base, '');
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${where()}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${where()}: uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() === 'document') return;
    problems.push(`${where()}: request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${where()}: HTTP ${r.status()}: ${r.url()}`);
  });
}

function noProblems(problems) {
  const unique = [...new Set(problems)];
  assert.ok(unique.length === 0, `${unique.length} problem(s):\n  ${unique.join('\n  ')}`);
}

// Wait until site.js has run and Pagefind's UI is on the page.
async function ready(page) {
  await page.waitForSelector('#search input', { timeout: 15000 });
  await page.waitForLoadState('networkidle');
}

test('every page loads cleanly, and every link, anchor and image resolves', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  const links = []; // { from, url }
  for (const p of pages) {
    await page.goto(base + p);
    await ready(page);
    const info = await page.evaluate(() => {
      const ids = [...document.querySelectorAll('[id], a[name]')].map((e) => e.id || e.name);
      const imgs = [...document.querySelectorAll('img')].map((i) => ({
        src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
        alt: (i.getAttribute('alt') || '').trim(),
      }));
      // the text a reader searches: the chapter without its navigation
      const main = document.querySelector('main')?.cloneNode(true);
      main?.querySelectorAll('nav, #book-toc').forEach((n) => n.remove());
      return {
        lang: document.documentElement.lang,
        font: getComputedStyle(document.body).fontFamily,
        ids, imgs,
        hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.href),
        text: main ? main.textContent : '',
        pres: document.querySelectorAll('#content pre').length,
        copyButtons: document.querySelectorAll('#content .copy-button').length,
        headings: document.querySelectorAll('#content :is(h2,h3)[id]').length,
        anchors: document.querySelectorAll('#content :is(h2,h3)[id] > .anchorjs-link').length,
        sidebar: !!document.querySelector('nav#sidebar a'),
        title: document.title,
      };
    });
    pageInfo.set(p, { ids: new Set(info.ids), text: info.text, pres: info.pres });
    assert.equal(info.lang, 'zh-CN', `${p}: <html lang>`);
    assert.match(info.font, /Noto Sans CJK SC/, `${p}: site.css font stack not applied`);
    assert.ok(info.title.trim(), `${p}: empty <title>`);
    assert.ok(info.sidebar, `${p}: no chapter list in nav#sidebar`);
    assert.equal(info.copyButtons, info.pres, `${p}: code blocks without a copy button`);
    assert.equal(info.anchors, info.headings, `${p}: headings without an anchor link`);
    for (const img of info.imgs) {
      if (!img.ok) problems.push(`${p}: image does not load: ${img.src}`);
      if (!img.alt) problems.push(`${p}: image without alt text: ${img.src}`);
    }
    for (const url of info.hrefs) links.push({ from: p, url });
  }
  // every link inside the site must resolve, and so must its #fragment
  let external = 0;
  const checked = new Map();
  for (const { from, url } of links) {
    const u = new URL(url);
    if (u.protocol === 'mailto:') continue;
    if (!url.startsWith(base)) { external++; continue; }
    const file = decodeURIComponent(u.pathname.slice(1)) || 'index.html';
    if (!checked.has(file)) {
      const r = await fetch(base + encodeURI(file), { method: 'HEAD' });
      checked.set(file, r.status);
    }
    if (checked.get(file) !== 200) {
      problems.push(`${from}: broken link: ${url.replace(base, '')} (HTTP ${checked.get(file)})`);
      continue;
    }
    const frag = decodeURIComponent(u.hash.slice(1));
    if (frag && file.endsWith('.html') && pageInfo.has(file) && !pageInfo.get(file).ids.has(frag)) {
      problems.push(`${from}: broken anchor: ${url.replace(base, '')}`);
    }
  }
  console.log(`# ${pages.length} pages, ${links.length} links (${external} external, not followed), ` +
    `${checked.size} distinct targets`);
  await ctx.close();
  noProblems(problems);
});

// Run a query through Pagefind's JS API in the page; returns the URLs.
async function searchApi(page, query) {
  return page.evaluate(async (q) => {
    const pagefind = await import(new URL('pagefind/pagefind.js', document.baseURI).href);
    const r = await pagefind.search(q);
    const data = await Promise.all(r.results.map((x) => x.data()));
    return data.map((d) => d.url);
  }, query);
}

// ---- search on a fixed fixture site -------------------------------------
// Ranking depends on every word of every page, so it is tested on pages
// that no contributor edits: a tiny site built here with the book's page
// skeleton, the book's site.js and the same Pagefind command and exclusions
// as mk/site.mk (which passes PAGEFIND_EXCLUDE).  The book itself is only
// checked for things whose answer cannot change with its wording.
const PAGEFIND = process.env.PAGEFIND || 'node_modules/.bin/pagefind';
const EXCLUDE = (process.env.PAGEFIND_EXCLUDE || '#sidebar #topbar .page-nav #book-toc')
  .split(/\s+/).filter(Boolean);
const FIXTURE = {
  // the term many times, in the title too: first for 管道
  'pipe.html': ['管道', '<p>管道是内核里的一块缓冲区。写端写入管道的数据从读端读出，管道满时写端阻塞。</p>'],
  // the term once: found, ranked below pipe.html
  'once.html': ['进程', '<p>两个进程可以用管道交换数据，也可以用别的办法。</p>'],
  // 信号量 in full
  'sem.html': ['同步', '<p>写者和读者用信号量同步：信号量是内核维护的一个计数器。</p>'],
  // only 信号 (a prefix of 信号量) and 信号量 only in the navigation
  'signal.html': ['信号', '<p>进程收到信号时，内核中断它正在做的事。</p>'],
  // a name from code
  'code.html': ['描述符', '<p>用 <code>SCM_RIGHTS</code> 传递描述符。</p><pre><code>cmsg->cmsg_type = SCM_RIGHTS;</code></pre>'],
  // none of the terms
  'none.html': ['地址', '<p>套接字的地址是文件系统里的一个路径名。</p>'],
};

function fixturePage(title, body) {
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="site/site.css"><link rel="icon" type="image/svg+xml" href="site/favicon.svg">
<script src="site/early.js"></script>
<script defer src="site/site.js"></script></head>
<body><header id="topbar"><button id="sidebar-toggle" type="button">☰</button>
<div id="search"></div><button id="theme-toggle" type="button">◐</button></header>
<div id="layout"><nav id="sidebar"><ol class="chapter-list"><li><a href="index.html">信号量 管道 SCM_RIGHTS</a></li></ol></nav>
<main id="content"><h1>${title}</h1>${body}</main></div></body></html>
`;
}

async function buildFixtureSite() {
  const dir = await mkdtemp(join(tmpdir(), 'book-search-'));
  await cp(join(SITE, 'site'), join(dir, 'site'), { recursive: true });
  await writeFile(join(dir, 'index.html'), fixturePage('目录',
    '<p>本站只用于测试搜索。</p><div id="book-toc"><a href="sem.html">信号量</a> <a href="pipe.html">管道</a></div>'));
  for (const [name, [title, body]] of Object.entries(FIXTURE)) {
    await writeFile(join(dir, name), fixturePage(title, body));
  }
  const args = ['--site', dir, '--quiet', ...EXCLUDE.flatMap((s) => ['--exclude-selectors', s])];
  const r = spawnSync(PAGEFIND, args, { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${PAGEFIND} ${args.join(' ')}: ${r.error?.message || `exit ${r.status}`}\n${r.stderr}`);
  }
  return dir;
}

test('search ranking on a fixed fixture site (Pagefind, Chinese words)', async () => {
  const dir = await buildFixtureSite();
  const fx = await serve(dir, 0);
  try {
    const fxBase = `http://127.0.0.1:${fx.address().port}/`;
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const problems = [];
    const page = await ctx.newPage();
    watch(page, problems);
    await page.goto(fxBase + 'index.html');
    await ready(page);
    const names = async (q) => (await searchApi(page, q))
      .map((u) => new URL(u, fxBase).pathname.split('/').pop() || 'index.html');

    // more occurrences rank first; a page with none is never found
    const pipe = await names('管道');
    assert.deepEqual(pipe.slice(0, 2), ['pipe.html', 'once.html'], `管道: ${pipe}`);
    // a whole word ranks above a page that has only its prefix (信号);
    // the front page's table of contents (#book-toc) is not indexed, so
    // index.html is not found
    const sem = await names('信号量');
    assert.equal(sem[0], 'sem.html', `信号量: ${sem}`);
    assert.ok(!sem.includes('index.html') && !sem.includes('none.html'), `信号量: ${sem}`);
    // a word in the middle of a Chinese sentence is found (segmentation)
    assert.deepEqual(await names('计数器'), ['sem.html']);
    // an identifier from code, in <code> and in <pre>
    assert.deepEqual(await names('SCM_RIGHTS'), ['code.html']);
    assert.deepEqual(await names('xyzzyplugh'), [], 'a word on no page finds nothing');

    // through the search box, as a reader would, and the highlight
    await page.fill('#search input', '管道');
    await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
    await page.waitForTimeout(400); // let the result list settle
    const shown = await page.$$eval('#search .pagefind-ui__result-link', (as) => as.map((a) => a.href));
    assert.match(new URL(shown[0]).pathname, /\/pipe\.html$/, `first result for 管道: ${shown}`);
    await Promise.all([
      page.waitForURL(/highlight=/),
      page.click('#search .pagefind-ui__result-link >> nth=0'),
    ]);
    await page.waitForSelector('#content mark.search-hit', { timeout: 15000 });
    assert.equal(await page.locator('#content mark.search-hit').first().textContent(), '管道');
    await ctx.close();
    noProblems(problems);
  } finally {
    fx.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('search in the book finds every page that contains a term', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  await page.goto(base + 'index.html');
  await ready(page);

  // through the search box: results appear, and the page a result leads
  // to marks the words
  await page.fill('#search input', '管道');
  await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
  await page.screenshot({ path: join(SHOTS, 'search-desktop.png') });
  await Promise.all([
    page.waitForURL(/highlight=/),
    page.click('#search .pagefind-ui__result-link >> nth=0'),
  ]);
  await page.waitForSelector('#content mark.search-hit', { timeout: 15000 });
  assert.equal(await page.locator('#content mark.search-hit').first().textContent(), '管道');

  // through the API, for terms in Chinese and in code
  for (const q of ['管道', '信号量', 'SCM_RIGHTS']) {
    // (print.html, the whole book on one page, is not indexed)
    const expected = [...pageInfo].filter(([p, i]) => p !== 'print.html' && i.text.includes(q)).map(([p]) => p);
    const found = (await searchApi(page, q))
      .map((u) => new URL(u, base).pathname.split('/').pop() || 'index.html');
    console.log(`# search ${q}: found [${found.join(' ')}]; pages containing it: [${expected.join(' ')}]`);
    assert.ok(expected.length > 0, `no page of the book contains ${q}`);
    const missing = expected.filter((p) => !found.includes(p));
    assert.deepEqual(missing, [], `search ${q}: pages that contain it are not found`);
  }
  await ctx.close();
  noProblems(problems);
});

test('under a sub-path (GitHub Pages project site), search links stay inside it', async () => {
  const sub = await serve(SITE, 0, '127.0.0.1', '/ipc-book/');
  const subBase = `http://127.0.0.1:${sub.address().port}/ipc-book/`;
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const problems = [];
  const page = await ctx.newPage();
  watch(page, problems);
  await page.goto(subBase + chapter);
  await ready(page);
  await page.fill('#search input', '管道');
  await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
  const hrefs = await page.$$eval('#search .pagefind-ui__result-link', (as) => as.map((a) => a.href));
  for (const h of hrefs) assert.ok(h.startsWith(subBase), `result link leaves the sub-path: ${h}`);
  await Promise.all([page.waitForURL(/highlight=/), page.click('#search .pagefind-ui__result-link >> nth=0')]);
  await ready(page);
  await ctx.close();
  sub.close();
  noProblems(problems);
});

test('theme follows the system, and the toggle changes and persists', async () => {
  const bg = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const theme = (page) => page.evaluate(() => document.documentElement.dataset.theme);

  const dark = await newContext({ colorScheme: 'dark' });
  let page = await dark.ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  assert.equal(await theme(page), 'dark', 'a dark system gives the dark theme');
  const darkBg = await bg(page);
  await dark.ctx.close();

  const { ctx, problems } = await newContext({ colorScheme: 'light' });
  page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  assert.equal(await theme(page), 'light');
  const lightBg = await bg(page);
  assert.notEqual(lightBg, darkBg);
  await page.screenshot({ path: join(SHOTS, 'chapter-desktop.png') });

  await page.click('#theme-toggle');
  assert.equal(await theme(page), 'dark', 'toggle switches to dark');
  assert.equal(await bg(page), darkBg);
  await page.reload();
  await ready(page);
  assert.equal(await theme(page), 'dark', 'dark persists across a reload');
  assert.equal(await bg(page), darkBg);
  await page.screenshot({ path: join(SHOTS, 'chapter-desktop-dark.png') });
  await page.goto(base + 'index.html');
  await ready(page);
  assert.equal(await theme(page), 'dark', 'dark persists on another page');
  await page.click('#theme-toggle');
  await page.reload();
  await ready(page);
  assert.equal(await theme(page), 'light', 'light persists after toggling back');
  await page.screenshot({ path: join(SHOTS, 'index-desktop.png') });
  await ctx.close();
  noProblems(problems);
});

test('the copy button puts the code on the clipboard', async () => {
  const { ctx, problems } = await newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const withCode = [chapter, ...pages].find((p) => pageInfo.get(p)?.pres > 0) || chapter;
  await page.goto(base + withCode);
  await ready(page);
  const clipboardAfter = async (button) => {
    await button.click();
    await button.locator('xpath=self::*[contains(@class, "copied")]').waitFor();
    return page.evaluate(() => navigator.clipboard.readText());
  };
  // a program listing: the last one, far down the page
  const listings = page.locator('#content div.sourceCode > .copy-button, #content .code-box:not(.console-box) > .copy-button');
  const n = await listings.count();
  assert.ok(n > 0, `${withCode} has no code listing`);
  const button = listings.nth(n - 1);
  const code = await button.evaluate((b) => {
    const pre = b.parentElement.querySelector('pre');
    // a block with <<references>> copies its expansion (tested below)
    const full = pre.closest('.chunk')?.querySelector(':scope > template.chunk-expanded');
    if (full) return full.content.textContent.replace(/\n$/, '');
    return (pre.querySelector('code') || pre).textContent.replace(/\n$/, '');
  });
  const clip = await clipboardAfter(button);
  assert.ok(clip.length > 0);
  assert.equal(clip, code);
  // a console transcript: its commands, without the prompt
  const consoles = page.locator('#content .console-box > .copy-button');
  if (await consoles.count() > 0) {
    const first = consoles.first();
    const cmds = await first.evaluate((b) => b.parentElement.querySelector('pre').textContent
      .split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2)).join('\n'));
    if (cmds) assert.equal(await clipboardAfter(first), cmds);
  }
  await ctx.close();
  noProblems(problems);
});

test('phone width: the sidebar is a collapsed drawer; no sideways scrolling', async () => {
  const { ctx, problems } = await newContext({
    viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const page = await ctx.newPage();
  for (const p of ['index.html', chapter]) {
    await page.goto(base + p);
    await ready(page);
    const sidebar = page.locator('#sidebar');
    assert.equal(await sidebar.isVisible(), false, `${p}: sidebar shows at phone width`);
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${p}: page is ${overflow}px wider than a phone`);
    const main = await page.locator('main#content').boundingBox();
    assert.ok(main.x < 5 && main.width > PHONE.width - 10, `${p}: text does not use the width`);
    await page.screenshot({ path: join(SHOTS, `${p === 'index.html' ? 'index' : 'chapter'}-phone.png`) });
  }
  // search results fit the phone's screen
  await page.fill('#search input', '管道');
  await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
  await page.waitForTimeout(400);
  const drawer = await page.locator('#search .pagefind-ui__drawer').boundingBox();
  assert.ok(drawer.x >= 0 && drawer.x + drawer.width <= PHONE.width, 'search results fit the phone');
  await page.screenshot({ path: join(SHOTS, 'search-phone.png') });
  await page.keyboard.press('Escape');
  await page.locator('#search .pagefind-ui__drawer').waitFor({ state: 'hidden' });

  // open the drawer, then pick a chapter: it navigates and closes
  const sidebar = page.locator('#sidebar');
  await page.tap('#sidebar-toggle');
  await sidebar.waitFor({ state: 'visible' });
  await page.waitForTimeout(300); // the slide-in transition
  const box = await sidebar.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'opened drawer is on screen');
  assert.equal(await page.getAttribute('#sidebar-toggle', 'aria-expanded'), 'true');
  await page.screenshot({ path: join(SHOTS, 'chapter-phone-sidebar.png') });
  await page.keyboard.press('Escape');
  await sidebar.waitFor({ state: 'hidden' });
  await page.tap('#sidebar-toggle');
  await sidebar.waitFor({ state: 'visible' });
  const target = pages.find((p) => p !== chapter) || chapter;
  await Promise.all([
    page.waitForURL('**/' + target),
    sidebar.locator(`a[href="${target}"]`).first().tap(),
  ]);
  await ready(page);
  assert.equal(await sidebar.isVisible(), false, 'drawer is closed on the new page');
  await ctx.close();

  // desktop: the sidebar is beside the text, and the toggle hides it
  const desk = await newContext();
  const dpage = await desk.ctx.newPage();
  await dpage.goto(base + chapter);
  await ready(dpage);
  const side = await dpage.locator('#sidebar').boundingBox();
  const text = await dpage.locator('main#content').boundingBox();
  assert.ok(side.x >= 0 && text.x >= side.x + side.width - 1, 'desktop: sidebar beside the text');
  // scrolling to a section marks it in the sidebar
  const sections = dpage.locator('#sidebar .section-list a[href^="#"]');
  if (await sections.count() > 1) {
    const href = await sections.nth(1).getAttribute('href');
    await dpage.evaluate((id) => document.getElementById(id).scrollIntoView(), decodeURIComponent(href.slice(1)));
    await dpage.waitForSelector(`#sidebar .section-list a.in-view[href="${href}"]`, { timeout: 5000 });
  }
  // → goes to the next chapter
  const nextLink = dpage.locator('#content a[rel="next"]');
  const next = await nextLink.count() ? await nextLink.first().getAttribute('href') : null;
  if (next) {
    await Promise.all([dpage.waitForURL('**/' + next), dpage.keyboard.press('ArrowRight')]);
    await ready(dpage);
  }
  await dpage.click('#sidebar-toggle');
  await dpage.locator('#sidebar').waitFor({ state: 'hidden' });
  await desk.ctx.close();
  problems.push(...desk.problems);
  noProblems(problems);
});

test('print view shows the text only', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  await page.emulateMedia({ media: 'print' });
  const shown = await page.evaluate(() => ['#sidebar', '#search', '#theme-toggle', '.copy-button']
    .filter((s) => [...document.querySelectorAll(s)].some((e) => e.getClientRects().length > 0)));
  assert.deepEqual(shown, [], 'navigation is hidden in print');
  const pdf = await page.pdf({ format: 'A4', path: join(SHOTS, 'chapter-print.pdf') });
  assert.ok(pdf.length > 1000);
  await ctx.close();
  noProblems(problems);
});

test('opened as a file (file://), the book reads and says how to get search', async () => {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const problems = [];
  const page = await ctx.newPage();
  watch(page, problems);
  await page.goto(pathToFileURL(resolve(SITE, chapter)).href);
  const off = page.locator('#search input.search-off');
  await off.waitFor();
  assert.match(await off.getAttribute('title'), /make serve/);
  await page.click('#theme-toggle');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.ok(await page.locator('#content .copy-button').count() > 0);
  await ctx.close();
  noProblems(problems);
});

// ---- the reader's edition (issue 12): new checks, each in its own test ----

test('accessibility: no serious or critical axe-core violation on any page, light and dark, desktop and phone', async () => {
  const found = [];
  // the modes in parallel (one context each): about a minute in all
  await Promise.all(AXE_MODES.map(async (mode) => {
    const { name, ...options } = mode;
    const { ctx, problems } = await newContext(options);
    const page = await ctx.newPage();
    // print.html is every page's text again, in the same template (it takes
    // axe half a minute): the chapter pages stand for it.  Code colours are
    // checked on the chapter and its tests page (axeViolations: skipCode).
    const full = [chapter, chapter.replace(/\.html$/, '-tests.html')];
    for (const p of pages.filter((x) => x !== 'print.html')) {
      await page.goto(base + p);
      await ready(page);
      for (const v of await axeViolations(page, { skipCode: !full.includes(p) })) {
        found.push(`${name} ${p}: ${v.id} (${v.impact}, ${v.nodes} node(s)): ${v.help}: ${v.targets.join(' | ')}`);
      }
    }
    await ctx.close();
    found.push(...problems);
  }));
  assert.deepEqual(found, [], `${found.length} violation(s):\n  ${found.join('\n  ')}`);
});

test('keyboard: a skip link first; s and / open search; the arrow keys move through the results', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ cls: document.activeElement.className,
    href: document.activeElement.getAttribute('href'), visible: document.activeElement.getBoundingClientRect().top >= 0 }));
  assert.equal(first.cls, 'skip-link', 'the first Tab reaches the skip link');
  assert.equal(first.href, '#content');
  assert.ok(first.visible, 'the focused skip link is on screen');
  await page.keyboard.press('Enter');
  // the fragment navigation may land a moment after the key (a loaded CI)
  await page.waitForURL(/#content$/, { timeout: 5000 });
  assert.match(page.url(), /#content$/);
  for (const key of ['s', '/']) {
    await page.locator('#content h1').click();
    await page.keyboard.press(key);
    assert.ok(await page.evaluate(() => document.activeElement.matches('#search input')), `${key} focuses the search box`);
    assert.equal(await page.inputValue('#search input'), '', `${key} is not typed into the box`);
    await page.keyboard.press('Escape');
  }
  await page.keyboard.press('s');
  await page.keyboard.type('管道');
  await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
  await page.waitForTimeout(400);
  const links = await page.$$eval('#search .pagefind-ui__result-link', (as) => as.map((a) => a.href));
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.href), links[0], '↓ moves to the first result');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.href), links[1], '↓ again: the second');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  assert.ok(await page.evaluate(() => document.activeElement.matches('#search input')), '↑ from the first result: back to the box');
  await ctx.close();
  noProblems(problems);
});

test('search: a word the segmenter splits finds its chapter first; excerpts are prose; the phone box shows the query', async () => {
  const { ctx, problems } = await newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await page.goto(base + 'index.html');
  await ready(page);
  const results = await page.evaluate(async () => {
    const pagefind = await import(new URL('pagefind/pagefind.js', document.baseURI).href);
    const out = {};
    for (const q of ['套接字', '管道', '共享内存']) {
      const r = await pagefind.search(q);
      out[q] = await Promise.all(r.results.slice(0, 5).map((x) => x.data()));
    }
    return out;
  });
  const first = (q) => new URL(results[q][0].url, base).pathname.split('/').pop();
  if (pages.includes('05-uds.html')) assert.equal(first('套接字'), '05-uds.html', '套接字 (套接 + 字) ranks the sockets chapter first');
  if (pages.includes('04-mmap.html')) assert.equal(first('共享内存'), '04-mmap.html');
  for (const [q, rs] of Object.entries(results)) {
    for (const r of rs) {
      const page1 = new URL(r.url, base).pathname.split('/').pop();
      if (/-(tests|harness)\.html$/.test(page1)) continue; // appendices are code
      assert.doesNotMatch(r.excerpt, /«|≡|用于代码|void \*\*|\) \{|;\s*\}/, `${q}: excerpt of ${page1} shows code or apparatus: ${r.excerpt}`);
    }
  }
  await page.fill('#search input', '套接字');
  await page.waitForSelector('#search .pagefind-ui__result-link', { timeout: 15000 });
  await page.waitForTimeout(300);
  const box = await page.evaluate(() => {
    const i = document.querySelector('#search input');
    const r = i.getBoundingClientRect();
    return { width: r.width, fits: i.scrollWidth <= i.clientWidth + 1 };
  });
  assert.ok(box.width >= 200 && box.fits, `the phone search box hides the query (${JSON.stringify(box)})`);
  await page.screenshot({ path: join(SHOTS, 'search-phone-query.png') });
  await ctx.close();
  noProblems(problems);
});

test('literate code: the copy button of a file block copies the whole tangled file; references show their listing number', async () => {
  const { ctx, problems } = await newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  const file = page.locator('#content .chunk-file:has(template.chunk-expanded)').first();
  assert.ok(await file.count() > 0, `${chapter}: no file block with references`);
  const button = file.locator('.copy-button');
  assert.match(await button.getAttribute('aria-label'), /整个文件/);
  await button.click();
  await button.locator('xpath=self::*[contains(@class, "copied")]').waitFor();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.doesNotMatch(clip, /^\s*<<[\w.:-]+>>\s*$/m, 'the copied file still has <<placeholders>>');
  assert.match(clip, /\bmain\s*\(/, 'the copied file has its main()');
  // each <<reference>> in code says where its listing is
  const refs = await page.$$eval('#content a.chunk-ref', (as) => as.map((a) => a.nextElementSibling?.textContent || ''));
  assert.ok(refs.length > 0 && refs.every((t) => /^ 代码 \d+\.\d+$/.test(t)), `references without a listing number: ${refs.slice(0, 3)}`);
  // "用于代码 2.1", never a bare "2.1" (which reads as section 2.1)
  const xrefs = await page.$$eval('#content .chunk-xref a', (as) => as.map((a) => a.textContent));
  assert.ok(xrefs.length > 0 && xrefs.every((t) => /^代码 /.test(t)), `bare numbers in chunk cross references: ${xrefs.slice(0, 3)}`);
  await ctx.close();
  noProblems(problems);
});

test('appendices: tests pages are lettered, grouped in the sidebar, and every chapter points to its own', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  const side = await page.evaluate(() => ({
    part: document.querySelector('#sidebar-appendices')?.textContent,
    apps: [...document.querySelectorAll('#sidebar .appendix-list > li > a')].map((a) => a.getAttribute('href')),
    downloads: [...document.querySelectorAll('#sidebar .sidebar-downloads a')].map((a) => a.getAttribute('href')),
    pointer: [...document.querySelectorAll('#content .appendix-pointer a')].map((a) => a.getAttribute('href')),
    edit: document.querySelector('#content .edit-page a')?.href,
  }));
  const appendixPages = pages.filter((p) => /-(tests|harness)\.html$/.test(p));
  assert.equal(side.part, '附录');
  assert.deepEqual(new Set(side.apps), new Set(appendixPages), 'the sidebar lists every appendix under 附录');
  assert.deepEqual(side.downloads, ['book.pdf', 'book.epub', 'print.html']);
  const own = chapter.replace(/\.html$/, '-tests.html');
  if (pages.includes(own)) assert.ok(side.pointer.includes(own), `${chapter} does not point to ${own}`);
  // the "edit this page" link exists exactly when book/metadata.yaml names the repository
  const repo = (await readFile('book/metadata.yaml', 'utf8')).match(/^repository:\s*(\S+)/m);
  if (repo) {
    assert.ok((side.edit || '').startsWith(repo[1].replace(/\/+$/, '') + '/edit/'), `edit link ${side.edit}`);
    assert.match(side.edit, new RegExp(`/edit/[^/]+/chapters/${chapter.replace('.html', '.md')}$`));
  } else {
    assert.equal(side.edit, undefined, 'no repository: no edit link');
  }
  // an appendix page: "附录 B", listings "代码 B.n"
  if (pages.includes(own)) {
    await page.goto(base + own);
    await ready(page);
    assert.match((await page.locator('#content h1 .header-section-number').textContent()).replace(/\s+/g, ' '), /^附录 [A-Z]$/);
    const labels = await page.$$eval('#content .chunk-label strong', (ss) => ss.map((s) => s.textContent));
    assert.ok(labels.length > 0 && labels.every((l) => /^代码 [A-Z]\.\d+$/.test(l)), `appendix listings: ${labels.slice(0, 3)}`);
  }
  // the front page leads on to the first chapter; the first chapter back to it
  await page.goto(base + 'index.html');
  await ready(page);
  assert.ok(await page.locator('#content a[rel="next"]').count() === 1, 'index.html has a next link');
  // the whole book on one page, for printing
  await page.goto(base + 'print.html');
  await page.waitForLoadState('networkidle');
  const h1s = await page.$$eval('#content h1', (hs) => hs.length);
  assert.equal(h1s, pages.filter((p) => /^\d/.test(p)).length, 'print.html has every chapter and appendix');
  await ctx.close();
  noProblems(problems);
});

test('phone: figures open full size, wide tables say so, header cells keep their words', async () => {
  const { ctx, problems } = await newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  const withTable = pages.find((p) => p === '06-compare.html') || chapter;
  await page.goto(base + withTable);
  await ready(page);
  const figs = await page.$$eval('#content figure img', (is) => is.map((i) => i.closest('a.figure-open')?.getAttribute('href') === i.getAttribute('src')));
  assert.ok(figs.every(Boolean), 'a figure is not a link to its full-size picture');
  const tables = await page.evaluate(() => [...document.querySelectorAll('#content .table-scroll')].map((w) => ({
    wide: w.scrollWidth > w.clientWidth + 1,
    hint: w.previousElementSibling?.classList.contains('table-hint') &&
          getComputedStyle(w.previousElementSibling).display !== 'none',
    focusable: w.tabIndex === 0,
    // a header cell one character per line is taller than two lines
    tallest: Math.max(...[...w.querySelectorAll('th')].map((th) => th.getBoundingClientRect().height /
      parseFloat(getComputedStyle(th).lineHeight))),
  })));
  for (const [i, t] of tables.entries()) {
    assert.ok(t.focusable, `table ${i} cannot take keyboard focus`);
    assert.equal(t.hint, t.wide, `table ${i}: ${t.wide ? 'wide, without a hint' : 'a hint but not wide'}`);
    assert.ok(t.tallest < 2.6, `table ${i}: a header cell is ${t.tallest.toFixed(1)} lines tall`);
  }
  await page.locator('#content .table-scroll').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'table-phone.png') });
  await ctx.close();
  noProblems(problems);
});

test('printing from the dark theme gives white pages', async () => {
  const { ctx, problems } = await newContext({ colorScheme: 'dark' });
  const page = await ctx.newPage();
  await page.goto(base + chapter);
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.emulateMedia({ media: 'print' });
  const colours = await page.evaluate(() => [document.body, ...document.querySelectorAll('#content pre, #content pre.console, #content .chunk-label')]
    .map((e) => getComputedStyle(e).backgroundColor));
  const light = (c) => {
    const [r, g, b, a = 1] = c.match(/[\d.]+/g).map(Number);
    return a === 0 || (r > 230 && g > 230 && b > 230);
  };
  const dark = colours.filter((c) => !light(c));
  assert.deepEqual([...new Set(dark)], [], 'dark backgrounds in print');
  await page.pdf({ format: 'A4', path: join(SHOTS, 'chapter-print-dark.pdf') });
  await ctx.close();
  noProblems(problems);
});

test('screenshots: chapter and appendix at desktop and phone width, light and dark', async () => {
  for (const [mode, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    for (const colorScheme of ['light', 'dark']) {
      const { ctx, problems } = await newContext({ viewport, colorScheme, isMobile: mode === 'phone', hasTouch: mode === 'phone' });
      const page = await ctx.newPage();
      for (const p of [chapter, chapter.replace(/\.html$/, '-tests.html'), 'index.html']) {
        if (!pages.includes(p)) continue;
        await page.goto(base + p);
        await ready(page);
        await page.screenshot({ path: join(SHOTS, `${p.replace('.html', '')}-${mode}-${colorScheme}.png`) });
      }
      await ctx.close();
      noProblems(problems);
    }
  }
});

test('reading flow: no cmocka assertion in sight on a chapter page (test code is in the appendices or collapsed)', async () => {
  const { ctx, problems } = await newContext();
  const page = await ctx.newPage();
  for (const p of pages.filter((x) => /^\d+-/.test(x) && !/-(tests|harness)\.html$/.test(x))) {
    await page.goto(base + p);
    await ready(page);
    const shown = await page.$$eval('#content pre', (ps) => ps
      .filter((pre) => !pre.closest('details:not([open])') && /\bassert_\w+\s*\(/.test(pre.textContent))
      .map((pre) => pre.closest('.chunk')?.id || pre.id));
    assert.deepEqual(shown, [], `${p}: test code in the reading flow`);
  }
  await ctx.close();
  noProblems(problems);
});
