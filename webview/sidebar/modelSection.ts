// Section 1: the model in use — its shape, where its attention comes from, how it runs — and
// the ways to change it. A failed load shows above the model that keeps working.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { ModelView, SideModelState } from '../../src/shared/protocol';
import { clear, el } from '../shared/dom';
import { plural, t } from '../shared/l10n';
import type { Section } from './section';
import { formatBytes, formatCount, groupAttention, recentLabel } from './sidebarData';

export interface ModelEvents {
  onOpenFolder(): void;
  onUseDefault(): void;
  onUseRecent(index: number): void;
}

const ATTENTION_ICON = { softmax: 'pass', recomputed: 'sync', unavailable: 'warning' } as const;
/** `file` relative to `folder` when it lies in it (either path separator), else as it is. */
function inFolder(file: string, folder: string): string {
  const prefix = folder.replace(/[\\/]+$/, '');
  return file.startsWith(prefix) && /^[\\/]/.test(file.slice(prefix.length)) ? file.slice(prefix.length + 1) : file;
}

/** Names of the backends; one without a name here shows as its id. */
const BACKEND: Record<ModelView['backend'], string> = { wasm: 'WebAssembly', native: 'Native (onnxruntime-node)', webgpu: 'WebGPU' };

/** What the model's output is about, and how its attention reads the text. */
function predictsText(m: ModelView): string {
  if (m.predicts === 'masked')
    return t(
      'Each token, masked (bidirectional attention: every token sees the whole text). A token’s probability is computed with that token masked, one run per token.',
    );
  if (m.predicts === 'classes') {
    const labels = (m.classLabels ?? []).join(', ');
    return m.bidirectional
      ? t('Classes of the whole text ({0}), with bidirectional attention: every token sees the whole text.', labels)
      : t('Classes of the whole text ({0}), with causal attention: each token sees the text before it.', labels);
  }
  return t('The next token (causal attention: each token sees the text before it).');
}

export class ModelSection {
  /** The state drawn, but for the cache size, which changes with every analysis. */
  private drawn = '';
  private readonly cache = el('span');

  constructor(
    private readonly section: Section,
    private readonly events: ModelEvents,
  ) {
    this.update({ recent: [], cacheBytes: 0 });
  }

  update(state: SideModelState): void {
    this.cache.textContent = formatBytes(state.cacheBytes);
    // Redrawing what has not changed would move focus and repeat the error to screen readers.
    const key = JSON.stringify({ ...state, cacheBytes: 0 });
    if (key === this.drawn) return;
    this.drawn = key;
    const body = this.section.body;
    clear(body);
    const m = state.model;
    this.section.setDescription(m?.name ?? '');
    this.section.setExportable(!!m);
    if (state.loading !== undefined) {
      body.append(
        el(
          'div',
          { class: 'ml-loading', attrs: { role: 'status' } },
          el('vscode-progress-ring', { attrs: { 'aria-hidden': 'true' } }),
          el('span', { text: t('Loading {0}…', state.loading) }),
        ),
      );
    }
    if (state.error !== undefined) {
      body.append(
        el(
          'div',
          { class: 'ml-error', attrs: { role: 'alert' } },
          el('span', { class: 'codicon codicon-error', attrs: { 'aria-hidden': 'true' } }),
          el(
            'div',
            {},
            el('div', { class: 'ml-error-title', text: m ? t('The model could not be changed') : t('The model could not be loaded') }),
            el('div', { class: 'ml-error-text', text: state.error }),
            m && el('div', { class: 'ml-muted', text: t('Still using {0}.', m.name) }),
          ),
        ),
      );
    }
    if (m) body.append(...this.describe(m));
    else if (state.loading === undefined)
      body.append(
        el('p', {
          class: 'ml-hint',
          text: t(
            'No model is loaded yet: the model loads on first use, when you select some text. Model Lens comes with a small default model; open another ONNX model folder to look inside it.',
          ),
        }),
      );
    body.append(this.actions(state));
  }

  private describe(m: ModelView): HTMLElement[] {
    const title = el(
      'div',
      { class: 'ml-model-title' },
      el('span', { class: 'ml-model-name', text: m.name, title: m.file }),
      m.isDefault && el('vscode-badge', { text: t('default model') }),
    );
    const stat = (label: string, value: string, title?: string) =>
      el('div', { class: 'ml-stat', title }, el('div', { class: 'ml-stat-label', text: label }), el('div', { class: 'ml-stat-value', text: value }));
    const stats = el(
      'div',
      { class: 'ml-stats' },
      stat(t('Architecture'), m.architecture ?? '—'),
      stat(t('Parameters'), formatCount(m.parameters), m.parameters.toLocaleString('en-US')),
      stat(t('Layers'), String(m.layers)),
      stat(t('Heads'), String(m.heads)),
      stat(t('Width'), String(m.dModel), t('d_model: the width of the residual stream')),
      stat(t('MLP width'), String(m.dMlp), t('d_mlp: neurons in each MLP')),
      stat(t('Head size'), String(m.dHead), t('d_head: the width of each head')),
      stat(t('Vocabulary'), m.vocab.toLocaleString('en-US')),
      stat(t('Context'), t('{0} tokens', m.positions.toLocaleString('en-US')), t('The longest input the model takes')),
      stat(t('File size'), formatBytes(m.fileBytes), m.file),
      stat(t('Precision'), m.precision),
    );
    const row = (label: string, ...value: (HTMLElement | string)[]) =>
      el('div', { class: 'ml-row' }, el('div', { class: 'ml-row-label', text: label }), el('div', { class: 'ml-row-value' }, ...value));
    const attention = el('ul', { class: 'ml-attention' });
    for (const g of groupAttention(m.attention)) {
      attention.append(
        el(
          'li',
          { class: `ml-attn ${g.kind}` },
          el('span', { class: `codicon codicon-${ATTENTION_ICON[g.kind]}`, attrs: { 'aria-hidden': 'true' } }),
          el('span', {}, el('span', { class: 'ml-attn-layers', text: `${g.layers}: ` }), g.text),
        ),
      );
    }
    const rows = el(
      'div',
      { class: 'ml-rows' },
      row(
        t('Runs on'),
        el('div', { text: `${BACKEND[m.backend]}, ${plural(m.threads, '{0} thread', '{0} threads')}` }),
        el('div', { class: 'ml-muted', text: m.backendReason }),
      ),
      row(
        t('File'),
        el('div', { class: 'ml-model-file', text: inFolder(m.file, m.folder), title: m.file }),
        ...(m.otherFiles.length > 0
          ? [
              el('div', {
                class: 'ml-muted',
                text: `Chosen over ${m.otherFiles.join(', ')}: full precision first, then fp16, quantized and merged files. To use another, set modelLens.modelPath to it.`,
              }),
            ]
          : []),
      ),
      row(t('Predicts'), el('div', { text: predictsText(m) })),
      m.producer && row(t('Made by'), m.producer),
      m.attention.length > 0 && row(t('Attention'), attention),
      m.notes.length > 0 && row(t('Notes'), el('ul', { class: 'ml-model-notes' }, ...m.notes.map((n) => el('li', { text: n })))),
      row(t('Analysis cache'), this.cache),
    );
    return [title, stats, rows];
  }

  private actions(state: SideModelState): HTMLElement {
    const open = el('vscode-button', { text: t('Open model folder…'), attrs: { icon: 'folder-opened' } });
    open.addEventListener('click', () => this.events.onOpenFolder());
    const useDefault = el('vscode-button', { text: t('Use default model'), attrs: { secondary: true, icon: 'home' } });
    useDefault.addEventListener('click', () => this.events.onUseDefault());
    useDefault.hidden = !!state.model?.isDefault;
    const box = el('div', { class: 'ml-model-actions' }, el('div', { class: 'ml-buttons' }, open, useDefault));
    if (state.recent.length) {
      const list = el('ul', { class: 'ml-recent', attrs: { 'aria-label': t('Recently used models') } });
      state.recent.forEach((path, index) => {
        const current = path === state.model?.folder || path === state.model?.file;
        const item = el(
          'button',
          {
            class: 'ml-recent-item',
            title: current ? `${path} (in use)` : `Use ${path}`,
            attrs: { type: 'button', disabled: current, 'aria-current': current ? 'true' : undefined },
          },
          el('span', { class: `codicon codicon-${current ? 'check' : 'history'}`, attrs: { 'aria-hidden': 'true' } }),
          el('span', { class: 'ml-recent-name', text: recentLabel(path) }),
          // Shown right-aligned so that its end survives the ellipsis; the marks keep its slashes in place.
          el('span', { class: 'ml-recent-path', text: `\u200e${path}\u200e` }),
        );
        item.addEventListener('click', () => this.events.onUseRecent(index));
        list.append(el('li', {}, item));
      });
      box.append(el('div', { class: 'ml-subtitle', text: t('Recent models') }), list);
    }
    return box;
  }
}
