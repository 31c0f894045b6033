// Model Lens: Walk Through the Transformer — the token at the cursor through the whole model, in
// the guide's order (H⁰ = E + P, then each block's attention, Add & Norm and FFN, then the output
// layer), with the real numbers of this text, in the "Step by step" panel.
import * as vscode from 'vscode';
import type { Analysis, ModelInfo } from '../../engine/types';
import type { ModelManager } from '../modelManager';
import type { WalkPanel } from '../panels/walkPanel';
import { buildWalkView } from '../panels/walkView';
import { tokenAtOffset } from '../panels/whyView';
import { parseRestoredWalk, type WalkView } from '../../shared/protocol';
import { analyseDocument } from './documentAnalysis';
import { documentName, restoredAt } from './documents';
import { commandToken, tokenWindow } from './tokenWindow';
import { hookGroups } from '../../shared/hooks';

/**
 * Tokens of text read before the walked one. The walk fetches the logits of every position
 * ([positions, vocabulary]) and every hook inside every block: a short window keeps that small,
 * and the steps of one token need no more.
 */
const WALK_TOKENS = 128;
/** The model's top predictions shown after the last step. */
const TOP_K = 10;

interface Walked {
  analysis: Analysis;
  info: ModelInfo;
  document: { uri: string; name: string };
  baseOffset: number;
}

export class WalkTransformer {
  /** The analysis the panel shows, for walking another of its tokens without running the model again. */
  private walked: Walked | undefined;

  constructor(
    private readonly models: ModelManager,
    private readonly panel: WalkPanel,
  ) {}

  /** From the palette or the editor's menu (the token at the cursor), or a link naming a document and an offset. */
  async run(raw?: unknown): Promise<void> {
    const token = commandToken(raw, 'Walk Through the Transformer', 'open a file and put the cursor on a token to walk it through the model.');
    if (!token) return;
    this.panel.reveal(token.column);
    await this.walk(token.document, token.offset);
  }

  /** Another token of the text the panel shows. */
  pick = (view: WalkView, position: number): void => {
    const walked = this.walked;
    if (!walked || walked.document.uri !== view.document.uri) return;
    this.panel.show(buildWalkView({ id: view.id, ...walked, position }));
  };

  /** Explain Attention on the walked token and the one before it, on one head. */
  openHead = (view: WalkView, layer: number, head: number): void => {
    const token = view.tokens[view.position];
    const start = view.tokens[view.position - 1]?.start ?? token.start;
    void vscode.commands.executeCommand('modelLens.explainAttention', { uri: view.document.uri, selection: { start, end: token.end }, layer, head });
  };

  /** Walks again the token a panel VS Code brought back after a reload had walked. */
  restore = async (state: unknown): Promise<void> => {
    const walked = await restoredAt(parseRestoredWalk(state));
    if (walked) await this.walk(walked.document, walked.offset);
    else this.panel.error('Put the cursor on a token and run Model Lens: Walk Through the Transformer.');
  };

  private async walk(doc: vscode.TextDocument, offset: number): Promise<void> {
    const panel = this.panel;
    const words = {
      progress: 'Model Lens: step by step',
      keptChanging: 'The document kept changing while it was being analysed. Run Walk Through the Transformer again.',
    };
    await analyseDocument(doc, panel, words, async (unchanged) => {
      const info = await this.models.ensureLoaded();
      const { baseOffset, text } = tokenWindow(doc, offset, Math.min(info.positions, WALK_TOKENS));
      panel.loading(`Running ${info.name} on the text and reading every step…`);
      const analysis = await this.models.analyze(text, { hooks: [...hookGroups.activations, ...hookGroups.block], logits: true, topK: TOP_K });
      if (!unchanged()) return false;
      const position = tokenAtOffset(analysis.tokens, offset - baseOffset);
      if (position < 0) {
        panel.error('There is no token at the cursor: put it on some text and run Walk Through the Transformer again.');
        return true;
      }
      this.walked = { analysis, info, document: { uri: doc.uri.toString(), name: documentName(doc) }, baseOffset };
      panel.show(buildWalkView({ id: panel.newId(), ...this.walked, position }));
      return true;
    });
  }
}
