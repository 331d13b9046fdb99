// server.mjs: a small static file server for build/html, on localhost only.
//
// Used by the browser test (import { serve }) and by `make serve`
// (node tests/browser/server.mjs [--watch] [DIR] [PORT]).  It serves files
// with the MIME types that Pagefind's WebAssembly and index need, answers
// 404 for anything else, and never lists folders or leaves DIR.
//
// --watch (make serve): live preview.  A change under chapters/, book/ or
// figures/ runs `make html-pages` (the pages only, without print.html: no
// PDF, EPUB or tangling),
// then tells every open page through server-sent events (/__reload) which
// pages were rewritten; a page that was reloads itself.  When make fails,
// the pages show its errors (FILE:LINE) in a bar until the next good build.
// The search index is rebuilt afterwards (`make site`) without a reload.
import { createServer } from 'node:http';
import { readFile, stat, readdir } from 'node:fs/promises';
import { watch } from 'node:fs';
import { spawn } from 'node:child_process';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.epub': 'application/epub+zip',
  '.txt': 'text/plain; charset=utf-8',
};

// The script --watch adds to every HTML page it serves.
const RELOAD_SCRIPT = `<script>(function () {
  var page = location.pathname.split('/').pop() || 'index.html';
  var es = window.liveReload = new EventSource('__reload');
  es.addEventListener('built', function (e) {
    var changed = JSON.parse(e.data);
    var bar = document.getElementById('live-errors');
    if (bar) bar.remove();
    if (changed.indexOf(page) !== -1) location.reload();
  });
  es.addEventListener('failed', function (e) {
    var bar = document.getElementById('live-errors') || document.createElement('pre');
    bar.id = 'live-errors';
    bar.style.cssText = 'position:fixed;left:0;right:0;bottom:0;z-index:99;margin:0;padding:.6em 1em;' +
      'max-height:40vh;overflow:auto;background:#5c0b0b;color:#fff;font-size:13px;white-space:pre-wrap';
    bar.textContent = JSON.parse(e.data);
    document.body.appendChild(bar);
  });
})();</script>`;

// prefix: serve DIR under a sub-path, as GitHub Pages serves a project site
// ("/REPO/"); requests outside it get 404.  live: an object from
// liveReload() (make serve --watch), or null.
export function serve(dir, port = 0, host = '127.0.0.1', prefix = '/', live = null) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (!url.pathname.startsWith(prefix)) throw new Error('outside the prefix');
      if (live && url.pathname === prefix + '__reload') {
        live.subscribe(res);
        return;
      }
      const rel = url.pathname.slice(prefix.length - 1);
      let path = normalize(join(root, decodeURIComponent(rel)));
      if (path !== root && !path.startsWith(root + sep)) throw new Error('outside');
      let st = await stat(path);
      if (st.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { Location: url.pathname + '/' + url.search });
          res.end();
          return;
        }
        path = join(path, 'index.html');
        st = await stat(path);
      }
      let body = await readFile(path);
      if (live && extname(path) === '.html') {
        body = Buffer.from(body.toString('utf8').replace(/<\/body>/i, RELOAD_SCRIPT + '</body>'));
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(path)] || 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 Not Found\n');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

// Watch SRC_DIRS; on a change run `make html` in the current folder and
// tell the subscribers which pages of DIR it rewrote.  Returns { subscribe }.
export function liveReload(dir, srcDirs = ['chapters', 'book', 'figures'], log = console.log) {
  const clients = new Set();
  let timer = null, running = false, again = false;
  const send = (event, data) => {
    for (const res of clients) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const mtimes = async () => {
    const m = new Map();
    for (const f of await readdir(dir)) {
      if (f.endsWith('.html')) m.set(f, (await stat(join(dir, f))).mtimeMs);
    }
    return m;
  };
  const make = (target) => new Promise((done) => {
    const p = spawn('make', ['--no-print-directory', '-s', '-j2', target],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => done({ code, out }));
  });
  const build = async () => {
    if (running) { again = true; return; }
    running = true;
    const t0 = Date.now();
    const before = await mtimes();
    const r = await make('html-pages');   // all but print.html (mk/book.mk)
    if (r.code === 0) {
      const after = await mtimes();
      const changed = [...after].filter(([f, t]) => before.get(f) !== t).map(([f]) => f);
      log(`serve: make html: ${changed.length} page(s) rebuilt in ${Date.now() - t0} ms` +
        (changed.length ? `: ${changed.join(' ')}` : ''));
      send('built', changed);
      // the search index, without a reload (SERVE_SEARCH=0: not at all)
      if (changed.length && process.env.SERVE_SEARCH !== '0') await make('site');
    } else {
      log(`serve: make html failed (the open pages show why):\n${r.out}`);
      send('failed', r.out.trim());
    }
    running = false;
    if (again) { again = false; build(); }
  };
  for (const d of srcDirs) {
    watch(d, { recursive: true }, (_ev, name) => {
      // editors' swap and backup files, and our own temporary files
      if (!name || /(^|\/)(\.#|#)|~$|\.sw[a-p]x?$|\.tmp$/.test(String(name))) return;
      clearTimeout(timer);
      timer = setTimeout(build, 30);
    });
  }
  return {
    subscribe(res) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache',
        Connection: 'keep-alive' });
      res.write(': live reload\n\n');
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const watching = args[0] === '--watch';
  if (watching) args.shift();
  const dir = args[0] || 'build/html';
  const port = Number(args[1] || process.env.PORT || 8000);
  try {
    await stat(join(dir, 'index.html'));
  } catch {
    console.error(`serve: ${dir}/index.html is missing; run make first`);
    process.exit(1);
  }
  const live = watching ? liveReload(dir) : null;
  const server = await serve(dir, port, '127.0.0.1', '/', live).catch((e) => {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}` +
      (e.code === 'EADDRINUSE' ? ' (try: make serve PORT=8001)' : ''));
    process.exit(1);
  });
  console.log(`Serving ${dir} at http://127.0.0.1:${server.address().port}/  (Ctrl+C stops)` +
    (watching ? '\nserve: watching chapters/ book/ figures/: a saved change rebuilds the page and reloads it' : ''));
}
