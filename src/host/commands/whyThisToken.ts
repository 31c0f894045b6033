// Model Lens: Why This Token? — direct logit attribution of the token at the cursor (or under a
// hover): why the model gave it, rather than its best other prediction, split into the embedding,
// every head, every MLP and the biases, with the text before it as context. Shown in the "Why this
// token?" panel, with the earlier text coloured in the editor by what it contributed.
import * as vscode from 'vscode';
import type { ModelManager } from '../modelManager';
import type { WhyPanel } from '../panels/whyPanel';
import { buildWhyView, tokenAtOffset } from '../panels/whyView';
import { parseRestoredWhy, type WhyView } from '../../shared/protocol';
import { analyseDocument } from './documentAnalysis';
import { documentName, openDocument, restoredAt } from './documents';
import { commandToken, tokenWindow } from './tokenWindow';

/** Alternatives offered as target and foil: the model's top predictions at the position. */
const TOP_K = 10;

export interface WhyTarget {
  document: vscode.TextDocument;
  /** Document offset of (a character of) the token to explain. */
  offset: number;
  target?: number;
  foil?: number;
}

export class WhyThisToken {
  constructor(
    private readonly models: ModelManager,
    private readonly panel: WhyPanel,
  ) {}

  async run(raw?: unknown): Promise<void> {
    const token = commandToken(raw, 'Why This Token?', 'open a file and put the cursor on a token to see why the model predicted it.');
    if (!token) return;
    this.panel.reveal(token.column);
    await this.explain({ document: token.document, offset: token.offset });
  }

  /** The same token against another target and foil (the panel's pickers). */
  rechoose = (view: WhyView, target: number, foil: number): void => {
    const document = openDocument(view.document.uri);
    if (!document) {
      this.panel.error(`${view.document.name} is no longer open: open it and run Why This Token? again.`);
      return;
    }
    void this.explain({ document, offset: view.token.start, target, foil });
  };

  /** Explain Attention on the explained token and the one before it (whose stream predicted it), on one head. */
  openHead = (view: WhyView, layer: number, head: number): void => {
    const start = view.sources.at(-1)?.start ?? view.token.start;
    void vscode.commands.executeCommand('modelLens.explainAttention', { uri: view.document.uri, selection: { start, end: view.token.end }, layer, head });
  };

  /** Explains again the token a panel VS Code brought back after a reload had explained. */
  restore = async (state: unknown): Promise<void> => {
    const explained = await restoredAt(parseRestoredWhy(state));
    if (explained) await this.explain(explained);
    else this.panel.error('Put the cursor on a token and run Model Lens: Why This Token?.');
  };

  async explain(t: WhyTarget): Promise<void> {
    const doc = t.document;
    const panel = this.panel;
    const words = {
      progress: 'Model Lens: why this token',
      keptChanging: 'The document kept changing while it was being analysed. Run Why This Token? again.',
    };
    await analyseDocument(doc, panel, words, async (unchanged) => {
      const info = await this.models.ensureLoaded();
      const { baseOffset, text } = tokenWindow(doc, t.offset, info.positions);
      panel.loading(`Analysing the token with ${info.name}…`);
      // The token's position is known once the text is tokenised; the attribution is a second run.
      const plain = await this.models.analyze(text, { topK: TOP_K });
      if (!unchanged()) return false;
      const position = tokenAtOffset(plain.tokens, t.offset - baseOffset);
      if (position < 0) {
        panel.error('There is no token at the cursor: put it on some text and run Why This Token? again.');
        return true;
      }
      if (position === 0) {
        panel.error('This is the first token: nothing comes before it, so the model made no prediction to explain.');
        return true;
      }
      const analysis = await this.models.analyze(text, { topK: TOP_K, attribution: { position, target: t.target, foil: t.foil } });
      if (!unchanged()) return false;
      panel.show(
        buildWhyView({ id: panel.newId(), analysis, modelName: info.name, document: { uri: doc.uri.toString(), name: documentName(doc) }, baseOffset }),
      );
      return true;
    });
  }
}
