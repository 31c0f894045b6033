// A completions server's answer placed on the prompt's text: both answer forms, offsets in code
// points, special and partial tokens, tokens generated after the prompt, and answers that cannot be
// used, each with the reason.
import { describe, expect, it } from 'vitest';
import { TOP_K } from '../../src/host/probabilities/budgets';
import { AnswerError, parsePromptLogprobs } from '../../src/host/remote/remoteTokens';
import { DEFAULT_CONTEXT_TOKENS, remoteBudget, remoteWindowTokens, REMOTE_TOP_K } from '../../src/host/remote/remoteWindows';

const ln = Math.log;

/** A legacy echo answer: tokens with their probabilities and each position's alternatives. */
function legacy(tokens: string[], probs: (number | null)[], tops: (Record<string, number> | null)[], offsets?: number[], model = 'm') {
  return {
    model,
    choices: [
      {
        text: tokens.join(''),
        logprobs: {
          tokens,
          token_logprobs: probs.map((p) => (p === null ? null : ln(p))),
          top_logprobs: tops.map((t) => (t === null ? null : Object.fromEntries(Object.entries(t).map(([k, p]) => [k, ln(p)])))),
          ...(offsets ? { text_offset: offsets } : {}),
        },
      },
    ],
  };
}

/** vLLM's prompt_logprobs entry: ids with their probability, rank and text. */
function entry(...items: [id: number, text: string, p: number, rank: number][]) {
  return Object.fromEntries(items.map(([id, text, p, rank]) => [String(id), { logprob: ln(p), rank, decoded_token: text }]));
}

function fails(body: unknown, prompt: string, k: number): AnswerError {
  try {
    parsePromptLogprobs(body, prompt, k);
  } catch (e) {
    expect(e).toBeInstanceOf(AnswerError);
    return e as AnswerError;
  }
  throw new Error('parsed an answer that should have been refused');
}

describe('the legacy echo form (tokens, token_logprobs, top_logprobs, text_offset)', () => {
  const prompt = 'let x = 1;';
  const tokens = ['let', ' x', ' =', ' 1', ';'];
  const probs = [null, 0.2, 0.6, 0.05, 0.9];
  const tops: (Record<string, number> | null)[] = [null, { ' y': 0.5, ' x': 0.2 }, { ' =': 0.6, ':': 0.3 }, { ' 0': 0.4, ' 2': 0.1 }, { ';': 0.9, ',': 0.05 }];

  it('places tokens by text_offset and reads probabilities, ranks within the top k and alternatives', () => {
    const parsed = parsePromptLogprobs(legacy(tokens, probs, tops, [0, 3, 5, 7, 9]), prompt, 2);
    expect(parsed.form).toBe('logprobs');
    expect(parsed.ranksKnown).toBe(false);
    expect(parsed.tokens.map((t) => [t.start, t.end])).toEqual([
      [0, 3],
      [3, 5],
      [5, 7],
      [7, 9],
      [9, 10],
    ]);
    expect(parsed.tokens[0].logprob).toBeNull();
    expect(parsed.tokens[0].rank).toBeUndefined();
    expect(Math.exp(parsed.tokens[1].logprob!)).toBeCloseTo(0.2, 12);
    expect(parsed.tokens[1].rank).toBe(2);
    expect(parsed.tokens[2].rank).toBe(1);
    // Below the second alternative: its rank is not known.
    expect(parsed.tokens[3].rank).toBeUndefined();
    expect(parsed.tokens[1].top.map((a) => a.text)).toEqual([' y', ' x']);
  });

  it('places tokens by their text when there is no text_offset', () => {
    const parsed = parsePromptLogprobs(legacy(tokens, probs, tops), prompt, 2);
    expect(parsed.tokens.map((t) => prompt.slice(t.start, t.end))).toEqual(tokens);
  });

  it('turns code-point offsets into UTF-16 offsets past a character outside the BMP', () => {
    const text = 'a😀b c';
    const parsed = parsePromptLogprobs(
      legacy(['a', '😀', 'b', ' c'], [null, 0.1, 0.2, 0.3], [null, { '😀': 0.1 }, { b: 0.2 }, { ' c': 0.3 }], [0, 1, 2, 3]),
      text,
      1,
    );
    expect(parsed.tokens.map((t) => [t.start, t.end])).toEqual([
      [0, 1],
      [1, 3],
      [3, 4],
      [4, 6],
    ]);
  });

  it('gives a BOS the prompt does not hold no width, even when text_offset counted it', () => {
    const text = 'def f';
    const parsed = parsePromptLogprobs(legacy(['<s>', 'def', ' f'], [null, 0.1, 0.2], [null, { def: 0.1 }, { ' f': 0.2 }], [0, 3, 6]), text, 1);
    expect(parsed.tokens.map((t) => [t.text, t.start, t.end])).toEqual([
      ['<s>', 0, 0],
      ['def', 0, 3],
      [' f', 3, 5],
    ]);
    expect(parsed.tokens[1].rank).toBe(1);
  });

  it('lets the tokens of a character split in bytes share it (replacement characters, or bytes:)', () => {
    const text = 'x €5';
    const parsed = parsePromptLogprobs(
      legacy(
        ['x', ' ', '\ufffd', 'bytes:\\xac', '5'],
        [null, 0.5, 0.1, 0.9, 0.3],
        [null, { ' ': 0.5 }, { '\ufffd': 0.1 }, { 'bytes:\\xac': 0.9 }, { '5': 0.3 }],
      ),
      text,
      1,
    );
    const covered = parsed.tokens.map((t) => text.slice(t.start, t.end));
    expect(covered.join('')).toBe(text);
    expect(covered[0]).toBe('x');
    expect(covered[4]).toBe('5');
    expect(parsed.tokens[2].start).toBe(2);
    expect(parsed.tokens[3].end).toBe(3);
  });

  it('drops the token a server generated after the prompt (max_tokens 1)', () => {
    const parsed = parsePromptLogprobs(legacy([...tokens, '\n'], [...probs, 0.7], [...tops, { '\n': 0.7 }], [0, 3, 5, 7, 9, 10]), prompt, 2);
    expect(parsed.tokens).toHaveLength(5);
    const walked = parsePromptLogprobs(legacy([...tokens, '\n'], [...probs, 0.7], [...tops, { '\n': 0.7 }]), prompt, 2);
    expect(walked.tokens).toHaveLength(5);
  });

  it('knows no rank for the token vLLM adds after its top k', () => {
    const parsed = parsePromptLogprobs(legacy(['a', ' b'], [null, 0.01], [null, { ' c': 0.5, ' d': 0.2, ' b': 0.01 }]), 'a b', 2);
    expect(parsed.tokens[1].rank).toBeUndefined();
    expect(parsed.tokens[1].top.map((a) => a.text)).toEqual([' c', ' d']);
  });
});

describe("vLLM's prompt_logprobs form", () => {
  const prompt = 'let x = 1';
  // Top 2 at each position, plus the prompt's token where it is not among them.
  const promptLogprobs = [
    null,
    entry([11, ' y', 0.5, 1], [12, ' x', 0.2, 2]),
    entry([13, ' =', 0.6, 1], [14, ':', 0.3, 2]),
    entry([15, ' 0', 0.4, 1], [16, ' 2', 0.1, 2], [17, ' 1', 0.05, 7]),
  ];
  const body = { model: 'm', choices: [{ text: prompt, prompt_logprobs: promptLogprobs }] };

  it('finds each position’s token (ranked below the top k, or by spelling the text) with its id and rank', () => {
    const parsed = parsePromptLogprobs(body, prompt, 2);
    expect(parsed.form).toBe('prompt_logprobs');
    expect(parsed.ranksKnown).toBe(true);
    expect(parsed.tokens.map((t) => [t.text, t.start, t.end, t.id, t.rank])).toEqual([
      ['let', 0, 3, undefined, undefined],
      [' x', 3, 5, 12, 2],
      [' =', 5, 7, 13, 1],
      [' 1', 7, 9, 17, 7],
    ]);
    expect(parsed.tokens[0].logprob).toBeNull();
    expect(parsed.tokens[3].top.map((a) => [a.text, a.id])).toEqual([
      [' 0', 15],
      [' 2', 16],
    ]);
  });

  it('takes ids and ranks from prompt_logprobs and places tokens by the echo form when both come (vLLM)', () => {
    const both = {
      model: 'm',
      choices: [
        {
          ...legacy(
            ['let', ' x', ' =', ' 1'],
            [null, 0.2, 0.6, 0.05],
            [null, { ' y': 0.5, ' x': 0.2 }, { ' =': 0.6, ':': 0.3 }, { ' 0': 0.4, ' 2': 0.1, ' 1': 0.05 }],
            [0, 3, 5, 7],
          ).choices[0],
          prompt_logprobs: promptLogprobs,
        },
      ],
    };
    const parsed = parsePromptLogprobs(both, prompt, 2);
    expect(parsed.form).toBe('both');
    expect(parsed.tokens.map((t) => [t.id, t.rank])).toEqual([
      [undefined, undefined],
      [12, 2],
      [13, 1],
      [17, 7],
    ]);
  });
});

describe('long windows', () => {
  it('spells a prompt of 20000 tokens without running out of stack', () => {
    const text = 'ab'.repeat(10_000);
    const tokens = [...text];
    const parsed = parsePromptLogprobs(
      legacy(tokens, [null, ...tokens.slice(1).map(() => 0.5)], [null, ...tokens.slice(1).map((t) => ({ [t]: 0.5 }))]),
      text,
      1,
    );
    expect(parsed.tokens).toHaveLength(20_000);
    expect(parsed.tokens.at(-1)).toMatchObject({ start: 19_999, end: 20_000 });
  });

  it('refuses more tokens than the text could hold', () => {
    const tokens = Array.from({ length: 100 }, () => '');
    expect(fails(legacy(tokens, [null, ...tokens.slice(1).map(() => 0.5)], [null, ...tokens.slice(1).map(() => ({ '': 0.5 }))]), 'abc', 1).message).toMatch(
      /100 tokens for a text of 3 characters/,
    );
  });
});

describe('answers that cannot be used', () => {
  it('says when there are no prompt log-probabilities', () => {
    expect(fails({ model: 'm', choices: [{ text: 'abc', logprobs: null }] }, 'abc', 2).kind).toBe('no-prompt-logprobs');
  });

  it('says when the prompt is echoed with null log-probabilities', () => {
    const e = fails(legacy(['a', ' b', ' c'], [null, null, null], [null, null, null]), 'a b c', 2);
    expect(e.kind).toBe('no-prompt-logprobs');
    expect(e.message).toMatch(/without log-probabilities/);
  });

  it('says when the tokens score only generated text (a server without echo)', () => {
    const e = fails(legacy(['\n'], [0.4], [{ '\n': 0.4, ' ': 0.3 }]), 'let x = 1;', 2);
    expect(e.kind).toBe('no-prompt-logprobs');
    expect(e.message).toMatch(/do not spell the text sent \(1 token of 1 characters for a text of 10\)/);
  });

  it('says when the server gave fewer alternatives than asked for', () => {
    const e = fails(legacy(['a', ' b'], [null, 0.5], [null, { ' b': 0.5 }]), 'a b', 5);
    expect(e.kind).toBe('top-k');
    expect(e.message).toMatch(/at most 1 alternatives per token where 5 were asked/);
  });

  it('says what is malformed', () => {
    expect(fails({ choices: [] }, 'a', 1).kind).toBe('bad-answer');
    expect(fails([], 'a', 1).kind).toBe('bad-answer');
    expect(fails(legacy(['a', 'b'], [null, 0.5], [null]), 'ab', 1).message).toMatch(/disagree on the number of tokens/);
    const positive = legacy(['a', 'b'], [null, 0.5], [null, { b: 0.5 }]);
    positive.choices[0].logprobs.token_logprobs[1] = 3;
    expect(fails(positive, 'ab', 1).message).toMatch(/not a log-probability/);
    expect(fails({ model: 'm', choices: [{ prompt_logprobs: [null, { x: 1 }] }] }, 'ab', 1).kind).toBe('bad-answer');
  });
});

describe('remoteWindowTokens', () => {
  it('keeps the tokens starting in the owned region, in document offsets, with what a server can tell', () => {
    const prompt = 'let x = 1;';
    const parsed = parsePromptLogprobs(
      legacy(
        ['let', ' x', ' =', ' 1', ';'],
        [null, 0.2, 0.6, 0.05, 0.9],
        [null, { ' y': 0.5, ' x': 0.2 }, { ' =': 0.6, ':': 0.3 }, { ' 0': 0.4, ' 2': 0.1 }, { ';': 0.9, ',': 0.05 }],
      ),
      prompt,
      2,
    );
    const plan = { contextStart: 100, ownedStart: 103, ownedEnd: 110 };
    const tokens = remoteWindowTokens({ ...parsed, model: 'm' }, plan, prompt, 'http://127.0.0.1:8000');
    expect(tokens.map((t) => [t.text, t.start, t.end])).toEqual([
      [' x', 103, 105],
      [' =', 105, 107],
      [' 1', 107, 109],
      [';', 109, 110],
    ]);
    expect(tokens[0].prob).toBeCloseTo(0.2, 12);
    expect(tokens[0].rank).toBe(2);
    expect(tokens[0].rankAbove).toBeUndefined();
    expect(tokens[2].rank).toBe(0);
    expect(tokens[2].rankAbove).toBe(2);
    expect(tokens.every((t) => Number.isNaN(t.entropy) && t.lensRows === 0 && t.id === -1)).toBe(true);
    expect(tokens[0].top.length).toBeLessThanOrEqual(TOP_K);
    expect(tokens[0].remote).toEqual({ model: 'm', server: 'http://127.0.0.1:8000' });
  });

  it('sizes windows for half the server’s context, within a bound', () => {
    expect(remoteBudget(512)).toEqual({ owned: 256, context: 192 });
    expect(remoteBudget(undefined)).toEqual(remoteBudget(DEFAULT_CONTEXT_TOKENS));
    expect(remoteBudget(128_000)).toEqual(remoteBudget(4096));
    expect(REMOTE_TOP_K).toBeGreaterThanOrEqual(10);
  });
});
