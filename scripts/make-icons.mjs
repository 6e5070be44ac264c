#!/usr/bin/env node
// Draws the app icons into public/icons/ (committed; rerun after changing the drawing):
//   node scripts/make-icons.mjs
// The motif: five frames on a wave, pink (the past) to blue (the future), like the Space's colours.
// Plain Node, no dependencies: a small analytic drawing, 4×4 supersampled, written by a minimal PNG
// encoder (zlib from Node), so the output is the same on every machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const OUT = new URL('../public/icons/', import.meta.url);

const PAST = [244, 114, 182]; // pink
const FUTURE = [96, 165, 250]; // blue
const BG_TOP = [36, 30, 78];
const BG_BOTTOM = [17, 15, 40];

const mix = (a, b, t) => a.map((x, i) => x + (b[i] - x) * t);
const clamp01 = (t) => Math.min(1, Math.max(0, t));

/** The wave the frames sit on, in motif coordinates (0..1). */
const wave = (x) => 0.5 - 0.11 * Math.sin((x - 0.5) * Math.PI * 1.6);
const DOTS = [0.18, 0.34, 0.5, 0.66, 0.82].map((x, i) => ({ x, y: wave(x), r: 0.055 + i * 0.008, color: mix(PAST, FUTURE, i / 4) }));

/** Distance from (x, y) to the wave, by sampling it (fine for an icon). */
function distanceToWave(x, y) {
  // The wave's slope stays under 0.6, so a vertical gap over 0.02 means the distance is over 0.017: far.
  if (Math.abs(y - wave(Math.min(0.86, Math.max(0.14, x)))) > 0.02 || x < 0.12 || x > 0.88) return 1;
  let best = Infinity;
  for (let i = 0; i <= 200; i++) {
    const wx = 0.14 + (0.72 * i) / 200;
    best = Math.min(best, Math.hypot(x - wx, y - wave(wx)));
  }
  return best;
}

/** Colour (RGBA, straight alpha, 0..255) of the motif layer at motif coordinates, over a background. */
function shade(x, y, background) {
  let color = background;
  const d = distanceToWave(x, y);
  if (d < 0.014) color = mix(color, mix(PAST, FUTURE, clamp01((x - 0.14) / 0.72)), 0.55);
  for (const dot of DOTS) {
    const r = Math.hypot(x - dot.x, y - dot.y);
    if (r < dot.r) color = dot.color;
    else if (r < dot.r + 0.018) color = mix(color, [255, 255, 255], 0.12);
  }
  return color;
}

/**
 * Renders one icon. `maskable`: full-bleed square, motif inside the central safe circle (radius 40%).
 * Otherwise a rounded square with transparent corners and the motif filling it.
 */
function render(size, { maskable }) {
  const rgba = new Uint8Array(size * size * 4);
  const S = 4;
  const motifScale = maskable ? 0.72 : 0.92;
  const corner = 0.2;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const u = (px + (sx + 0.5) / S) / size;
          const v = (py + (sy + 0.5) / S) / size;
          if (!maskable) {
            // Rounded square: outside the corner arcs is transparent.
            const cx = Math.min(Math.max(u, corner), 1 - corner);
            const cy = Math.min(Math.max(v, corner), 1 - corner);
            if (Math.hypot(u - cx, v - cy) > corner) continue;
          }
          const background = mix(BG_TOP, BG_BOTTOM, v);
          const c = shade(0.5 + (u - 0.5) / motifScale, 0.5 + (v - 0.5) / motifScale, background);
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
          acc[3] += 1;
        }
      }
      const i = (py * size + px) * 4;
      const coverage = acc[3] / (S * S);
      for (let k = 0; k < 3; k++) rgba[i + k] = acc[3] ? Math.round(acc[k] / acc[3]) : 0;
      rgba[i + 3] = Math.round(coverage * 255);
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A truecolour+alpha PNG (colour type 6, 8 bits), every row with filter 0. */
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    raw.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const ICONS = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'maskable-192.png', size: 192, maskable: true },
  { file: 'maskable-512.png', size: 512, maskable: true },
  // iOS draws its own rounded corners and shows transparency as black: full bleed.
  { file: 'apple-touch-icon.png', size: 180, maskable: true },
];

mkdirSync(OUT, { recursive: true });
for (const icon of ICONS) {
  const png = encodePng(icon.size, render(icon.size, icon));
  writeFileSync(new URL(icon.file, OUT), png);
  console.log(`public/icons/${icon.file}  ${icon.size}×${icon.size}  ${png.length} bytes`);
}
