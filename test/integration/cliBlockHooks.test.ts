// `npm run explain -- FILE --json` carries the block hooks, through the built CLI and worker, in
// the shapes the engine gives them ([pos, d_model], a norm's scale [pos, 1]), and they add up as
// the stream does.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hooks } from '../../src/shared/hooks';
import { ROOT } from '../helpers/paths';

const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('npm run explain -- FILE --json', { timeout: 180_000 }, () => {
  it('carries every block hook of the default model', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-cli-')), 'add.py');
    fs.writeFileSync(file, 'def add(a, b):\n    return a + b\n');
    const out = JSON.parse(execFileSync(process.execPath, [CLI, file, '--json', '--threads', '1'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));
    const pos = out.tokens.length;
    const a = out.activations as Record<string, { shape: number[]; data: number[][] }>;
    const d = out.model.dModel;
    expect(a[hooks.embed].shape).toEqual([pos, d]);
    expect(a[hooks.posEmbed].shape).toEqual([pos, d]);
    expect(a[hooks.lnFinal('scale')].shape).toEqual([pos, 1]);
    expect(a[hooks.lnFinal('normalized')].shape).toEqual([pos, d]);
    for (let L = 0; L < out.model.layers; L++) {
      for (const name of [hooks.attnOut(L), hooks.residMid(L), hooks.mlpOut(L), hooks.norm(L, 'ln1', 'normalized'), hooks.norm(L, 'ln2', 'normalized')])
        expect(a[name]?.shape, name).toEqual([pos, d]);
      for (const name of [hooks.norm(L, 'ln1', 'scale'), hooks.norm(L, 'ln2', 'scale')]) expect(a[name]?.shape, name).toEqual([pos, 1]);
      expect(a[hooks.mlpPre(L)]?.shape).toEqual([pos, out.model.dMlp]);
      const [pre, attn, mid] = [a[hooks.residPre(L)].data, a[hooks.attnOut(L)].data, a[hooks.residMid(L)].data];
      for (let p = 0; p < pos; p++)
        for (let i = 0; i < d; i++) expect(Math.abs(pre[p][i] + attn[p][i] - mid[p][i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(mid[p][i])));
    }
  });
});
