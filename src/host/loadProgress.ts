// What the user sees of a model loading: its progress (a notification for what they asked for,
// the status bar for what only happened to them), the error when it fails, and the warning when
// the engine had to leave the backend asked for. ModelManager decides when; this says how.
import * as vscode from 'vscode';
import type { ModelLensError } from '../engine/errors';
import { useModel } from './config';
import { showErrorWithLog } from './log';
import { plainText } from './text/untrusted';

/**
 * How a load started by a request shows its progress: 'notification' for what the user asked for
 * (a command, a panel), 'window' (the status bar) for what only happened to them (a hover, a
 * selection's perplexity), so opening a file and pointing at it pops nothing up.
 */
export type LoadProgress = 'notification' | 'window';

/** The load of model `name` in the status bar until `loading` settles. */
export function showLoadInStatusBar(name: string, loading: Promise<unknown>): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Model Lens: loading ${plainText(name)}` }, () =>
    loading.catch(() => undefined),
  );
}

/**
 * The load's progress notification until `loading` settles. Cancelling it calls `stopWaiting`,
 * which releases everyone waiting; the worker finishes the load and the model is used afterwards.
 */
export function notifyLoadProgress(name: string, loading: Promise<unknown>, log: vscode.LogOutputChannel, stopWaiting: () => void): void {
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Lens: loading ${plainText(name)}…`, cancellable: true },
    (_, cancel) => {
      cancel.onCancellationRequested(() => {
        log.info(`Stopped waiting for ${name}: the load goes on in the background.`);
        stopWaiting();
      });
      return loading.catch(() => undefined);
    },
  );
}

/** A load failed: says why, and which model (if any) stays in use, offering the settings or the default model. */
export async function reportLoadFailure(error: ModelLensError, stillUsing: string | undefined): Promise<void> {
  // Names, paths and ONNX Runtime's text come from the model's files: see text/untrusted.
  const previous = stillUsing ? ` Still using ${plainText(stillUsing)}.` : '';
  const choice = await showErrorWithLog(`Model Lens: ${plainText(error.userMessage)}${previous}`, 'Open Settings', 'Use Default Model');
  if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.modelPath');
  if (choice === 'Use Default Model') await useModel('');
}

/** The model loaded on another backend than the one asked for, which could not start: `reason` says which and why. */
export function warnBackendFallback(reason: string): void {
  void vscode.window.showWarningMessage(`Model Lens: ${plainText(reason)}`);
}

/** The WebGPU backend failed mid-way and model `name` went on on WebAssembly. */
export function warnWebGpuFailed(name: string): void {
  void vscode.window.showWarningMessage(`Model Lens: the WebGPU backend failed; ${plainText(name)} now runs on WebAssembly. Nothing was lost.`);
}
