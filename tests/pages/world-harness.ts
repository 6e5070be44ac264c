// Walk harness (tests/e2e/world.spec.ts): renders walks with the app's own engine (onnxruntime-web in this
// page) on the built-in world bundle and judges every frame with the independent judge
// (tests/fixtures/world/judge.onnx, fitted on the drawn world's ground truth only, never on a model's output).
import { render } from '../../workers/engine';
import type { Backend } from '../../src/shared/events';
import { DEFAULT_REQUEST, type RenderRequest } from '../../src/shared/request';
import { createGraphSession, runF32, tensorF32, type OrtSession } from '../../workers/runtime/ort';

const WORLD = { manifestUrl: '/models/world/manifest.json' };
/** The judge's class and parameter order (tools/train-tiny/train_tiny/world.py). */
const SUBJECTS = ['tomato', 'house', 'tree', 'car', 'fish', 'flower'] as const;
const PARAMS = ['rot', 'snow', 'night'] as const;
const SIDE = 64;

let judgeSession: Promise<OrtSession> | undefined;

/** Subject (argmax of the logits) and state parameters of each 64x64 RGBA frame. */
async function judgeFrames(frames: readonly Uint8ClampedArray[]): Promise<{ subjects: string[]; params: number[][] }> {
  judgeSession ??= fetch('/tests/fixtures/world/judge.onnx')
    .then((r) => r.arrayBuffer())
    .then((bytes) => createGraphSession(new Uint8Array(bytes), 'wasm'));
  const session = await judgeSession;
  const plane = SIDE * SIDE;
  const input = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, n) => {
    if (rgba.length !== plane * 4) throw new Error(`the judge takes ${SIDE}x${SIDE} frames, got ${rgba.length / 4} pixels`);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) input[(n * 3 + c) * plane + p] = rgba[p * 4 + c]! / 255;
  });
  const [logits, params] = await runF32(session, { images: tensorF32(input, [frames.length, 3, SIDE, SIDE]) }, [
    'subject_logits',
    'params',
  ]);
  const subjects: string[] = [];
  const judged: number[][] = [];
  for (let n = 0; n < frames.length; n++) {
    const row = Array.from(logits!.subarray(n * SUBJECTS.length, (n + 1) * SUBJECTS.length));
    subjects.push(SUBJECTS[row.indexOf(Math.max(...row))]!);
    judged.push(Array.from(params!.subarray(n * PARAMS.length, (n + 1) * PARAMS.length)));
  }
  return { subjects, params: judged };
}

/** The frames side by side, each scaled up `zoom` times without smoothing, as a PNG data URL (the README's strip). */
function stripPng(frames: readonly Uint8ClampedArray[], zoom: number): string {
  const tile = document.createElement('canvas');
  tile.width = tile.height = SIDE;
  const canvas = document.createElement('canvas');
  canvas.width = frames.length * SIDE * zoom;
  canvas.height = SIDE * zoom;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  frames.forEach((rgba, i) => {
    tile.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), SIDE, SIDE), 0, 0);
    ctx.drawImage(tile, i * SIDE * zoom, 0, SIDE * zoom, SIDE * zoom);
  });
  return canvas.toDataURL('image/png');
}

/** Mean absolute change per pixel channel (0-255) between each pair of adjacent frames. */
function adjacentDistances(frames: readonly Uint8ClampedArray[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    const [a, b] = [frames[i - 1]!, frames[i]!];
    let sum = 0;
    for (let p = 0; p < a.length; p += 4) for (let c = 0; c < 3; c++) sum += Math.abs(a[p + c]! - b[p + c]!);
    out.push(sum / ((a.length / 4) * 3));
  }
  return out;
}

async function sha256(bytes: Uint8ClampedArray): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Renders one walk (frame cache off: every frame is rendered) and judges its frames in index order.
 * `strip`: also return the frames as one PNG strip (data URL), each frame scaled up that many times.
 */
async function walk(request: Partial<RenderRequest>, backend: Backend, strip = 0) {
  const frames: Uint8ClampedArray[] = [];
  const walks: unknown[] = [];
  const start = performance.now();
  const result = await render(
    `walk-${performance.now()}`,
    WORLD,
    { ...DEFAULT_REQUEST, width: SIDE, height: SIDE, ...request },
    (e) => {
      if (e.type === 'frame') frames[e.index] = e.rgba;
      if (e.type === 'walk') walks.push(e);
    },
    { backend, hooks: { frameCache: false } },
  );
  const renderMs = performance.now() - start;
  const judged = await judgeFrames(frames);
  return {
    backend: result.backend,
    renderMs,
    ...judged,
    adjacent: adjacentDistances(frames),
    hashes: await Promise.all(frames.map(sha256)),
    layout: result.layout,
    places: result.frames.map((f) => f.place),
    walks,
    strip: strip ? stripPng(frames, strip) : '',
  };
}

Object.assign(window, { worldWalk: walk, worldJudge: judgeFrames });
document.getElementById('status')!.textContent = 'ready';
