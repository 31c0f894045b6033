// Windows sent to a completions server fit its context whatever the script: Chinese text (a token
// or more a character under the default model's byte-level tokenizer) and emoji are cut into
// requests the server accepts, and their tokens are those the local model gives for the same
// requests. A server whose real context is smaller than the one it lists (llama.cpp's slots) or
// that refuses without saying its context gets the text again in smaller requests; one that
// refuses everything ends in an error that says what to check. The server on 127.0.0.1 answers
// from the default model and counts tokens with its tokenizer, as vLLM, TGI and llama.cpp do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { planWindow, type TokenInfo, type WindowPlan } from '../../src/host/probabilities/documentWindows';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { CompletionsClient, RemoteError } from '../../src/host/remote/completionsClient';
import { remoteBudget, requestByteLimit, requestParts, REMOTE_TOP_K, scoreWindow } from '../../src/host/remote/remoteWindows';
import { chineseDocument } from '../helpers/cjkText';
import { json, startCompletionsServer, type CompletionsServer, type ServerState } from '../helpers/completionsServer';
import { DEFAULT_MODEL } from '../helpers/paths';
import { documentShape } from '../helpers/textLines';

const MODEL_NAME = 'lens-tiny';
/** The default model's own context: every request the server accepts, the model can run whole. */
const CONTEXT = 512;
const DOCUMENT = chineseDocument(2000);

let model: LoadedModel;
let tokenizer: TextTokenizer;
let server: CompletionsServer;
let state: ServerState;

function plansOf(text: string, context = CONTEXT): WindowPlan[] {
  const plans: WindowPlan[] = [];
  for (let offset = 0; offset < text.length; ) {
    const plan = planWindow(documentShape(text), offset, plans, remoteBudget(context));
    plans.push(plan);
    offset = plan.ownedEnd;
  }
  return plans;
}

function client(): CompletionsClient {
  return new CompletionsClient({ endpoint: server.endpoint, model: MODEL_NAME, retryDelayMs: 5 });
}

async function remoteTokens(c: CompletionsClient, text: string, plans: WindowPlan[]): Promise<TokenInfo[]> {
  return (await Promise.all(plans.map((plan) => scoreWindow(c, text.slice(plan.contextStart, plan.ownedEnd), plan)))).flat();
}

/** What the local model gives for the same requests, cut with `byteLimit` as the client cuts them. */
async function localTokens(text: string, plans: WindowPlan[], byteLimit: number): Promise<TokenInfo[]> {
  const out: TokenInfo[] = [];
  for (const plan of plans) {
    const prompt = text.slice(plan.contextStart, plan.ownedEnd);
    for (const part of requestParts(prompt, plan.ownedStart - plan.contextStart, byteLimit)) {
      const sub = {
        contextStart: plan.contextStart + part.contextStart,
        ownedStart: plan.contextStart + part.ownedStart,
        ownedEnd: plan.contextStart + part.ownedEnd,
      };
      out.push(...windowTokens(await model.analyze(prompt.slice(part.contextStart, part.ownedEnd), { topK: REMOTE_TOP_K }), sub));
    }
  }
  return out;
}

/**
 * The same tokens in the same order with the same probabilities. A token that is part of a
 * character (its span overlaps a neighbour's) may cover less of the text than the engine's span
 * for it, which is every character its bytes touch; every other token has the same span and text.
 */
function expectSame(remote: TokenInfo[], local: TokenInfo[]): void {
  expect(remote.length).toBe(local.length);
  const partial = (i: number) => (i > 0 && local[i - 1].end > local[i].start) || (i + 1 < local.length && local[i + 1].start < local[i].end);
  remote.forEach((r, i) => {
    const l = local[i];
    if (partial(i)) expect([r.start >= l.start, r.end <= l.end, r.end > r.start], `${i} ${l.text}`).toEqual([true, true, true]);
    else expect([r.start, r.end, r.text], `${i}`).toEqual([l.start, l.end, l.text]);
    if (Number.isNaN(l.prob)) expect(r.prob).toBeNaN();
    else expect(Math.abs(r.prob - l.prob), `${i} ${r.text}`).toBeLessThanOrEqual(1e-6);
  });
}

/** Characters of [0, length) that no token covers. */
function uncovered(tokens: TokenInfo[], length: number): number {
  const covered = new Uint8Array(length);
  for (const t of tokens) covered.fill(1, t.start, t.end);
  return length - covered.reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
  tokenizer = new TextTokenizer(
    JSON.parse(fs.readFileSync(path.join(DEFAULT_MODEL, 'tokenizer.json'), 'utf8')),
    JSON.parse(fs.readFileSync(path.join(DEFAULT_MODEL, 'tokenizer_config.json'), 'utf8')),
  );
  server = await startCompletionsServer(model, { name: MODEL_NAME, context: CONTEXT });
  state = server.state;
});

afterAll(() => server?.close());

beforeEach(() => server.reset());

// The engine behind the server and the local comparison share two cores with other work.
describe('Chinese text and emoji', { timeout: 180_000 }, () => {
  it('are scored in requests the server accepts, with the tokens and probabilities of the local model', async () => {
    const plans = plansOf(DOCUMENT);
    // The windows planned by characters hold more tokens than the server takes: sent whole, they would be refused.
    expect(plans.filter((p) => tokenizer.encode(DOCUMENT.slice(p.contextStart, p.ownedEnd)).tokens.length > CONTEXT).length).toBeGreaterThan(plans.length / 2);
    const remote = await remoteTokens(client(), DOCUMENT, plans);
    expect(state.refused).toBe(0);
    expect(state.completions).toBeGreaterThan(plans.length);
    for (const prompt of state.prompts) expect(tokenizer.encode(prompt).tokens.length).toBeLessThanOrEqual(CONTEXT);
    expectSame(remote, await localTokens(DOCUMENT, plans, requestByteLimit(CONTEXT)));
    // Parts end after a line or a pause, where tokens end: almost every character has its token.
    expect(uncovered(remote, DOCUMENT.length)).toBeLessThan(DOCUMENT.length * 0.01);
    expect(remote.filter((t) => /[\u4e00-\u9fff]/.test(t.text)).length).toBeGreaterThan(500);
  });

  it('a line of emoji longer than the context, with no line or pause to cut at', async () => {
    const text = '🎉😀👩‍💻🚀'.repeat(60);
    const plans = plansOf(text);
    const remote = await remoteTokens(client(), text, plans);
    expect(state.refused).toBe(0);
    expectSame(remote, await localTokens(text, plans, requestByteLimit(CONTEXT)));
    expect(remote.length).toBeGreaterThan(text.length / 2);
  });
});

describe('a server that refuses a request as too long', { timeout: 180_000 }, () => {
  it("gets it again in smaller requests sized by the context it says (llama.cpp's slot), and sizes later windows by it", async () => {
    // Lists 512 tokens (as llama.cpp lists n_ctx_train) but each slot holds 200.
    state.acceptsTokens = 200;
    state.refusal = 'llama.cpp';
    const c = client();
    const plans = plansOf(DOCUMENT).slice(0, 3);
    const remote = await remoteTokens(c, DOCUMENT, plans);
    expect(state.refused).toBeGreaterThan(0);
    expect((await c.servedModel()).contextTokens).toBe(200);
    expect(uncovered(remote, plans.at(-1)!.ownedEnd)).toBeLessThan(plans.at(-1)!.ownedEnd * 0.02);
    // The rest of the document is planned and cut for 200 tokens from the start: nothing more is refused.
    const refusedBefore = state.refused;
    const rest = plansOf(DOCUMENT, 200).filter((p) => p.ownedStart >= plans.at(-1)!.ownedEnd);
    const restTokens = await remoteTokens(c, DOCUMENT, rest);
    expect(state.refused).toBe(refusedBefore);
    expectSame(restTokens, await localTokens(DOCUMENT, rest, requestByteLimit(200)));
  });

  it('in the words of vLLM and of TGI, and halves its requests when it says no numbers', async () => {
    const plans = plansOf(DOCUMENT).slice(0, 2);
    for (const refusal of ['vllm', 'tgi'] as const) {
      server.reset();
      state.acceptsTokens = 300;
      state.refusal = refusal;
      const c = client();
      const remote = await remoteTokens(c, DOCUMENT, plans);
      expect(state.refused, refusal).toBeGreaterThan(0);
      expect((await c.servedModel()).contextTokens, refusal).toBe(300);
      expect(remote.length).toBeGreaterThan(200);
    }
    server.reset();
    // A gateway in front of the server that only says "too long".
    state.faults.push((res) => json(res, 400, { error: { message: 'Prompt is too long.' } }));
    const text = 'x = 1\n'.repeat(60);
    const plan = { contextStart: 0, ownedStart: 0, ownedEnd: text.length };
    const c = client();
    const remote = await scoreWindow(c, text, plan);
    expect(state.completions).toBeGreaterThan(2);
    expect(state.prompts[1].length).toBeLessThan(text.length);
    expect((await c.servedModel()).contextTokens).toBe(CONTEXT);
    expect(remote.map((t) => t.text).join('')).toBe(text);
  });

  it('that refuses every request ends in an error naming the server and what to check, after a few tries', async () => {
    state.acceptsTokens = 10;
    const plan = plansOf(DOCUMENT)[0];
    let error: unknown;
    try {
      await scoreWindow(client(), DOCUMENT.slice(plan.contextStart, plan.ownedEnd), plan);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RemoteError);
    const e = error as RemoteError;
    expect(e.kind).toBe('too-long');
    expect(e.message).toContain(server.endpoint);
    expect(e.message).toMatch(/too long for its model's context \(HTTP 400: "This model's maximum context length is 10 tokens/);
    expect(e.message).toMatch(/vLLM --max-model-len, llama\.cpp -c/);
    expect(state.completions).toBeLessThan(40);
  });
});
