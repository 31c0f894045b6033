// A few vectors of one token side by side, one row each, over their first dimensions (or all):
// the numbers of a step, coloured on one diverging scale so that rows can be compared.
import { divergingScale, normalizer, rampColor, rgbCss, textOn, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { formatCell } from '../shared/format';

/** Dimensions shown before "…" unless all are asked for. */
export const SHOWN_DIMS = 8;

export interface VectorRow {
  /** What the row is, e.g. "E (token embedding)". */
  label: string;
  values: readonly number[];
}

/**
 * A table of `rows` over dimensions [0, dims) (or their own `indices`), with a caption for screen
 * readers; `column` names each column before its number (d0, d1… or ω0, ω1… for frequencies).
 */
export function vectorTable(
  caption: string,
  rows: readonly VectorRow[],
  allDims: boolean,
  theme: ThemeKind,
  indices?: readonly number[],
  column = 'd',
): HTMLElement {
  const width = Math.max(...rows.map((r) => r.values.length));
  const dims = indices ?? Array.from({ length: allDims ? width : Math.min(SHOWN_DIMS, width) }, (_, i) => i);
  const shown = rows.flatMap((r) => dims.map((d) => r.values[d] ?? 0));
  const norm = normalizer(divergingScale(shown, 1e-6));
  const table = el('table', { class: 'ml-vectors' });
  table.appendChild(el('caption', { text: caption }));
  const head = el('tr', {}, el('th', { class: 'corner', attrs: { scope: 'col' } }));
  for (const d of dims) head.appendChild(el('th', { text: `${column}${d}`, attrs: { scope: 'col' } }));
  if (!indices && dims.length < width) head.appendChild(el('th', { text: `… ${width - dims.length} more`, attrs: { scope: 'col' } }));
  table.appendChild(el('thead', {}, head));
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr', {}, el('th', { text: r.label, attrs: { scope: 'row' } }));
    for (const d of dims) {
      const v = r.values[d];
      const td = el('td', { text: v === undefined ? '' : formatCell(v, 3), title: v === undefined ? '' : `${r.label}, ${column}${d} = ${v}` });
      if (v !== undefined) {
        const rgb = rampColor(norm(v), theme, 'diverging');
        td.style.backgroundColor = rgbCss(rgb);
        td.style.color = textOn(rgb);
      }
      tr.appendChild(td);
    }
    if (!indices && dims.length < width) tr.appendChild(el('td', { class: 'more', text: '…' }));
    body.appendChild(tr);
  }
  table.appendChild(body);
  return el('div', { class: 'ml-table-wrap' }, table);
}
