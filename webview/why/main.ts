// The "Why this token?" webview: the explained token, the target and foil pickers, the measured
// difference and the sum of its parts, the parts as bars, and the legend of the editor's colouring.
// The host holds the explanation and sends it again on `ready`; the view state only names what was
// explained, for the host to explain it again after a window reload.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import '../shared/components.css';
import './why.css';
import type { FromWhyPanel, WhyChoice, WhyPanelState, WhyView } from '../../src/shared/protocol';
import { lutFor } from '../shared/colorScale';
import { clear, el } from '../shared/dom';
import { showError as showStatusError, showLoading as showStatusLoading } from '../shared/status';
import { formatCell, formatProb, quoted, tokenLabel } from '../shared/format';
import { Legend } from '../shared/legend';
import { onThemeChange, themeKind } from '../shared/theme';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import { largestMagnitude } from './bars';
import { DECIMALS, PartsChart, signed } from './chart';
import { isToWhyPanel } from './messages';

const api = vscodeApi<FromWhyPanel, WhyPanelState>();
let theme = themeKind();
let view: WhyView | undefined;
/** Whether the editor shows this explanation's colouring (Escape clears it). */
let sourcesShown = false;

const status = el('div', { class: 'ml-status', attrs: { 'aria-live': 'polite' } });
const header = el('header', { class: 'ml-why-header' });
const targetSelect = el('vscode-single-select', { class: 'ml-why-select', attrs: { 'aria-label': 'Target: the token to explain' } }) as VscodeSingleSelect;
const foilSelect = el('vscode-single-select', {
  class: 'ml-why-select',
  attrs: { 'aria-label': 'Foil: the alternative it is compared with' },
}) as VscodeSingleSelect;
const pickers = el(
  'div',
  { class: 'ml-why-pickers', attrs: { role: 'group', 'aria-label': 'Target and foil' } },
  el('span', { class: 'ml-field-label', text: 'Why', attrs: { 'aria-hidden': 'true' } }),
  targetSelect,
  el('span', { class: 'ml-field-label', text: 'rather than', attrs: { 'aria-hidden': 'true' } }),
  foilSelect,
);
const summary = el('div', { class: 'ml-why-summary', attrs: { role: 'group', 'aria-label': 'Logit difference' } });
const chart = new PartsChart((layer, head) => view && api.postMessage({ type: 'openHead', id: view.id, layer, head }));
const legend = new Legend({ format: (v) => formatCell(v, 2) });
const showSourcesButton = el('vscode-button', {
  text: 'Colour the editor',
  title: 'Colour the text before the token by its share again',
  attrs: { secondary: true, icon: 'symbol-color' },
});
const notes = el('ul', { class: 'ml-why-notes' });
const content = el(
  'div',
  { class: 'ml-content' },
  header,
  pickers,
  summary,
  el('h2', { class: 'ml-why-heading', text: 'In the editor' }),
  el('div', { class: 'ml-why-sources' }, legend.element, showSourcesButton),
  el('h2', { class: 'ml-why-heading', text: 'Parts, largest first' }),
  el('p', {
    class: 'ml-muted ml-why-hint',
    text: 'Each part’s direct effect on the difference, with the final norm’s scale as it was in this run. Click a head to open it in Explain Attention.',
  }),
  chart.element,
  notes,
);
const root = document.getElementById('root') ?? document.body;
root.append(status, content);
content.hidden = true;
showLoading('Waiting for the explanation…');

function choiceText(c: WhyChoice | undefined): string {
  return c ? tokenLabel(c.text) : '?';
}

function fillSelect(select: VscodeSingleSelect, choices: readonly WhyChoice[], selected: number, actual: number): void {
  clear(select);
  for (const c of choices) {
    const prob = c.prob === null ? '' : `  ${formatProb(c.prob)}`;
    const mark = c.id === actual ? '  (in text)' : '';
    select.appendChild(el('vscode-option', { text: `${tokenLabel(c.text)}${prob}${mark}`, attrs: { value: String(c.id), selected: c.id === selected } }));
  }
  select.value = String(selected);
}

function choose(target: number, foil: number): void {
  if (!view) return;
  content.classList.add('busy');
  api.postMessage({ type: 'choose', id: view.id, target, foil });
}

targetSelect.addEventListener('change', () => {
  if (!view) return;
  const target = Number(targetSelect.value);
  // Explaining a token against itself says nothing: the old target becomes the foil.
  choose(target, target === view.foil ? view.target : view.foil);
});
foilSelect.addEventListener('change', () => {
  if (!view) return;
  const foil = Number(foilSelect.value);
  choose(foil === view.target ? view.foil : view.target, foil);
});
showSourcesButton.addEventListener('click', () => {
  if (!view) return;
  sourcesShown = true;
  api.postMessage({ type: 'showSources', id: view.id });
});

function show(v: WhyView): void {
  view = v;
  api.setState({ explained: { uri: v.document.uri, offset: v.token.start, target: v.target, foil: v.foil } });
  sourcesShown = true;
  clear(status);
  status.hidden = true;
  content.hidden = false;
  content.classList.remove('busy');
  const target = v.choices.find((c) => c.id === v.target);
  const foil = v.choices.find((c) => c.id === v.foil);
  const actual = v.choices[0]?.id ?? v.target;

  clear(header);
  header.append(
    el('h1', { class: 'ml-why-title' }, 'Why ', el('code', { class: 'ml-why-token', text: tokenLabel(v.token.text), title: quoted(v.token.text) }), '?'),
    el(
      'div',
      { class: 'ml-muted ml-why-where' },
      el('span', { class: 'codicon codicon-eye', attrs: { 'aria-hidden': 'true' } }),
      ` ${v.model.name} · `,
      el('span', { class: 'codicon codicon-file', attrs: { 'aria-hidden': 'true' } }),
      ` ${v.document.name}`,
    ),
  );
  fillSelect(targetSelect, v.choices, v.target, actual);
  fillSelect(foilSelect, v.choices, v.foil, actual);

  const logits = `logit(${choiceText(target)}) − logit(${choiceText(foil)})`;
  const agrees = formatCell(v.sum, DECIMALS) === formatCell(v.measured, DECIMALS);
  clear(summary);
  summary.append(
    el(
      'div',
      { class: 'ml-why-measured' },
      el('span', { text: `${logits} = ` }),
      el('strong', { class: 'ml-why-measured-value', text: signed(v.measured) }),
      el('span', { class: 'ml-muted', text: ' measured difference' }),
    ),
    el(
      'div',
      { class: `ml-why-sum ${agrees ? 'agrees' : 'differs'}` },
      el('span', { class: `codicon codicon-${agrees ? 'pass' : 'warning'}`, attrs: { 'aria-hidden': 'true' } }),
      el('span', { text: ' sum of parts ' }),
      el('strong', { class: 'ml-why-sum-value', text: signed(v.sum) }),
      el('span', { text: agrees ? ' = measured difference ' : ' ≠ measured difference ' }),
      el('strong', { text: signed(v.measured) }),
    ),
  );

  chart.setParts(v.parts, theme, choiceText(target), choiceText(foil));
  drawLegend();

  clear(notes);
  for (const text of v.notes)
    notes.appendChild(el('li', { class: 'ml-note' }, el('span', { class: 'codicon codicon-info', attrs: { 'aria-hidden': 'true' } }), el('span', { text })));
}

function drawLegend(): void {
  if (!view) return;
  const m = largestMagnitude(view.sources.map((s) => s.value));
  const target = choiceText(view.choices.find((c) => c.id === view!.target));
  const foil = choiceText(view.choices.find((c) => c.id === view!.foil));
  const caption = `The text before the token, by what each token adds through attention: warm toward ${target}, blue toward ${foil}. Escape in the editor clears it.`;
  legend.update(lutFor(theme, 'diverging'), { kind: 'linear', range: { min: -m, max: m } }, caption);
}

function showLoading(text: string): void {
  showStatusLoading(status, content, text, !!view);
}

function showError(message: string): void {
  showStatusError(status, content, 'Model Lens could not explain this token', message);
}

onHostMessage(isToWhyPanel, (m) => {
  switch (m.type) {
    case 'loading':
      showLoading(m.text);
      break;
    case 'show':
      show(m.view);
      break;
    case 'error':
      showError(m.message);
      break;
  }
});

onThemeChange((kind) => {
  theme = kind;
  chart.setTheme(theme);
  drawLegend();
});

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || !sourcesShown) return;
  // Escape inside a dropdown closes the dropdown, nothing more.
  if (e.composedPath().some((n) => n instanceof HTMLElement && n.tagName === 'VSCODE-SINGLE-SELECT')) return;
  sourcesShown = false;
  api.postMessage({ type: 'clearSources' });
});

api.postMessage({ type: 'ready' });
