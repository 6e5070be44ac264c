// Which template an assembly uses (issue 15 item 2, workers/assemble/precision.ts): the float16 one only
// on a GPU with shader-f16, float32 otherwise; a stored float32 bundle is kept; a source without
// template_f16 always gets its one template. The assembler in Chromium: tests/e2e/assemble-f16.spec.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceDescription } from '../../src/shared/assemble-api';
import { transformerActivations, type BundleManifest } from '../../src/shared/manifest';
import { assertTemplate, type Template } from '../../workers/assemble/layout';
import { chooseTemplate, storedActivations } from '../../workers/assemble/precision';

const fixture = (rel: string) => JSON.parse(readFileSync(new URL(`../fixtures/assemble/${rel}`, import.meta.url), 'utf8')) as unknown;
const source = fixture('tiny-f16/source.json') as SourceDescription;
const FP32 = '/tests/fixtures/assemble/tiny/template/template.json';
const FP16 = '/tests/fixtures/assemble/tiny-f16/template/template.json';

describe('chooseTemplate', () => {
  it('the fixture names both templates', () => {
    expect([source.template, source.template_f16]).toEqual([FP32, FP16]);
  });

  it.each([
    // shader-f16, what the store holds, → template, activations, why
    [true, undefined, FP16, 'float16', 'shader-f16'],
    [true, 'float16', FP16, 'float16', 'shader-f16'],
    [true, 'float32', FP32, 'float32', 'kept-float32'],
    [false, undefined, FP32, 'float32', 'no-shader-f16'],
    [false, 'float32', FP32, 'float32', 'no-shader-f16'],
    [false, 'float16', FP32, 'float32', 'no-shader-f16'],
  ] as const)('shader-f16 %s, stored %s → %s (%s, %s)', (shaderF16, stored, url, activations, why) => {
    const choice = chooseTemplate(source, shaderF16, stored);
    expect([choice.url, choice.activations, choice.why]).toEqual([url, activations, why]);
    expect(choice.reason).toMatch(shaderF16 ? /has shader-f16/ : /no shader-f16/);
  });

  it('a source without template_f16 gets its one template on any GPU', () => {
    const { template_f16: _, ...one } = source;
    for (const shaderF16 of [true, false])
      expect(chooseTemplate(one, shaderF16, undefined)).toMatchObject({ url: FP32, activations: 'float32', why: 'one-template' });
  });
});

describe('the manifests say which', () => {
  it('the fp16 template and its filled bundle mark the transformer float16, and only it; the fp32 ones say nothing', () => {
    const f16 = (fixture('tiny-f16/template/template.json') as { manifest: BundleManifest }).manifest;
    const f32 = (fixture('tiny/template/template.json') as { manifest: BundleManifest }).manifest;
    const filled = fixture('tiny-f16/expected/manifest.json') as BundleManifest;
    for (const m of [f16, filled]) {
      expect(transformerActivations(m)).toBe('float16');
      expect(['clip', 't5', 'decoder'].map((c) => m.components[c as 'clip'].activations)).toEqual([undefined, undefined, undefined]);
    }
    expect(transformerActivations(f32)).toBe('float32');
    expect(storedActivations(filled)).toBe('float16');
    expect(storedActivations(undefined)).toBeUndefined();
  });
});

describe('the shipped FLUX.1-schnell templates (public/models/flux1-schnell-q4 and -f16)', () => {
  const shipped = (dir: string) =>
    JSON.parse(readFileSync(new URL(`../../public/models/${dir}/template.json`, import.meta.url), 'utf8')) as unknown;
  const f32 = shipped('flux1-schnell-q4');
  const f16 = shipped('flux1-schnell-q4-f16');

  it('are valid templates, and only the fp16 one marks its transformer float16', () => {
    assertTemplate(f32, 'flux1-schnell-q4/template.json');
    assertTemplate(f16, 'flux1-schnell-q4-f16/template.json');
    expect([transformerActivations(f32.manifest), transformerActivations(f16.manifest)]).toEqual(['float32', 'float16']);
  });

  it('differ only in the transformer: its scales are float16 (half the bytes), everything else is the same', () => {
    assertTemplate(f32, 'f32');
    assertTemplate(f16, 'f16');
    for (const c of ['clip', 't5', 'decoder'] as const) {
      expect(f16.manifest.components[c]).toEqual(f32.manifest.components[c]);
      expect(f16.layouts[c]).toEqual(f32.layouts[c]);
    }
    expect(f16.manifest.tokenizers).toEqual(f32.manifest.tokenizers);
    const scales = (t: Template) => t.layouts.transformer.tensors.filter((e) => e.encoding === 'matmulnbits_scales');
    expect(scales(f16).map((e) => [e.param, e.dtype, e.bytes])).toEqual(scales(f32).map((e) => [e.param, 'float16', e.bytes / 2]));
    const others = (t: Template) =>
      t.layouts.transformer.tensors
        .filter((e) => e.encoding !== 'matmulnbits_scales')
        .map(({ name, bytes, encoding }) => [name, bytes, encoding]);
    expect(others(f16)).toEqual(others(f32));
  });
});
