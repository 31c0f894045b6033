// The rotary counterpart of the position-similarity picture: for each position up to the walked
// token (rows) and each frequency (columns), the cosine of the angle the model rotates that pair of
// dimensions by. Fast frequencies (left) turn a lot from one position to the next; slow ones (right)
// barely move, so together they tell near from far positions.
import { normalizer, rampColor, rgbCss, textOn, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { formatCell } from '../shared/format';

export function rotaryAngleTable(r: { from: number; count: number; cos: readonly number[]; angles: readonly number[] }, theme: ThemeKind): HTMLElement {
  const frequencies = r.cos.length / Math.max(1, r.count);
  const norm = normalizer({ kind: 'linear', range: { min: -1, max: 1 } });
  const table = el('table', { class: 'ml-vectors ml-walk-similarity ml-walk-rotary' });
  table.appendChild(el('caption', { text: `cos of each frequency's rotation angle at positions ${r.from} to ${r.from + r.count - 1}` }));
  const head = el('tr', {}, el('th', { class: 'corner', attrs: { scope: 'col' } }));
  for (let i = 0; i < frequencies; i++) head.appendChild(el('th', { text: String(i), title: `frequency ω${i}`, attrs: { scope: 'col' } }));
  table.appendChild(el('thead', {}, head));
  const body = el('tbody');
  for (let p = 0; p < r.count; p++) {
    const tr = el('tr', {}, el('th', { text: String(r.from + p), attrs: { scope: 'row' } }));
    for (let i = 0; i < frequencies; i++) {
      const k = p * frequencies + i;
      const rgb = rampColor(norm(r.cos[k]), theme, 'diverging');
      const td = el('td', { title: `position ${r.from + p}, frequency ω${i}: angle ${formatCell(r.angles[k], 3)} rad (mod 2π), cos ${formatCell(r.cos[k], 3)}` });
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
