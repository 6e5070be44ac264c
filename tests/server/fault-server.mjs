// A local HTTP server for model-store tests and benchmarks: serves synthetic bundles on 127.0.0.1
// only, with faults injected per request (cut the connection after N bytes, corrupt bytes, answer
// 404, ignore Range, stall, throttle) and a count of requests and bytes served. Plain node, no deps.
//
// Faults come from three places, first match wins: a rule added with `fault()` (in process) or
// POST /_control/fault (out of process), or the request's query (?status=404&cutAfter=1000&corrupt=1
// &ignoreRange=1&stallAfter=N&bytesPerSecond=N&extraBytes=N). GET /_control/stats reports what was served.
// extraBytes serves the file with N bytes appended (a host whose file is longer than the manifest says).
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SLICE = 256 * 1024;
const MAX_LOG = 10_000;
const MAX_STALL_MS = 120_000;

const sha256 = (buffer) => crypto.createHash('sha256').update(buffer).digest('hex');

/** Random bytes, filled in pieces (crypto.randomFillSync caps one call at 2^31-1 bytes). */
function randomBuffer(bytes) {
  const buffer = Buffer.allocUnsafe(bytes);
  for (let offset = 0; offset < bytes; offset += 1 << 30) crypto.randomFillSync(buffer, offset, Math.min(1 << 30, bytes - offset));
  return buffer;
}

/**
 * A synthetic bundle in the format of docs/bundle-format.md: random bytes with correct sizes and
 * sha256. `shards` gives the external-data shard sizes per component; graphs and tokenizer files
 * are small. Returns { manifest, files: Map<path, Buffer> }.
 */
export function makeSyntheticBundle({ id = 'synthetic', displayName, shards, graphBytes = 4096, tokenizerBytes = 2048 } = {}) {
  const files = new Map();
  const entry = (path, bytes) => {
    const data = randomBuffer(bytes);
    files.set(path, data);
    return { path, bytes, sha256: sha256(data) };
  };
  const component = (name) => ({
    graph: entry(`${name}/${name}.onnx`, graphBytes),
    external_data: (shards?.[name] ?? [65536]).map((bytes, i) => entry(`${name}/${name}.onnx.data.${i}`, bytes)),
    inputs: [],
    outputs: [],
    config: {},
  });
  const manifest = {
    format: 'time-stream-bundle',
    format_version: 1,
    id,
    version: '',
    display_name: displayName ?? `Synthetic test bundle ${id}`,
    license: 'CC0 (random bytes)',
    source: 'tests/server/fault-server.mjs makeSyntheticBundle',
    precision: 'fp32',
    components: { clip: component('clip'), t5: component('t5'), transformer: component('transformer'), decoder: component('decoder') },
    tokenizers: {
      clip: { files: [entry('clip/tokenizer.json', tokenizerBytes)], max_length: 77 },
      t5: { files: [entry('t5/tokenizer.json', tokenizerBytes)], max_length: 512 },
    },
    scheduler: { num_train_timesteps: 1000, shift: 1, use_dynamic_shifting: false },
    vae: { scaling_factor: 1, shift_factor: 0, spatial_factor: 8, latent_channels: 16 },
    defaults: { width: 64, height: 64, max_sequence_length: 512 },
  };
  manifest.version = bundleVersion(files);
  return { manifest, files };
}

function bundleVersion(files) {
  return sha256([...files.values()].map(sha256).sort().join('\n'));
}

/** A new version of a bundle in which the files at `paths` have new random contents (same sizes). */
export function changeFiles(bundle, paths) {
  const files = new Map(bundle.files);
  const manifest = structuredClone(bundle.manifest);
  const entries = [];
  for (const c of Object.values(manifest.components)) entries.push(c.graph, ...c.external_data);
  entries.push(...manifest.tokenizers.clip.files, ...manifest.tokenizers.t5.files);
  for (const path of paths) {
    const e = entries.find((f) => f.path === path);
    if (!e) throw new Error(`no file ${path} in the bundle`);
    const data = randomBuffer(e.bytes);
    files.set(path, data);
    e.sha256 = sha256(data);
  }
  manifest.version = bundleVersion(files);
  return { manifest, files };
}

/** Every file under `dir`, by its path relative to it (with `/`): serve a folder with addBundle(name, { manifest, files }). */
export function readTree(dir) {
  const files = new Map();
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) files.set(rel, fs.readFileSync(path.join(dir, rel)));
    }
  };
  walk('');
  return files;
}

function parseRange(header, size) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return { start, end };
}

const int = (v) => (v === null || v === undefined || v === '' ? undefined : Number(v));

/** Starts the server. Options: { port = 0 (any free) }. Resolves once it listens. */
export async function startFaultServer({ port = 0 } = {}) {
  const bundles = new Map(); // name → { manifest, files }
  let rules = []; // { path, times, ...fault }
  let log = [];
  let dropped = 0;
  const timers = new Set();

  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': 'Range, Cache-Control, Pragma',
    'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
    'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges, ETag, Retry-After',
    'Access-Control-Max-Age': '600',
    // The test page is cross-origin isolated (COEP require-corp).
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'no-store',
  };

  const record = (entry) => {
    entry.at = Date.now();
    if (log.length >= MAX_LOG) {
      log.shift();
      dropped++;
    }
    log.push(entry);
    return entry;
  };

  const takeFault = (path, query) => {
    const fromQuery = {
      status: int(query.get('status')),
      cutAfter: int(query.get('cutAfter')),
      stallAfter: int(query.get('stallAfter')),
      bytesPerSecond: int(query.get('bytesPerSecond')),
      corrupt: query.has('corrupt') ? [int(query.get('corrupt')) ?? -1] : undefined,
      ignoreRange: query.has('ignoreRange'),
      extraBytes: int(query.get('extraBytes')),
    };
    const rule = rules.find((r) => path.endsWith(r.path) && r.times > 0);
    if (rule) {
      rule.times--;
      return rule;
    }
    return fromQuery;
  };

  const sendJson = (res, status, value) => {
    res.writeHead(status, { ...cors, 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  };

  async function control(req, res, url) {
    if (url.pathname === '/_control/stats') return sendJson(res, 200, stats());
    let body = '';
    for await (const piece of req) {
      body += piece;
      if (body.length > 65536) return sendJson(res, 413, { error: 'too large' });
    }
    const data = body ? JSON.parse(body) : {};
    if (url.pathname === '/_control/fault') {
      fault(data.path, data);
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_control/reset') {
      resetStats();
      clearFaults();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: 'no such control' });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'OPTIONS') {
      record({ method: 'OPTIONS', path: url.pathname, status: 204, bytes: 0 });
      res.writeHead(204, cors);
      return res.end();
    }
    if (url.pathname.startsWith('/_control/')) return control(req, res, url).catch((e) => sendJson(res, 500, { error: String(e) }));
    const entry = record({ method: req.method, path: url.pathname, range: req.headers.range ?? null, status: 0, bytes: 0, cut: false });
    const m = /^\/b\/([^/]+)\/(.+)$/.exec(url.pathname);
    const bundle = m ? bundles.get(m[1]) : undefined;
    const rel = m ? decodeURIComponent(m[2]) : '';
    const fault = takeFault(url.pathname, url.searchParams);
    const fail = (status) => {
      entry.status = status;
      const wait = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      res.writeHead(status, { ...cors, ...wait, 'Content-Type': 'text/plain' });
      res.end(`${status}\n`);
    };
    if (fault.status) return fail(fault.status);
    if (!bundle) return fail(404);
    let data = rel === 'manifest.json' ? Buffer.from(JSON.stringify(bundle.manifest)) : bundle.files.get(rel);
    if (!data) return fail(404);
    if (fault.extraBytes) data = Buffer.concat([data, Buffer.alloc(fault.extraBytes, 0x5a)]);
    const size = data.length;
    const range = fault.ignoreRange ? undefined : parseRange(req.headers.range, size);
    const headers = {
      ...cors,
      'Content-Type': rel.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${size}"`,
    };
    let start = 0;
    let end = size - 1;
    if (range) {
      if (range.start >= size) {
        entry.status = 416;
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
        return res.end();
      }
      ({ start, end } = range);
      entry.status = 206;
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) });
    } else {
      entry.status = 200;
      res.writeHead(200, { ...headers, 'Content-Length': String(size) });
    }
    entry.start = start;
    if (req.method === 'HEAD') return res.end();
    let body = data.subarray(start, end + 1);
    if (fault.corrupt) {
      body = Buffer.from(body); // a copy: the served bundle itself stays intact
      for (const at of fault.corrupt) {
        const offset = (at < 0 ? Math.floor(size / 2) : at) - start;
        if (offset >= 0 && offset < body.length) body[offset] ^= 0xff;
      }
    }
    const limit = fault.cutAfter ?? fault.stallAfter ?? body.length;
    const slice = fault.bytesPerSecond ? Math.max(1024, Math.floor(fault.bytesPerSecond / 20)) : SLICE;
    let sent = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    const wait = (ms) =>
      new Promise((resolve) => {
        const t = setTimeout(() => (timers.delete(t), resolve()), ms);
        timers.add(t);
      });
    const drained = () =>
      new Promise((resolve) => {
        const done = () => (res.off('drain', done), res.off('close', done), resolve());
        res.on('drain', done);
        res.on('close', done);
      });
    while (sent < Math.min(limit, body.length) && !closed) {
      const piece = body.subarray(sent, Math.min(sent + slice, limit, body.length));
      sent += piece.length;
      entry.bytes = sent;
      if (!res.write(piece)) await drained();
      if (fault.bytesPerSecond) await wait((piece.length / fault.bytesPerSecond) * 1000);
    }
    if (closed) return;
    if (fault.cutAfter !== undefined && sent < body.length) {
      // Let the bytes reach the client before the connection breaks.
      if (res.writableLength > 0) await drained();
      await wait(100);
      entry.cut = true;
      return res.socket?.destroy();
    }
    if (fault.stallAfter !== undefined && sent < body.length) {
      entry.stalled = true;
      await Promise.race([new Promise((r) => res.once('close', r)), wait(MAX_STALL_MS)]);
      return res.socket?.destroy();
    }
    res.end();
  });
  server.maxConnections = 64;
  server.keepAliveTimeout = 2000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;

  function addBundle(name, bundle) {
    bundles.set(name, bundle);
    return `${origin}/b/${name}/manifest.json`;
  }
  function fault(path, rule) {
    if (typeof path !== 'string' || !path) throw new Error('a fault needs the path (or its end) it applies to');
    rules.push({ times: 1, ...rule, path, corrupt: rule.corrupt === true ? [-1] : rule.corrupt });
  }
  function clearFaults() {
    rules = [];
  }
  function stats() {
    const gets = log.filter((e) => e.method === 'GET');
    const byPath = {};
    for (const e of gets) {
      const p = (byPath[e.path] ??= { requests: 0, bytes: 0 });
      p.requests++;
      p.bytes += e.bytes;
    }
    return { requests: gets.length, bytes: gets.reduce((n, e) => n + e.bytes, 0), byPath, log: [...log], dropped };
  }
  function resetStats() {
    log = [];
    dropped = 0;
  }
  async function close() {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(() => resolve()));
  }
  return { origin, port: server.address().port, addBundle, fault, clearFaults, stats, resetStats, close };
}

// `node tests/server/fault-server.mjs [port]`: serves one small synthetic bundle, for poking by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startFaultServer({ port: Number(process.argv[2] ?? 0) });
  const url = server.addBundle('demo', makeSyntheticBundle({ id: 'demo' }));
  console.log(`serving ${url} (faults: POST ${server.origin}/_control/fault, stats: GET ${server.origin}/_control/stats)`);
}
