// One editor decoration type per level of the diverging scale in sourceColours.ts (a decoration
// type has one fixed colour), for everything that colours editor text by a signed value: "Why
// this token?"'s sources and a head ablation's changes.
import type * as vscode from 'vscode';
import { levelType } from './decorationTypes';
import { SOURCE_LEVELS, sourceLevelColour } from './sourceColours';

/** A range to colour and the level (−SOURCE_LEVELS..SOURCE_LEVELS) it gets; level 0 is left plain. */
export interface LevelDecoration {
  level: number;
  options: vscode.DecorationOptions;
}

export class DivergingDecorations implements vscode.Disposable {
  /** −SOURCE_LEVELS..−1 then 1..SOURCE_LEVELS (see slot). */
  private readonly types: vscode.TextEditorDecorationType[];

  constructor() {
    this.types = Array.from({ length: 2 * SOURCE_LEVELS }, (_, i) => {
      const level = i < SOURCE_LEVELS ? i - SOURCE_LEVELS : i - SOURCE_LEVELS + 1;
      // High-contrast themes get an outline whose style tells the sign: solid positive, dashed negative.
      return levelType(sourceLevelColour(level), Math.abs(level) > SOURCE_LEVELS / 2, level > 0 ? 'solid' : 'dashed');
    });
  }

  /** Shows `items` in `editor`, replacing what these types showed there. */
  set(editor: vscode.TextEditor, items: readonly LevelDecoration[]): void {
    const buckets: vscode.DecorationOptions[][] = this.types.map(() => []);
    for (const { level, options } of items) if (level !== 0) buckets[slot(level)].push(options);
    buckets.forEach((options, i) => editor.setDecorations(this.types[i], options));
  }

  clear(editor: vscode.TextEditor): void {
    for (const type of this.types) editor.setDecorations(type, []);
  }

  dispose(): void {
    for (const type of this.types) type.dispose();
  }
}

/** Where a level's decoration type is in DivergingDecorations.types. */
function slot(level: number): number {
  const clamped = Math.max(-SOURCE_LEVELS, Math.min(SOURCE_LEVELS, Math.trunc(level)));
  return clamped < 0 ? clamped + SOURCE_LEVELS : clamped + SOURCE_LEVELS - 1;
}
