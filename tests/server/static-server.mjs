#!/usr/bin/env node
// A plain static file server (node:http, loopback only) that stands in for a static host in tests:
// GitHub Pages (a sub-path, no custom headers), or a host that sends COOP/COEP and a CSP header.
//
//   node tests/server/static-server.mjs --root dist [--port 4180] [--prefix /time-stream/] [--no-isolation] [--no-csp]
//
// - --prefix: the app is served under this path (like https://user.github.io/time-stream/); "/" redirects there.
// - isolation (default on): Cross-Origin-Opener-Policy / -Embedder-Policy / -Resource-Policy headers.
// - csp (default on): the Content-Security-Policy of the built index.html's <meta>, sent as a header on
//   every response (so the generation worker, whose script is not governed by the page's <meta>, runs
//   under it too), plus frame-ancestors, which a <meta> cannot carry.
// - control (tests only): /__control/* switches the served folder (a new deploy), cuts the "network"
//   (every other request gets its connection dropped), returns the log of requests served, and
//   collects CSP violation reports (the header then carries report-uri /__control/csp-report).
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  // instantiateStreaming needs exactly this type.
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The CSP <meta> content of a built index.html, or undefined if it has none. */
async function cspOf(root) {
  const html = await readFile(join(root, 'index.html'), 'utf8').catch(() => '');
  const meta = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i);
  return meta ? meta[1].replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&') : undefined;
}

/**
 * Starts a server. `roots` names the folders it can serve (the first is served at start); `control`
 * enables /__control/{root?name=,offline?on=1|0,log,log/reset,csp-reports,csp-reports/reset}.
 * @param {{ roots: Record<string, string>, port?: number, host?: string, prefix?: string, isolation?: boolean, csp?: boolean, control?: boolean, quiet?: boolean }} options
 */
export async function startStaticServer(options) {
  const host = options.host ?? '127.0.0.1';
  const prefix = (options.prefix ?? '/').replace(/\/?$/, '/');
  const roots = Object.fromEntries(Object.entries(options.roots).map(([name, dir]) => [name, resolve(dir)]));
  let rootName = Object.keys(roots)[0];
  let root = roots[rootName];
  let policy = options.csp === false ? undefined : await cspOf(root);
  let offline = false;
  /** @type {{ method: string, path: string, status: number, range: boolean }[]} */
  let log = [];
  /** CSP violation reports (report-uri), from pages, workers and the service worker alike. */
  let cspReports = [];

  const baseHeaders = () => ({
    ...(options.isolation === false ? {} : ISOLATION_HEADERS),
    // With control on, violations are also reported here: a worker's violations reach no page's console.
    ...(policy
      ? { 'Content-Security-Policy': `${policy}; frame-ancestors 'none'${options.control ? '; report-uri /__control/csp-report' : ''}` }
      : {}),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });

  async function control(url, req, res) {
    const send = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const action = url.pathname.slice('/__control/'.length);
    if (action === 'root') {
      const name = url.searchParams.get('name');
      if (!name || !(name in roots)) return send(400, { error: `unknown root ${name}` });
      rootName = name;
      root = roots[name];
      policy = options.csp === false ? undefined : await cspOf(root);
      return send(200, { root: rootName });
    }
    if (action === 'offline') {
      offline = url.searchParams.get('on') === '1';
      return send(200, { offline });
    }
    if (action === 'csp-report') {
      let body = '';
      for await (const chunk of req) body += chunk;
      try {
        cspReports.push(JSON.parse(body));
      } catch {
        cspReports.push({ unreadable: body });
      }
      res.writeHead(204);
      return res.end();
    }
    if (action === 'csp-reports') return send(200, cspReports);
    if (action === 'log') return send(200, log);
    if (action === 'log/reset') {
      log = [];
      return send(200, { ok: true });
    }
    if (action === 'csp-reports/reset') {
      cspReports = [];
      return send(200, { ok: true });
    }
    return send(404, { error: 'unknown control' });
  }

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
    if (options.control && url.pathname.startsWith('/__control/')) return control(url, req, res);
    if (offline) {
      req.socket.destroy(); // what a dropped network looks like to the browser
      return;
    }
    const entry = { method: req.method ?? 'GET', path: url.pathname, status: 0, range: Boolean(req.headers.range) };
    log.push(entry);
    const reply = (status, headers = {}, body) => {
      entry.status = status;
      res.writeHead(status, { ...baseHeaders(), ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { Allow: 'GET, HEAD' });
    if (url.pathname === '/' && prefix !== '/') return reply(302, { Location: prefix });
    if (!url.pathname.startsWith(prefix)) return reply(404, { 'Content-Type': 'text/plain' }, 'Not found');

    let relative;
    try {
      relative = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      return reply(400, {}, 'Bad path');
    }
    let file = resolve(root, relative);
    if (file !== root && !file.startsWith(root + sep)) return reply(403, {}, 'Forbidden');
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      if (!url.pathname.endsWith('/')) return reply(301, { Location: `${url.pathname}/${url.search}` });
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) return reply(404, { 'Content-Type': 'text/plain' }, 'Not found');

    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers = {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      // Hashed build files never change; everything else is revalidated (as GitHub Pages roughly does).
      'Cache-Control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: etag,
      'Accept-Ranges': 'bytes',
    };
    if (req.headers['if-none-match'] === etag) return reply(304, headers);

    let start = 0;
    let end = info.size - 1;
    let status = 200;
    const range = req.headers.range?.match(/^bytes=(\d*)-(\d*)$/);
    if (req.headers.range) {
      if (!range || (range[1] === '' && range[2] === '')) return reply(416, { 'Content-Range': `bytes */${info.size}` });
      if (range[1] === '') start = Math.max(0, info.size - Number(range[2]));
      else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
      }
      if (start > end || start >= info.size) return reply(416, { 'Content-Range': `bytes */${info.size}` });
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
    }
    headers['Content-Length'] = String(end - start + 1);
    entry.status = status;
    res.writeHead(status, { ...baseHeaders(), ...headers });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file, { start, end }).pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise((done, fail) => server.once('error', fail).listen(options.port ?? 0, host, done));
  const address = server.address();
  const origin = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
  if (!options.quiet)
    console.log(
      `static-server: ${origin}${prefix} <- ${root} (isolation ${options.isolation === false ? 'off' : 'on'}, csp ${policy ? 'on' : 'off'})`,
    );
  return {
    origin,
    url: `${origin}${prefix}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

function parseArgs(argv) {
  const options = { roots: { main: 'dist' }, port: 4180, prefix: '/', isolation: true, csp: true, control: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--root') options.roots = { main: value() };
    else if (arg === '--port') options.port = Number(value());
    else if (arg === '--prefix') options.prefix = value();
    else if (arg === '--no-isolation') options.isolation = false;
    else if (arg === '--no-csp') options.csp = false;
    else if (arg === '--control') options.control = true;
    else throw new Error(`static-server: unknown argument ${arg}`);
  }
  return options;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await startStaticServer(parseArgs(process.argv.slice(2)));
}
