// The model folders used lately (not the default model), newest first, kept across windows in the
// extension's global state for Select Model… and the side panel.
import type * as vscode from 'vscode';

const KEY = 'modelLens.recentModels';
const LIMIT = 8;

export class RecentModels {
  constructor(
    private readonly state: vscode.Memento,
    private readonly defaultModel: string,
  ) {}

  list(): string[] {
    return this.state.get<string[]>(KEY, []);
  }

  remember(target: string): void {
    if (target === this.defaultModel) return;
    void this.state.update(KEY, [target, ...this.list().filter((r) => r !== target)].slice(0, LIMIT));
  }
}
