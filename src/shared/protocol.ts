// Every message between the extension host and its webviews, both directions, in one place.
// Tensors travel as ArrayBuffers (VS Code transfers them without JSON); their shapes are written
// next to them. Messages from a webview are untrusted input: parse them with the guards below.
import type { HeadScores } from './headScores';
import type { AttentionSource, ModelInfo, Prediction } from './modelInfo';

/**
 * VS Code's display-language strings for a page (vscode.l10n.bundle: each string's English text →
 * its translation). They come with the HTML, not in a message, because a page builds its headings
 * as it starts: the root element's `data-l10n` holds them as JSON (absent in English) and
 * `data-lang` the language (vscode.env.language).
 */
export type L10nBundle = Record<string, string>;
export const L10N_ATTRIBUTES = { bundle: 'l10n', lang: 'lang' } as const;

export interface TokenView {
  /** The vocabulary id, to compare with predictions. */
  id: number;
  text: string;
  /** [start, end) in the document, in UTF-16 code units from the start of the document. */
  start: number;
  end: number;
  special: boolean;
  /** P(token | tokens before it); null where nothing came before. */
  prob: number | null;
  rank: number | null;
}

/** Which attention a view shows: one head, the mean of a layer's heads, or the rollout up to a layer. */
export type HeadChoice = number | 'mean' | 'rollout';

export interface AttentionLayerView {
  source: AttentionSource;
  /** Float32 [head, query, key]; queries are the explained tokens, keys every analysed token. */
  pattern?: ArrayBuffer;
  /** Per head, measured on every analysed token. */
  scores?: HeadScores[];
}

export interface AttentionView {
  /** Identifies this analysis in later requests. */
  id: number;
  /**
   * bidirectional: every position attends to the tokens after it too (an encoder, ModelInfo.bidirectional),
   * so no key is masked; otherwise the attention is causal and a key after the query gets no weight.
   */
  model: { name: string; layers: number; heads: number; dHead: number; bidirectional: boolean; predicts: Prediction };
  document: { uri: string; name: string };
  /** Every token the model saw: the context before the selection, then the selection. */
  tokens: TokenView[];
  /** The explained tokens are tokens[queryStart .. queryStart + queryCount). */
  queryStart: number;
  queryCount: number;
  /** Said to the user above the panel, e.g. that only the end of a long selection is explained. */
  notes: string[];
  layers: AttentionLayerView[];
  /** Float32 [layer, query, key]: attention rollout through the layers (head means + residual). */
  rollout?: ArrayBuffer;
  /** A head to open large right away. */
  focus?: { layer: number; head: number };
  /** Per layer: whether its heads can be switched off (the model can intervene at its hook_z). */
  ablatable: boolean[];
}

/** A head of a layer, e.g. one switched off in the attention panel. */
export interface HeadRef {
  layer: number;
  head: number;
}

/** How a switched-off head's output is replaced: by zeros, or by its mean over the text's tokens. */
export type AblationMode = 'zero' | 'mean';

/** One head's tensors for "the math, step by step": every analysed token. */
export interface HeadDetail {
  id: number;
  layer: number;
  head: number;
  dHead: number;
  /** Float32 [pos, d_head] each. */
  q: ArrayBuffer;
  k: ArrayBuffer;
  v: ArrayBuffer;
  /** A·V as the model computed it. */
  z: ArrayBuffer;
  /** 1/√d_head: the scale the formula uses. */
  scale: number;
  /** How these came out of the model (e.g. recomputed from a fused operator's input). */
  note?: string;
}

export type ToAttentionPanel =
  | { type: 'loading'; text: string }
  | { type: 'show'; view: AttentionView }
  /** The answer to requestHeadDetail number `request`. */
  | { type: 'headDetail'; request: number; detail: HeadDetail }
  /** The host has no Q/K/V for the head request `request` asked for (e.g. its layer's attention is unavailable). */
  | { type: 'headDetailError'; request: number; message: string }
  | { type: 'focus'; layer: number; head: number }
  /**
   * The explained text run again with `heads` switched off. Float32 [token] each: `prob` is
   * P(token | before) in that run, `delta` log2 of it minus log2 of the plain run's (NaN where
   * nothing came before).
   */
  | { type: 'ablation'; id: number; heads: HeadRef[]; mode: AblationMode; prob: ArrayBuffer; delta: ArrayBuffer }
  | { type: 'ablationError'; id: number; message: string }
  /** Export… in the title bar: export what is shown, as the panel's own buttons do (answered by `export`). */
  | { type: 'requestExport'; format: ExportFormat }
  /** Pin / Unpin in the title bar: kept in the panel's saved state, so that a reload keeps it pinned. */
  | { type: 'pinned'; pinned: boolean }
  | { type: 'error'; message: string };

export type ExportFormat = 'png' | 'json' | 'csv';

export type FromAttentionPanel =
  | { type: 'ready' }
  /** What WebGPU the webview has: with modelLens.backend `auto`, a hardware GPU is used. */
  | { type: 'gpuAdapter'; adapter: GpuAdapterInfo | null }
  /** The user picked a token (index into tokens) in the panel: light up what it attends to. */
  | { type: 'selectToken'; id: number; query: number; layer: number; head: HeadChoice }
  | { type: 'clearSelection' }
  /** Q, K, V and z of one head of analysis `id`, answered by headDetail or headDetailError with the same `request`. */
  | { type: 'requestHeadDetail'; request: number; id: number; layer: number; head: number }
  /** Run the explained text again with these heads switched off (answered by `ablation`). */
  | { type: 'ablate'; id: number; heads: HeadRef[]; mode: AblationMode }
  /**
   * Every head is on again (Reset, or the last one switched back on): the host drops what the
   * last ablation showed in the editor (its hover line and decorations).
   */
  | { type: 'resetAblation'; id: number }
  /** Follow this token (index into tokens) through the whole model: the step-by-step panel. */
  | { type: 'walkToken'; id: number; query: number }
  /**
   * PNG comes as a data: URL of the canvas (scope 'grid': every head, 'head': the chosen one);
   * JSON and CSV are made by the host from its data for the chosen layer and head.
   */
  | { type: 'export'; id: number; format: ExportFormat; layer: number; head: HeadChoice; png?: string; scope?: 'grid' | 'head' };

/** One run of an activation-patching comparison: its text and tokens. */
export interface PatchingRun {
  text: string;
  tokens: string[];
  /** logit(target) − logit(foil) after the last token. */
  logitDiff: number;
}

/**
 * Where a comparison's texts are in their document: kept by the panel (PatchingPanelState) for
 * the host to read them again after a window reload.
 */
export interface PatchingSource {
  uri: string;
  /** Document offsets of the clean text. */
  clean: { start: number; end: number };
  /** Document offsets of the corrupted text when it was the second selection; none when it was typed. */
  corrupted?: { start: number; end: number };
}

/**
 * An activation-patching sweep: the corrupted text run with one part of the clean run patched in
 * at a time, scored by logit(target) − logit(foil) after the last token, normalised so that 1 is
 * the clean run and 0 the corrupted one; NaN where the model has no hook to patch.
 */
export interface PatchingView {
  id: number;
  model: string;
  clean: PatchingRun;
  corrupted: PatchingRun;
  target: { id: number; text: string };
  foil: { id: number; text: string };
  /** Float32 [stream, position]: stream s is the input of block s, the last the output of the last block. */
  residual: { hooks: string[]; positions: number; values: ArrayBuffer };
  /** Float32 [layer, head]: each head's output patched at every position. */
  heads: { layers: number; heads: number; values: ArrayBuffer };
  source: PatchingSource;
}

/** What the host sends a panel that shows one view at a time (patching, "why this token?", step by step). */
export type ToViewPanel<View> = { type: 'loading'; text: string } | { type: 'show'; view: View } | { type: 'error'; message: string };

export type ToPatchingPanel = ToViewPanel<PatchingView>;

export type FromPatchingPanel =
  | { type: 'ready' }
  /** PNG comes as a data: URL of both grids drawn by the webview; JSON and CSV are made by the host. */
  | { type: 'export'; id: number; format: ExportFormat; png?: string };

/** The model section of the side panel: the engine's ModelInfo, with attention sources in words. */
export interface ModelView extends Omit<ModelInfo, 'layerInfo'> {
  /** Why this backend was chosen. */
  backendReason: string;
  /** How attention was obtained, per layer. */
  attention: { kind: AttentionSource['kind']; text: string }[];
  isDefault: boolean;
}

export interface SideModelState {
  model?: ModelView;
  /** Name of a model being loaded. */
  loading?: string;
  /** The last load failure, shown while the previous model keeps working. */
  error?: string;
  recent: string[];
  /** Bytes held by the analysis cache. */
  cacheBytes: number;
}

/** What the side panel shows about the selected text. */
export interface SideAnalysisView {
  id: number;
  document: { uri: string; name: string };
  /** The selected tokens (the context before them is not shown). */
  tokens: TokenView[];
  layers: number;
  /** Float32 [layer + 1, token]: norm of the residual stream, row 0 before block 0, row L + 1 after block L. */
  residNorm?: ArrayBuffer;
  /** Logit lens at each selected token (the prediction made there for the next token). */
  lens?: {
    rows: number;
    k: number;
    /** Int32 / Float32 [row, token, k]. */
    ids: ArrayBuffer;
    probs: ArrayBuffer;
    pieces: Record<number, string>;
  };
  /** Every head's scores, measured on all analysed tokens. */
  heads: { layer: number; head: number; previousToken: number; firstToken: number; induction: number; self: number }[];
  notes: string[];
  /** What the probabilities and the lens are about (ModelInfo.predicts): the next token, or for a masked model the token itself. */
  predicts: Prediction;
  /** A classifier's class probabilities for the analysed text. */
  classes?: { label: string; prob: number }[];
}

export type SideSection = 'model' | 'activations' | 'lens' | 'heads';

export type ToSideView =
  | { type: 'model'; state: SideModelState }
  | { type: 'analysing'; text: string }
  | { type: 'analysis'; view: SideAnalysisView }
  | { type: 'empty'; text: string }
  | { type: 'neurons'; id: number; layer: number; token: number; neurons: { index: number; value: number }[] }
  | { type: 'pinned'; pinned: boolean };

export type FromSideView =
  | { type: 'ready' }
  | { type: 'gpuAdapter'; adapter: GpuAdapterInfo | null }
  | { type: 'openModelFolder' }
  | { type: 'useDefaultModel' }
  | { type: 'useRecent'; index: number }
  | { type: 'setPinned'; pinned: boolean }
  | { type: 'requestNeurons'; id: number; layer: number; token: number }
  | { type: 'openHead'; layer: number; head: number }
  | { type: 'export'; section: SideSection; format: 'csv' | 'json' };

/** A WebGPU adapter as a webview reports it. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter (SwiftShader, or the browser's own fallback): correct but slow. */
  software: boolean;
  /** Supports the shader-f16 feature: fp16 models run in fp16. */
  shaderF16: boolean;
}

/** A tensor crossing into or out of the GPU webview: its bytes, and how to read them. */
export interface WireTensor {
  type: 'float32' | 'float16' | 'int32' | 'int64' | 'bool';
  dims: number[];
  data: ArrayBuffer;
}

export type ToGpuView =
  /** Part of a file the next `create` uses: file 0 is the model, then its external data files. */
  | { type: 'chunk'; id: number; file: number; offset: number; total: number; data: ArrayBuffer }
  | { type: 'create'; id: number; externalData: string[] }
  | { type: 'run'; id: number; session: number; feeds: Record<string, WireTensor>; fetches: string[] }
  | { type: 'release'; id: number; session: number };

export type FromGpuView =
  | { type: 'adapter'; adapter: GpuAdapterInfo | null; reason?: string }
  | { type: 'reply'; id: number; ok: true; session?: number; outputs?: Record<string, WireTensor> }
  | { type: 'reply'; id: number; ok: false; message: string };

/**
 * The fields of something a webview (or a link) sent: none when it is not an object, so that the
 * check of each field then fails as it does for a missing one.
 */
const fields = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {});
const isInt = (x: unknown, max = Number.MAX_SAFE_INTEGER): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max;
/** A token id: an int32 (a model's vocabulary is checked where the id is used). */
const isTokenId = (x: unknown): x is number => isInt(x, 2 ** 31 - 1);
/** A PNG as the webviews export one: a data: URL. */
const isPngUrl = (x: unknown): x is string => typeof x === 'string' && x.startsWith('data:image/png;base64,');
const isHead = (x: unknown): x is HeadChoice => isInt(x, 4096) || x === 'mean' || x === 'rollout';
/** A URI as VS Code writes one (`scheme:…`), of a sane length. */
const isUri = (x: unknown): x is string => typeof x === 'string' && x.length <= 4096 && /^[a-z][a-z0-9+.-]*:/i.test(x);

function parseAdapter(raw: unknown): GpuAdapterInfo | null | undefined {
  if (raw === null) return null;
  const a = fields(raw);
  const text = (x: unknown) => (typeof x === 'string' ? x.slice(0, 200) : undefined);
  const [vendor, architecture, description] = [text(a.vendor), text(a.architecture), text(a.description)];
  if (vendor === undefined || architecture === undefined || description === undefined || typeof a.software !== 'boolean' || typeof a.shaderF16 !== 'boolean')
    return undefined;
  return { vendor, architecture, description, software: a.software, shaderF16: a.shaderF16 };
}

/** A gpuAdapter message from any Model Lens webview. */
function parseGpuAdapter(m: Record<string, unknown>): { type: 'gpuAdapter'; adapter: GpuAdapterInfo | null } | undefined {
  const adapter = parseAdapter(m.adapter);
  return adapter === undefined ? undefined : { type: 'gpuAdapter', adapter };
}

function parseRange(raw: unknown): { start: number; end: number } | undefined {
  const { start, end } = fields(raw);
  return isInt(start) && isInt(end) && start <= end ? { start, end } : undefined;
}

/** Part of a document: its URI and a range of document offsets. */
export interface ExplainedRange {
  uri: string;
  selection: { start: number; end: number };
}

/**
 * What an attention panel's saved state says it explained (webview/attention/state.ts), for the
 * host to explain again after a reload; undefined when it names nothing well-formed. The state
 * was written by the webview, so it is checked like any message from it.
 */
export function parseRestoredPanel(raw: unknown): (ExplainedRange & { pinned: boolean }) | undefined {
  const { explained, pinned } = fields(raw);
  const { uri, selection } = fields(explained);
  const range = parseRange(selection);
  return isUri(uri) && range ? { uri, selection: range, pinned: pinned === true } : undefined;
}

/** Arguments Explain Attention accepts: from a hover's command link (JSON) and from the side panel. */
export interface ExplainArgs {
  uri?: string;
  line?: number;
  /** Document offsets of the text to explain (the side panel's selection). */
  selection?: { start: number; end: number };
  layer?: number;
  head?: number;
}

/**
 * Explain Attention's arguments, or undefined when one given is malformed. A command link can
 * be written by anyone who gets Markdown shown, so they are checked like a webview's messages.
 * Anything but a plain object means none: the editor's context menu passes the document's Uri.
 */
export function parseExplainArgs(raw: unknown): ExplainArgs | undefined {
  if (!raw || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return {};
  const { uri, line, selection, layer, head } = raw as Record<string, unknown>;
  const args: ExplainArgs = {};
  if (uri !== undefined) {
    if (!isUri(uri)) return undefined;
    args.uri = uri;
  }
  if (line !== undefined) {
    if (!isInt(line)) return undefined;
    args.line = line;
  }
  if (selection !== undefined) {
    const range = parseRange(selection);
    if (!range) return undefined;
    args.selection = range;
  }
  if (layer !== undefined || head !== undefined) {
    if (!isInt(layer, 4096) || !isInt(head, 4096)) return undefined;
    args.layer = layer;
    args.head = head;
  }
  return args;
}

/** Bytes per element of each tensor type that crosses to and from the GPU webview. */
const WIRE_BYTES: Record<WireTensor['type'], number> = { float32: 4, float16: 2, int32: 4, int64: 8, bool: 1 };

/** A tensor from the GPU webview: a known type, integer dims, and exactly the bytes they describe. */
function parseWireTensor(raw: unknown): WireTensor | undefined {
  const { type, dims, data } = fields(raw);
  if (typeof type !== 'string' || !Object.hasOwn(WIRE_BYTES, type)) return undefined;
  if (!Array.isArray(dims) || dims.length > 8 || !dims.every((d) => isInt(d, 2 ** 32))) return undefined;
  // The host views the bytes with a typed array: they must be there already, and as many as the dims say.
  if (!(data instanceof ArrayBuffer)) return undefined;
  const elements = dims.reduce((n: number, d: number) => n * d, 1);
  return data.byteLength === elements * WIRE_BYTES[type as WireTensor['type']] ? { type: type as WireTensor['type'], dims: [...dims], data } : undefined;
}

/**
 * A message from the GPU webview, or undefined if it is not one. A reply with a valid id that
 * cannot be read becomes a failed reply, so that the request it answers fails instead of waiting.
 */
export function parseFromGpuView(raw: unknown): FromGpuView | undefined {
  const m = fields(raw);
  if (m.type === 'adapter') {
    const adapter = parseAdapter(m.adapter);
    if (adapter === undefined) return undefined;
    return typeof m.reason === 'string' ? { type: 'adapter', adapter, reason: m.reason.slice(0, 500) } : { type: 'adapter', adapter };
  }
  if (m.type !== 'reply' || !isInt(m.id)) return undefined;
  const id = m.id;
  const unreadable = { type: 'reply' as const, id, ok: false as const, message: 'the Model Lens GPU tab sent a reply that cannot be read' };
  if (m.ok === false) return typeof m.message === 'string' ? { type: 'reply', id, ok: false, message: m.message.slice(0, 2000) } : unreadable;
  if (m.ok !== true || (m.session !== undefined && !isInt(m.session))) return unreadable;
  const reply: FromGpuView & { ok: true } = { type: 'reply', id, ok: true };
  if (m.session !== undefined) reply.session = m.session as number;
  if (m.outputs !== undefined) {
    if (!m.outputs || typeof m.outputs !== 'object' || Array.isArray(m.outputs)) return unreadable;
    const outputs = Object.entries(m.outputs).map(([name, t]) => [name, parseWireTensor(t)] as const);
    if (outputs.some(([, t]) => !t)) return unreadable;
    // fromEntries defines own properties: an output named __proto__ stays an output.
    reply.outputs = Object.fromEntries(outputs) as Record<string, WireTensor>;
  }
  return reply;
}

/**
 * Whether a successful reply is the kind its request expects: a `create` gets a session, a `run`
 * exactly the outputs it fetched, a `release` nothing. Anything else fails the request.
 */
export function answersGpuRequest(request: ToGpuView, reply: FromGpuView & { type: 'reply'; ok: true }): boolean {
  switch (request.type) {
    case 'create':
      return reply.session !== undefined && reply.outputs === undefined;
    case 'run': {
      const outputs = reply.outputs;
      return (
        reply.session === undefined &&
        outputs !== undefined &&
        Object.keys(outputs).length === request.fetches.length &&
        request.fetches.every((f) => Object.hasOwn(outputs, f))
      );
    }
    case 'release':
      return reply.session === undefined && reply.outputs === undefined;
    case 'chunk':
      return false;
  }
}

/** More heads than any model Model Lens loads has: a longer list is not a real request. */
const MAX_HEAD_REFS = 4096;

/** A list of distinct heads, at most MAX_HEAD_REFS of them. */
function parseHeadRefs(raw: unknown): HeadRef[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_HEAD_REFS) return undefined;
  const heads: HeadRef[] = [];
  const seen = new Set<string>();
  for (const item of raw) {
    const { layer, head } = fields(item);
    if (!isInt(layer, 4096) || !isInt(head, 4096) || seen.has(`${layer}.${head}`)) return undefined;
    seen.add(`${layer}.${head}`);
    heads.push({ layer, head });
  }
  return heads;
}

/** A message from the attention panel, or undefined if it is not one this host sends for. */
export function parseFromAttentionPanel(raw: unknown): FromAttentionPanel | undefined {
  const m = fields(raw);
  switch (m.type) {
    case 'ready':
    case 'clearSelection':
      return { type: m.type };
    case 'gpuAdapter':
      return parseGpuAdapter(m);
    case 'selectToken':
      return isInt(m.id) && isInt(m.query) && isInt(m.layer, 4096) && isHead(m.head)
        ? { type: 'selectToken', id: m.id, query: m.query, layer: m.layer, head: m.head }
        : undefined;
    case 'requestHeadDetail':
      return isInt(m.request) && isInt(m.id) && isInt(m.layer, 4096) && isInt(m.head, 4096)
        ? { type: 'requestHeadDetail', request: m.request, id: m.id, layer: m.layer, head: m.head }
        : undefined;
    case 'ablate': {
      const heads = parseHeadRefs(m.heads);
      return isInt(m.id) && heads && (m.mode === 'zero' || m.mode === 'mean') ? { type: 'ablate', id: m.id, heads, mode: m.mode } : undefined;
    }
    case 'resetAblation':
      return isInt(m.id) ? { type: 'resetAblation', id: m.id } : undefined;
    case 'walkToken':
      return isInt(m.id) && isInt(m.query) ? { type: 'walkToken', id: m.id, query: m.query } : undefined;
    case 'export': {
      const formatOk = m.format === 'png' || m.format === 'json' || m.format === 'csv';
      const pngOk = m.format !== 'png' || isPngUrl(m.png);
      if (!formatOk || !pngOk || !isInt(m.id) || !isInt(m.layer, 4096) || !isHead(m.head)) return undefined;
      const scope = m.scope === 'grid' ? 'grid' : 'head';
      return {
        type: 'export',
        id: m.id,
        format: m.format as ExportFormat,
        layer: m.layer,
        head: m.head,
        scope,
        ...(m.format === 'png' ? { png: m.png as string } : {}),
      };
    }
    default:
      return undefined;
  }
}

/** A message from the patching panel, or undefined if it is not one the host answers. */
export function parseFromPatchingPanel(raw: unknown): FromPatchingPanel | undefined {
  const m = fields(raw);
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type !== 'export' || !isInt(m.id)) return undefined;
  if (m.format === 'json' || m.format === 'csv') return { type: 'export', id: m.id, format: m.format };
  return m.format === 'png' && isPngUrl(m.png) ? { type: 'export', id: m.id, format: 'png', png: m.png } : undefined;
}

/** A message from the side panel, or undefined if it is not one the host answers. */
export function parseFromSideView(raw: unknown): FromSideView | undefined {
  const m = fields(raw);
  switch (m.type) {
    case 'ready':
    case 'openModelFolder':
    case 'useDefaultModel':
      return { type: m.type };
    case 'gpuAdapter':
      return parseGpuAdapter(m);
    case 'useRecent':
      return isInt(m.index, 64) ? { type: 'useRecent', index: m.index } : undefined;
    case 'setPinned':
      return typeof m.pinned === 'boolean' ? { type: 'setPinned', pinned: m.pinned } : undefined;
    case 'requestNeurons':
      return isInt(m.id) && isInt(m.layer, 4096) && isInt(m.token) ? { type: 'requestNeurons', id: m.id, layer: m.layer, token: m.token } : undefined;
    case 'openHead':
      return isInt(m.layer, 4096) && isInt(m.head, 4096) ? { type: 'openHead', layer: m.layer, head: m.head } : undefined;
    case 'export': {
      const sections = ['model', 'activations', 'lens', 'heads'];
      const ok = typeof m.section === 'string' && sections.includes(m.section) && (m.format === 'csv' || m.format === 'json');
      return ok ? { type: 'export', section: m.section as SideSection, format: m.format as 'csv' | 'json' } : undefined;
    }
    default:
      return undefined;
  }
}

// ---------- Why this token? (direct logit attribution) ----------

/** One share of logit(target) − logit(foil) (engine AttributionPart), with the name the panel shows. */
export interface WhyPart {
  kind: 'embed' | 'head' | 'attn' | 'mlp' | 'block' | 'bias' | 'final';
  layer?: number;
  head?: number;
  label: string;
  value: number;
}

/** A token the explanation can be about: its id, its text, and P(it | text before), null when unknown. */
export interface WhyChoice {
  id: number;
  text: string;
  prob: number | null;
}

export interface WhyView {
  /** Identifies this explanation in later requests. */
  id: number;
  model: { name: string };
  document: { uri: string; name: string };
  /** The explained token, in document offsets. */
  token: { text: string; start: number; end: number };
  /** Why the model gave `target` rather than `foil`; both are among `choices`. */
  target: number;
  foil: number;
  /** The token in the text, then the model's top predictions at this position. */
  choices: WhyChoice[];
  /** logit(target) − logit(foil) as the model computed it. */
  measured: number;
  /** The sum of the parts (equal to `measured` up to float rounding). */
  sum: number;
  /** Largest |value| first. */
  parts: WhyPart[];
  /** Each earlier token's share through attention, in document offsets (special tokens left out). */
  sources: { text: string; start: number; end: number; value: number }[];
  notes: string[];
}

export type ToWhyPanel = ToViewPanel<WhyView>;

export type FromWhyPanel =
  | { type: 'ready' }
  /** Explain the same token again with this target and foil (ids from the view's choices). */
  | { type: 'choose'; id: number; target: number; foil: number }
  /** Open Explain Attention on the explained text, focused on this head. */
  | { type: 'openHead'; id: number; layer: number; head: number }
  /** Colour the earlier text in the editor by its share again (after Escape cleared it). */
  | { type: 'showSources'; id: number }
  | { type: 'clearSources' };

/** A message from the "Why this token?" panel, or undefined if it is not one the host answers. */
export function parseFromWhyPanel(raw: unknown): FromWhyPanel | undefined {
  const m = fields(raw);
  switch (m.type) {
    case 'ready':
    case 'clearSources':
      return { type: m.type };
    case 'choose':
      return isInt(m.id) && isTokenId(m.target) && isTokenId(m.foil) ? { type: 'choose', id: m.id, target: m.target, foil: m.foil } : undefined;
    case 'openHead':
      return isInt(m.id) && isInt(m.layer, 4096) && isInt(m.head, 4096) ? { type: 'openHead', id: m.id, layer: m.layer, head: m.head } : undefined;
    case 'showSources':
      return isInt(m.id) ? { type: 'showSources', id: m.id } : undefined;
    default:
      return undefined;
  }
}

/** What a "Why this token?" panel keeps (webview/why/main.ts) so that the host can explain it again after a reload. */
export interface WhyPanelState {
  explained: { uri: string; offset: number; target: number; foil: number };
}

/**
 * What a restored "Why this token?" panel's saved state says it explained; undefined when it
 * names nothing well-formed. The state was written by the webview: checked like its messages.
 */
export function parseRestoredWhy(raw: unknown): WhyPanelState['explained'] | undefined {
  const { uri, offset, target, foil } = fields(fields(raw).explained);
  return isUri(uri) && isInt(offset) && isTokenId(target) && isTokenId(foil) ? { uri, offset, target, foil } : undefined;
}

/** The longest text a restored patching panel may name: a comparison is short, and its texts come from the webview. */
const MAX_PATCHING_TEXT = 100_000;

/**
 * What a patching panel keeps (webview/patching/patchingData.ts) so that the host can run the
 * comparison again after a reload: where the texts are, what they were (to tell whether the
 * document changed since), and the target and foil of the model that compared them.
 */
export interface PatchingPanelState {
  compared: {
    uri: string;
    clean: { start: number; end: number; text: string };
    /** Offsets where the corrupted text was the second selection; the text alone where it was typed. */
    corrupted: { start?: number; end?: number; text: string };
    model: string;
    target: number;
    foil: number;
  };
}

/**
 * What a restored patching panel's saved state says it compared; undefined when it names nothing
 * well-formed. The state was written by the webview: checked like its messages.
 */
export function parseRestoredPatching(raw: unknown): PatchingPanelState['compared'] | undefined {
  const { uri, clean, corrupted, model, target, foil } = fields(fields(raw).compared);
  const isText = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_PATCHING_TEXT;
  const cleanText = fields(clean).text;
  const cleanRange = parseRange(clean);
  if (!isUri(uri) || !cleanRange || !isText(cleanText)) return undefined;
  const c = fields(corrupted);
  // Typed: no offsets at all; selected: both, in order.
  const typed = c.start === undefined && c.end === undefined;
  const corruptedRange = typed ? undefined : parseRange(c);
  if ((!typed && !corruptedRange) || !isText(c.text)) return undefined;
  if (typeof model !== 'string' || model.length > 4096 || !isTokenId(target) || !isTokenId(foil)) return undefined;
  return { uri, clean: { ...cleanRange, text: cleanText }, corrupted: { ...corruptedRange, text: c.text }, model, target, foil };
}

/** Arguments Why This Token? accepts: a document open in the editor and an offset in it (a hover's link). */
export interface WhyArgs {
  uri?: string;
  offset?: number;
}

/**
 * Why This Token?'s arguments, or undefined when one given is malformed; checked like Explain
 * Attention's (a command link can be written by anyone who gets Markdown shown). Anything but a
 * plain object means none: the editor's context menu passes the document's Uri.
 */
export function parseWhyArgs(raw: unknown): WhyArgs | undefined {
  if (!raw || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return {};
  const { uri, offset } = raw as Record<string, unknown>;
  const args: WhyArgs = {};
  if (uri !== undefined) {
    if (!isUri(uri)) return undefined;
    args.uri = uri;
  }
  if (offset !== undefined) {
    if (!isInt(offset)) return undefined;
    args.offset = offset;
  }
  return args;
}

// ---------- The whole model, step by step ----------

/** A step recomputed from its inputs and compared with the model's own tensor: max |ours − model's| / max(1, |model's|). */
export interface WalkCheck {
  what: string;
  error: number;
  tolerance: number;
}

/** A norm applied to one position's stream, with the numbers of its formula. */
export interface WalkNorm {
  /** LayerNorm, (x − mean) / scale · γ + β, or RMSNorm, x / scale · γ; scale = √(var + ε) or √(mean(x²) + ε). */
  kind: 'layer' | 'rms';
  op: string;
  epsilon?: number;
  input: number[];
  /** LayerNorm only. */
  mean?: number;
  scale: number;
  /** γ and β ([d_model]); absent when the graph does not expose them. */
  w?: number[];
  b?: number[];
  output: number[];
  /** The output recomputed from input, scale, γ and β. */
  check?: WalkCheck;
}

/** How one block's attention rotates q at the walked position (rotary embeddings). */
export interface WalkRotary {
  /** What rotates: RotaryEmbedding, GroupQueryAttention or 'ONNX arithmetic' (q·cos + rotate_half(q)·sin). */
  op: string;
  /** The dimensions turned together: (i, i + half) or (2i, 2i + 1). */
  pairing: 'half' | 'interleaved';
  /** Each frequency's angle at this position, wrapped to (−π, π]: atan2 of the sin and cos the model applies. */
  angles: number[];
  /** √(cos² + sin²) of each frequency, where one differs from 1 (a model that scales its rotation). */
  amplitudes?: number[];
  /** Head 0's q before and after the model's rotation, and the rotation redone from the angles. */
  q?: { before: number[]; after: number[]; recomputed: number[] };
  /** q′ = R(θ·p)·q redone for every head from the angles, against the model's rotated q. */
  check?: WalkCheck;
  /** Why the rotation is not checked, where it is not. */
  unchecked?: string;
}

/** One block at the walked position: every tensor is [d_model] (or [d_mlp] for the MLP's). */
export interface WalkBlock {
  layer: number;
  residPre: number[];
  ln1?: WalkNorm;
  /** Concat(head₁ … head_h)·W_O (+ its bias): what the attention adds to the stream. */
  attnOut?: number[];
  residMid?: number[];
  /** resid_mid recomputed as resid_pre + attn_out. */
  midCheck?: WalkCheck;
  ln2?: WalkNorm;
  mlp?: {
    /** The activation function's name, when the graph says which it is (for a gated MLP, the gate's). */
    activation?: string;
    pre?: number[];
    /** A gated MLP's "up" projection (mlp.hook_pre_linear): post = act(pre) · preLinear. */
    preLinear?: number[];
    post: number[];
    /** The most active neurons for this token: largest |post| first. */
    top: { index: number; value: number }[];
    /** post recomputed as activation(pre), times preLinear for a gated MLP. */
    check?: WalkCheck;
  };
  /** The rotation of q in this block's attention, for a rotary model. */
  rotary?: WalkRotary;
  mlpOut?: number[];
  residPost: number[];
  /** resid_post recomputed as resid_mid + mlp_out (a pre-norm block; a post-norm one has mlpNorm instead). */
  postCheck?: WalkCheck;
  /**
   * A post-norm block's second Add & Norm, resid_post = LN(ln2's output + mlp_out): its input the
   * sum recomputed from the two, its output the model's resid_post, its check the norm redone.
   */
  mlpNorm?: WalkNorm;
}

export interface WalkView {
  /** Identifies this walk in later requests. */
  id: number;
  /**
   * bidirectional: attention sees the tokens after the walked one too (an encoder); postNorm: each
   * block normalises after its sublayers, x = LN(x + f(x)) (BERT), not before them; predicts: what
   * the output is about (ModelInfo.predicts).
   */
  model: {
    name: string;
    layers: number;
    heads: number;
    dModel: number;
    dMlp: number;
    precision: string;
    bidirectional: boolean;
    postNorm: boolean;
    predicts: Prediction;
  };
  document: { uri: string; name: string };
  /** Every analysed token, in document offsets. */
  tokens: { text: string; start: number; end: number; special: boolean }[];
  /** The walked token. */
  position: number;
  input: {
    /** The token embedding's row, and the position table's row where the model adds one. */
    embed?: number[];
    posEmbed?: number[];
    /** H⁰: the stream entering block 0. */
    h0: number[];
    /** H⁰ recomputed as embed + pos_embed. */
    check?: WalkCheck;
    /** Cosine similarity of the position vectors of positions [from, from + count), [count, count] row-major. */
    similarity?: { from: number; count: number; values: number[] };
    /**
     * A rotary model's rotation at this position, as its first rotary block applies it; `differs`:
     * the blocks whose angles here are not the same. `positions`: cos of each frequency's angle
     * ([count, frequencies] row-major) and the angle itself, for positions [from, from + count).
     */
    rotary?: WalkRotary & { layer: number; differs: number[]; positions: { from: number; count: number; cos: number[]; angles: number[] } };
    /** Without a position table and without a rotation Model Lens can read: why, in a sentence. */
    positionNote?: string;
    /** Why the token embedding and the position vector are not shown apart (the engine's reason), where they are not. */
    embedNote?: string;
  };
  blocks: WalkBlock[];
  output: {
    norm?: WalkNorm;
    /** Why no final norm is shown, where none is (a post-norm model's last block ends with its own). */
    normNote?: string;
    /** Float32 [vocab]: the logits after this token; a masked model's at this token; a classifier's [classes], for the whole text. */
    logits: ArrayBuffer;
    /**
     * The top predictions (temperature 1): after this token, from the model's own statistics; for a
     * masked model, at this token with the text as it is (from the logits); a classifier's classes.
     */
    top: { id: number; text: string; prob: number }[];
    /** softmax(logits) against the model's own probabilities. */
    check?: WalkCheck;
    /** Why the probabilities are not checked, where they are not. */
    unchecked?: string;
  };
  /** What the model does not expose, and other things to know. */
  notes: string[];
}

export type ToWalkPanel = ToViewPanel<WalkView>;

export type FromWalkPanel =
  | { type: 'ready' }
  /** Walk another token of the same text. */
  | { type: 'pick'; id: number; position: number }
  /** Open Explain Attention's math tab on this layer and head, for the walked token. */
  | { type: 'openHead'; id: number; layer: number; head: number };

/** A message from the step-by-step panel, or undefined if it is not one the host answers. */
export function parseFromWalkPanel(raw: unknown): FromWalkPanel | undefined {
  const m = fields(raw);
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'pick':
      return isInt(m.id) && isInt(m.position) ? { type: 'pick', id: m.id, position: m.position } : undefined;
    case 'openHead':
      return isInt(m.id) && isInt(m.layer, 4096) && isInt(m.head, 4096) ? { type: 'openHead', id: m.id, layer: m.layer, head: m.head } : undefined;
    default:
      return undefined;
  }
}

/** What a step-by-step panel keeps so that the host can walk the same token again after a reload. */
export interface WalkPanelState {
  walked: { uri: string; offset: number };
}

/** What a restored step-by-step panel's saved state says it walked; undefined when malformed. */
export function parseRestoredWalk(raw: unknown): WalkPanelState['walked'] | undefined {
  const { uri, offset } = fields(fields(raw).walked);
  return isUri(uri) && isInt(offset) ? { uri, offset } : undefined;
}
