// The remote probabilities backend against a completions server on 127.0.0.1 that answers from
// the project's own engine and default model, in each form real servers use (the legacy echo
// `logprobs` of vLLM and SGLang, vLLM's `prompt_logprobs`, and both together): the tokens, offsets,
// probabilities, ranks and alternatives of a whole document must be those the local model gives.
// Then the faults a server can have, each ending in an error that names it, and nothing stale.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { TOP_K } from '../../src/host/probabilities/budgets';
import { planWindow, type TokenInfo, type WindowPlan } from '../../src/host/probabilities/documentWindows';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { CompletionsClient, RemoteError, type ClientOptions } from '../../src/host/remote/completionsClient';
import { remoteBudget, REMOTE_TOP_K, scoreWindow } from '../../src/host/remote/remoteWindows';
import { json, startCompletionsServer, type CompletionsServer, type ServerState } from '../helpers/completionsServer';
import { DEFAULT_MODEL, ROOT } from '../helpers/paths';
import { documentShape } from '../helpers/textLines';

const SAMPLE = fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'workspace', 'sample.ts'), 'utf8');
const MODEL_NAME = 'lens-tiny';
const API_KEY = 'sk-test-key';
/** The context the server reports, so that the sample needs several windows. */
const CONTEXT = 512;

let model: LoadedModel;
let server: CompletionsServer;
let endpoint: string;
let state: ServerState;

/** The windows that cover a document, in order, as the extension plans them for this server. */
function plansOf(text: string): WindowPlan[] {
  const plans: WindowPlan[] = [];
  const budget = remoteBudget(CONTEXT);
  for (let offset = 0; offset < text.length; ) {
    const plan = planWindow(documentShape(text), offset, plans, budget);
    plans.push(plan);
    offset = plan.ownedEnd;
  }
  return plans;
}

/** What the local model gives for the same windows: the tokens the hover and heatmap show. */
async function localTokens(text: string, plans: WindowPlan[]): Promise<TokenInfo[]> {
  const out: TokenInfo[] = [];
  for (const plan of plans) out.push(...windowTokens(await model.analyze(text.slice(plan.contextStart, plan.ownedEnd), { topK: REMOTE_TOP_K }), plan));
  return out;
}

function client(options: Partial<ClientOptions> = {}): CompletionsClient {
  return new CompletionsClient({ endpoint, model: MODEL_NAME, apiKey: API_KEY, retryDelayMs: 5, ...options });
}

async function remoteTokens(c: CompletionsClient, text: string, plans: WindowPlan[]): Promise<TokenInfo[]> {
  // All windows at once: the client keeps windowsInFlight of them at the server.
  const windows = await Promise.all(plans.map((plan) => scoreWindow(c, text.slice(plan.contextStart, plan.ownedEnd), plan)));
  return windows.flat();
}

async function rejection(work: Promise<unknown>): Promise<RemoteError> {
  try {
    await work;
  } catch (e) {
    expect(e).toBeInstanceOf(RemoteError);
    return e as RemoteError;
  }
  throw new Error('the request succeeded where it should have failed');
}

beforeAll(async () => {
  model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
  server = await startCompletionsServer(model, { name: MODEL_NAME, apiKey: API_KEY, context: CONTEXT });
  endpoint = server.endpoint;
  state = server.state;
});

afterAll(() => server?.close());

beforeEach(() => server.reset());

describe('a server answering from the default model gives what the local model gives', () => {
  for (const form of ['logprobs', 'prompt_logprobs', 'both'] as const) {
    it(`in the ${form} form: the same tokens and offsets, probabilities to 1e-6, ranks and alternatives (sample.ts)`, async () => {
      state.form = form;
      const plans = plansOf(SAMPLE);
      expect(plans.length).toBeGreaterThan(2);
      const local = await localTokens(SAMPLE, plans);
      const c = client();
      const remote = await remoteTokens(c, SAMPLE, plans);
      expect(remote.map((t) => [t.start, t.end, t.text])).toEqual(local.map((t) => [t.start, t.end, t.text]));
      for (let i = 0; i < local.length; i++) {
        const [l, r] = [local[i], remote[i]];
        if (Number.isNaN(l.prob)) expect(r.prob).toBeNaN();
        else expect(Math.abs(r.prob - l.prob), `${i} ${l.text}`).toBeLessThanOrEqual(1e-6);
        if (form === 'logprobs') {
          // The echo form tells a rank only within the alternatives it lists.
          if (l.rank >= 1 && l.rank <= REMOTE_TOP_K) expect(r.rank, `${i} ${l.text}`).toBe(l.rank);
          else if (l.rank > REMOTE_TOP_K) expect([r.rank, r.rankAbove]).toEqual([0, REMOTE_TOP_K]);
        } else {
          expect(r.rank, `${i} ${l.text}`).toBe(l.rank);
          expect(r.id).toBe(Number.isNaN(l.prob) ? -1 : l.id);
        }
        expect(r.top.map((a) => a.text)).toEqual(l.top.slice(0, TOP_K).map((a) => a.text));
        r.top.forEach((a, j) => expect(Math.abs(a.prob - l.top[j].prob)).toBeLessThanOrEqual(1e-6));
        expect(r.entropy).toBeNaN();
        expect(r.remote).toEqual({ model: MODEL_NAME, server: endpoint });
      }
      expect(local.some((t) => t.rank > REMOTE_TOP_K)).toBe(true);
    });
  }

  it('keeps windowsInFlight windows at the server at once, and no more', async () => {
    // Long enough for the requests sent together to arrive while the first is held.
    state.delayMs = 150;
    const plans = plansOf(SAMPLE);
    await remoteTokens(client({ inFlight: 4 }), SAMPLE, plans);
    expect(state.mostOpen).toBe(Math.min(4, plans.length));
    state.mostOpen = 0;
    await remoteTokens(client({ inFlight: 1 }), SAMPLE, plans);
    expect(state.mostOpen).toBe(1);
  });

  it('learns the model and its context from GET /v1/models, and refuses a model the server does not list', async () => {
    expect(await client({ model: '' }).servedModel()).toEqual({ model: MODEL_NAME, contextTokens: CONTEXT });
    const e = await rejection(client({ model: 'gpt-5' }).scorePrompt('x = 1', REMOTE_TOP_K));
    expect(e.kind).toBe('wrong-model');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/does not serve "gpt-5".*"lens-tiny"/);
    expect(state.completions).toBe(0);
  });
});

describe('faults end in an error that names the server, and nothing stale', () => {
  const TEXT = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
  const plan = { contextStart: 0, ownedStart: 0, ownedEnd: TEXT.length };
  const OTHER = 'const total = orders.length;\n';

  /** After a fault, the next request answers for its own text, as the local model does. */
  async function answersAfterwards(c: CompletionsClient): Promise<void> {
    const other = { contextStart: 0, ownedStart: 0, ownedEnd: OTHER.length };
    const [local, remote] = [await localTokens(OTHER, [other]), await scoreWindow(c, OTHER, other)];
    expect(remote.map((t) => t.text)).toEqual(local.map((t) => t.text));
    remote.forEach((t, i) => (Number.isNaN(t.prob) ? expect(local[i].prob).toBeNaN() : expect(Math.abs(t.prob - local[i].prob)).toBeLessThanOrEqual(1e-6)));
  }

  it('asks again after 429, and succeeds', async () => {
    state.faults.push((res) => json(res, 429, { error: { message: 'Too many requests' } }));
    const c = client();
    const tokens = await scoreWindow(c, TEXT, plan);
    expect(tokens.map((t) => t.text).join('')).toBe(TEXT);
    expect(state.completions).toBe(2);
  });

  it('gives up after 503 three times', async () => {
    for (let i = 0; i < 3; i++) state.faults.push((res) => json(res, 503, { error: { message: 'Service Unavailable' } }));
    const c = client();
    const e = await rejection(scoreWindow(c, TEXT, plan));
    expect(e.kind).toBe('busy');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/busy \(HTTP 503\) 3 times.*Service Unavailable/);
    expect(state.completions).toBe(3);
    await answersAfterwards(c);
  });

  it('says when the answer is truncated JSON', async () => {
    state.faults.push((res, full) => {
      const cut = full.slice(0, Math.floor(full.length / 2));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(cut) });
      res.end(cut);
    });
    const c = client();
    const e = await rejection(scoreWindow(c, TEXT, plan));
    expect(e.kind).toBe('bad-answer');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/not valid JSON.*cut off/);
    await answersAfterwards(c);
  });

  it('says when the server closes the connection in the middle of its answer', async () => {
    state.faults.push((res, full) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full) });
      res.write(full.slice(0, Math.floor(full.length / 3)), () => res.destroy());
    });
    const c = client();
    const e = await rejection(scoreWindow(c, TEXT, plan));
    expect(e.kind).toBe('connection');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/closed the connection before its answer was complete/);
    await answersAfterwards(c);
  });

  it('says when the API key is wrong, and does not ask again', async () => {
    const e = await rejection(scoreWindow(client({ apiKey: 'sk-wrong' }), TEXT, plan));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/refused the API key \(HTTP 401: "Incorrect API key provided\."\).*Set Remote API Key/);
    expect(e.message).not.toContain('sk-wrong');
    const none = await rejection(scoreWindow(client({ apiKey: undefined }), TEXT, plan));
    expect(none.kind).toBe('auth');
    expect(state.completions).toBe(0);
  });

  it('says when the answer is for another model', async () => {
    state.answerModel = 'other-model';
    const e = await rejection(scoreWindow(client(), TEXT, plan));
    expect(e.kind).toBe('wrong-model');
    expect(e.message).toContain(endpoint);
    expect(e.message).toMatch(/answered for the model "other-model", not "lens-tiny"/);
  });

  it('says when the server gives no prompt log-probabilities, or fewer alternatives than asked', async () => {
    state.faults.push((res, full) => {
      const body = JSON.parse(full) as { choices: Record<string, unknown>[] };
      body.choices[0] = { index: 0, text: TEXT, logprobs: null, finish_reason: 'length' };
      json(res, 200, body);
    });
    const c = client();
    const none = await rejection(scoreWindow(c, TEXT, plan));
    expect(none.kind).toBe('no-prompt-logprobs');
    expect(none.message).toContain(endpoint);
    state.maxAlternatives = 5;
    const fewer = await rejection(scoreWindow(c, TEXT, plan));
    expect(fewer.kind).toBe('top-k');
    expect(fewer.message).toMatch(/at most 5 alternatives per token where 10 were asked/);
    state.maxAlternatives = Infinity;
    await answersAfterwards(c);
  });

  it('drops a cancelled request, and a server that does not answer in time', async () => {
    state.delayMs = 300;
    const controller = new AbortController();
    const work = scoreWindow(client(), TEXT, plan, controller.signal);
    while (state.open === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await rejection(work)).kind).toBe('cancelled');
    const late = await rejection(scoreWindow(client({ timeoutMs: 100 }), TEXT, plan));
    expect(late.kind).toBe('timeout');
    expect(late.message).toContain(endpoint);
  });

  it('asks a server without GET /v1/models for the configured model, and says when it does not serve it', async () => {
    const bare = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        req.method === 'GET' ? json(res, 404, { detail: 'Not Found' }) : json(res, 404, { error: { message: 'The model `gpt-5` does not exist.' } }),
      );
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
      expect(await new CompletionsClient({ endpoint: url, model: 'gpt-5' }).servedModel()).toEqual({ model: 'gpt-5' });
      const e = await rejection(scoreWindow(new CompletionsClient({ endpoint: url, model: 'gpt-5' }), TEXT, plan));
      expect(e.kind).toBe('wrong-model');
      expect(e.message).toMatch(/does not serve the model asked for \(HTTP 404: "The model `gpt-5` does not exist\."\)/);
      const unnamed = await rejection(new CompletionsClient({ endpoint: url, model: '' }).scorePrompt(TEXT, REMOTE_TOP_K));
      expect(unnamed.message).toMatch(/set modelLens.remote.model/);
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it('says when nothing listens at the endpoint', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await rejection(scoreWindow(new CompletionsClient({ endpoint: `http://127.0.0.1:${port}/v1`, model: MODEL_NAME }), TEXT, plan));
    expect(e.kind).toBe('connection');
    expect(e.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });
});
