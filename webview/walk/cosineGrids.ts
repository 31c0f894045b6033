// The walk's two pictures of position, both a grid of values in [−1, 1] on the diverging scale:
// - for a learned or sinusoidal positional encoding, the cosine similarity of the position vectors
//   of a run of positions (the classic picture);
// - for a rotary model, for each position up to the walked token (rows) and each frequency
//   (columns), the cosine of the angle the model rotates that pair of dimensions by. Fast
//   frequencies (left) turn a lot from one position to the next; slow ones (right) barely move,
//   so together they tell near from far positions.
import { normalizer, rampColor, rgbCss, textOn, type ThemeKind } from '../shared/colorScale';
import { el } from '../shared/dom';
import { formatCell } from '../shared/format';

interface Grid {
  className: string;
  caption: string;
  rows: string[];
  columns: { text: string; title?: string }[];
  /** [row, column], each in [−1, 1]. */
  values: readonly number[];
  cellTitle(row: number, column: number): string;
}

function cosineGrid(g: Grid, theme: ThemeKind): HTMLElement {
  const norm = normalizer({ kind: 'linear', range: { min: -1, max: 1 } });
  const table = el('table', { class: ['ml-vectors', 'ml-walk-similarity', g.className].filter(Boolean).join(' ') });
  table.appendChild(el('caption', { text: g.caption }));
  const head = el('tr', {}, el('th', { class: 'corner', attrs: { scope: 'col' } }));
  for (const c of g.columns) head.appendChild(el('th', { text: c.text, title: c.title, attrs: { scope: 'col' } }));
  table.appendChild(el('thead', {}, head));
  const body = el('tbody');
  g.rows.forEach((label, r) => {
    const tr = el('tr', {}, el('th', { text: label, attrs: { scope: 'row' } }));
    for (let c = 0; c < g.columns.length; c++) {
      const rgb = rampColor(norm(g.values[r * g.columns.length + c]), theme, 'diverging');
      const td = el('td', { title: g.cellTitle(r, c) });
      // Through the CSSOM: the page's policy refuses style attributes.
      td.style.backgroundColor = rgbCss(rgb);
      td.style.color = textOn(rgb);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  });
  table.appendChild(body);
  return el('div', { class: 'ml-table-wrap' }, table);
}

const positions = (from: number, count: number) => Array.from({ length: count }, (_, i) => String(from + i));

export function similarityTable(s: { from: number; count: number; values: readonly number[] }, theme: ThemeKind): HTMLElement {
  return cosineGrid(
    {
      className: '',
      caption: `Cosine similarity of the position vectors of positions ${s.from} to ${s.from + s.count - 1}`,
      rows: positions(s.from, s.count),
      columns: positions(s.from, s.count).map((text) => ({ text })),
      values: s.values,
      cellTitle: (i, j) => `positions ${s.from + i} and ${s.from + j}: ${formatCell(s.values[i * s.count + j], 3)}`,
    },
    theme,
  );
}

export function rotaryAngleTable(r: { from: number; count: number; cos: readonly number[]; angles: readonly number[] }, theme: ThemeKind): HTMLElement {
  const frequencies = r.cos.length / Math.max(1, r.count);
  return cosineGrid(
    {
      className: 'ml-walk-rotary',
      caption: `cos of each frequency's rotation angle at positions ${r.from} to ${r.from + r.count - 1}`,
      rows: positions(r.from, r.count),
      columns: Array.from({ length: frequencies }, (_, i) => ({ text: String(i), title: `frequency ω${i}` })),
      values: r.cos,
      cellTitle: (p, i) => {
        const k = p * frequencies + i;
        return `position ${r.from + p}, frequency ω${i}: angle ${formatCell(r.angles[k], 3)} rad (mod 2π), cos ${formatCell(r.cos[k], 3)}`;
      },
    },
    theme,
  );
}
