// The CLI's "why" commands end to end, through the built worker: their JSON is what the README
// documents, and a token given as several tokens is refused with its pieces.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-cli-'));
const clean = path.join(dir, 'clean.py');
const corrupted = path.join(dir, 'corrupted.py');
fs.writeFileSync(clean, 'def add(a, b):\n    return a + b\n');
fs.writeFileSync(corrupted, 'def add(a, b):\n    return a - b\n');

function run(...args: string[]): any {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json', '--threads', '1'], { encoding: 'utf8' }));
}

// Each command starts the CLI, its worker and ONNX Runtime, and loads the model.
describe('npm run explain -- FILE with --ablate, --why and --patch-from', { timeout: 180_000 }, () => {
  it('--ablate gives each token its probability before and after, and the change in bits', () => {
    const out = run(clean, '--ablate', '0.1,2.1');
    expect(out.interventions).toEqual([
      { hook: 'blocks.0.attn.hook_z', mode: 'zero', indices: [1] },
      { hook: 'blocks.2.attn.hook_z', mode: 'zero', indices: [1] },
    ]);
    const token = out.tokens[5];
    expect(token.changeBits).toBeCloseTo(Math.log2(token.ablatedProb) - Math.log2(token.prob), 5);
    expect(out.tokens.some((t: { changeBits: number | null }) => t.changeBits !== null && Math.abs(t.changeBits) > 0.1)).toBe(true);
  });

  it('--why gives parts that add up to the measured logit difference, and the earlier tokens', () => {
    const out = run(clean, '--why', '5', '--vs', ' b');
    expect(Math.abs(out.sum - out.measured)).toBeLessThan(1e-4 * Math.max(1, Math.abs(out.measured)));
    expect(out.sources).toHaveLength(5);
    expect(out.parts.find((p: { label: string }) => p.label === 'L0H1')).toBeDefined();
  });

  it('--patch-from gives the residual stream by position and every head', () => {
    const out = run(corrupted, '--patch-from', clean);
    expect(out.residual.values).toHaveLength(out.residual.hooks.length);
    expect(out.residual.values[0]).toHaveLength(out.tokens.length);
    expect(out.heads.flat().every((x: number | null) => x !== null)).toBe(true);
  });

  it('refuses a token of several tokens, showing its pieces', () => {
    const result = spawnSync(process.execPath, [CLI, clean, '--why', '5', '--vs', 'hello world'], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--vs "hello world" is \d+ tokens for this model \("he"/);
  });
});
