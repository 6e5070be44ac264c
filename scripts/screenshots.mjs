#!/usr/bin/env node
// The README's screenshots (docs/screenshots/first-load-{en,ko}-{375,1280}.png): the first screen of the
// app on the built-in model, at a phone's and a desktop's width, in English and Korean, as a new visitor
// sees it (fresh profile, nothing stored). Korean needs a CJK font on the machine (Debian: fonts-noto-cjk).
// Usage: node scripts/screenshots.mjs [--out docs/screenshots]
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const i = process.argv.indexOf('--out');
const out = path.resolve(i > 0 ? process.argv[i + 1] : 'docs/screenshots');
fs.mkdirSync(out, { recursive: true });

const vite = await createServer({ logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null } });
await vite.listen();
const base = vite.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  for (const lang of ['en', 'ko']) {
    for (const width of [375, 1280]) {
      const page = await browser.newPage({
        viewport: { width, height: width < 600 ? 812 : 900 },
        locale: lang === 'ko' ? 'ko-KR' : 'en-US',
      });
      await page.goto(base, { timeout: 180_000 });
      await page.getByTestId('model-info').waitFor({ timeout: 180_000 });
      // The device check and the model list settle before the picture is taken.
      await page.getByTestId('source-flux1-schnell-q4-public').waitFor();
      await page.waitForTimeout(1000);
      const file = path.join(out, `first-load-${lang}-${width}.png`);
      await page.screenshot({ path: file });
      console.log(`${path.relative(process.cwd(), file)}: ${width} px, ${lang}`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await vite.close();
}
