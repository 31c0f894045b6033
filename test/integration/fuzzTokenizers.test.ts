// Hostile tokenizer.json files: mutations of real ones (random regular expressions, huge and
// empty vocabularies, deep nesting, values of the wrong type), each loaded through the engine's
// worker and asked to analyse text. Every one must end within its deadline in an analysis or a
// clear error, the engine must keep answering, and the host must give its memory back.
// MODEL_LENS_FUZZ_COUNT sets the number of variants (default 120, fixed seed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { ModelLensError } from '../../src/engine/errors';
import { buildDecoder } from '../helpers/decoderBuilder';
import { collectGarbage, heldBytes, withTimeout } from '../helpers/fuzzRun';
import { testTokenizerJson, writeModelFolder } from '../helpers/modelFolder';
import { exists, TINY_GPT2, WORKER } from '../helpers/paths';
import { sentencePieceTokenizer } from '../helpers/tokenizers';
import { hookGroups } from '../../src/shared/hooks';

const COUNT = Number(process.env.MODEL_LENS_FUZZ_COUNT ?? 120);
const SEED = 20261204;
/** The engine's base deadline: short, so that the patterns that never end cost little. */
const DEADLINE_MS = 5000;
/**
 * A load and an analysis take five deadlines at most (a new worker's start, the load, then the
 * analysis in a new worker that loads the model again); this is to fail rather than hang.
 */
const TIME_LIMIT_MS = 10 * DEADLINE_MS + 10_000;
/** Texts that make a careless pattern backtrack (a long run, then a character that fails it), and plain ones. */
const TEXTS = ['the cat sat on the mat', `${'a'.repeat(40)}!`, `${'ab '.repeat(30)}?`, 'naïve café 中文 😀\n\tend', ''];

// A vocabulary as large as the sources': big enough that most ids are in range.
const ONNX = buildDecoder({ attention: 'unfused', layers: 1, vocab: 512 });

type Json = Record<string, unknown>;
const SOURCES: { name: string; json: Json; config: Json }[] = [
  { name: 'byte-level BPE', json: testTokenizerJson() as Json, config: {} },
  { name: 'SentencePiece BPE', ...(sentencePieceTokenizer() as { json: Json; config: Json }) },
];
if (exists(TINY_GPT2)) {
  SOURCES.push({ name: 'GPT-2', json: JSON.parse(fs.readFileSync(path.join(TINY_GPT2, 'tokenizer.json'), 'utf8')), config: {} });
}

/** Regular expressions as tokenizer.json files hold them, including invalid ones and ones that backtrack without end. */
const regex: fc.Arbitrary<string> = fc.letrec<{ node: string; seq: string; alt: string; group: string; repeat: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      'a',
      'b',
      ' ',
      '.',
      '\\s',
      '\\w',
      '\\d',
      '[a-z]',
      '[^ ]',
      '\\p{L}',
      '\\p{N}',
      '^',
      '$',
      '\\b',
      '(?=a)',
      "'s",
      '(',
      '[',
      '\\',
      '{2}',
      '\\p{Bogus}',
    ),
    tie('seq'),
    tie('alt'),
    tie('group'),
    tie('repeat'),
  ),
  seq: fc.tuple(tie('node'), tie('node')).map(([a, b]) => a + b),
  alt: fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a}|${b}`),
  group: fc.tuple(fc.constantFrom('(', '(?:', '(?<name>'), tie('node')).map(([open, a]) => `${open}${a})`),
  repeat: fc.tuple(tie('node'), fc.constantFrom('+', '*', '?', '{2,}', '{0,3}', '+?', '*+')).map(([a, q]) => `(?:${a})${q}`),
})).node;

/** A value of any JSON type, for a field that expects another. */
const wrongValue = fc.oneof(
  fc.constantFrom(null, 0, -1, 1e300, '', 'Mystery', true, [], {}, [[]], { type: 42 }, { type: 'Mystery' }),
  fc.jsonValue({ maxDepth: 2 }),
);
const FIELDS = [
  'model',
  'model.type',
  'model.vocab',
  'model.merges',
  'model.unk_token',
  'model.byte_fallback',
  'pre_tokenizer',
  'normalizer',
  'decoder',
  'post_processor',
  'added_tokens',
  'pre_tokenizer.type',
  'decoder.type',
];

function setPath(json: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const parent = keys.slice(0, -1).reduce<Json>((o, k) => (o[k] && typeof o[k] === 'object' ? (o[k] as Json) : ((o[k] = {}) as Json)), json);
  parent[keys[keys.length - 1]] = value;
}

/** `depth` Sequences around `inner`, written as text: JSON.stringify itself would overflow the stack. */
function nested(kind: 'pretokenizers' | 'normalizers', depth: number, inner: unknown): string {
  return `{"type":"Sequence","${kind}":[`.repeat(depth) + JSON.stringify(inner) + ']}'.repeat(depth);
}

type Mutation = { what: string; text: (source: Json) => string };

function splitOn(pattern: string, behavior: string, invert: boolean): Mutation {
  return {
    what: `split on /${pattern}/ (${behavior}${invert ? ', inverted' : ''})`,
    text: (json) =>
      JSON.stringify({
        ...json,
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior, invert }, json.pre_tokenizer].filter(Boolean),
        },
      }),
  };
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(regex, fc.constantFrom('Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous', 'Mystery'), fc.boolean())
    .map(([pattern, behavior, invert]) => splitOn(pattern, behavior, invert)),
  // Nested repetition, then something that can fail: the form that backtracks without end.
  fc
    .tuple(fc.oneof(fc.constantFrom('a', '\\w', '.', 'a|b', 'a|ab', '[a-z ]'), regex), fc.constantFrom('$', 'b', '!', '\\b', '(?!.)'))
    .map(([inner, tail]) => splitOn(`(?:(?:${inner})+)+${tail}`, 'Isolated', false)),
  fc.tuple(regex, fc.string({ maxLength: 3 })).map(
    ([pattern, content]): Mutation => ({
      what: `normalizer replaces /${pattern}/ with ${JSON.stringify(content)}`,
      text: (json) => JSON.stringify({ ...json, normalizer: { type: 'Replace', pattern: { Regex: pattern }, content } }),
    }),
  ),
  fc.integer({ min: 20_000, max: 200_000 }).map(
    (n): Mutation => ({
      what: `vocabulary grown by ${n} tokens`,
      text: (json) => {
        const model = json.model as Json;
        const vocab = { ...(model.vocab as Json) };
        const first = Object.keys(vocab).length;
        for (let i = 0; i < n; i++) vocab[`tok${i}`] = first + i;
        return JSON.stringify({ ...json, model: { ...model, vocab } });
      },
    }),
  ),
  fc.constant<Mutation>({
    what: 'empty vocabulary and merges',
    text: (json) => JSON.stringify({ ...json, model: { ...(json.model as Json), vocab: {}, merges: [] } }),
  }),
  fc.tuple(fc.constantFrom('pretokenizers' as const, 'normalizers' as const), fc.integer({ min: 10, max: 50_000 })).map(
    ([kind, depth]): Mutation => ({
      what: `${kind} nested ${depth} deep`,
      text: (json) => {
        const field = kind === 'pretokenizers' ? 'pre_tokenizer' : 'normalizer';
        const inner = kind === 'pretokenizers' ? { type: 'ByteLevel', add_prefix_space: false, use_regex: true } : { type: 'NFC' };
        return JSON.stringify({ ...json, [field]: '\u0000' }).replace('"\\u0000"', nested(kind, depth, inner));
      },
    }),
  ),
  fc.tuple(fc.constantFrom(...FIELDS), wrongValue).map(
    ([field, value]): Mutation => ({
      what: `${field} = ${JSON.stringify(value)?.slice(0, 60)}`,
      text: (json) => {
        const copy = structuredClone(json);
        setPath(copy, field, value);
        return JSON.stringify(copy);
      },
    }),
  ),
  fc
    .array(
      fc.record({
        id: fc.oneof(fc.integer({ min: -3, max: 600 }), fc.constantFrom(2 ** 31, 2 ** 53, 1.5)),
        content: fc.string({ maxLength: 8 }),
        special: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map(
      (added): Mutation => ({
        what: `added tokens ${JSON.stringify(added)}`,
        text: (json) =>
          JSON.stringify({
            ...json,
            added_tokens: [
              ...((json.added_tokens as unknown[]) ?? []),
              ...added.map((a) => ({ single_word: false, lstrip: false, rstrip: false, normalized: false, ...a })),
            ],
          }),
      }),
    ),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }))), { maxLength: 20 }).map(
    (merges): Mutation => ({
      what: `merges ${JSON.stringify(merges).slice(0, 60)}`,
      text: (json) => JSON.stringify({ ...json, model: { ...(json.model as Json), merges } }),
    }),
  ),
);

const variants = fc.sample(fc.record({ source: fc.nat(SOURCES.length - 1), mutation, text: fc.constantFrom(...TEXTS) }), { seed: SEED, numRuns: COUNT });

const engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1, requestTimeoutMs: DEADLINE_MS });
afterAll(() => engine.dispose());

// Found by this fuzz run: the vocabulary was counted by walking every id below the largest (minutes).
it('loads a tokenizer whose added token has the id 2^31', async () => {
  const json = testTokenizerJson() as { added_tokens: object[] };
  json.added_tokens.push({ id: 2 ** 31, content: '<far>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
  const client = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1 });
  try {
    const info = await client.load(writeModelFolder('fuzz-far-id', ONNX, { 'tokenizer.json': JSON.stringify(json) }));
    expect(info.layers).toBe(1);
  } finally {
    client.dispose();
  }
});

it(`ends every one of ${COUNT} hostile tokenizers in an analysis or a clear error`, async () => {
  const outcomes = new Map<string, number>();
  const folder = writeModelFolder('fuzz-tokenizer', ONNX);
  collectGarbage();
  const before = heldBytes();
  for (const [i, variant] of variants.entries()) {
    const source = SOURCES[variant.source];
    fs.writeFileSync(path.join(folder, 'tokenizer.json'), variant.mutation.text(source.json));
    fs.writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64, ...source.config }));
    const what = `#${i} ${source.name}, ${variant.mutation.what}, text ${JSON.stringify(variant.text.slice(0, 20))}`;
    const outcome = await withTimeout(
      engine
        .load(folder)
        .then(() => engine.analyze(variant.text, { hooks: hookGroups.attention, lens: true }))
        .then(() => 'works')
        .catch((e: unknown) => {
          if (!(e instanceof ModelLensError)) throw new Error(`${what}: not a ModelLensError: ${e}`);
          expect(e.userMessage.length, what).toBeGreaterThan(20);
          if (e.code === 'timed-out') expect(e.file, what).toBeDefined();
          return e.code;
        }),
      TIME_LIMIT_MS,
      what,
    );
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  // Whatever the run left behind, the engine still loads and answers.
  const small = writeModelFolder('fuzz-tokenizer-after', ONNX);
  await engine.load(small);
  expect((await engine.analyze('the cat')).tokens.map((t) => t.text).join('')).toBe('the cat');
  await engine.terminateWorker();
  collectGarbage();
  const grown = (heldBytes() - before) / 1048576;
  console.log(
    `fuzzed ${COUNT} tokenizers: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; memory held by the host ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB after the worker stopped`,
  );
  expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
  expect(grown).toBeLessThan(32);
}, 600_000);
