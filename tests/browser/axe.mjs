// axe.mjs: accessibility check of the HTML book with axe-core (npm).
//
// Used by site.test.mjs (import { axeViolations, AXE_MODES }), and on its
// own to measure: node tests/browser/axe.mjs [SITE_DIR]
// prints, for every page x {light, dark} x {desktop, phone}, the serious and
// critical violations axe-core finds, and a total per rule.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

export const AXE_MODES = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'desktop-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
  { name: 'phone-light', viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, hasTouch: true },
  { name: 'phone-dark', viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true },
];

// The serious and critical violations on the loaded PAGE: [{ id, impact,
// nodes: n, targets: [selector...], help }].  WCAG 2.x A and AA rules plus
// axe's best practices.
// With skipCode, the inside of code blocks is not checked: every token is
// an element, which makes axe slow, and the token colours are the same on
// every page (check them on one page per theme).
export async function axeViolations(page, { skipCode = false } = {}) {
  await page.addScriptTag({ content: await AXE_SOURCE });
  const result = await page.evaluate(async (skip) => {
    const context = skip ? { exclude: [['#content pre > code']] } : document;
    // eslint-disable-next-line no-undef
    const r = await axe.run(context, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  }, skipCode);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Stand-alone: measure a built site.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { chromium } = await import('playwright-core');
  const { serve } = await import('./server.mjs');
  const site = process.argv[2] || 'build/html';
  const server = await serve(site, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu'],
  });
  const pages = (await readdir(site)).filter((f) => f.endsWith('.html')).sort();
  const perRule = new Map();
  let total = 0;
  for (const mode of AXE_MODES) {
    const ctx = await browser.newContext(mode);
    const page = await ctx.newPage();
    for (const p of pages) {
      const t0 = Date.now();
      await page.goto(base + p);
      await page.waitForLoadState('networkidle');
      const vs = await axeViolations(page);
      if (process.env.AXE_VERBOSE) console.log(`# ${mode.name} ${p}: ${Date.now() - t0} ms`);
      for (const v of vs) {
        total += v.nodes;
        perRule.set(v.id, (perRule.get(v.id) || 0) + v.nodes);
        console.log(`${mode.name} ${p}: ${v.id} (${v.impact}) ${v.nodes} node(s): ${v.targets.slice(0, 2).join(' | ')}`);
      }
    }
    await ctx.close();
  }
  console.log(`total serious/critical nodes: ${total}`);
  for (const [id, n] of perRule) console.log(`  ${id}: ${n}`);
  await browser.close();
  server.close();
  void join;
}
