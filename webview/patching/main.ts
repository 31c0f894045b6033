// The activation-patching webview: the two texts with target and foil, then a layer × position
// heatmap of the residual stream and a layer × head grid, both on one diverging scale (1 = the
// clean run's logit difference restored, 0 = the corrupted run's), with values on hover and export.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '../shared/components.css';
import './patching.css';
import { hooks } from '../../src/shared/hooks';
import type { ExportFormat, FromPatchingPanel, PatchingPanelState, PatchingView } from '../../src/shared/protocol';
import { lutFor, normalizer } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { showError as showStatusError, showLoading as showStatusLoading } from '../shared/status';
import { formatCell, quoted, tooltipText } from '../shared/format';
import { Heatmap, type HeatmapCell } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import { cssVar, onThemeChange, themeKind } from '../shared/theme';
import { Tooltip, type TooltipLine } from '../shared/tooltip';
import { viewMessageGuard } from '../shared/viewMessages';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import { patchingScale, patchingState, positionLabel, streamLabel } from './patchingData';

const api = vscodeApi<FromPatchingPanel, PatchingPanelState>();
let view: PatchingView | undefined;
let residual = new Float32Array(0);
let heads = new Float32Array(0);
let theme = themeKind();

const tooltip = new Tooltip();
const status = el('div', { class: 'ml-status', attrs: { 'aria-live': 'polite' } });
const header = el('div', { class: 'ml-patching-header' });
const legend = new Legend({ format: (v) => formatCell(v, 1) });
const residualMap = new Heatmap({
  ariaLabel: 'Residual stream patched at each position: rows are layers, columns tokens',
  labelled: true,
  keyboard: true,
  cellSize: { min: 14, max: 34 },
  maxLabelWidth: 72,
  onHover: (cell, e) => hover(residualMap, cell, e, residualLines),
  describeCell: (cell) => tooltipText(residualLines(cell)),
  cellText: (r, c) => cellText(residual[r * (view?.residual.positions ?? 0) + c]),
});
const headMap = new Heatmap({
  ariaLabel: 'Each head patched at every position: rows are layers, columns heads',
  labelled: true,
  keyboard: true,
  cellSize: { min: 24, max: 34 },
  onHover: (cell, e) => hover(headMap, cell, e, headLines),
  describeCell: (cell) => tooltipText(headLines(cell)),
  cellText: (r, c) => cellText(heads[r * (view?.heads.heads ?? 0) + c]),
});

/** A heatmap in a box that scrolls sideways once its cells are at their smallest. */
function scroller(map: Heatmap): HTMLElement {
  const box = el('div', { class: 'ml-patching-scroll' }, map.element);
  new ResizeObserver(() => box.clientWidth > 0 && map.setAvailableWidth(box.clientWidth)).observe(box);
  return box;
}

function exportButton(format: ExportFormat, icon: string, text: string, title: string): HTMLElement {
  const b = el('vscode-button', { text, title, attrs: { icon, secondary: true } });
  b.addEventListener('click', () => exportAs(format));
  return b;
}

const content = el(
  'div',
  { class: 'ml-content' },
  header,
  el(
    'div',
    { class: 'ml-patching-toolbar', attrs: { role: 'toolbar', 'aria-label': 'Patching results' } },
    legend.element,
    el(
      'div',
      { class: 'ml-export', attrs: { role: 'group', 'aria-label': 'Export' } },
      exportButton('png', 'file-media', 'PNG', 'Save both grids as a PNG image'),
      exportButton('json', 'json', 'JSON', 'Save the texts, target, foil and both grids as JSON'),
      exportButton('csv', 'table', 'CSV', 'Save both grids as CSV, one row per patched part'),
    ),
  ),
  // Side by side where the panel is wide enough, one above the other where it is not.
  el(
    'div',
    { class: 'ml-patching-grids' },
    el(
      'section',
      { class: 'ml-patching-section', attrs: { 'aria-labelledby': 'ml-residual-title' } },
      el('h2', { text: 'Residual stream', attrs: { id: 'ml-residual-title' } }),
      el('p', { class: 'ml-hint', text: 'The stream at one layer and position taken from the clean run.' }),
      scroller(residualMap),
    ),
    el(
      'section',
      { class: 'ml-patching-section', attrs: { 'aria-labelledby': 'ml-heads-title' } },
      el('h2', { text: 'Attention heads', attrs: { id: 'ml-heads-title' } }),
      el('p', { class: 'ml-hint', text: 'One head’s output (hook_z) taken from the clean run at every position.' }),
      scroller(headMap),
    ),
  ),
);
const root = document.getElementById('root') ?? document.body;
root.append(status, content);
content.hidden = true;
showLoading('Waiting for the comparison…');

function cellText(v: number): { text: string } | undefined {
  return Number.isFinite(v) ? { text: formatCell(v, 2) } : undefined;
}

function valueLine(v: number): TooltipLine {
  return ['Patched', Number.isFinite(v) ? `${formatCell(v, 3)} (1 = clean, 0 = corrupted)` : 'not available: the model has no hook to patch here'];
}

function residualLines(cell: HeatmapCell): TooltipLine[] {
  if (!view) return [];
  const hook = view.residual.hooks[cell.row] ?? '';
  return [
    `${streamLabel(hook)}, position ${cell.col}`,
    ['Clean token', quoted(view.clean.tokens[cell.col] ?? '')],
    ['Corrupted token', quoted(view.corrupted.tokens[cell.col] ?? '')],
    ['Hook', hook],
    valueLine(residual[cell.row * view.residual.positions + cell.col]),
  ];
}

function headLines(cell: HeatmapCell): TooltipLine[] {
  if (!view) return [];
  return [`Layer ${cell.row}, head ${cell.col}`, ['Hook', hooks.attn(cell.row, 'z')], valueLine(heads[cell.row * view.heads.heads + cell.col])];
}

function hover(map: Heatmap, cell: HeatmapCell | null, e: PointerEvent | KeyboardEvent | null, lines: (cell: HeatmapCell) => TooltipLine[]): void {
  if (!cell) tooltip.hide();
  else tooltip.showFor(lines(cell), e, () => map.cellRect(cell.row, cell.col));
}

function showLoading(text: string): void {
  showStatusLoading(status, content, text, !!view);
}

function showError(message: string): void {
  showStatusError(status, content, 'Model Lens could not compare these texts', message);
}

function runLine(label: string, run: PatchingView['clean']): HTMLElement {
  return el(
    'div',
    { class: 'ml-patching-run' },
    el('span', { class: 'ml-patching-label', text: label }),
    el('code', { class: 'ml-patching-text', text: run.text }),
    el('span', { class: 'ml-patching-diff', text: `logit difference ${formatCell(run.logitDiff, 3)}` }),
  );
}

function show(v: PatchingView): void {
  view = v;
  // The host holds the sweep; the state only names what was compared, for it to run again after a reload.
  api.setState(patchingState(v));
  residual = new Float32Array(v.residual.values);
  heads = new Float32Array(v.heads.values);
  clear(status);
  status.hidden = true;
  content.hidden = false;
  content.classList.remove('busy');
  clear(header);
  header.append(
    el('h1', { text: `Activation patching — ${v.model}` }),
    runLine('Clean', v.clean),
    runLine('Corrupted', v.corrupted),
    el(
      'p',
      { class: 'ml-patching-metric' },
      'Metric: logit(',
      el('span', { class: 'ml-token', text: quoted(v.target.text), title: `target, token id ${v.target.id}` }),
      ') − logit(',
      el('span', { class: 'ml-token', text: quoted(v.foil.text), title: `foil, token id ${v.foil.id}` }),
      ') after the last token, scaled so that 1 is the clean run and 0 the corrupted one.',
    ),
  );
  draw();
}

function draw(): void {
  if (!view) return;
  const n = view.residual.positions;
  const spec = patchingScale(residual, heads);
  const colors = { normalize: normalizer(spec), lut: lutFor(theme, 'diverging') };
  residualMap.setData(
    { rows: view.residual.hooks.length, cols: n, values: residual },
    {
      rows: view.residual.hooks.map(streamLabel),
      cols: Array.from({ length: n }, (_, p) => positionLabel(view!.clean.tokens[p], view!.corrupted.tokens[p])),
      rowTitle: 'layer',
      colTitle: 'position',
    },
  );
  residualMap.setColors(colors);
  headMap.setData(
    { rows: view.heads.layers, cols: view.heads.heads, values: heads },
    {
      rows: Array.from({ length: view.heads.layers }, (_, L) => `L${L}`),
      cols: Array.from({ length: view.heads.heads }, (_, h) => `H${h}`),
      rowTitle: 'layer',
      colTitle: 'head',
    },
  );
  headMap.setColors(colors);
  const unavailable = [residual, heads].some((g) => g.some((x) => Number.isNaN(x)));
  legend.update(
    colors.lut,
    spec,
    `Red: the patch brings back the clean run's difference (1); blue: it pushes the other way.${unavailable ? ' Empty cells: the model has no hook to patch there.' : ''}`,
  );
}

/** Both grids under their titles on the editor's background, as one PNG. */
function combinedPng(): string | undefined {
  const parts = [
    ['Residual stream (rows: layers, columns: positions)', residualMap],
    ['Attention heads (rows: layers, columns: heads)', headMap],
  ] as const;
  const images = parts.map(([title, map]) => {
    map.toDataURL();
    return { title, canvas: map.canvas };
  });
  const scale = window.devicePixelRatio || 1;
  const titleH = Math.round(24 * scale);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(...images.map((i) => i.canvas.width));
  canvas.height = images.reduce((h, i) => h + titleH + i.canvas.height, 0);
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = cssVar('--vscode-editor-foreground', '#cccccc');
  ctx.font = `${Math.round(13 * scale)}px sans-serif`;
  ctx.textBaseline = 'middle';
  let y = 0;
  for (const { title, canvas: c } of images) {
    ctx.fillText(title, 4 * scale, y + titleH / 2);
    ctx.drawImage(c, 0, y + titleH);
    y += titleH + c.height;
  }
  return canvas.toDataURL('image/png');
}

function exportAs(format: ExportFormat): void {
  if (!view) return;
  if (format !== 'png') {
    api.postMessage({ type: 'export', id: view.id, format });
    return;
  }
  const png = combinedPng();
  if (png) api.postMessage({ type: 'export', id: view.id, format, png });
}

const isToPanel = viewMessageGuard<PatchingView>((shown) => {
  const v = shown as unknown as PatchingView;
  // The grids are read as Float32Arrays of the sizes the view states.
  return (
    v.residual?.values instanceof ArrayBuffer &&
    v.heads?.values instanceof ArrayBuffer &&
    v.residual.values.byteLength === v.residual.hooks.length * v.residual.positions * 4 &&
    v.heads.values.byteLength === v.heads.layers * v.heads.heads * 4
  );
});

onHostMessage(isToPanel, (m) => {
  if (m.type === 'loading') showLoading(m.text);
  else if (m.type === 'error') showError(m.message);
  else show(m.view);
});

onThemeChange((kind) => {
  theme = kind;
  residualMap.themeChanged();
  headMap.themeChanged();
  draw();
});

api.postMessage({ type: 'ready' });
