// The text a command that explains one token reads: the text before the token, as far back as
// the model's window could reach, to the end of the token's line (as the hover's windows end), so
// that later tokens of the line can be picked from the same analysis.
import * as vscode from 'vscode';
import { CHARS_PER_TOKEN } from './explainAttention';

/** Where the line holding `offset` ends, its line break included. */
function nextLineStart(doc: vscode.TextDocument, offset: number): number {
  const line = doc.positionAt(offset).line;
  return line + 1 < doc.lineCount ? doc.offsetAt(new vscode.Position(line + 1, 0)) : doc.offsetAt(doc.lineAt(line).range.end);
}

/** The text around the token at `offset` for a window of `tokens` tokens, and its first character's offset. */
export function tokenWindow(doc: vscode.TextDocument, offset: number, tokens: number): { baseOffset: number; text: string } {
  const baseOffset = Math.max(0, offset - tokens * CHARS_PER_TOKEN);
  return { baseOffset, text: doc.getText(new vscode.Range(doc.positionAt(baseOffset), doc.positionAt(nextLineStart(doc, offset)))) };
}
