// The build-time policy pieces, in Node (no browser): model hosts are validated, the CSP is what the
// docs promise, and the prompt's words follow the page language.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { contentSecurityPolicy, modelListHosts, parseModelHosts } from '../../src/pwa/vite-plugin';
import { promptMessages } from '../../src/pwa/messages';

test('VITE_MODEL_HOSTS takes plain origins, separated by spaces or commas, and refuses anything else', () => {
  expect(parseModelHosts(undefined)).toEqual([]);
  expect(parseModelHosts('  ')).toEqual([]);
  expect(parseModelHosts('https://huggingface.co, https://*.hf.co  http://127.0.0.1:8080')).toEqual([
    'https://huggingface.co',
    'https://*.hf.co',
    'http://127.0.0.1:8080',
  ]);
  for (const bad of [
    'huggingface.co',
    'https://huggingface.co/',
    'https://h.co/models',
    "'unsafe-inline'",
    '*',
    'https://a.co;script-src',
    'data:',
  ]) {
    expect(() => parseModelHosts(bad), bad).toThrow(/VITE_MODEL_HOSTS/);
  }
});

test('the CSP allows our origin, wasm compilation and the model hosts, and nothing inline', () => {
  const directives = Object.fromEntries(
    contentSecurityPolicy(['https://models.example.org'])
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  );
  expect(directives['default-src']).toEqual(["'none'"]);
  expect(directives['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(directives['style-src']).toEqual(["'self'"]);
  expect(directives['connect-src']).toEqual(["'self'", 'https://models.example.org']);
  expect(directives['worker-src']).toEqual(["'self'"]);
  expect(directives['object-src']).toEqual(["'none'"]);
  expect(JSON.stringify(directives)).not.toMatch(/unsafe-inline|(?<!wasm-)unsafe-eval|\bhttps?:\/\/(?!models\.example\.org)/);
});

test('connect-src gains the hosts the model list downloads from, and where huggingface.co redirects them; not its licence links', () => {
  expect(modelListHosts(readFileSync('public/models/sources.json', 'utf8'))).toEqual([
    'https://huggingface.co',
    'https://*.huggingface.co',
    'https://*.hf.co',
  ]);
  const list = JSON.stringify({
    models: [
      { kind: 'bundle', manifest_url: 'models/world/manifest.json' },
      { kind: 'bundle', manifest_url: 'https://models.example.org/b/manifest.json', note: 'https://elsewhere.example.org' },
      { components: { t5: { url: 'http://127.0.0.1:8080/t5.gguf' } }, license: { url: 'https://github.com/x/y' } },
    ],
  });
  expect(modelListHosts(list)).toEqual(['https://models.example.org', 'http://127.0.0.1:8080']);
});

test('the update prompt speaks the page language (Korean for ko-*, English otherwise)', () => {
  expect(promptMessages('ko')['update-available']).toContain('새 버전');
  expect(promptMessages('ko-KR').reload).toBe('새로고침');
  expect(promptMessages('en-GB').reload).toBe('Reload');
  expect(promptMessages('').later).toBe('Later');
});
