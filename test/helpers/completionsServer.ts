// An OpenAI-compatible completions server on 127.0.0.1 that answers from the project's own engine,
// as vLLM would for the same model: GET /v1/models, and POST /v1/completions with echo, logprobs
// and prompt_logprobs in the legacy form, vLLM's prompt_logprobs form, or both. Faults can be
// queued for the next completions requests, and it counts requests and how many were open at once.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';

export type AnswerForm = 'logprobs' | 'prompt_logprobs' | 'both';
/** What the server does with a completions request instead of answering it (`full`: the answer it would give). */
export type Fault = (res: http.ServerResponse, full: string) => void;

export interface ServerState {
  form: AnswerForm;
  faults: Fault[];
  /** Requests of any kind received. */
  requests: number;
  /** Completions requests received. */
  completions: number;
  open: number;
  mostOpen: number;
  /** The model answers claim to come from. */
  answerModel: string;
  /** Most alternatives the server gives (a server started with a lower limit). */
  maxAlternatives: number;
  /** Milliseconds each request is held back before it is answered. */
  delayMs: number;
  /** The prompts received, in order. */
  prompts: string[];
}

export interface CompletionsServer {
  endpoint: string;
  state: ServerState;
  reset(): void;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Python's string indices: code points. */
function codePoints(text: string, unit: number): number {
  return [...text.slice(0, unit)].length;
}

/** A completions answer as vLLM writes it, from the engine's analysis of the prompt. */
function answer(a: Analysis, prompt: string, k: number, state: ServerState): unknown {
  const n = a.tokens.length;
  const kk = Math.min(k, state.maxAlternatives);
  const top = (i: number) => Array.from({ length: kk }, (_, j) => ({ id: a.topIds[(i - 1) * a.topK + j], p: a.topProbs[(i - 1) * a.topK + j] }));
  const logprobs = {
    tokens: a.tokens.map((t) => t.text),
    token_logprobs: a.tokens.map((_, i) => (i === 0 ? null : Math.log(a.prob[i]))),
    top_logprobs: a.tokens.map((t, i) => {
      if (i === 0) return null;
      const entries: [string, number][] = top(i).map(({ id, p }) => [a.pieces[id], Math.log(p)]);
      // vLLM lists the prompt's token after the top k when it is not among them.
      if (a.rank[i] > kk) entries.push([t.text, Math.log(a.prob[i])]);
      return Object.fromEntries(entries);
    }),
    text_offset: a.tokens.map((t) => codePoints(prompt, t.start)),
  };
  const promptLogprobs = a.tokens.map((t, i) => {
    if (i === 0) return null;
    const entries: Record<string, { logprob: number; rank: number; decoded_token: string }> = {};
    entries[t.id] = { logprob: Math.log(a.prob[i]), rank: a.rank[i], decoded_token: t.text };
    top(i).forEach(({ id, p }, j) => (entries[id] = { logprob: Math.log(p), rank: j + 1, decoded_token: a.pieces[id] }));
    return entries;
  });
  const form = state.form;
  const choice = { index: 0, text: prompt, finish_reason: 'length', logprobs: form !== 'prompt_logprobs' ? logprobs : null, ...(form !== 'logprobs' ? { prompt_logprobs: promptLogprobs } : {}) };
  return { id: 'cmpl-1', object: 'text_completion', created: 0, model: state.answerModel, choices: [choice], usage: { prompt_tokens: n, completion_tokens: 0, total_tokens: n } };
}

/**
 * Starts the server for `model`, served as `name` with a context of `context` tokens, asking for
 * `Authorization: Bearer apiKey`.
 */
export async function startCompletionsServer(model: LoadedModel, options: { name: string; apiKey: string; context: number }): Promise<CompletionsServer> {
  const initial = (): ServerState => ({ form: 'both', faults: [], requests: 0, completions: 0, open: 0, mostOpen: 0, answerModel: options.name, maxAlternatives: Infinity, delayMs: 0, prompts: [] });
  const state = initial();
  // One analysis at a time: the engine's session is not shared between concurrent runs.
  let queue: Promise<unknown> = Promise.resolve();
  const analyse = (prompt: string, k: number): Promise<Analysis> => {
    const run = queue.then(() => model.analyze(prompt, { topK: k }));
    queue = run.catch(() => undefined);
    return run;
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    state.requests++;
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) return json(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } });
    if (req.method === 'GET' && req.url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: options.name, object: 'model', max_model_len: options.context }] });
    if (req.method !== 'POST' || req.url !== '/v1/completions') return json(res, 404, { detail: 'Not Found' });
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; prompt: string; echo: boolean; logprobs: number; max_tokens: number };
    if (request.model !== options.name) return json(res, 404, { error: { message: `The model \`${request.model}\` does not exist.` } });
    if (request.echo !== true || request.max_tokens !== 0 || !(request.logprobs > 0)) return json(res, 400, { error: { message: 'this server scores prompts only' } });
    state.completions++;
    state.prompts.push(request.prompt);
    state.open++;
    state.mostOpen = Math.max(state.mostOpen, state.open);
    try {
      // Held back before the analysis, which blocks this thread (WebAssembly on one thread): the
      // requests sent together are all received meanwhile.
      if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
      const a = await analyse(request.prompt, request.logprobs);
      const full = JSON.stringify(answer(a, request.prompt, request.logprobs, state));
      const fault = state.faults.shift();
      if (fault) return fault(res, full);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full) });
      res.end(full);
    } finally {
      state.open--;
    }
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(e) } });
      else res.destroy();
    });
  });
  // Idle connections stay open for the whole test: the engine's analyses block this thread for
  // long stretches, and a server closing an idle connection then races the client reusing it.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    reset: () => Object.assign(state, initial()),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
