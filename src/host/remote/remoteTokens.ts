// What an OpenAI-compatible completions server says about the tokens of a prompt, read into one
// form and placed on the prompt's text. Servers answer in one of two shapes, or both:
// - the legacy OpenAI `logprobs` of an `echo` request (vLLM, SGLang): `tokens`, `token_logprobs`,
//   `top_logprobs` (alternatives keyed by their text) and `text_offset` (code points, as Python
//   counts them);
// - vLLM's `prompt_logprobs`: per position, `{token_id: {logprob, rank, decoded_token}}` holding
//   the top k and the prompt's own token (with its rank), but not saying which entry that is.
// Neither can be trusted to line up with the text on its own: `text_offset` drifts where a token
// is part of a character or a special token the prompt does not contain, and JSON objects lose
// the order vLLM wrote `prompt_logprobs` in. So tokens are placed by spelling the prompt with
// their text, and the offsets the server gives are used only when they agree with that text.
// Pure: no `vscode`, no network.

/** A token the model could have given instead, as the server named it. */
export interface RemoteAlternative {
  text: string;
  logprob: number;
  /** The vocabulary id, where the server gives ids (prompt_logprobs). */
  id?: number;
}

/** One token of the prompt as the server tokenized and scored it. */
export interface RemoteToken {
  /** [start, end) in the prompt (UTF-16 units, as JavaScript strings count). */
  start: number;
  end: number;
  /** The token as the server decoded it (may differ from the prompt's text for part of a character). */
  text: string;
  id?: number;
  /** ln P(token | tokens before); null for the first token, which nothing predicted. */
  logprob: number | null;
  /** 1-based rank in the distribution that predicted it, where the server says or it is among the top k. */
  rank?: number;
  /** The server's top alternatives for this position, likeliest first (at most the k asked for). */
  top: RemoteAlternative[];
}

export interface ParsedPrompt {
  /** The model the server says answered, if it says. */
  model?: string;
  tokens: RemoteToken[];
  /** Which of the two forms the answer held. */
  form: 'logprobs' | 'prompt_logprobs' | 'both';
  /** Whether every token's rank is known (prompt_logprobs), or only within the top k (logprobs). */
  ranksKnown: boolean;
}

/** What is wrong with an answer; the client adds which server sent it. */
export class AnswerError extends Error {
  constructor(
    readonly kind: 'no-prompt-logprobs' | 'top-k' | 'bad-answer',
    message: string,
  ) {
    super(message);
    this.name = 'AnswerError';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A text is only part of a character: a decoder's replacement character, or OpenAI's "bytes:\xe2\x80". */
export function isPartial(text: string): boolean {
  return text.includes('\ufffd') || text.startsWith('bytes:');
}

/** A log-probability as servers write them: finite numbers, with vLLM's floor of −9999 for −∞. */
function logprobOf(value: unknown, where: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value > 1e-6)
    throw new AnswerError('bad-answer', `${where} is not a log-probability (${JSON.stringify(value)?.slice(0, 40)}).`);
  return Math.min(0, value);
}

interface Candidate extends RemoteAlternative {
  rank?: number;
}

/** One position before it is placed: the token it may be (one when the server says, several when it does not), and its alternatives. */
interface Position {
  candidates: Candidate[] | 'unknown';
  top: RemoteAlternative[];
  /** Where the server says the token starts (UTF-16), if it does. */
  offset?: number;
}

/**
 * Reads a /v1/completions answer to an echo request for `prompt`, asking for `k` alternatives.
 * Throws AnswerError when it holds no prompt log-probabilities, fewer alternatives than asked, or
 * tokens that do not spell the prompt. Tokens the server generated after the prompt are dropped.
 */
export function parsePromptLogprobs(body: unknown, prompt: string, k: number): ParsedPrompt {
  if (!isObject(body)) throw new AnswerError('bad-answer', 'The answer is not a JSON object.');
  const choices = body.choices;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  if (!isObject(choice)) throw new AnswerError('bad-answer', 'The answer has no choices[0].');
  const model = typeof body.model === 'string' ? body.model : undefined;
  const legacy = readLegacy(choice.logprobs, prompt);
  const vllm = readPromptLogprobs(choice.prompt_logprobs, k);
  if (!legacy && !vllm) {
    throw new AnswerError(
      'no-prompt-logprobs',
      'It gave no log-probabilities for the text sent (neither choices[0].logprobs of an echo request nor choices[0].prompt_logprobs): the server must support `echo` with `logprobs` (vLLM, SGLang) or `prompt_logprobs` (vLLM), and vLLM must not skip the prompt through its prefix cache.',
    );
  }
  let positions: Position[];
  if (legacy && vllm) positions = merge(legacy, vllm);
  else positions = legacy ?? vllm!;
  // Some servers echo the prompt's tokens with null log-probabilities: nothing was scored.
  if (positions.length > 1 && positions.slice(1).every((p) => p.candidates !== 'unknown' && p.candidates.every((c) => Number.isNaN(c.logprob)))) {
    throw new AnswerError(
      'no-prompt-logprobs',
      'It echoed the text sent without log-probabilities (every token_logprob is null): the server does not score prompts.',
    );
  }
  // Only the legacy form carries tokens the server generated after the prompt (a server that
  // needs max_tokens ≥ 1); prompt_logprobs covers the prompt alone.
  const spans = place(prompt, positions, !!legacy);
  // A server lists the prompt's token after its top k (vLLM): that entry is not one of the k.
  const given = spans.map(({ chosen }, i) => {
    const top = positions[i].top;
    const last = top[top.length - 1];
    return top.length >= 2 && last.text === chosen.text && last.logprob === chosen.logprob && top[top.length - 2].logprob > last.logprob
      ? top.length - 1
      : top.length;
  });
  const most = Math.max(0, ...given);
  if (spans.length > 1 && most < k) {
    throw new AnswerError('top-k', `It gave at most ${most} alternatives per token where ${k} were asked for (a server limit such as vLLM's --max-logprobs).`);
  }
  const tokens: RemoteToken[] = [];
  for (let i = 0; i < spans.length; i++) {
    const { chosen, start, end } = spans[i];
    const predicted = !Number.isNaN(chosen.logprob);
    tokens.push({
      start,
      end,
      text: chosen.text,
      id: chosen.id,
      logprob: predicted ? chosen.logprob : null,
      rank: predicted ? (chosen.rank ?? rankWithin(chosen.logprob, positions[i].top, k)) : undefined,
      top: positions[i].top.slice(0, k),
    });
  }
  return { model, tokens, form: legacy && vllm ? 'both' : legacy ? 'logprobs' : 'prompt_logprobs', ranksKnown: !!vllm };
}

/**
 * A rank from the top k alone: known when the token is at least as likely as the k-th
 * alternative (1 + those likelier), unknown below it. An entry beyond the k-th is the token
 * itself, which vLLM adds to the list.
 */
function rankWithin(logprob: number, top: readonly RemoteAlternative[], k: number): number | undefined {
  const kth = top[Math.min(k, top.length) - 1];
  if (!kth || Number.isNaN(logprob) || logprob < kth.logprob) return undefined;
  return 1 + top.slice(0, k).filter((alt) => alt.logprob > logprob).length;
}

/** The legacy form: one known token per position, alternatives keyed by text. Undefined when absent. */
function readLegacy(value: unknown, prompt: string): Position[] | undefined {
  if (!isObject(value)) return undefined;
  const { tokens, token_logprobs: logprobs, top_logprobs: tops, text_offset: offsets } = value;
  if (!Array.isArray(tokens) || tokens.length === 0 || !Array.isArray(logprobs)) return undefined;
  if (logprobs.length !== tokens.length || (Array.isArray(tops) && tops.length !== tokens.length)) {
    throw new AnswerError(
      'bad-answer',
      `Its logprobs disagree on the number of tokens (${tokens.length} tokens, ${logprobs.length} token_logprobs${Array.isArray(tops) ? `, ${tops.length} top_logprobs` : ''}).`,
    );
  }
  const units = Array.isArray(offsets) && offsets.length === tokens.length ? codePointsToUnits(prompt) : undefined;
  return tokens.map((text, i) => {
    if (typeof text !== 'string') throw new AnswerError('bad-answer', `logprobs.tokens[${i}] is not a string.`);
    const lp = logprobs[i];
    const logprob = lp === null || lp === undefined ? NaN : logprobOf(lp, `logprobs.token_logprobs[${i}]`);
    const alternatives =
      Array.isArray(tops) && isObject(tops[i])
        ? Object.entries(tops[i] as Json).map(([t, v]) => ({ text: t, logprob: logprobOf(v, `logprobs.top_logprobs[${i}]`) }))
        : [];
    const offset = units ? units((offsets as unknown[])[i]) : undefined;
    return { candidates: [{ text, logprob }], top: alternatives.sort((a, b) => b.logprob - a.logprob), offset };
  });
}

/**
 * vLLM's form: each position's entries with ids and ranks. The prompt's token is the entry ranked
 * below the top k when there is one; otherwise it is one of the top k, and placing the tokens on
 * the text decides which. Position 0 is null: nothing predicted the first token.
 */
function readPromptLogprobs(value: unknown, k: number): Position[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((entry, i) => {
    if (entry === null || entry === undefined) {
      if (i > 0) throw new AnswerError('bad-answer', `prompt_logprobs[${i}] is empty.`);
      return { candidates: 'unknown', top: [] };
    }
    if (!isObject(entry)) throw new AnswerError('bad-answer', `prompt_logprobs[${i}] is not an object.`);
    const all: Candidate[] = Object.entries(entry).map(([key, v]) => {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || !isObject(v))
        throw new AnswerError('bad-answer', `prompt_logprobs[${i}] has an entry that is not {token_id: {logprob, rank, decoded_token}}.`);
      const rank = typeof v.rank === 'number' && Number.isInteger(v.rank) && v.rank >= 1 ? v.rank : undefined;
      return {
        id,
        text: typeof v.decoded_token === 'string' ? v.decoded_token : '',
        logprob: logprobOf(v.logprob, `prompt_logprobs[${i}][${key}].logprob`),
        rank,
      };
    });
    const ranked = all.every((c) => c.rank !== undefined);
    // Likeliest first; ranks where given (they break ties as the server did).
    const ordered = [...all].sort((a, b) => (ranked ? a.rank! - b.rank! : b.logprob - a.logprob));
    const below = ranked ? ordered.filter((c) => c.rank! > k) : ordered.slice(k);
    const top = ordered.slice(0, ordered.length - below.length).map(({ rank: _, ...alt }) => alt);
    return { candidates: below.length === 1 ? below : all, top };
  });
}

/**
 * Both forms (vLLM with echo, logprobs and prompt_logprobs): the legacy tokens say which token is
 * at each position and where; prompt_logprobs adds its id, its rank and the alternatives' ids.
 */
function merge(legacy: Position[], vllm: Position[]): Position[] {
  return legacy.map((position, i) => {
    const known = (position.candidates as Candidate[])[0];
    const entries = vllm[i];
    if (!entries || entries.candidates === 'unknown') return position;
    const pool = entries.candidates;
    const same =
      pool.find((c) => c.text === known.text && Math.abs(c.logprob - known.logprob) <= 1e-6) ?? pool.find((c) => Math.abs(c.logprob - known.logprob) <= 1e-6);
    return { candidates: [{ ...known, id: same?.id, rank: same?.rank }], top: entries.top, offset: position.offset };
  });
}

/**
 * Maps a code-point offset (Python's string index) to UTF-16 units; undefined when the prompt
 * has no characters outside the BMP (the two agree) returns the offset as it is.
 */
function codePointsToUnits(prompt: string): (offset: unknown) => number | undefined {
  const astral = /[\ud800-\udbff][\udc00-\udfff]/.test(prompt);
  const table: number[] = [];
  if (astral) {
    for (let unit = 0; unit < prompt.length; ) {
      table.push(unit);
      unit += (prompt.codePointAt(unit) ?? 0) > 0xffff ? 2 : 1;
    }
    table.push(prompt.length);
  }
  return (offset) => {
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return undefined;
    return astral ? table[offset] : offset;
  };
}

interface Span {
  chosen: Candidate;
  start: number;
  end: number;
}

/** Longest prefix the unknown first token may cover: longer than any real token. */
const FIRST_TOKEN_LIMIT = 256;

/**
 * Places every position on the prompt: the server's offsets when they agree with the tokens'
 * text, else the one way of spelling the prompt with the tokens (a depth-first search that
 * remembers dead ends). A partial character may cover 0 to 2 units (its bytes are split between
 * tokens); the first token may cover nothing (a BOS the server added) or, when unknown, any prefix.
 * With `generatedAfter`, stops at the end of the prompt: what follows was generated.
 */
function place(prompt: string, positions: readonly Position[], generatedAfter: boolean): Span[] {
  const fromOffsets = placeByOffsets(prompt, positions);
  if (fromOffsets) return fromOffsets;
  // Every token covers at least a byte of the text, a special token aside.
  if (positions.length > 4 * prompt.length + 16)
    throw new AnswerError('bad-answer', `It gave ${positions.length} tokens for a text of ${prompt.length} characters.`);
  let found = search(prompt, positions, false);
  // Every token in the prompt failed: some were generated after it.
  if (!found && generatedAfter) found = search(prompt, positions, true);
  if (!found) {
    // Counts only: the tokens' text is the document's, which messages and the log never hold.
    const spelled = positions.reduce((sum, p) => sum + (p.candidates === 'unknown' ? 0 : p.candidates[0].text.length), 0);
    throw new AnswerError(
      'no-prompt-logprobs',
      `Its tokens do not spell the text sent (${positions.length} token${positions.length === 1 ? '' : 's'} of ${spelled} characters for a text of ${prompt.length}): it may have scored only the text it generated (no support for \`echo\`).`,
    );
  }
  return found;
}

/**
 * Depth-first search for a way to spell the prompt with one option per position, from the first,
 * with a stack of its own (a window has thousands of tokens) and a memory of dead ends (position,
 * offset). With `stopEarly`, reaching the end of the prompt before the last position is a success.
 */
function search(prompt: string, positions: readonly Position[], stopEarly: boolean): Span[] | undefined {
  const n = positions.length;
  const length = prompt.length;
  const key = (i: number, at: number) => i * (length + 1) + at;
  const done = (i: number, at: number) => at === length && (i === n || (stopEarly && i > 0));
  const dead = new Set<number>();
  const frame = (i: number, at: number) => ({ i, at, options: options(prompt, positions[i], i, at), next: 0 });
  if (n === 0) return undefined;
  const stack = [frame(0, 0)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.options.length) {
      dead.add(key(top.i, top.at));
      stack.pop();
      continue;
    }
    const [, width] = top.options[top.next++];
    const [i, at] = [top.i + 1, top.at + width];
    if (done(i, at)) {
      return stack.map((f) => {
        const [chosen, w] = f.options[f.next - 1];
        return { chosen, start: f.at, end: f.at + w };
      });
    }
    if (i < n && !dead.has(key(i, at))) stack.push(frame(i, at));
  }
  return undefined;
}

/** The ways position i may cover the prompt from `at`: a candidate and how many units it covers. */
function options(prompt: string, position: Position, i: number, at: number): [Candidate, number][] {
  const out: [Candidate, number][] = [];
  if (position.candidates === 'unknown') {
    const unknown: Candidate = { text: '', logprob: NaN };
    for (let w = 1; w <= Math.min(FIRST_TOKEN_LIMIT, prompt.length - at); w++) out.push([{ ...unknown, text: prompt.slice(at, at + w) }, w]);
    out.push([unknown, 0]);
    return out;
  }
  // Longer texts first: a candidate that is a prefix of another is the less likely reading.
  const candidates = [...position.candidates].sort((a, b) => b.text.length - a.text.length);
  for (const c of candidates) {
    if (c.text === '') out.push([c, 0]);
    else if (isPartial(c.text)) for (const w of [1, 0, 2]) at + w <= prompt.length && out.push([c, w]);
    else if (prompt.startsWith(c.text, at)) out.push([c, c.text.length]);
    else if (i === 0) out.push([c, 0]);
  }
  return out;
}

/**
 * The server's text_offset, if every token's text is found where it says (partial characters
 * excepted) and offsets never go back. A token ends where the next one starts.
 */
function placeByOffsets(prompt: string, positions: readonly Position[]): Span[] | undefined {
  if (positions.some((p) => p.offset === undefined || p.candidates === 'unknown' || p.candidates.length !== 1)) return undefined;
  const spans: Span[] = [];
  // The first token may be one the server put in front of the text (a BOS), which covers none of it.
  let inFront = false;
  for (let i = 0; i < positions.length; i++) {
    const start = positions[i].offset!;
    const chosen = (positions[i].candidates as Candidate[])[0];
    if (start >= prompt.length && i > 0) break; // generated after the prompt
    if (start > prompt.length || (spans.length > 0 && start < spans[spans.length - 1].start)) return undefined;
    if (!isPartial(chosen.text) && !prompt.startsWith(chosen.text, start)) {
      if (i > 0 || start !== 0) return undefined;
      inFront = true;
    }
    spans.push({ chosen, start, end: start });
  }
  for (let i = 0; i < spans.length; i++) {
    const next = i + 1 < spans.length ? spans[i + 1].start : prompt.length;
    const own = i === 0 && inFront ? 0 : isPartial(spans[i].chosen.text) ? next - spans[i].start : spans[i].chosen.text.length;
    // A token's text must reach the next token exactly, or the offsets skip or overlap text.
    if (own !== next - spans[i].start) return undefined;
    spans[i].end = next;
  }
  return spans.length > 0 && spans[spans.length - 1].end === prompt.length ? spans : undefined;
}
