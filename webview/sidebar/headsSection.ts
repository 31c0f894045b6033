// Section 4: every head with its head-type scores on this text, as a table sortable by any
// column; a row opens that head in the Explain Attention panel.
import type { SideAnalysisView } from '../../src/shared/protocol';
import { clear, el } from '../shared/dom';
import { t } from '../shared/l10n';
import { formatCell } from '../shared/format';
import { BADGE_THRESHOLD } from '../shared/headTypes';
import type { Section } from './section';
import { initialDir, sortHeads, type HeadRow, type HeadSortKey, type SortDir } from './sidebarData';

interface Column {
  key: HeadSortKey;
  label: string;
  /** Shown instead of the label when the panel is very narrow. */
  short?: string;
  /** What a screen reader calls the column. */
  name: string;
  title: string;
  score: boolean;
}

const COLUMNS: readonly Column[] = [
  { key: 'layer', label: 'Layer', short: 'L', name: 'layer', title: 'Layer', score: false },
  { key: 'head', label: 'Head', short: 'H', name: 'head', title: 'Head', score: false },
  { key: 'previousToken', label: 'Prev', name: 'previous-token score', title: 'Previous-token score: mean attention to the token just before', score: true },
  { key: 'firstToken', label: 'First', name: 'first-token score', title: 'First-token (sink) score: mean attention to the first token', score: true },
  {
    key: 'induction',
    label: 'Induct',
    short: 'Ind',
    name: 'induction score',
    title: 'Induction score: mean attention to the token that followed an earlier occurrence of the current one (— when no token repeats)',
    score: true,
  },
  { key: 'self', label: 'Self', name: 'self score', title: 'Self score: mean attention to the token itself', score: true },
];

export interface HeadEvents {
  onSort(key: HeadSortKey, dir: SortDir): void;
  onOpen(layer: number, head: number): void;
}

export class HeadsSection {
  private readonly headCells: HTMLTableCellElement[];
  private readonly body: HTMLTableSectionElement;
  private readonly message: HTMLParagraphElement;
  private readonly content: HTMLDivElement;
  private heads: readonly HeadRow[] = [];

  constructor(
    private readonly section: Section,
    private sort: { key: HeadSortKey; dir: SortDir },
    private readonly events: HeadEvents,
  ) {
    this.headCells = COLUMNS.map((c) => {
      // Named by its label whichever text shows; the header cell's aria-sort says the order.
      const button = el(
        'button',
        { class: 'ml-sort', title: `${c.title}. Click to sort.`, attrs: { type: 'button', 'aria-label': `Sort by ${c.name}` } },
        el('span', { class: c.short ? 'ml-long' : undefined, text: c.label }),
        c.short && el('span', { class: 'ml-short', text: c.short }),
        el('span', { class: 'ml-sort-arrow', attrs: { 'aria-hidden': 'true' } }),
      );
      button.addEventListener('click', () => this.clickHeader(c.key));
      return el('th', { class: c.score ? 'score' : 'index', attrs: { scope: 'col', abbr: c.title } }, button);
    });
    this.body = el('tbody');
    const table = el(
      'table',
      { class: 'ml-heads-table', attrs: { 'aria-label': 'Attention heads and their head-type scores. Press Enter on a row to open the head.' } },
      el('thead', {}, el('tr', {}, ...this.headCells)),
      this.body,
    );
    this.message = el('p', { class: 'ml-hint' });
    this.content = el(
      'div',
      {},
      el('p', { class: 'ml-caption', text: t('Head-type scores on this text. Click a head to open it in Explain Attention.') }),
      el('div', { class: 'ml-heads-scroll' }, table),
    );
    section.body.append(this.message, this.content);
    table.addEventListener('click', (e) => this.openFrom(e.target));
    table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        if (this.openFrom(e.target)) e.preventDefault();
      } else if (['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) this.moveFocus(e);
    });
  }

  setData(view: SideAnalysisView): void {
    this.heads = view.heads;
    const ok = view.heads.length > 0;
    this.content.hidden = !ok;
    this.message.hidden = ok;
    this.message.textContent = 'No head has an attention pattern in this model, so there are no head types to show.';
    this.section.setExportable(ok);
    this.section.setDescription(ok ? `${view.heads.length} heads` : '');
    this.render();
  }

  setSort(sort: { key: HeadSortKey; dir: SortDir }): void {
    this.sort = sort;
    this.render();
  }

  private clickHeader(key: HeadSortKey): void {
    const dir = this.sort.key === key ? (this.sort.dir === 'asc' ? 'desc' : 'asc') : initialDir(key);
    this.events.onSort(key, dir);
  }

  private render(): void {
    COLUMNS.forEach((c, i) => {
      const th = this.headCells[i];
      const active = c.key === this.sort.key;
      th.setAttribute('aria-sort', active ? (this.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.classList.toggle('sorted', active);
      th.querySelector('.ml-sort-arrow')!.textContent = active ? (this.sort.dir === 'asc' ? '↑' : '↓') : '';
    });
    clear(this.body);
    for (const h of sortHeads(this.heads, this.sort.key, this.sort.dir)) {
      const cells = COLUMNS.map((c) => (c.score ? scoreCell(h[c.key]) : el('td', { class: 'index', text: String(h[c.key]) })));
      this.body.append(
        el(
          'tr',
          { title: `Open layer ${h.layer}, head ${h.head} in Explain Attention`, attrs: { tabindex: -1, 'data-layer': h.layer, 'data-head': h.head } },
          ...cells,
        ),
      );
    }
    // One tab stop for the whole table (hundreds of heads in a large model); arrows move within it.
    this.body.firstElementChild?.setAttribute('tabindex', '0');
  }

  private openFrom(target: EventTarget | null): boolean {
    const row = target instanceof Element ? target.closest('tbody tr') : null;
    if (!(row instanceof HTMLElement)) return false;
    this.events.onOpen(Number(row.dataset.layer), Number(row.dataset.head));
    return true;
  }

  private moveFocus(e: KeyboardEvent): void {
    const row = e.target instanceof Element ? e.target.closest('tbody tr') : null;
    if (!row) return;
    const next = { ArrowDown: row.nextElementSibling, ArrowUp: row.previousElementSibling, Home: this.body.firstElementChild, End: this.body.lastElementChild }[
      e.key
    ];
    if (!(next instanceof HTMLElement)) return;
    e.preventDefault();
    row.setAttribute('tabindex', '-1');
    next.setAttribute('tabindex', '0');
    next.focus();
  }
}

function scoreCell(score: number): HTMLTableCellElement {
  const fill = el('span', { class: 'ml-score-fill' });
  fill.style.width = `${Number.isFinite(score) ? Math.max(0, Math.min(1, score)) * 100 : 0}%`;
  const strong = Number.isFinite(score) && score >= BADGE_THRESHOLD;
  return el(
    'td',
    { class: `score${strong ? ' strong' : ''}` },
    el('span', { class: 'ml-score-num', text: formatCell(score, 2) }),
    el('span', { class: 'ml-score-bar', attrs: { 'aria-hidden': 'true' } }, fill),
  );
}
