// A weight file's tensor table checked against the shapes a model needs (every naming table uses it).

export interface TensorValidation {
  ok: boolean;
  missing: string[];
  wrong: string[];
  unexpected: string[];
  problems: string[];
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A tensor table checked against the shapes it must have: missing, wrong shape, unexpected (named). */
export function validateShapes(
  tensors: Iterable<{ name: string; shape: readonly number[] }>,
  expected: Map<string, number[]>,
  what: string,
  options: { allowUnexpected?: boolean } = {},
): TensorValidation {
  const seen = new Set<string>();
  const out: TensorValidation = { ok: true, missing: [], wrong: [], unexpected: [], problems: [] };
  for (const t of tensors) {
    seen.add(t.name);
    const want = expected.get(t.name);
    if (!want) {
      out.unexpected.push(t.name);
      if (!options.allowUnexpected) out.problems.push(`tensor ${t.name}: not part of ${what}`);
    } else if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      out.wrong.push(t.name);
      out.problems.push(`tensor ${t.name}: expected ${fmt(want)}, got ${fmt(t.shape)}`);
    }
  }
  for (const [name, shape] of expected) {
    if (!seen.has(name)) {
      out.missing.push(name);
      out.problems.push(`tensor ${name}: missing (expected ${fmt(shape)})`);
    }
  }
  out.ok = out.problems.length === 0;
  return out;
}
