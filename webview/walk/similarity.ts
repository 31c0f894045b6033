// The classic picture of a learned positional encoding: the cosine similarity of the position
// vectors of a run of positions, as a small coloured matrix.
import { normalizer, rampColor, rgbCss, textOn, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { formatCell } from '../shared/format';

export function similarityTable(s: { from: number; count: number; values: readonly number[] }, theme: ThemeKind): HTMLElement {
  const norm = normalizer({ kind: 'linear', range: { min: -1, max: 1 } });
  const table = el('table', { class: 'ml-vectors ml-walk-similarity' });
  table.appendChild(el('caption', { text: `Cosine similarity of the position vectors of positions ${s.from} to ${s.from + s.count - 1}` }));
  const head = el('tr', {}, el('th', { class: 'corner', attrs: { scope: 'col' } }));
  for (let j = 0; j < s.count; j++) head.appendChild(el('th', { text: String(s.from + j), attrs: { scope: 'col' } }));
  table.appendChild(el('thead', {}, head));
  const body = el('tbody');
  for (let i = 0; i < s.count; i++) {
    const tr = el('tr', {}, el('th', { text: String(s.from + i), attrs: { scope: 'row' } }));
    for (let j = 0; j < s.count; j++) {
      const v = s.values[i * s.count + j];
      const rgb = rampColor(norm(v), theme, 'diverging');
      const td = el('td', { title: `positions ${s.from + i} and ${s.from + j}: ${formatCell(v, 3)}` });
      // Through the CSSOM: the page's policy refuses style attributes.
      td.style.backgroundColor = rgbCss(rgb);
      td.style.color = textOn(rgb);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  return el('div', { class: 'ml-table-wrap' }, table);
}
