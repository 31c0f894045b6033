// The Model Lens side panel: wires the header and the four sections to the host's messages and
// to the view state kept across hide/show. Each part draws itself in its own file.
import '../shared/components.css';
import './sidebar.css';
import type { FromSideView, SideAnalysisView, SideSection, ToSideView } from '../../src/shared/protocol';
import { probeGpu } from '../shared/gpuProbe';
import { el } from '../shared/dom';
import { t } from '../shared/l10n';
import { onThemeChange, themeKind } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import { ActivationsSection } from './activationsSection';
import { ExportMenu } from './exportMenu';
import { Header } from './header';
import { HeadsSection } from './headsSection';
import { LensSection } from './lensSection';
import { isToSideView } from './messages';
import { ModelSection } from './modelSection';
import { Section } from './section';
import { decodeLens, decodeResidNorm } from './sidebarData';
import { restoreState, selectionFor, type SidebarState } from './state';

const api = vscodeApi<FromSideView, SidebarState>();
let state = restoreState(api.getState());
let theme = themeKind();
let view: SideAnalysisView | undefined;
/** The page scroll is put back once, when the first analysis has been drawn. */
let scrollRestored = false;

let persistTimer: ReturnType<typeof setTimeout> | undefined;
/** Updates the view state; scrolling (`soon`) is stored once it pauses, not on every event. */
function change(patch: Partial<SidebarState>, soon = false): void {
  state = { ...state, ...patch };
  clearTimeout(persistTimer);
  if (soon) persistTimer = setTimeout(() => api.setState(state), 150);
  else api.setState(state);
}

const tooltip = new Tooltip();
const exportMenu = new ExportMenu((section, format) => api.postMessage({ type: 'export', section, format }));
const sectionEvents = {
  onToggle: (id: SideSection, open: boolean) => {
    change({ open: { ...state.open, [id]: open } });
    tooltip.hide();
  },
  onExport: (id: SideSection, anchor: HTMLButtonElement) => exportMenu.open(id, anchor),
};
const sections = {
  model: new Section('model', t('Model'), state.open.model, sectionEvents),
  activations: new Section('activations', t('Activations'), state.open.activations, sectionEvents),
  lens: new Section('lens', t('Logit lens'), state.open.lens, sectionEvents),
  heads: new Section('heads', t('Heads'), state.open.heads, sectionEvents),
};

const header = new Header((pinned) => api.postMessage({ type: 'setPinned', pinned }));
const model = new ModelSection(sections.model, {
  onOpenFolder: () => api.postMessage({ type: 'openModelFolder' }),
  onUseDefault: () => api.postMessage({ type: 'useDefaultModel' }),
  onUseRecent: (index) => api.postMessage({ type: 'useRecent', index }),
});
const activations = new ActivationsSection(sections.activations, tooltip, {
  onSelect: select,
  onRowScale: (rowScale) => {
    change({ rowScale });
    activations.setRowScale(rowScale);
  },
  onScroll: (x) => change({ scrollX: { ...state.scrollX, activations: x } }, true),
});
const lens = new LensSection(sections.lens, tooltip, (x) => change({ scrollX: { ...state.scrollX, lens: x } }, true));
const heads = new HeadsSection(sections.heads, state.sort, {
  onSort: (key, dir) => {
    change({ sort: { key, dir } });
    heads.setSort(state.sort);
  },
  onOpen: (layer, head) => api.postMessage({ type: 'openHead', layer, head }),
});

const hint = el(
  'div',
  { class: 'ml-empty', attrs: { role: 'status' } },
  el('span', { class: 'codicon codicon-lightbulb', attrs: { 'aria-hidden': 'true' } }),
  el('span', { class: 'ml-empty-text', text: t('Select some text in an editor to see what the model does with it.') }),
);
const analysis = el('div', { class: 'ml-analysis' }, sections.activations.element, sections.lens.element, sections.heads.element);
analysis.hidden = true;
const root = document.getElementById('root') ?? document.body;
root.append(header.element, sections.model.element, hint, analysis);

/** A click on the activations grid: remember it and ask the host for that block's neurons. */
function select(token: number, row: number): void {
  if (!view) return;
  change({ selected: { viewId: view.id, token, row } });
  activations.select({ token, row });
  if (row > 0) api.postMessage({ type: 'requestNeurons', id: view.id, layer: row - 1, token });
}

function showAnalysis(next: SideAnalysisView): void {
  view = next;
  header.setSubject(next);
  header.setBusy(undefined);
  analysis.classList.remove('busy');
  analysis.hidden = false;
  hint.hidden = true;
  activations.setData(next, decodeResidNorm(next), state.rowScale, theme, state.scrollX.activations);
  lens.setData(next, decodeLens(next), theme, state.scrollX.lens);
  heads.setData(next);
  // The same analysis again (the view was hidden, or the window reloaded): bring its cell back.
  const cell = selectionFor(state, next.id, next.tokens.length, next.layers);
  if (cell) select(cell.token, cell.row);
  else if (state.selected) change({ selected: null });
  if (!scrollRestored) {
    scrollRestored = true;
    requestAnimationFrame(() => window.scrollTo(0, state.scrollY));
  }
}

function showEmpty(text: string): void {
  view = undefined;
  header.setSubject(undefined);
  header.setBusy(undefined);
  analysis.hidden = true;
  hint.hidden = false;
  hint.querySelector('.ml-empty-text')!.textContent = text;
}

function handle(m: ToSideView): void {
  switch (m.type) {
    case 'model':
      model.update(m.state);
      break;
    case 'pinned':
      header.setPinned(m.pinned);
      break;
    case 'analysing':
      header.setBusy(m.text);
      analysis.classList.toggle('busy', !analysis.hidden);
      break;
    case 'analysis':
      showAnalysis(m.view);
      break;
    case 'empty':
      showEmpty(m.text);
      break;
    case 'neurons': {
      const s = state.selected;
      if (view?.id === m.id && s?.viewId === m.id && s.token === m.token && s.row === m.layer + 1)
        activations.select({ token: s.token, row: s.row }, { kind: 'ready', neurons: m.neurons });
      break;
    }
  }
}

onHostMessage(isToSideView, handle);

onThemeChange((kind) => {
  theme = kind;
  activations.themeChanged(kind);
  lens.themeChanged(kind);
});

window.addEventListener(
  'scroll',
  () => {
    tooltip.hide();
    change({ scrollY: window.scrollY }, true);
  },
  { passive: true },
);

api.postMessage({ type: 'ready' });
void probeGpu().then(({ adapter }) => api.postMessage({ type: 'gpuAdapter', adapter }));
