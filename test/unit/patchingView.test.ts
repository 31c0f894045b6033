// What the patching panel is sent and exports, from a hand-made sweep, and the state it keeps for
// the host to run the comparison again after a window reload.
import { describe, expect, it } from 'vitest';
import type { PatchingResult } from '../../src/engine/patching';
import type { Analysis } from '../../src/engine/types';
import { buildPatchingView, patchingCsv, patchingJson } from '../../src/host/panels/patchingView';
import { parseRestoredPatching } from '../../src/shared/protocol';
import { patchingState } from '../../webview/patching/patchingData';

function run(texts: string[], pieces: Record<number, string>): Analysis {
  return { tokens: texts.map((text, i) => ({ id: i, text, start: i, end: i + 1, special: false })), pieces } as unknown as Analysis;
}

const result: PatchingResult = {
  target: 5,
  foil: 9,
  clean: 2,
  corrupted: -1,
  residual: { hooks: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post'], values: Float32Array.from([0, 1, NaN, 0.5]), positions: 2 },
  heads: { layers: 1, heads: 2, values: Float32Array.from([0.25, -0.125]) },
  batch: 4,
};
const source = { uri: 'file:///w/a.txt', clean: { start: 0, end: 4 } };
const view = buildPatchingView(3, 'tiny', result, run(['=a', ' +'], { 5: ' x' }), run(['=a', ' -'], { 9: ' y' }), { clean: '=a +', corrupted: '=a -', source });

describe('buildPatchingView', () => {
  it('names the target and foil from either run, and carries both grids', () => {
    expect(view.target).toEqual({ id: 5, text: ' x' });
    expect(view.foil).toEqual({ id: 9, text: ' y' });
    expect(view.clean).toEqual({ text: '=a +', tokens: ['=a', ' +'], logitDiff: 2 });
    expect(view.corrupted.logitDiff).toBe(-1);
    expect(Array.from(new Float32Array(view.residual.values))).toEqual([0, 1, NaN, 0.5]);
    expect(Array.from(new Float32Array(view.heads.values))).toEqual([0.25, -0.125]);
    // The view owns copies: the engine's result can go.
    result.heads.values[0] = 7;
    expect(new Float32Array(view.heads.values)[0]).toBe(0.25);
  });

  it('writes a token id it has no text for as #id', () => {
    const other = buildPatchingView(1, 'tiny', { ...result, foil: 42 }, run(['a'], {}), run(['b'], {}), { clean: 'a', corrupted: 'b', source });
    expect(other.foil.text).toBe('#42');
  });
});

describe('patching exports', () => {
  it('JSON has both grids, null where there was nothing to patch', () => {
    const json = JSON.parse(patchingJson(view));
    expect(json.residual.values).toEqual([
      [0, 1],
      [null, 0.5],
    ]);
    expect(json.heads).toEqual([[0.25, -0.125]]);
    expect(json.target.text).toBe(' x');
  });

  it('CSV has one row per patched part, with token text neutralised', () => {
    const rows = patchingCsv(view).trim().split('\r\n');
    expect(rows).toHaveLength(1 + 4 + 2);
    expect(rows[1]).toBe("residual,blocks.0.hook_resid_pre,,0,,'=a,'=a,0");
    expect(rows[3]).toBe("residual,blocks.0.hook_resid_post,,0,,'=a,'=a,");
    expect(rows[6]).toBe('head,blocks.0.attn.hook_z,0,,1,,,-0.125');
  });
});

describe("a restored patching panel's state", () => {
  const compared = { uri: 'file:///w/a.txt', clean: { start: 0, end: 4, text: '=a +' }, corrupted: { text: '=a -' }, model: 'tiny', target: 5, foil: 9 };

  it('names what the panel showed: texts, offsets, model, target and foil', () => {
    expect(patchingState(view)).toEqual({ compared });
    expect(parseRestoredPatching(patchingState(view))).toEqual(compared);
    // The corrupted text was the second selection: its offsets come too.
    const selected = { ...view, source: { ...source, corrupted: { start: 5, end: 9 } } };
    expect(parseRestoredPatching(patchingState(selected))).toEqual({ ...compared, corrupted: { start: 5, end: 9, text: '=a -' } });
    // What VS Code hands back is JSON.
    expect(parseRestoredPatching(JSON.parse(JSON.stringify(patchingState(selected))))?.corrupted).toEqual({ start: 5, end: 9, text: '=a -' });
  });

  it('is ignored when anything in it is malformed', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'state',
      {},
      { compared: null },
      { compared: { ...compared, uri: 'not a uri' } },
      { compared: { ...compared, uri: 7 } },
      { compared: { ...compared, clean: { start: 4, end: 0, text: '=a +' } } },
      { compared: { ...compared, clean: { start: -1, end: 4, text: '=a +' } } },
      { compared: { ...compared, clean: { start: 0, end: 4 } } },
      { compared: { ...compared, clean: { start: 0, end: 4, text: 'x'.repeat(100_001) } } },
      { compared: { ...compared, corrupted: undefined } },
      { compared: { ...compared, corrupted: { text: 42 } } },
      { compared: { ...compared, corrupted: { start: 5, text: '=a -' } } },
      { compared: { ...compared, corrupted: { start: 5, end: 1.5, text: '=a -' } } },
      { compared: { ...compared, model: undefined } },
      { compared: { ...compared, target: -1 } },
      { compared: { ...compared, target: 2 ** 31 } },
      { compared: { ...compared, foil: '9' } },
    ];
    for (const state of bad) expect(parseRestoredPatching(state), JSON.stringify(state)).toBeUndefined();
  });
});
