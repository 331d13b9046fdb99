// server.mjs: a small static file server for build/html, on localhost only.
//
// Used by the browser test (import { serve }) and by `make serve`
// (node tests/browser/server.mjs [DIR] [PORT]).  It serves files with the
// MIME types that Pagefind's WebAssembly and index need, answers 404 for
// anything else, and never lists folders or leaves DIR.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
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

// prefix: serve DIR under a sub-path, as GitHub Pages serves a project site
// ("/REPO/"); requests outside it get 404.
export function serve(dir, port = 0, host = '127.0.0.1', prefix = '/') {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (!url.pathname.startsWith(prefix)) throw new Error('outside the prefix');
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
      const body = await readFile(path);
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] || 'build/html';
  const port = Number(process.argv[3] || process.env.PORT || 8000);
  try {
    await stat(join(dir, 'index.html'));
  } catch {
    console.error(`serve: ${dir}/index.html is missing; run make first`);
    process.exit(1);
  }
  const server = await serve(dir, port).catch((e) => {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}` +
      (e.code === 'EADDRINUSE' ? ' (try: make serve PORT=8001)' : ''));
    process.exit(1);
  });
  console.log(`Serving ${dir} at http://127.0.0.1:${server.address().port}/  (Ctrl+C stops)`);
}
