// Lines of a plain string, for tests that stand a string in for a document.
import type { DocumentShape } from '../../src/host/probabilities/documentWindows';

/** Where each line of `text` starts, and the line an offset lies on. */
export function textLines(text: string): { starts: number[]; lineOf(offset: number): number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const lineOf = (offset: number) => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return line;
  };
  return { starts, lineOf };
}

/** The DocumentShape of `text`, as window planning reads a document. */
export function documentShape(text: string): DocumentShape {
  const { starts, lineOf } = textLines(text);
  return { length: text.length, lineStart: (o) => starts[lineOf(o)], nextLineStart: (o) => starts[lineOf(o) + 1] ?? text.length };
}
