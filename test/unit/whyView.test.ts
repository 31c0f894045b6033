// "Why this token?": what its panel is sent (from a hand-made analysis whose numbers are known),
// which token a cursor is on, the editor's colouring, and the messages and arguments the host
// accepts from the panel and from command links.
import { describe, expect, it } from 'vitest';
import { analysisKey } from '../../src/host/analysisCache';
import { sourceLevel, sourceLevelColour, SOURCE_LEVELS } from '../../src/host/decorations/sourceColours';
import type { Analysis, Attribution, Token } from '../../src/engine/types';
import { buildWhyView, tokenAtOffset, type ExplainedToken } from '../../src/host/panels/whyView';
import { parseFromWhyPanel, parseRestoredWhy, parseWhyArgs } from '../../src/shared/protocol';
import { rampColor, rgbCss } from '../../webview/shared/colorScale';

/** "<s>", "a", " b", " c", "\n" over the text "a b c\n"; the explained token is " c" (position 3). */
const TOKENS: Token[] = [
  { id: 0, text: '<s>', start: 0, end: 0, special: true },
  { id: 1, text: 'a', start: 0, end: 1, special: false },
  { id: 2, text: ' b', start: 1, end: 3, special: false },
  { id: 3, text: ' c', start: 3, end: 5, special: false },
  { id: 4, text: '\n', start: 5, end: 6, special: false },
];

function explained(attribution: Partial<Attribution> = {}, overrides: Partial<ExplainedToken> = {}): ExplainedToken {
  const k = 3;
  // Predictions made after token p (for token p + 1): after " b" (p = 2) the model ranked 7, " c" (3), 9.
  const topIds = new Int32Array(TOKENS.length * k);
  const topProbs = new Float32Array(TOKENS.length * k);
  topIds.set([7, 3, 9], 2 * k);
  topProbs.set([0.5, 0.25, 0.125], 2 * k);
  const analysis = {
    modelName: 'm',
    droppedChars: 0,
    tokens: TOKENS,
    exactOffsets: true,
    predicts: 'next',
    firstSelected: 1,
    prob: Float32Array.from([NaN, 0.1, 0.2, 0.25, 0.3]),
    rank: Int32Array.from([0, 1, 1, 2, 1]),
    entropy: new Float32Array(TOKENS.length),
    topIds,
    topProbs,
    topK: k,
    activations: {},
    pieces: { 3: ' c', 7: ' x', 9: ' y' },
    vocab: 10,
    forwardMs: 1,
    backend: 'wasm',
    attribution: {
      position: 3,
      target: 3,
      foil: 7,
      measured: -0.6931,
      parts: [
        { kind: 'embed', value: 0.1 },
        { kind: 'head', layer: 0, head: 1, value: -1.5 },
        { kind: 'mlp', layer: 0, value: 0.7 },
        { kind: 'final', value: 0.0069 },
      ],
      sum: -0.6931,
      sources: Float32Array.from([0.05, -1, 0.5]),
      notes: ['a note from the engine'],
      ...attribution,
    },
  } satisfies Analysis;
  return { id: 4, analysis, modelName: 'm', document: { uri: 'file:///w/a.txt', name: 'a.txt' }, baseOffset: 100, ...overrides };
}

describe('tokenAtOffset', () => {
  it('finds the token holding the character after the cursor, never a special one', () => {
    expect(tokenAtOffset(TOKENS, 0)).toBe(1);
    expect(tokenAtOffset(TOKENS, 1)).toBe(2);
    expect(tokenAtOffset(TOKENS, 4)).toBe(3);
  });

  it('at the end of the text takes the token that ends there, and -1 when there is none', () => {
    expect(tokenAtOffset(TOKENS, 6)).toBe(4);
    expect(tokenAtOffset(TOKENS.slice(0, 4), 5)).toBe(3);
    expect(tokenAtOffset(TOKENS.slice(0, 1), 0)).toBe(-1);
    expect(tokenAtOffset(TOKENS, 9)).toBe(-1);
  });
});

describe('buildWhyView', () => {
  const view = buildWhyView(explained());

  it('names the token, target and foil in document offsets', () => {
    expect(view.token).toEqual({ text: ' c', start: 103, end: 105 });
    expect([view.id, view.target, view.foil, view.measured, view.sum]).toEqual([4, 3, 7, -0.6931, -0.6931]);
  });

  it('offers the token in the text first, then the top predictions at its position, each once', () => {
    expect(view.choices).toEqual([
      { id: 3, text: ' c', prob: 0.25 },
      { id: 7, text: ' x', prob: 0.5 },
      { id: 9, text: ' y', prob: 0.125 },
    ]);
  });

  it('still offers a target or foil from outside the top predictions', () => {
    const other = buildWhyView(explained({ foil: 5 }));
    expect(other.choices.at(-1)).toEqual({ id: 5, text: '#5', prob: null });
  });

  it('sorts the parts by size, with the names the CLI uses', () => {
    expect(view.parts.map((p) => [p.label, p.value])).toEqual([
      ['L0H1', -1.5],
      ['L0 MLP', 0.7],
      ['embedding', 0.1],
      ['final norm shift + unembedding bias', 0.0069],
    ]);
    expect(view.parts[0]).toMatchObject({ kind: 'head', layer: 0, head: 1 });
  });

  it('gives every earlier token that holds text its share, in document offsets', () => {
    // <s> holds no text (its 0.05 has nowhere to be shown); the explained token itself is not a source.
    expect(view.sources).toEqual([
      { text: 'a', start: 100, end: 101, value: -1 },
      { text: ' b', start: 101, end: 103, value: 0.5 },
    ]);
  });

  it("keeps the engine's notes, and says so when the document before was cut to the model's window", () => {
    expect(view.notes[0]).toBe('a note from the engine');
    expect(view.notes[1]).toContain('3 tokens before this one');
    expect(buildWhyView(explained({}, { baseOffset: 0 })).notes).toEqual(['a note from the engine']);
  });

  it('refuses an analysis made without attribution', () => {
    const e = explained();
    expect(() => buildWhyView({ ...e, analysis: { ...e.analysis, attribution: undefined } })).toThrow(/attribution/);
  });
});

describe("the editor's colouring", () => {
  it('buckets a share by its size relative to the largest, keeping its sign', () => {
    expect(sourceLevel(1, 1)).toBe(SOURCE_LEVELS);
    expect(sourceLevel(-1, 1)).toBe(-SOURCE_LEVELS);
    expect(sourceLevel(0.5, 2)).toBe(Math.ceil(SOURCE_LEVELS / 4));
    expect(sourceLevel(-0.06, 1)).toBe(-1);
    // Too small to mean anything, or nothing to compare with.
    expect([sourceLevel(0.01, 1), sourceLevel(1, 0), sourceLevel(NaN, 1)]).toEqual([0, 0, 0]);
  });

  it("uses the diverging ramp's ends, the target's end for positive shares, stronger for larger ones", () => {
    const alpha = (css: string) => Number(/, ([\d.]+)\)$/.exec(css)![1]);
    const strong = sourceLevelColour(SOURCE_LEVELS);
    const weak = sourceLevelColour(1);
    expect(
      strong.dark.startsWith(
        rgbCss(rampColor(1, 'dark', 'diverging'))
          .replace('rgb(', 'rgba(')
          .replace(')', ''),
      ),
    ).toBe(true);
    expect(
      sourceLevelColour(-1).light.startsWith(
        rgbCss(rampColor(0, 'light', 'diverging'))
          .replace('rgb(', 'rgba(')
          .replace(')', ''),
      ),
    ).toBe(true);
    expect(alpha(strong.light)).toBeGreaterThan(alpha(weak.light));
    expect(alpha(strong.light)).toBeLessThanOrEqual(0.55);
  });
});

describe('messages from the Why panel', () => {
  it('accepts the messages it sends', () => {
    expect(parseFromWhyPanel({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseFromWhyPanel({ type: 'clearSources', extra: 1 })).toEqual({ type: 'clearSources' });
    expect(parseFromWhyPanel({ type: 'choose', id: 2, target: 5, foil: 7 })).toEqual({ type: 'choose', id: 2, target: 5, foil: 7 });
    expect(parseFromWhyPanel({ type: 'openHead', id: 2, layer: 1, head: 3 })).toEqual({ type: 'openHead', id: 2, layer: 1, head: 3 });
    expect(parseFromWhyPanel({ type: 'showSources', id: 2 })).toEqual({ type: 'showSources', id: 2 });
  });

  it('drops malformed ones', () => {
    for (const bad of [
      null,
      'ready',
      {},
      { type: 'choose', id: 2, target: -1, foil: 7 },
      { type: 'choose', id: 2, target: 1.5, foil: 7 },
      { type: 'choose', id: 2, target: '5', foil: 7 },
      { type: 'openHead', id: 2, layer: 1 },
      { type: 'openHead', id: 2, layer: 99999, head: 0 },
      { type: 'showSources' },
      { type: 'export', id: 1 },
    ]) {
      expect(parseFromWhyPanel(bad)).toBeUndefined();
    }
  });
});

describe("a restored panel's state", () => {
  it('names the document, the token and the target and foil it explained', () => {
    const explained = { uri: 'file:///w/a.ts', offset: 12, target: 3, foil: 7 };
    expect(parseRestoredWhy({ explained })).toEqual(explained);
  });

  it('is ignored when anything in it is malformed', () => {
    const explained = { uri: 'file:///w/a.ts', offset: 12, target: 3, foil: 7 };
    for (const bad of [
      undefined,
      null,
      {},
      { explained: null },
      { explained: { ...explained, uri: 'x' } },
      { explained: { ...explained, offset: -1 } },
      { explained: { ...explained, target: 1.5 } },
      { explained: { ...explained, foil: '7' } },
    ]) {
      expect(parseRestoredWhy(bad)).toBeUndefined();
    }
  });
});

describe("Why This Token?'s arguments", () => {
  it('takes a URI and an offset, and reads anything but a plain object as none', () => {
    expect(parseWhyArgs({ uri: 'file:///w/a.ts', offset: 12 })).toEqual({ uri: 'file:///w/a.ts', offset: 12 });
    expect(parseWhyArgs(undefined)).toEqual({});
    // The editor's context menu passes the document's Uri object.
    expect(parseWhyArgs(new URL('file:///w/a.ts'))).toEqual({});
  });

  it('refuses malformed ones instead of guessing', () => {
    for (const bad of [{ uri: 'not a uri' }, { uri: 42 }, { offset: -1 }, { offset: 1.5 }, { offset: '3' }, { uri: `file:///${'a'.repeat(5000)}` }])
      expect(parseWhyArgs(bad)).toBeUndefined();
  });
});

describe('the analysis cache', () => {
  it('keeps an attribution apart from a plain run and from other targets and foils', () => {
    const plain = analysisKey('m.onnx', 'text', { topK: 10 });
    const why = analysisKey('m.onnx', 'text', { topK: 10, attribution: { position: 3 } });
    const otherPosition = analysisKey('m.onnx', 'text', { topK: 10, attribution: { position: 2 } });
    const otherFoil = analysisKey('m.onnx', 'text', { topK: 10, attribution: { position: 3, target: 5, foil: 7 } });
    const otherTarget = analysisKey('m.onnx', 'text', { topK: 10, attribution: { position: 3, target: 6, foil: 7 } });
    expect(new Set([plain, why, otherPosition, otherFoil, otherTarget]).size).toBe(5);
    // The command leaves target and foil undefined for the engine's defaults: the same request as leaving them out.
    expect(analysisKey('m.onnx', 'text', { topK: 10, attribution: { position: 3, target: undefined, foil: undefined } })).toBe(why);
  });
});
