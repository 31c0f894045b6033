// CSV exports: text cells that a spreadsheet would run as a formula are neutralised; numbers,
// negative ones included, stay numbers.
import { describe, expect, it } from 'vitest';
import { csv, csvCell } from '../../src/host/text/csv';

describe('csvCell', () => {
  it('prefixes text that starts a formula with an apostrophe', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1:A2)', "=cmd|' /C calc'!A0"].map(csvCell)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1:A2)", "'=cmd|' /C calc'!A0"]);
    // Tab and carriage return are skipped by spreadsheets before a formula; the CR also needs quotes.
    expect(csvCell('\t=1+1')).toBe("'\t=1+1");
    expect(csvCell('\r=1+1')).toBe(`"'\r=1+1"`);
    expect(csvCell('=HYPERLINK("https://example.invalid","x")')).toBe(`"'=HYPERLINK(""https://example.invalid"",""x"")"`);
  });

  it('leaves other text alone, quoting what needs quotes', () => {
    expect([' =1', 'a=1', 'plain', 'a,b', 'say "x"', 'two\nlines'].map(csvCell)).toEqual([' =1', 'a=1', 'plain', '"a,b"', '"say ""x"""', '"two\nlines"']);
  });

  it('writes numbers as numbers, negative ones too; not finite ones as empty cells', () => {
    expect([-0.5, 0, 1e-7, -3, NaN, Infinity].map(csvCell)).toEqual(['-0.5', '0', '1e-7', '-3', '', '']);
  });
});

describe('csv', () => {
  it('joins rows with CRLF, ending with one', () => {
    expect(
      csv([
        ['token', 'p'],
        ['-x', -0.25],
      ]),
    ).toBe("token,p\r\n'-x,-0.25\r\n");
  });
});
