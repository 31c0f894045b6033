// How a window is cut into requests that fit a server's context whatever the text's script (one
// byte a character for code, three for CJK, four for an emoji), and what each server's refusal of
// a too-long prompt says about its context.
import { describe, expect, it } from 'vitest';
import { contextRefusal } from '../../src/host/remote/completionsClient';
import { requestByteLimit, requestParts, RESERVED_TOKENS, type RequestPart } from '../../src/host/remote/remoteWindows';

const bytes = (s: string) => Buffer.byteLength(s);

/** Every part within the limit, starting and ending at characters, owning the text in order with nothing left out. */
function expectCovering(text: string, ownedFrom: number, limit: number, parts: RequestPart[]): void {
  expect(parts.length).toBeGreaterThan(0);
  expect(parts[0].ownedStart).toBe(ownedFrom);
  expect(parts.at(-1)!.ownedEnd).toBe(text.length);
  parts.forEach((p, i) => {
    if (i > 0) expect(p.ownedStart).toBe(parts[i - 1].ownedEnd);
    expect(p.ownedEnd).toBeGreaterThan(p.ownedStart);
    expect(p.contextStart).toBeLessThanOrEqual(p.ownedStart);
    expect(bytes(text.slice(p.contextStart, p.ownedEnd))).toBeLessThanOrEqual(limit);
    // A request never starts or ends between the halves of a surrogate pair (it would send U+FFFD).
    for (const cut of [p.contextStart, p.ownedStart, p.ownedEnd]) expect(text.slice(cut - 1, cut + 1)).not.toMatch(/^[\ud800-\udbff][\udc00-\udfff]$/);
  });
}

const CHINESE = '天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。\n';

describe('requestParts', () => {
  it('sends a window of one-byte characters that fits as it is: one request, its context whole', () => {
    const text = 'const total = orders.reduce((sum, o) => sum + o.amount, 0);\n'.repeat(7);
    expect(requestParts(text, 120, requestByteLimit(512))).toEqual([{ contextStart: 0, ownedStart: 120, ownedEnd: text.length }]);
  });

  it('cuts CJK text, three bytes a character, into parts within the limit, after lines or punctuation', () => {
    const text = CHINESE.repeat(12);
    const limit = requestByteLimit(512);
    const ownedFrom = CHINESE.length * 4;
    const parts = requestParts(text, ownedFrom, limit);
    expectCovering(text, ownedFrom, limit, parts);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts.slice(0, -1)) expect(text[p.ownedEnd - 1]).toMatch(/[\n，。、]/);
    // Each part reads text before it as context, as much as fits.
    for (const p of parts.slice(1)) expect(bytes(text.slice(p.contextStart, p.ownedEnd))).toBeGreaterThan(limit - 4);
  });

  it('keeps an owned region that leaves room for context in one request, its context cut to fit', () => {
    const text = CHINESE.repeat(4) + 'x = 1\n'.repeat(20);
    const ownedFrom = CHINESE.length * 4;
    const parts = requestParts(text, ownedFrom, 256);
    expect(parts).toHaveLength(1);
    expectCovering(text, ownedFrom, 256, parts);
    expect(parts[0].contextStart).toBeGreaterThan(0);
  });

  it('never splits an emoji, even when a cut falls inside one', () => {
    const text = '😀🎉👩‍💻'.repeat(120);
    for (const limit of [64, 97, 130]) expectCovering(text, 0, limit, requestParts(text, 0, limit));
  });

  it('leaves room for the tokens a server adds, and sizes for the context it reports, at most 4096', () => {
    expect(requestByteLimit(512)).toBe(512 - RESERVED_TOKENS);
    expect(requestByteLimit(undefined)).toBe(2048 - RESERVED_TOKENS);
    expect(requestByteLimit(131_072)).toBe(4096 - RESERVED_TOKENS);
  });
});

describe('contextRefusal reads what each server says of a too-long prompt', () => {
  it('vLLM (HTTP 400), in its API server words and its engine words', () => {
    const api = JSON.stringify({
      object: 'error',
      message:
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4999 in the messages, 1 in the completion). Please reduce the length of the messages or completion.",
      type: 'BadRequestError',
      code: 400,
    });
    expect(contextRefusal(400, api)).toEqual({ contextTokens: 4096, promptTokens: 4999 });
    const newer = JSON.stringify({
      message:
        "This model's maximum context length is 2048 tokens. However, your request has 2100 input tokens. Please reduce the length of the input messages.",
    });
    expect(contextRefusal(400, newer)).toEqual({ contextTokens: 2048, promptTokens: 2100 });
    const engine = JSON.stringify({ message: 'The prompt (total length 25938) is too long to fit into the model (context length 4096).' });
    expect(contextRefusal(400, engine)).toEqual({ contextTokens: 4096, promptTokens: 25938 });
  });

  it('Text Generation Inference (HTTP 422)', () => {
    const body = JSON.stringify({
      error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. Given: 3474 `inputs` tokens and 1 `max_new_tokens`',
      error_type: 'validation',
    });
    expect(contextRefusal(422, body)).toEqual({ contextTokens: 2048, promptTokens: 3474 });
    expect(contextRefusal(422, JSON.stringify({ error: 'Input validation error: `inputs` must have less than 1024 tokens. Given: 1168' }))).toEqual({
      contextTokens: 1024,
      promptTokens: 1168,
    });
  });

  it("llama.cpp's server, HTTP 400 now and 500 before", () => {
    const body = JSON.stringify({
      error: {
        code: 500,
        message: 'the request exceeds the available context size. try increasing the context size or enable context shift',
        type: 'exceed_context_size_error',
        n_prompt_tokens: 1407,
        n_ctx: 256,
      },
    });
    for (const status of [400, 500]) expect(contextRefusal(status, body)).toEqual({ contextTokens: 256, promptTokens: 1407 });
  });

  it('is not a refusal for other errors', () => {
    expect(contextRefusal(500, JSON.stringify({ error: { message: 'CUDA out of memory' } }))).toBeUndefined();
    expect(contextRefusal(422, JSON.stringify({ error: 'Input validation error: `top_n_tokens` must be <= 5' }))).toBeUndefined();
    expect(contextRefusal(400, JSON.stringify({ message: 'prompt_logprobs is not supported' }))).toBeUndefined();
    expect(contextRefusal(401, "This model's maximum context length is 4096 tokens.")).toBeUndefined();
  });
});
