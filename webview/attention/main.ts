// The "Explain Attention" webview: wires the parts together and talks to the host. Each part
// lives in its own file; this one only routes messages and state changes to them.
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '../shared/components.css';
import './attention.css';
import type { AttentionView, ExportFormat, FromAttentionPanel, HeadDetail, HeadRef, ToAttentionPanel } from '../../src/shared/protocol';
import { probeGpu } from '../shared/gpuProbe';
import { clear, el } from '../shared/dom';
import { t } from '../shared/l10n';
import { showError as showStatusError, showLoading as showStatusLoading } from '../shared/status';
import { cssVar, onThemeChange, themeKind } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { viewMessageGuard } from '../shared/viewMessages';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import { PendingReplies } from '../../src/shared/pendingReplies';
import { AblationBar, type AblationStatus } from './ablation';
import { changeScale } from './format';
import { Header } from './header';
import { HeadView } from './headView';
import { MathView, type DetailState } from './mathView';
import { ModelView } from './modelView';
import { fitStateToView, restoreState, toggleAblated, type PanelState } from './state';
import { Tabs } from './tabs';
import { TokenStrip } from './tokenStrip';
import { Toolbar } from './toolbar';
import { decodeDetail, ViewData } from './viewData';

const api = vscodeApi<FromAttentionPanel, PanelState>();
let state = restoreState(api.getState());
let data: ViewData | undefined;
let theme = themeKind();
/** Model view thumbnails are costly: redraw them only when shown and something changed. */
let modelDirty = true;
let mathDirty = true;
const details = new Map<string, DetailState>();
const MAX_DETAILS = 8;
/** Head detail requests waiting for the host's answer. */
const detailRequests = new PendingReplies<HeadDetail>();

const tooltip = new Tooltip();
const header = new Header();
const strip = new TokenStrip({ onPick: pick, onClear: clearSelection });
const toolbar = new Toolbar({ onChange: change, onExport: exportAs });
const modelView = new ModelView(tooltip, {
  onOpen: (layer, head) => change({ tab: 'head', layer, head }),
  onToggleAblation: (layer, head) => ablate(toggleAblated(state.ablated, layer, head)),
});
const ablationBar = new AblationBar({ onMode: (ablationMode) => change({ ablationMode }), onReset: () => ablate([]) });
/** The host's answer for the heads switched off now (answers for earlier choices are dropped). */
let ablation: AblationStatus = { kind: 'idle' };
let ablationProb: Float32Array | undefined;
const headView = new HeadView(tooltip, { onPick: pick });
const mathView = new MathView({
  onAllDims: (allDims) => change({ allDims }),
  onWalk: (query) => data && api.postMessage({ type: 'walkToken', id: data.view.id, query }),
});
const tabs = new Tabs({ model: modelView.element, head: headView.element, math: mathView.element }, (tab) => change({ tab }));
const status = el('div', { class: 'ml-status', attrs: { 'aria-live': 'polite' } });
const content = el(
  'div',
  { class: 'ml-content' },
  header.element,
  toolbar.element,
  el('div', { class: 'ml-strip-wrap' }, ablationBar.element, strip.element),
  tabs.element,
);
const root = document.getElementById('root') ?? document.body;
root.append(status, content);
content.hidden = true;
showLoading(t('Waiting for the analysis…'));

function persist(): void {
  api.setState(state);
}

function detailKey(layer: number, head: number): string {
  return `${data?.view.id}:${layer}:${head}`;
}

function currentDetail(): DetailState {
  if (!data || typeof state.head !== 'number') return { kind: 'none' };
  return details.get(detailKey(state.layer, state.head)) ?? { kind: 'none' };
}

/** Asks the host for Q, K, V, z of the current head when the math view needs them. */
function ensureDetail(): void {
  if (!data || state.tab !== 'math' || typeof state.head !== 'number') return;
  if (data.layers[state.layer]?.source.kind === 'unavailable') return;
  const key = detailKey(state.layer, state.head);
  if (details.has(key)) return;
  details.set(key, { kind: 'loading' });
  while (details.size > MAX_DETAILS) details.delete(details.keys().next().value!);
  const { layer, head } = state;
  const id = data.view.id;
  const { reply } = detailRequests.open((request) => api.postMessage({ type: 'requestHeadDetail', request, id, layer, head }));
  reply.then(onDetail, (e: Error) => setDetail(key, layer, head, { kind: 'error', message: e.message }));
}

function postSelection(): void {
  if (!data || state.query === null) return;
  api.postMessage({ type: 'selectToken', id: data.view.id, query: state.query, layer: state.layer, head: state.head });
}

function pick(index: number): void {
  if (state.query === index) clearSelection();
  else {
    change({ query: index });
    postSelection();
  }
}

function clearSelection(): void {
  if (state.query === null) return;
  change({ query: null });
  api.postMessage({ type: 'clearSelection' });
}

/** Switches exactly `heads` off (none: every head back on). */
function ablate(heads: HeadRef[]): void {
  change({ ablated: heads });
}

/** Asks the host to run the text again with the switched-off heads, or forgets the last run. */
function requestAblation(): void {
  ablationProb = undefined;
  if (!data || !state.ablated.length) {
    // The host shows the last run in the editor too (hover, decorations): tell it that is over.
    if (data && ablation.kind !== 'idle') api.postMessage({ type: 'resetAblation', id: data.view.id });
    ablation = { kind: 'idle' };
    return;
  }
  ablation = { kind: 'running' };
  api.postMessage({ type: 'ablate', id: data.view.id, heads: state.ablated, mode: state.ablationMode });
}

function sameHeads(a: readonly HeadRef[], b: readonly HeadRef[]): boolean {
  return a.length === b.length && a.every((h, i) => h.layer === b[i].layer && h.head === b[i].head);
}

function change(patch: Partial<PanelState>): void {
  const before = state;
  state = { ...state, ...patch };
  const changed = (Object.keys(patch) as (keyof PanelState)[]).filter((k) => before[k] !== state[k]);
  if (!changed.length) return;
  persist();
  const has = (...keys: (keyof PanelState)[]) => keys.some((k) => changed.includes(k));
  if (has('ablated', 'ablationMode')) requestAblation();
  if (has('scale', 'ignoreFirst', 'includeContext')) modelDirty = true;
  if (has('layer', 'head', 'query', 'allDims')) mathDirty = true;
  render();
  if (has('layer', 'head') && state.query !== null) postSelection();
}

/** Brings every part in line with `state`, doing only the work that is visible. */
function render(): void {
  if (!data) return;
  toolbar.sync(state);
  tabs.select(state.tab);
  const settings = { kind: state.scale, ignoreFirst: state.ignoreFirst };
  headView.update({ ...settings, layer: state.layer, head: state.head, includeContext: state.includeContext, theme });
  headView.setSelected(state.query);
  strip.setSelected(state.query);
  const full = state.query === null ? undefined : data.matrix(state.layer, state.head);
  const colors = headView.currentColors;
  const row = state.query === null ? -1 : state.query - data.queryStart;
  // A causal model gives later tokens no weight (masked); a bidirectional one weighs every token.
  const seen = (k: number) => data!.bidirectional || k <= state.query!;
  strip.setWeights(full && colors && row >= 0 ? (k) => (seen(k) ? full[row * data!.keys + k] : NaN) : null, colors?.normalize ?? (() => NaN), theme);
  modelView.setCurrent(state.layer, typeof state.head === 'number' ? state.head : null);
  modelView.setAblated(state.ablated);
  ablationBar.update(data.view.ablatable.some(Boolean), state.ablated, state.ablationMode, ablation, theme, data.view.model.predicts);
  strip.setChange(ablation.kind === 'ready' && ablationProb ? { delta: ablation.delta, prob: ablationProb, scale: changeScale(ablation.delta) } : null, theme);
  if (state.tab === 'model' && modelDirty) {
    modelView.draw(settings, state.includeContext, theme);
    modelDirty = false;
  }
  if (state.tab === 'math') {
    ensureDetail();
    if (mathDirty) {
      mathView.update({ layer: state.layer, head: state.head, query: state.query, allDims: state.allDims, theme }, currentDetail());
      mathDirty = false;
    }
  }
}

function show(view: ToAttentionPanel & { type: 'show' }): void {
  const previous = state.viewId;
  data = new ViewData(view.view);
  state = fitStateToView(state, view.view);
  persist();
  details.clear();
  modelDirty = true;
  mathDirty = true;
  clear(status);
  status.hidden = true;
  content.hidden = false;
  content.classList.remove('busy');
  header.setData(data);
  toolbar.setData(data, state);
  strip.setTokens(data.view.tokens, data.queryStart, data.queryCount, data.view.model.predicts);
  modelView.setData(data);
  headView.setData(data);
  mathView.setData(data);
  // Heads still switched off for this analysis (the panel was hidden or reloaded): run them again.
  requestAblation();
  render();
  // The same analysis again (the panel was hidden, or the window reloaded): the editor lost
  // its decorations with the old webview, so select the restored query again.
  if (previous === view.view.id && state.query !== null) postSelection();
}

function onAblation(m: ToAttentionPanel & { type: 'ablation' }): void {
  if (!data || m.id !== data.view.id || m.mode !== state.ablationMode || !sameHeads(m.heads, state.ablated)) return;
  const delta = new Float32Array(m.delta);
  const prob = new Float32Array(m.prob);
  if (delta.length !== data.view.tokens.length || prob.length !== delta.length) return;
  ablation = { kind: 'ready', delta };
  ablationProb = prob;
  render();
}

function onDetail(detail: HeadDetail): void {
  if (!data || detail.id !== data.view.id) return;
  const decoded = decodeDetail(detail, data.keys);
  setDetail(
    detailKey(detail.layer, detail.head),
    detail.layer,
    detail.head,
    typeof decoded === 'string' ? { kind: 'error', message: t("The head's tensors did not arrive whole: {0}", decoded) } : { kind: 'ready', detail: decoded },
  );
}

function setDetail(key: string, layer: number, head: number, detail: DetailState): void {
  if (!details.has(key)) return; // evicted, or of an analysis shown no more
  details.set(key, detail);
  if (layer === state.layer && head === state.head) {
    mathDirty = true;
    render();
  }
}

function showLoading(text: string): void {
  showStatusLoading(status, content, text, !!data);
}

function showError(message: string): void {
  showStatusError(status, content, t('Model Lens could not explain this selection'), message);
}

function exportAs(format: ExportFormat): void {
  if (!data) return;
  const base = { type: 'export' as const, id: data.view.id, format, layer: state.layer, head: state.head };
  if (format !== 'png') {
    api.postMessage(base);
    return;
  }
  const grid = state.tab === 'model';
  const png = grid
    ? modelView.toDataURL(cssVar('--vscode-editor-background', '#1e1e1e'), cssVar('--vscode-editor-foreground', '#cccccc'))
    : headView.toDataURL();
  if (png) api.postMessage({ ...base, png, scope: grid ? 'grid' : 'head' });
}

/** loading, error and show: as a one-view panel's. */
const isViewMessage = viewMessageGuard<AttentionView>((v) => Array.isArray(v.tokens));

function isToPanel(m: unknown): m is ToAttentionPanel {
  if (isViewMessage(m)) return true;
  if (!m || typeof m !== 'object') return false;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'headDetail':
      return Number.isInteger(x.request) && !!x.detail && typeof x.detail === 'object';
    case 'headDetailError':
      return Number.isInteger(x.request) && typeof x.message === 'string';
    case 'focus':
      return Number.isInteger(x.layer) && Number.isInteger(x.head);
    case 'ablation':
      return Number.isInteger(x.id) && Array.isArray(x.heads) && x.delta instanceof ArrayBuffer && x.prob instanceof ArrayBuffer;
    case 'ablationError':
      return Number.isInteger(x.id) && typeof x.message === 'string';
    case 'requestExport':
      return x.format === 'png' || x.format === 'json' || x.format === 'csv';
    case 'pinned':
      return typeof x.pinned === 'boolean';
    default:
      return false;
  }
}

onHostMessage(isToPanel, (m) => {
  switch (m.type) {
    case 'loading':
      showLoading(m.text);
      break;
    case 'show':
      show(m);
      break;
    case 'headDetail':
      detailRequests.resolve(m.request, m.detail);
      break;
    case 'headDetailError':
      detailRequests.reject(m.request, new Error(m.message));
      break;
    case 'ablation':
      onAblation(m);
      break;
    case 'ablationError':
      if (data && m.id === data.view.id && state.ablated.length) {
        ablation = { kind: 'error', message: m.message };
        render();
      }
      break;
    case 'focus':
      if (data) change({ ...fitStateToView({ ...state, layer: m.layer, head: m.head }, data.view), tab: 'head' });
      break;
    case 'requestExport':
      exportAs(m.format);
      break;
    case 'pinned':
      change({ pinned: m.pinned });
      break;
    case 'error':
      showError(m.message);
      detailRequests.rejectAll(new Error(m.message));
      break;
  }
});

onThemeChange((kind) => {
  theme = kind;
  modelDirty = true;
  mathDirty = true;
  headView.heatmap.themeChanged();
  render();
});

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || state.query === null) return;
  // Escape inside a dropdown closes the dropdown, nothing more.
  if (e.composedPath().some((n) => n instanceof HTMLElement && n.tagName === 'VSCODE-SINGLE-SELECT')) return;
  clearSelection();
});

api.postMessage({ type: 'ready' });
void probeGpu().then(({ adapter }) => api.postMessage({ type: 'gpuAdapter', adapter }));
