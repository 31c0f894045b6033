// The files of the model in use, watched: a model replaced on disk is loaded again (a broken
// replacement is reported and the copy in memory stays in use); a deleted one keeps working from
// memory, and the user is told.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../engine/types';
import { plainText } from './text/untrusted';

/** Quiet time after a change to the model's files before it is loaded again: exports write several files in a row. */
const RELOAD_DELAY_MS = 1500;

/** Watches `info`'s folder; `reload` is called once its files have changed and stopped changing, unless `stale` says another model is in use by then. */
export function watchModelFiles(info: ModelInfo, log: vscode.LogOutputChannel, stale: () => boolean, reload: () => void): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(info.folder), '**/*.{onnx,onnx_data,data,json}'));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = (uri: vscode.Uri) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      if (stale()) return;
      if (!fs.existsSync(info.file)) {
        log.warn(`${info.file} was deleted; ${info.name} keeps working from memory.`);
        void vscode.window.showWarningMessage(
          `Model Lens: ${plainText(info.file)} was deleted. ${plainText(info.name)} keeps working from memory until another model is chosen.`,
        );
        return;
      }
      log.info(`${uri.fsPath} changed on disk; loading ${info.name} again.`);
      void vscode.window.showInformationMessage(`Model Lens: ${plainText(path.basename(uri.fsPath))} changed on disk; loading ${plainText(info.name)} again.`);
      reload();
    }, RELOAD_DELAY_MS);
  };
  return vscode.Disposable.from(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed), {
    dispose: () => timer && clearTimeout(timer),
  });
}
