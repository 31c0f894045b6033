// GLTR's idea inside the editor: every token coloured by how far down the model's list of
// predictions it was (top 10, top 100, top 1000, beyond), over the selection or, without one,
// the visible range. Re-colours as the user edits or scrolls, debounced. While heads are switched
// off in the attention panel, the text it explains is left to the ablation's colours (its change
// in probability, ablationDecorations.ts) instead of being coloured twice. Its legend is the Model
// Lens status bar item's tooltip (statusBar.ts), shown while the active editor has the heatmap.
import * as vscode from 'vscode';
import type { AblationEffects } from './ablationEffect';
import { HEATMAP_REFRESH_DELAY_MS } from '../probabilities/budgets';
import type { TokenInfo } from '../probabilities/documentWindows';
import { rankBucket, type RankBucket } from '../probabilities/tokenInfo';
import { BUCKET_COLOURS } from './heatmapColours';
import type { TokenProbabilities } from '../probabilities/tokenProbabilities';

const BUCKETS = Object.keys(BUCKET_COLOURS) as RankBucket[];

interface Target {
  /** A fixed range (the selection when the command ran), or undefined for "what is visible". */
  range?: vscode.Range;
  timer?: ReturnType<typeof setTimeout>;
  cancel?: vscode.CancellationTokenSource;
}

export class TokenHeatmap implements vscode.Disposable {
  private readonly types: Record<RankBucket, vscode.TextEditorDecorationType>;
  private readonly targets = new Map<string, Target>();
  private readonly shownChange = new vscode.EventEmitter<void>();
  /** The active editor gained or lost the heatmap (or another editor became active). */
  readonly onDidChangeShown = this.shownChange.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly probabilities: TokenProbabilities,
    private readonly ablation: AblationEffects,
  ) {
    this.types = Object.fromEntries(
      BUCKETS.map((b) => [
        b,
        vscode.window.createTextEditorDecorationType({
          backgroundColor: new vscode.ThemeColor(BUCKET_COLOURS[b].id),
          // High-contrast themes: an outline keeps token boundaries readable.
          outlineColor: new vscode.ThemeColor('contrastBorder'),
          outlineStyle: 'dotted',
          outlineWidth: '1px',
        }),
      ]),
    ) as Record<RankBucket, vscode.TextEditorDecorationType>;
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document.uri.toString())),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        const target = this.targets.get(e.textEditor.document.uri.toString());
        if (target && !target.range) this.schedule(e.textEditor.document.uri.toString());
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.updateShown()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateShown()),
      // An ablation starting or ending frees or takes the text it explains.
      ablation.onDidChange(() => {
        for (const uri of this.targets.keys()) this.schedule(uri);
      }),
    );
  }

  /** Colours the editor's selection, or the visible range when nothing is selected. */
  show(editor: vscode.TextEditor): void {
    const uri = editor.document.uri.toString();
    this.cancel(uri);
    this.targets.set(uri, { range: editor.selection.isEmpty ? undefined : editor.selection });
    this.updateShown();
    void this.refresh(uri);
  }

  clear(editor: vscode.TextEditor | undefined): void {
    const uris = editor ? [editor.document.uri.toString()] : [...this.targets.keys()];
    for (const uri of uris) {
      this.cancel(uri);
      this.targets.delete(uri);
      for (const e of this.editorsOf(uri)) for (const type of Object.values(this.types)) e.setDecorations(type, []);
    }
    this.updateShown();
  }

  isShown(editor: vscode.TextEditor | undefined): boolean {
    return !!editor && this.targets.has(editor.document.uri.toString());
  }

  private editorsOf(uri: string): vscode.TextEditor[] {
    return vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === uri);
  }

  private cancel(uri: string): void {
    const target = this.targets.get(uri);
    if (target?.timer) clearTimeout(target.timer);
    target?.cancel?.cancel();
  }

  private schedule(uri: string): void {
    const target = this.targets.get(uri);
    if (!target) return;
    if (target.timer) clearTimeout(target.timer);
    target.timer = setTimeout(() => void this.refresh(uri), HEATMAP_REFRESH_DELAY_MS);
  }

  private async refresh(uri: string): Promise<void> {
    const target = this.targets.get(uri);
    const editor = this.editorsOf(uri)[0];
    if (!target || !editor) return;
    target.cancel?.cancel();
    const cancel = (target.cancel = new vscode.CancellationTokenSource());
    const doc = editor.document;
    const ranges = target.range ? [target.range] : editor.visibleRanges;
    const tokens: TokenInfo[] = [];
    try {
      for (const range of ranges) tokens.push(...(await this.probabilities.tokensIn(doc, doc.offsetAt(range.start), doc.offsetAt(range.end), cancel.token)));
    } catch {
      return; // cancelled by a newer refresh, or the model failed (reported where it failed)
    }
    if (cancel.token.isCancellationRequested || !this.targets.has(uri)) return;
    const byBucket = Object.fromEntries(BUCKETS.map((b) => [b, [] as vscode.DecorationOptions[]])) as Record<RankBucket, vscode.DecorationOptions[]>;
    const ablated = this.ablation.coveredRange(uri);
    for (const t of tokens) {
      if (ablated && t.end > ablated.start && t.start < ablated.end) continue;
      const bucket = rankBucket(t.rank);
      if (bucket) byBucket[bucket].push({ range: new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)) });
    }
    for (const e of this.editorsOf(uri)) for (const b of BUCKETS) e.setDecorations(this.types[b], byBucket[b]);
  }

  /** The context key that offers Clear Token Probability Heatmap, and the status bar's legend, follow the active editor. */
  private updateShown(): void {
    const visible = this.isShown(vscode.window.activeTextEditor);
    void vscode.commands.executeCommand('setContext', 'modelLens.tokenHeatmap', visible);
    this.shownChange.fire();
  }

  dispose(): void {
    for (const uri of this.targets.keys()) this.cancel(uri);
    for (const d of [...this.disposables, this.shownChange, ...Object.values(this.types)]) d.dispose();
  }
}
