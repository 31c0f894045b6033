// CSV exports hold token text and model names from the model's own files. A spreadsheet runs a
// cell that starts with =, +, - or @ (or a tab or carriage return, which it skips before one) as
// a formula, so such text cells get a leading apostrophe, as OWASP advises; numbers stay numbers,
// so -0.5 is still a number.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: numbers as numbers (empty when not finite), text neutralised and quoted when needed. */
export function csvCell(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of cells as CSV, CRLF line ends as RFC 4180 has them. */
export function csv(rows: readonly (readonly (string | number)[])[]): string {
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
