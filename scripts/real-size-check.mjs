#!/usr/bin/env node
// Real-size check (issue 14; opt-in, never in CI): can the real-size FLUX.1-schnell bundle be assembled,
// stored and run in Chromium with bounded memory? Nothing here is a model: the four public source files
// are written at their real sizes, names, types and shapes with RANDOM content
// (tools/gguf-fixtures/make_real_size_sources.py), served on loopback by tests/server/fault-server.mjs
// (read from disk per request), and the app's worker assembles them through comlink into IndexedDB in a
// PERSISTENT Chromium profile (Blobs on disk, as for a user), with the app's own full-size template
// (public/models/flux1-schnell-q4). Then tests/pages/real-size.html opens every stage from IndexedDB and
// renders one frame on WebGPU (SwiftShader) at a check-only size (runJob is called directly and does not
// validate; the app's limits are unchanged).
//
// Prints per stage: session creation and run times, the peak memory of ALL the browser's processes
// together (sampled here every 250 ms: PSS anon + shmem from /proc/<pid>/smaps_rollup, summed), the
// page's JS heap, GPU buffer bytes (created minus destroyed), the wasm heap, storage used, and each
// output's shape and finiteness; then PASS/FAIL per target.
//
// Usage: node scripts/real-size-check.mjs [--dir DIR] [--profile DIR] [--keep] [--size 16] [--tokens 8]
//          [--no-sha256] [--port N] [--tiny] [--verbose] [--hang-minutes 20]
//   --dir      where the sources are written (reused when present; default $TMPDIR/real-size-sources)
//   --profile  the Chromium profile (a bundle already stored there is not assembled again)
//   --keep     keep the sources and the profile (else both are deleted at the end)
//   --size     image width = height in pixels (multiple of 16; 16 = one latent token)
//   --tokens   T5 sequence length (maxSequenceLength; the tokenizer pads to it)
//   --no-sha256  the description gives no sha256 (hashed while read, not checked), unlike the real entry
//   --port     the app server's port (IndexedDB is per origin: fix it to reuse a --profile)
//   --tiny     debug the flow on tests/fixtures/assemble/tiny (tiny template and sources)
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFaultServer } from '../tests/server/fault-server.mjs';
import { BENCH_CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);
const GB = 1e9;
const MB = 1e6;
const gb = (n) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : `${(n / GB).toFixed(2)} GB`);
const mb = (n) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : `${(n / MB).toFixed(0)} MB`);
const secs = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const started = Date.now();
const clock = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s]`;
const say = (line) => console.log(line);

const tiny = flag('tiny');
/** No progress line from the page for this long during the render ends the check (--hang-minutes). */
const HANG_MS = Number(arg('hang-minutes', '20')) * 60_000;
let lastProgress = { at: Date.now(), line: '' };
const keep = flag('keep');
const size = Number(arg('size', '16'));
const tokens = Number(arg('tokens', '8'));
const withSha = !flag('no-sha256');
const dir = path.resolve(arg('dir', path.join(os.tmpdir(), 'real-size-sources')));
const profile = path.resolve(arg('profile', '') || fs.mkdtempSync(path.join(os.tmpdir(), 'real-size-profile-')));
if (size % 16 !== 0 || size < 16) throw new Error('--size must be a multiple of 16');

// --------------------------------------------------------------------------------------------- memory

/** PIDs of the Chromium processes this script started (descendants of this process running chromium). */
function browserPids() {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  const out = [];
  const todo = [...(children.get(process.pid) ?? [])];
  while (todo.length) {
    const pid = todo.pop();
    todo.push(...(children.get(pid) ?? []));
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`).includes('chromium')) out.push(pid);
    } catch {
      // gone or not ours
    }
  }
  return out;
}

function processKind(pid) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
    return sub ? `${type}:${sub.split('.').pop()}` : type;
  } catch {
    return '?';
  }
}

const kinds = new Map();
/** One sample: PSS anon + shmem (what the processes hold in RAM, shared pages split) and RSS, summed. */
function sampleMemory() {
  let anonShmem = 0;
  let rss = 0;
  const byKind = {};
  for (const pid of browserPids()) {
    let text;
    try {
      text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const own = field('Pss_Anon') + field('Pss_Shmem');
    anonShmem += own;
    rss += field('Rss');
    if (!kinds.has(pid)) kinds.set(pid, processKind(pid));
    const kind = kinds.get(pid);
    byKind[kind] = (byKind[kind] ?? 0) + own;
  }
  return { at: Date.now(), anonShmem, rss, byKind };
}

const samples = [];
let sampling = true;
(async function sampler() {
  while (sampling) {
    samples.push(sampleMemory());
    await new Promise((r) => setTimeout(r, 250));
  }
})();

function diskUsage(root) {
  let bytes = 0;
  const walk = (p) => {
    let st;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(root);
  return bytes;
}
let profilePeak = 0;
const profileTimer = setInterval(() => (profilePeak = Math.max(profilePeak, diskUsage(profile))), 5000);

/** The largest sample in [from, to] (epoch ms). */
function peakBetween(from, to) {
  let best;
  for (const s of samples) if (s.at >= from && s.at <= to && (!best || s.anonShmem > best.anonShmem)) best = s;
  return best;
}

// --------------------------------------------------------------------------------------------- sources

/** A file served from disk: the fault server only calls .length and .subarray(start, end). */
function diskFile(file, start = 0, end = fs.statSync(file).size) {
  return {
    length: end - start,
    subarray(a, b = end - start) {
      b = Math.min(b, end - start);
      if (b - a > 4 * 2 ** 20) return diskFile(file, start + a, start + b);
      const buffer = Buffer.allocUnsafe(Math.max(0, b - a));
      const fd = fs.openSync(file, 'r');
      try {
        let done = 0;
        while (done < buffer.length) {
          const n = fs.readSync(fd, buffer, done, buffer.length - done, start + a + done);
          if (n === 0) break;
          done += n;
        }
      } finally {
        fs.closeSync(fd);
      }
      return buffer;
    },
  };
}
function diskTree(root) {
  const files = new Map();
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(root, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) files.set(rel, diskFile(path.join(root, rel)));
    }
  };
  walk('');
  return files;
}

// --------------------------------------------------------------------------------------------- run

say(
  `real-size check: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; ${tiny ? 'TINY fixtures (flow debug)' : 'real-size sources with random content'}`,
);
let sourceJson;
if (tiny) {
  sourceJson = JSON.parse(fs.readFileSync('tests/fixtures/assemble/tiny/source.json', 'utf8'));
} else {
  const free = fs.statfsSync(path.dirname(dir)).bavail * fs.statfsSync(path.dirname(dir)).bsize;
  const present = fs.existsSync(path.join(dir, 'source.json'));
  const need = (present ? 0 : 12.2 * GB) + 13.9 * GB + (withSha ? 6.8 * GB : 0) + 2 * GB;
  say(`disk: ${gb(free)} free; needs about ${gb(need)} (sources ${present ? 'present' : '12.1 GB'}, store 13.9 GB, slack 2 GB)`);
  if (free < need) throw new Error('not enough free disk');
  const t = Date.now();
  say(`${clock()} writing the sources (skipped where present) to ${dir} …`);
  execFileSync('tools/export/.venv/bin/python', ['tools/gguf-fixtures/make_real_size_sources.py', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  say(`${clock()} sources ready in ${secs(Date.now() - t)}`);
  sourceJson = JSON.parse(fs.readFileSync(path.join(dir, 'source.json'), 'utf8'));
}

const faults = await startFaultServer();
const vite = await createServer({
  logLevel: 'error',
  server: { port: Number(arg('port', '0')), strictPort: arg('port') !== undefined, host: '127.0.0.1', hmr: false, watch: null },
});
await vite.listen();
const appOrigin = new URL(vite.resolvedUrls.local[0]).origin;
const source = structuredClone(sourceJson);
if (tiny) {
  // The tiny description's URLs are root-relative (the app server serves the repository).
  source.template = new URL(source.template, appOrigin).href;
  for (const c of Object.values(source.components)) c.url = new URL(c.url, appOrigin).href;
  for (const f of source.files) f.url = new URL(f.url, appOrigin).href;
} else {
  faults.addBundle('real', { manifest: {}, files: diskTree(dir) });
  const base = `${faults.origin}/b/real/`;
  source.template = new URL(source.template, `${appOrigin}/`).href; // the app's own template, as the real entry
  for (const c of Object.values(source.components)) c.url = new URL(c.url, base).href;
  for (const f of source.files) f.url = new URL(f.url, base).href;
}
if (!withSha) for (const c of Object.values(source.components)) c.sha256 = null;
say(
  `sources: ${Object.entries(source.components)
    .map(([c, s]) => `${c} ${path.basename(new URL(s.url).pathname)} ${gb(s.bytes)}`)
    .join(', ')}; ${withSha ? 'sha256 given (each file verified as it streams, as the FLUX entry)' : 'no sha256 (hashed, not checked)'}`,
);

const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM_PATH,
  args: BENCH_CHROMIUM_ARGS,
  headless: true,
});
// Interrupted: close the browser and delete what --keep would keep, then exit.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, async () => {
    say(`${clock()} ${signal}: stopping`);
    await context.close().catch(() => {});
    if (!keep) {
      fs.rmSync(profile, { recursive: true, force: true });
      if (!tiny) fs.rmSync(dir, { recursive: true, force: true });
    }
    process.exit(130);
  });
let result = { ok: false };
const targets = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
    // The harness's own progress lines always (a stage that never ends shows where), the rest with --verbose.
    if (m.text().startsWith('[real-size-wait]')) say(`${clock()} ${m.text()}`);
    else if (m.text().startsWith('[real-size]')) {
      lastProgress = { at: Date.now(), line: m.text().slice(12) };
      say(`${clock()} ${lastProgress.line}`);
    } else if (flag('verbose')) say(`  [console.${m.type()}] ${m.text()}`);
  });
  page.on('worker', (w) => flag('verbose') && say(`  [worker] ${w.url()}`));
  await page.goto(`${appOrigin}/tests/pages/real-size.html`, { timeout: 300_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 300_000 });
  const adapter = await page.evaluate(() => window.realSize.adapter());
  say(
    `chromium ${context.browser()?.version() ?? '156'} (persistent profile ${profile}); WebGPU adapter: ${adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim() : 'NONE'}`,
  );
  if (adapter)
    say(
      `  maxBufferSize ${gb(adapter.maxBufferSize)}, maxStorageBufferBindingSize ${gb(adapter.maxStorageBufferBindingSize)}, shader-f16 ${adapter.shaderF16}, cross-origin isolated ${adapter.crossOriginIsolated}, wasmHeapBytes ${adapter.wasmHeapReported ? 'reported' : 'NOT in workers/runtime/ort.ts yet (TODO: wasm heap shown as n/a)'}`,
    );

  // ---- 1. assemble through the app's worker (comlink), as the model panel does
  let assembly;
  if (await page.evaluate((id) => window.realSize.isStored(id), source.id)) {
    say(`${clock()} the bundle is already stored in this profile: assembly skipped`);
  } else {
    say(`${clock()} assembling in the app's worker …`);
    // The app's own quota check: Chrome's report (usage + 10 GiB) is a floor there (workers/store/plan.ts).
    await page.evaluate((s) => window.realSize.startAssembly(s), source);
    let lastPrint = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const st = await page.evaluate(() => window.realSize.assemblyStatus());
      if (!st.running) {
        assembly = st;
        break;
      }
      if (Date.now() - lastPrint > 30_000) {
        lastPrint = Date.now();
        const d = st.lastDownload;
        const m = samples.at(-1);
        say(
          `${clock()}   ${d ? `${d.file}: ${gb(d.bundleLoaded)} of ${gb(d.bundleTotal)}, ${mb(d.bytesPerSecond)}/s` : (st.lastEvent ?? 'starting')}; storage ${gb(st.storageNow)}; browser memory ${gb(m?.anonShmem)}`,
        );
      }
    }
    if (assembly.error) throw new Error(`assembly failed: ${assembly.error.name}: ${assembly.error.message}`);
    const r = assembly.result;
    say(
      `${clock()} assembled ${r.manifestUrl}: read ${gb(r.downloadedBytes)}, wrote ${gb(r.writtenBytes)} in ${r.seconds.toFixed(0)} s` +
        ` (${(r.writtenBytes / MB / r.seconds).toFixed(1)} MB/s of shards${r.timings ? `; reading + converting ${r.timings.produceSeconds.toFixed(0)} s, hashing + storing ${r.timings.storeSeconds.toFixed(0)} s` : ''})`,
    );
    say(
      `  storage (navigator.storage.estimate): peak ${gb(assembly.storagePeak)}, after ${gb(assembly.storageNow)} of a ${gb(assembly.quota)} quota; profile on disk so far: peak ${gb(Math.max(profilePeak, diskUsage(profile)))}`,
    );
    say(`  JS heap: page ${mb(assembly.heap)}; the worker's is not measurable (performance.memory is not exposed in workers)`);
  }
  await page.evaluate(() => window.realSize.stopWorker());

  // ---- 2. open from IndexedDB and render one frame on WebGPU
  say(
    `${clock()} rendering one frame on WebGPU: ${size}x${size} (${(size / 16) ** 2} latent token(s), packed 2x2 after the VAE's factor 8), 1 step, T5 length ${tokens}, iterations 0, strength 0 (frame 0 of 3, then cancelled)`,
  );
  // A stage that says nothing for HANG_MS is a hang (seen twice with the CPU idle: in T5's stage and
  // after the transformer's files were read): say where, and end the check as FAIL instead of waiting.
  lastProgress = { at: Date.now(), line: 'render start' };
  const hung = new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() - lastProgress.at < HANG_MS) return;
      clearInterval(timer);
      const message = `nothing for ${HANG_MS / 60_000} min after "${lastProgress.line}"`;
      resolve({ error: { name: 'Hung', message }, marks: [], timings: [], peaks: {}, events: [] });
    }, 5_000);
  });
  const render = await Promise.race([page.evaluate(([id, s, n]) => window.realSize.render(id, s, n), [source.id, size, tokens]), hung]);
  await new Promise((r) => setTimeout(r, 500));
  profilePeak = Math.max(profilePeak, diskUsage(profile));
  if (render.error) say(`  RENDER FAILED: ${render.error.name}: ${render.error.message}`);
  if (pageErrors.length) say(`  page errors: ${pageErrors.slice(0, 5).join(' | ')}`);

  // ---- 3. report
  const window_ = (stage) => {
    const s = render.marks.filter((m) => m.stage === stage);
    const start = s.find((m) => m.phase === 'start')?.at;
    const end = s.findLast((m) => m.phase === 'end')?.at;
    return start === undefined ? undefined : [start, end ?? Date.now()];
  };
  const sum = (stage) => {
    const t = render.timings.filter((x) => x.stage === stage);
    return t.length ? t.reduce((n, x) => n + x.ms, 0) : undefined;
  };
  const count = (stage) => render.timings.filter((x) => x.stage === stage).length;
  const byComponent = render.manifestBytes?.byComponent ?? {};
  const stageWeights = { t5: byComponent.t5, clip: byComponent.clip, denoise: (byComponent.transformer ?? 0) + (byComponent.decoder ?? 0) };
  const rows = [
    ['assemble', 'assembly (worker)', null],
    ['open', 'open from IndexedDB', null],
    ['t5', 't5', ['t5']],
    ['clip', 'clip (pooled + direction)', ['clip']],
    ['denoise', 'transformer + decoder', ['transformer', 'decoder', 'euler', 'unpack']],
  ];
  say('');
  say(
    'stage                      | weights  | session (read + create)            | run                         | browser peak (PSS anon+shmem; RSS) | of which GPU process | page JS heap | GPU buffers peak / after | wasm heap',
  );
  let overallPeak;
  for (const [stage, label, comps] of rows) {
    const w = window_(stage);
    const peak = w ? peakBetween(w[0], w[1]) : undefined;
    if (peak && (!overallPeak || peak.anonShmem > overallPeak.anonShmem)) overallPeak = peak;
    const p = (stage === 'assemble' ? undefined : render.peaks[stage]) ?? {};
    const sessions = comps
      ?.filter((c) => sum(`session:${c}`) !== undefined || ['transformer', 'decoder', 't5', 'clip'].includes(c))
      .filter((c) => !['euler', 'unpack'].includes(c))
      .map((c) => `${c} ${secs(sum(`session:${c}`))} (${secs(sum(`read:${c}`))} + ${secs(sum(`create:${c}`))})`)
      .join(', ');
    const runs = comps
      ?.filter((c) => count(`run:${c}`) > 0)
      .map((c) => `${c} ${secs(sum(`run:${c}`))}${count(`run:${c}`) > 1 ? ` (${count(`run:${c}`)} runs)` : ''}`)
      .join(', ');
    const gpuKind = peak ? Object.entries(peak.byKind).find(([k]) => k.startsWith('gpu'))?.[1] : undefined;
    say(
      `${label.padEnd(26)} | ${(stageWeights[stage] ? gb(stageWeights[stage]) : '').padEnd(8)} | ${(sessions ?? (stage === 'assemble' && !w ? 'skipped (stored)' : '')).padEnd(34)} | ${(runs ?? (w ? secs(w[1] - w[0]) + ' wall' : '')).padEnd(27)} | ${peak ? `${gb(peak.anonShmem)}; ${gb(peak.rss)}` : 'n/a'} | ${gb(gpuKind)} | ${stage === 'assemble' ? 'worker: n/m' : mb(p.heapPeak)} | ${p.gpuPeak !== undefined ? `${gb(p.gpuPeak)} / ${gb(p.gpuLiveAtEnd)}` : 'n/a'} | ${p.wasmPeak !== undefined ? mb(p.wasmPeak) : 'n/a'}`,
    );
  }
  const total = peakBetween(started, Date.now());
  say(
    `whole run: browser processes peak ${gb(total?.anonShmem)} PSS anon+shmem (${
      total
        ? Object.entries(total.byKind)
            .map(([k, v]) => `${k} ${gb(v)}`)
            .join(', ')
        : ''
    }); ${samples.length} samples every 250 ms`,
  );
  say(
    `storage: IndexedDB usage peak ${assembly ? gb(assembly.storagePeak) : 'n/a (not assembled in this run)'}; profile directory on disk: peak ${gb(profilePeak)}`,
  );
  const timing = (name) => (sum(name) !== undefined ? `${name} ${secs(sum(name))}` : undefined);
  say(`other timings: ${['tokenizers', 'direction', 'decode', 'frames'].map(timing).filter(Boolean).join(', ')}`);

  say('');
  say('outputs:');
  const out = (name, o, shape) => {
    if (!o) return say(`  ${name}: MISSING`) ?? false;
    const ok =
      o.shapeOk && o.nonFinite === 0 && JSON.stringify(o.shape.slice(0, shape.length)) === JSON.stringify(shape.slice(0, shape.length));
    say(
      `  ${name}: [${o.shape.join(', ')}] (${o.length} values), ${o.nonFinite} non-finite, min ${o.min.toPrecision(4)}, max ${o.max.toPrecision(4)}, mean |x| ${o.meanAbs.toPrecision(4)}: ${ok ? 'ok' : 'BAD'}`,
    );
    return ok;
  };
  const outputsOk = [
    out(`t5 last_hidden_state (expect [1, ${render.tokens ?? tokens}, ${render.widths?.t5}])`, render.t5, [
      1,
      render.tokens ?? tokens,
      render.widths?.t5,
    ]),
    out(`clip pooled (expect [1, ${render.widths?.clip}])`, render.pooled, [1, render.widths?.clip]),
    out(`direction (expect [1, ${render.widths?.clip}])`, render.direction, [1, render.widths?.clip]),
    out(`decoded image (expect [1, 3, ${size}, ${size}])`, render.image, [1, 3, size, size]),
  ].every(Boolean);

  const largest = Math.max(...Object.values(stageWeights).filter(Number.isFinite));
  const limit = largest + 3 * GB;
  targets.push([
    `browser processes peak ${gb(total?.anonShmem)} <= largest stage's weights ${gb(largest)} + 3 GB = ${gb(limit)}`,
    total && total.anonShmem <= limit,
  ]);
  targets.push([
    `the frame renders (${render.cancelledAfterFirstFrame ? 'frame 0 decoded' : 'no frame'}; every output finite and of the contract's shape)`,
    !render.error && render.cancelledAfterFirstFrame && outputsOk,
  ]);
  result = { ok: targets.every(([, ok]) => ok) };
} catch (error) {
  say(`${clock()} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const total = peakBetween(started, Date.now());
  say(
    `browser processes peak so far ${gb(total?.anonShmem)} PSS anon+shmem; profile on disk peak ${gb(Math.max(profilePeak, diskUsage(profile)))}`,
  );
  targets.push(['the check ran to the end', false]);
} finally {
  sampling = false;
  clearInterval(profileTimer);
  await context.close().catch(() => {});
  await vite.close();
  await faults.close();
  if (!keep) {
    fs.rmSync(profile, { recursive: true, force: true });
    if (!tiny) fs.rmSync(dir, { recursive: true, force: true });
  }
  say('');
  for (const [text, ok] of targets) say(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  say(`${clock()} done${keep ? ` (kept: ${tiny ? '' : `${dir}, `}${profile})` : ' (sources and profile deleted)'}`);
}
process.exit(result.ok ? 0 : 1);
