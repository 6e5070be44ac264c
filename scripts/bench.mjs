#!/usr/bin/env node
// Engine benchmark (issue 8): drives Debian's Chromium (WebGPU through SwiftShader on a machine with
// no GPU, and wasm) through the engine harness page (tests/pages/engine-harness.ts `runBench`) and
// prints, per bundle and backend, the median over several runs of:
//   - per-stage wall time: bundle read (download), session creation, T5, CLIP, direction, each
//     transformer step, the Euler step graph and unpack (WebGPU), decode, and the video encode;
//   - the transformer's achieved GFLOP/s (FLOPs from the manifest's config, formula below);
//   - orchestration overhead: the share of the frame loop's wall time (and of the job's, without
//     bundle read and session creation) spent outside session.run;
//   - the JS heap's peak (performance.memory, --enable-precise-memory-info);
//   - the GPU buffer bytes alive at each stage's peak (workers/runtime/gpu-memory.ts) against that
//     stage's weights, and the job's peak against the largest stage's weights;
// then the direction: the Space's way (one prompt per CLIP run, padded to 77 tokens) against this
// engine's (32 prompts per run, padded only to the batch's longest prompt), with each change alone,
// and the frame cache (7 -> 13 frames renders only the 6 new ones; a repeated job renders none).
// Issue 15 lines (SwiftShader here; on a real GPU they come from tools/device-bench):
//   - first-run shader compilation per stage: the warm-up run's first call of each session.run minus the
//     median call of the measured runs (ORT compiles a pipeline the first time a kernel meets a shape, and
//     keeps it for the device: later sessions and jobs reuse it);
//   - fused attention: one transformer call at --attention-size (default 1024²) on the mid bundle exported
//     with fused attention (.bench/mid) and with the decomposed graph (.bench/mid-decomposed, exported when
//     missing), the call's GPU working set (the bytes it adds at its peak) side by side, and the full
//     model's peak extrapolated from it;
//   - graph capture: whether onnxruntime-web replays the step graph (tests/pages/runtime-harness.ts
//     checkGraphCapture: a captured replay against a plain run on the same inputs) and, when it does, the step
//     time with and without it.
// The GPU numbers on real hardware come from tools/device-bench (a lent GPU machine).
//
// Bundles:
//   tiny  public/models/tiny (committed): CLIP 2x32, T5 2x32, transformer 1+2 blocks of 2x16, taef1 16 ch.
//   mid   .bench/mid (git-ignored, ~118 MB), made by
//           tools/export/.venv/bin/python -m time_stream_export --tiny --size mid --out .bench/mid
//         (this script runs that itself when the folder is missing; about 3 minutes). Its config
//         (tools/export/time_stream_export/models.py SIZES["mid"]): CLIP 4 layers x 256 (MLP 1024,
//         63 MB: the 49408-token embedding dominates), T5 4 layers x 256 (d_ff 640, 13 MB),
//         FluxTransformer2DModel 2 double + 4 single blocks, 4 heads x 64 (D = 256), joint dim 256,
//         pooled 256, RoPE axes (16, 24, 24) (37 MB), the real taef1 decoder (64 channels, 5 MB).
//         All fp32, random weights, the real classes.
// Jobs (fixed seed, frame cache off so every frame renders; the first run of each is a warm-up that
// compiles shaders and is not counted):
//   tiny: 64x64, 3 frames, 3 steps, 32 direction rounds, T5 length 512.
//   mid:  128x128 (64 image tokens), 3 frames, 3 steps, 32 direction rounds, T5 length 512.
//   The mid bundle is under the engine's keep-warm size (256 MiB), so by default the bench makes it
//   release every stage's sessions (hook keepWarm: false), like a real-size bundle: its session
//   creation is then paid on every run and the GPU peak is per stage (--keep-warm to keep them).
//
// Transformer FLOPs per call (multiply-add = 2 FLOPs; flux-spec.md §8.1), D = heads x head_dim,
// L = L_txt + S_img (S_img = (H/16)(W/16)), J = joint_attention_dim, P = pooled_projection_dim,
// nd/ns = double/single blocks:
//   (nd + ns)·(24·L·D² + 4·L²·D)            blocks (QKV, out/proj, FF; QKᵀ and PV)
//   + 2·L_txt·J·D + 2·S_img·64·D·2          context_embedder, x_embedder and proj_out
//   + 2·(256·D + D² + P·D + D²)              timestep and pooled embedders (once per sample)
//   + (24·nd + 6·ns + 4)·D²                  adaLN modulation (once per sample, not per token)
// GFLOP/s = that / the median session.run time of one transformer call.
//
// Usage: npm run bench -- [--runs 3] [--bundles tiny,mid] [--backends wasm,webgpu] [--mid-size 128]
//          [--gpu-runs 1] [--frames 3] [--steps 3] [--iterations 32] [--text-length 512] [--keep-warm]
//          [--compare] [--mid-webgpu-full] [--direction-webgpu] [--buffer-cache bucket|disabled|lazyRelease|simple]
//          [--no-warmup] [--no-sync] [--no-direction] [--no-cache] [--no-video] [--attention-size 1024]
//          [--no-attention] [--no-capture] [--no-jobs]
//   --compare  also runs WebGPU with latents read back every step (hook gpuLatents: false: the
//              engine before issue 8) for a before/after on the same machine.
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { BENCH_CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const runs = Number(arg('runs', 3));
const bundles = String(arg('bundles', 'tiny,mid')).split(',');
const backends = String(arg('backends', 'wasm,webgpu')).split(',');
const midSize = Number(arg('mid-size', 128));
const gpuRuns = Number(arg('gpu-runs', 1));
const MID_DIR = '.bench/mid';
const MID_DECOMPOSED_DIR = '.bench/mid-decomposed';

const BUNDLES = {
  tiny: { manifest: '/models/tiny/manifest.json', file: 'public/models/tiny/manifest.json', request: { width: 64, height: 64 }, keepWarm: undefined },
  mid: {
    manifest: `/${MID_DIR}/manifest.json`,
    file: `${MID_DIR}/manifest.json`,
    request: { width: midSize, height: midSize },
    keepWarm: flag('keep-warm') ? undefined : false,
  },
  'mid-decomposed': {
    manifest: `/${MID_DECOMPOSED_DIR}/manifest.json`,
    file: `${MID_DECOMPOSED_DIR}/manifest.json`,
    request: { width: midSize, height: midSize },
    keepWarm: false,
  },
};
const JOB = {
  prompt: 'a tomato on a table',
  state1: 'fresh',
  state2: 'rotten',
  frames: Number(arg('frames', 3)),
  steps: Number(arg('steps', 3)),
  iterations: Number(arg('iterations', 32)),
  seed: 7,
  maxSequenceLength: Number(arg('text-length', 512)),
};

// The mid bundle is re-exported when the exporter's code changed since it was made (its graphs would be stale).
const exporterStamp = createHash('sha256')
  .update(readdirSync('tools/export/time_stream_export').filter((f) => f.endsWith('.py')).sort().map((f) => readFileSync(`tools/export/time_stream_export/${f}`, 'utf8')).join('\0'))
  .digest('hex');
/** Exports a mid bundle into `dir` unless the one there came from the current exporter. */
function ensureMidBundle(dir, extraArgs = []) {
  const stamp = `${dir}/.exporter-sha256`;
  if (!(existsSync(`${dir}/manifest.json`) && existsSync(stamp) && readFileSync(stamp, 'utf8') === exporterStamp)) exportMidBundle(dir, stamp, extraArgs);
  // A benchmark bundle: its size limit (the tiny bundles' 256) is raised so the attention bench can run at 1024².
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
  manifest.limits = { ...manifest.limits, max_size: 1024 };
  writeFileSync(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
}

function exportMidBundle(dir, stamp, extraArgs) {
  const python = 'tools/export/.venv/bin/python';
  const command = ['-m', 'time_stream_export', '--tiny', '--size', 'mid', ...extraArgs, '--out', dir];
  if (!existsSync(python)) {
    console.error(`No current mid bundle in ${dir} and no exporter venv: run "bash tools/export/setup.sh", then\n  ${python} ${command.join(' ')}`);
    process.exit(2);
  }
  console.log(`No mid bundle from the current exporter in ${dir}: exporting it (a few minutes) ...`);
  const r = spawnSync(python, command, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, exporterStamp);
}
const attentionBench = bundles.includes('mid') && backends.includes('webgpu') && !flag('no-attention');
if (bundles.includes('mid')) ensureMidBundle(MID_DIR);
if (attentionBench) ensureMidBundle(MID_DECOMPOSED_DIR, ['--attention', 'decomposed']);

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const sum = (xs) => (xs ?? []).reduce((a, b) => a + b, 0);
const f1 = (x, w = 9) => (Number.isFinite(x) ? x.toFixed(1) : '-').padStart(w);
const mib = (x) => (Number.isFinite(x) ? (x / 2 ** 20).toFixed(1) : '-');

/** FLOPs of one transformer call (formula in the header). */
function transformerFlops(config, width, height, textLength) {
  const D = config.num_attention_heads * config.attention_head_dim;
  const nd = config.num_layers;
  const ns = config.num_single_layers;
  const S = (width / 16) * (height / 16);
  const L = textLength + S;
  const blocks = (nd + ns) * (24 * L * D * D + 4 * L * L * D);
  const io = 2 * textLength * config.joint_attention_dim * D + 2 * S * 64 * D * 2;
  const embed = 2 * (256 * D + D * D + config.pooled_projection_dim * D + D * D);
  const modulation = (24 * nd + 6 * ns + 4) * D * D;
  return blocks + io + embed + modulation;
}

const weightBytes = (manifest, component) => sum(manifest.components[component].external_data.map((f) => f.bytes));

// No file watching: a benchmark page must not reload because a file changed under it.
const server = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await server.listen();
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BENCH_CHROMIUM_ARGS });
const started = performance.now();

async function freshPage() {
  // A page of its own per bundle and backend: its own GPU device and wasm heap, so nothing another
  // bundle kept warm counts in this one's memory.
  const page = await browser.newPage();
  await page.goto(new URL('tests/pages/engine.html', base).href, { timeout: 180_000 });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 180_000 });
  return page;
}

/** First-run shader compilation per session.run: the warm-up's first call minus the measured runs' median call. */
function reportCompile(warm, samples) {
  const runs = Object.keys(warm.times).filter((k) => k.startsWith('run:'));
  const parts = runs.map((r) => {
    const first = warm.times[r][0];
    const steady = median(samples.flatMap((s) => s.times[r] ?? []));
    return `${r.slice(4)} ${(first - steady).toFixed(1)} ms (first ${first.toFixed(1)}, then ${steady.toFixed(1)})`;
  });
  const total = sum(runs.map((r) => warm.times[r][0] - median(samples.flatMap((s) => s.times[r] ?? []))));
  console.log(`  first-run compile (est.): ${total.toFixed(1)} ms in all; ${parts.join('; ')}`);
}

function report(name, backend, samples, manifest, request, label) {
  const stageNames = [...new Set(samples.flatMap((s) => Object.keys(s.times)))];
  const med = (stage) => median(samples.map((s) => sum(s.times[stage])));
  const calls = (stage) => samples[0].times[stage]?.length ?? 0;
  console.log(`\n== ${name} on ${backend}${label ? ` (${label})` : ''}: ran on ${samples[0].backend}, median of ${samples.length} runs`);
  console.log(`  ${'stage'.padEnd(24)} ${'total ms'.padStart(9)} ${'calls'.padStart(6)} ${'ms/call'.padStart(9)}`);
  const order = ['read:', 'create:', 'session:', 'tokenizers', 't5', 'run:t5', 'clip', 'direction', 'run:clip', 'frames', 'transformer', 'run:transformer', 'euler', 'run:euler', 'readback', 'unpack', 'run:unpack', 'decode', 'run:decoder'];
  const rank = (s) => {
    const i = order.findIndex((o) => (o.endsWith(':') ? s.startsWith(o) : s === o));
    return i < 0 ? order.length : i;
  };
  for (const stage of stageNames.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const n = calls(stage);
    console.log(`  ${stage.padEnd(24)} ${f1(med(stage))} ${String(n).padStart(6)} ${f1(med(stage) / n)}`);
  }
  // Transformer steps one by one (median per step index).
  const steps = samples[0].times['run:transformer']?.length ?? 0;
  const perStep = Array.from({ length: steps }, (_, i) => median(samples.map((s) => s.times['run:transformer'][i])));
  console.log(`  transformer steps (ms): ${perStep.map((x) => x.toFixed(1)).join(' ')}`);
  const video = median(samples.map((s) => s.videoMs ?? NaN));
  if (Number.isFinite(video)) console.log(`  video encode (${samples.find((s) => s.videoCodec)?.videoCodec}, ${request.frames} frames): ${video.toFixed(1)} ms`);
  console.log(`  wall ${f1(median(samples.map((s) => s.wallMs)), 0)} ms`);

  const flops = transformerFlops(manifest.components.transformer.config, request.width, request.height, request.maxSequenceLength);
  const runMs = median(samples.flatMap((s) => s.times['run:transformer'] ?? []));
  console.log(`  transformer: ${(flops / 1e9).toFixed(3)} GFLOP/call, ${runMs.toFixed(1)} ms/call -> ${(flops / 1e6 / runMs).toFixed(2)} GFLOP/s`);

  const loopRuns = ['run:transformer', 'run:euler', 'run:unpack', 'run:decoder'];
  const loopShare = median(samples.map((s) => 1 - sum(loopRuns.flatMap((r) => s.times[r] ?? [])) / sum(s.times.frames)));
  const jobShare = median(
    samples.map((s) => {
      const setup = sum(Object.entries(s.times).filter(([k]) => k.startsWith('session:')).flatMap(([, v]) => v));
      const inRun = sum(Object.entries(s.times).filter(([k]) => k.startsWith('run:')).flatMap(([, v]) => v));
      return 1 - inRun / (s.wallMs - setup);
    }),
  );
  console.log(`  outside session.run: ${(loopShare * 100).toFixed(2)} % of the frame loop, ${(jobShare * 100).toFixed(2)} % of the job without bundle read and session creation`);
  console.log(`  JS heap peak: ${mib(median(samples.map((s) => s.heapPeak)))} MiB`);
  if (backend === 'webgpu' && samples[0].backend === 'webgpu') {
    const stageWeights = {
      t5: weightBytes(manifest, 't5'),
      clip: weightBytes(manifest, 'clip'),
      denoise: weightBytes(manifest, 'transformer') + weightBytes(manifest, 'decoder'),
    };
    const baseLive = median(samples.map((s) => s.gpuBefore.liveBytes));
    // What each stage keeps in GPU buffers once its sessions exist (the text encoders' token tables
    // stay in CPU memory: SessionSetup.cpuNodes), measured: live bytes after its last session's creation.
    const liveAfter = (c) => median(samples.map((s) => s.created?.[c]?.liveBytes ?? NaN)) - baseLive;
    const stageGpu = { t5: liveAfter('t5'), clip: liveAfter('clip'), denoise: liveAfter('decoder') };
    const largest = Math.max(...Object.values(stageGpu));
    console.log(`  GPU buffers (live before the job: ${mib(baseLive)} MiB):`);
    let jobPeak = 0;
    for (const stage of ['t5', 'clip', 'denoise']) {
      const peak = median(samples.map((s) => s.stages[stage]?.peakBytes ?? NaN));
      const atEnd = median(samples.map((s) => s.stages[stage]?.liveAtEnd ?? NaN));
      jobPeak = Math.max(jobPeak, peak);
      console.log(
        `    ${stage.padEnd(8)} peak ${mib(peak).padStart(7)} MiB, weights on the GPU ${mib(stageGpu[stage]).padStart(7)} MiB (${(peak / stageGpu[stage]).toFixed(2)}x; ` +
          `in the bundle ${mib(stageWeights[stage])} MiB), live at release ${mib(atEnd)} MiB`,
      );
    }
    for (const c of ['t5', 'clip', 'transformer', 'decoder']) {
      const created = samples.map((s) => s.created?.[c]).filter(Boolean);
      if (created.length)
        console.log(`    ${`create:${c}`.padEnd(18)} peak while creating ${mib(median(created.map((x) => x.peakBytes)))} MiB, live after ${mib(median(created.map((x) => x.liveBytes)))} MiB (weights ${mib(weightBytes(manifest, c))} MiB)`);
    }
    console.log(`    job peak ${mib(jobPeak)} MiB vs the largest stage's weights on the GPU ${mib(largest)} MiB: ${(jobPeak / largest).toFixed(2)}x; sum of all weights ${mib(sum(Object.values(stageWeights)))} MiB`);
  }
}

/**
 * One transformer call at --attention-size on the mid bundle, fused and decomposed attention side by side,
 * each in a fresh page (runtime harness transformerCall: the session alone, random inputs, 512 text tokens):
 * the GPU bytes the call adds at its peak (its working set) next to the weights.
 */
async function benchAttention() {
  const size = Number(arg('attention-size', 1024));
  const textLength = 512;
  console.log(
    `\n== fused attention: one transformer call at ${size}x${size} (${(size / 16) ** 2} image + ${textLength} text tokens), mid bundle, WebGPU, ORT buffer cache ${arg('buffer-cache', 'bucket (default)')}`,
  );
  const measured = {};
  for (const name of ['mid', 'mid-decomposed']) {
    const b = BUNDLES[name];
    const manifest = JSON.parse(readFileSync(b.file, 'utf8'));
    const page = await browser.newPage();
    await page.goto(new URL('tests/pages/runtime.html', base).href);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    const r = await page.evaluate(([url, s, l, c]) => window.runtimeTest.transformerCall(url, s, l, c), [b.manifest, size, textLength, arg('buffer-cache')]);
    await page.close();
    if ('error' in r) throw new Error(`${name}: ${r.error.name}: ${r.error.message}`);
    measured[name] = r;
    const flops = transformerFlops(manifest.components.transformer.config, size, size, textLength);
    console.log(
      `  ${name.padEnd(15)} weights ${mib(r.weightBytes)} MiB, the call's working set ${mib(r.callBytes)} MiB (${(r.callBytes / r.weightBytes).toFixed(2)}x the weights); ` +
        `${r.runMs.toFixed(0)} ms incl. first-run compile (${(flops / 1e6 / r.runMs).toFixed(2)} GFLOP/s), output finite ${r.finite}`,
    );
  }
  const fused = measured.mid;
  const decomposed = measured['mid-decomposed'];
  console.log(`  working set fused / decomposed: ${(fused.callBytes / decomposed.callBytes).toFixed(3)} (target <= 0.2)`);
  // Full FLUX.1-schnell: 24 heads x 128 (D = 3072) against mid's 4 x 64 (D = 256). Fused, nothing is held per
  // head pair of tokens: every activation is L x (a multiple of D), so the working set scales by 3072/256 = 12.
  const template = JSON.parse(readFileSync('public/models/flux1-schnell-q4/template.json', 'utf8'));
  const fullWeights = sum(template.manifest.components.transformer.external_data.map((f) => f.bytes));
  const fullWorkingSet = fused.callBytes * (3072 / 256);
  console.log(
    `  full transformer at ${size}² (extrapolated: mid's fused working set x 3072/256): ${(fullWorkingSet / 1e9).toFixed(2)} GB over ${(fullWeights / 1e9).toFixed(2)} GB of weights = ` +
      `${((fullWeights + fullWorkingSet) / fullWeights).toFixed(2)}x its weights (target <= 1.2x; decomposed, measured on an H200 slice: 1.80x)`,
  );
}

/** Whether onnxruntime-web's graph capture replays the tiny transformer right (runtime harness). */
async function benchGraphCapture() {
  const page = await browser.newPage();
  await page.goto(new URL('tests/pages/runtime.html', base).href);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const r = await page.evaluate(() => window.runtimeTest.checkGraphCapture());
  await page.close();
  console.log('\n== graph capture (tiny transformer, fixed dims 16 image + 12 text tokens, WebGPU)');
  if ('error' in r) console.log(`  refused when the session is made: ${r.error.name}: ${r.error.message}`);
  else
    console.log(
      `  session made (every node on WebGPU); replays vs plain runs on new inputs: max |diff| ${r.maxDiff.toExponential(2)} -> ${r.replaysRight ? 'right' : 'WRONG: not used'}; ` +
        `step ${r.plainMs.toFixed(1)} ms plain, ${r.replayMs.toFixed(1)} ms replayed`,
    );
}

try {
  const probe = await freshPage();
  const adapter = await probe.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} / ${a.info.architecture} / ${a.info.description}`.trim() : 'none';
  });
  await probe.close();
  console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Chromium ${browser.version()}; WebGPU adapter: ${adapter}`);
  console.log(`job: ${JSON.stringify(JOB)}; tiny ${BUNDLES.tiny.request.width}px, mid ${midSize}px; ${runs} runs (WebGPU ${gpuRuns}) + 1 warm-up each`);

  // What runs (each in a fresh page). SwiftShader WebGPU is a CPU emulation: the mid bundle's full job
  // takes minutes per run there, so by default mid on WebGPU runs a short memory job once (no warm-up)
  // for the GPU-buffer numbers; --mid-webgpu-full runs the full job instead.
  const MEMORY_JOB = { frames: 3, steps: 1, iterations: 2, maxSequenceLength: 256, width: 64, height: 64 };
  const plan = [];
  for (const name of bundles)
    for (const backend of backends) {
      const memoryOnly = name === 'mid' && backend === 'webgpu' && !flag('mid-webgpu-full');
      const base = { name, backend, request: { ...JOB, ...BUNDLES[name].request, ...(memoryOnly ? MEMORY_JOB : {}) } };
      const n = memoryOnly ? 1 : backend === 'webgpu' ? gpuRuns : runs;
      const warmup = !memoryOnly && !flag('no-warmup');
      plan.push({ ...base, runs: n, warmup, label: memoryOnly ? `memory job ${JSON.stringify(MEMORY_JOB)}, no warm-up` : '' });
      if (flag('compare') && backend === 'webgpu')
        plan.push({ ...base, runs: n, warmup, gpuLatents: false, label: 'before: latents read back every step, JS Euler' });
    }

  for (const v of flag('no-jobs') ? [] : plan) {
    const b = BUNDLES[v.name];
    const manifest = JSON.parse(readFileSync(b.file, 'utf8'));
    const page = await freshPage();
    const samples = [];
    let warm;
    for (let r = v.warmup ? 0 : 1; r <= v.runs; r++) {
      const options = { backend: v.backend, manifestUrl: b.manifest, video: r === v.runs && !flag('no-video'), syncGpu: !flag('no-sync') };
      if (arg('buffer-cache')) options.gpuBufferCache = arg('buffer-cache');
      if (b.keepWarm !== undefined) options.keepWarm = b.keepWarm;
      if (v.gpuLatents !== undefined) options.gpuLatents = v.gpuLatents;
      // A new seed each run: the direction is found again (its cache is keyed by the seed).
      const s = await page.evaluate(([req, o]) => window.runBench(req, o), [{ ...v.request, seed: v.request.seed + r }, options]);
      process.stderr.write(`  ${v.name} ${v.backend}${v.label ? ` (${v.label})` : ''} run ${r}${r ? '' : ' (warm-up)'}: ${(s.wallMs / 1000).toFixed(1)} s\n`);
      if (r > 0) samples.push(s);
      else warm = s;
    }
    report(v.name, v.backend, samples, manifest, v.request, v.label);
    if (warm) reportCompile(warm, samples);
    await page.close();
  }

  if (attentionBench) await benchAttention();
  if (backends.includes('webgpu') && !flag('no-capture')) await benchGraphCapture();

  if (!flag('no-direction')) {
    console.log('\n== direction: 64 rounds (128 prompts): as the Space (one prompt per CLIP run, 77 tokens) vs this engine');
    console.log('   (32 prompts per run, padded only to the longest prompt; the same pooled vectors: causal attention)');
    // WebGPU only with --direction-webgpu: 128 one-prompt CLIP runs on SwiftShader take minutes.
    const variants = {
      space: { directionBatch: 1, directionCompact: false },
      oneCompact: { directionBatch: 1, directionCompact: true },
      batched77: { directionBatch: 32, directionCompact: false },
      engine: { directionBatch: 32, directionCompact: true },
    };
    for (const name of bundles) {
      const b = BUNDLES[name];
      for (const backend of backends.filter((x) => x === 'wasm' || flag('direction-webgpu'))) {
        const page = await freshPage();
        const ms = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
        for (let r = 0; r <= runs; r++) {
          const req = { ...JOB, ...b.request, frames: 3, steps: 1, iterations: 64, seed: 1000 + r };
          const o = { backend, manifestUrl: b.manifest, video: false };
          for (const [k, v] of Object.entries(variants)) {
            const s = await page.evaluate(([q, x]) => window.runBench(q, x), [req, { ...o, ...v }]);
            if (r > 0) ms[k].push(s.times.direction[0]);
          }
        }
        const m = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)]));
        const line = Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ');
        console.log(`  ${name.padEnd(5)} ${backend.padEnd(7)} ${line}`);
        console.log(
          `        Space / engine ${(m.space / m.engine).toFixed(2)}x (batching alone ${(m.space / m.batched77).toFixed(2)}x, compact alone ${(m.space / m.oneCompact).toFixed(2)}x)`,
        );
        await page.close();
      }
    }
  }

  if (!flag('no-cache')) {
    const page = await freshPage();
    const r = await page.evaluate(async (job) => {
      const w = window;
      const req = { ...job, frames: 7, steps: 1, iterations: 4, seed: 4321 };
      const seven = await w.runPlain(req, 'wasm', 'cache-7');
      const thirteen = await w.runPlain({ ...req, frames: 13 }, 'wasm', 'cache-13');
      const again = await w.runPlain({ ...req, frames: 13 }, 'wasm', 'cache-13-again');
      return { seven: seven.rendered, thirteen: thirteen.rendered, again: again.rendered, againSessions: again.sessions.length };
    }, JOB);
    console.log('\n== frame cache (tiny, wasm, 64x64)');
    console.log(`  7 frames: rendered ${r.seven.length} ${JSON.stringify(r.seven)}`);
    console.log(`  then 13 frames: rendered ${r.thirteen.length} ${JSON.stringify(r.thirteen)}`);
    console.log(`  the same 13 again: rendered ${r.again.length}, sessions opened ${r.againSessions}`);
    await page.close();
  }
  console.log(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await browser.close();
  await server.close();
}
