// Model Lens: Download Model… — a model from the Hugging Face Hub (or the mirror that
// modelLens.hub.endpoint / HF_ENDPOINT names): one of a few small ONNX models, or any repository;
// then the precision, with the exact sizes the Hub lists; then the download, with its progress in
// a notification that can be cancelled. The files are checked and kept in the extension's global
// storage (src/host/hub/modelDownload.ts), and the model becomes modelLens.modelPath. Nothing touches
// the network before the user runs this command, and nothing is downloaded before they pick the
// files.
//
// A token for gated and private models lives in VS Code's secret storage under the Hub's origin,
// as the remote API key does (remoteProbabilities.ts): it is only ever sent to the Hub it was
// entered for, so a workspace that points modelLens.hub.endpoint elsewhere gets none.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings, useModel } from '../config';
import { showErrorWithLog } from '../log';
import { withSignal } from '../modelManager';
import { plainText } from '../text/untrusted';
import { CURATED_MODELS } from '../hub/curatedModels';
import { megabytes } from '../hub/fileDownload';
import { HubClient, hubEndpoint, parseRepoId } from '../hub/hubClient';
import { HubError } from '../hub/hubError';
import { externalDataOf, modelVariants, PRECISION_LABELS, whyNoVariant, type ModelVariant } from '../hub/modelChoice';
import {
  discardPartial,
  downloadedFolder,
  downloadModel,
  listDownloadedModels,
  partialBytes,
  type DownloadedModel,
  type DownloadProgress,
} from '../hub/modelDownload';

export const SET_HUB_TOKEN_COMMAND = 'modelLens.setHubToken';
const TOKEN_PREFIX = 'modelLens.hub.token:';
const SET_TOKEN = 'Set Token…';
const TRY_AGAIN = 'Try Again';
const OPEN_SETTINGS = 'Open Settings';
const DISCARD = 'Discard';
/** The speed shown is over this last stretch of the download. */
const SPEED_WINDOW_MS = 5000;
/** The notification's text changes at most this often. */
const REPORT_EVERY_MS = 250;

type Hub = ReturnType<typeof hubEndpoint>;

interface RepoItem extends vscode.QuickPickItem {
  repo?: string;
  any?: boolean;
}

interface VariantItem extends vscode.QuickPickItem {
  variant: ModelVariant;
}

/** What a precision is called in the pick and in messages. */
export function variantLabel(variant: { precision: string; layout: string; base: string }): string {
  const label = PRECISION_LABELS[variant.precision as ModelVariant['precision']] ?? variant.precision;
  return variant.layout === 'genai' && variant.base ? `${label} · ${variant.base}` : label;
}

/** Bytes per second over the last few seconds, from the progress reports. */
class Speed {
  private readonly samples: { at: number; bytes: number }[] = [];

  add(bytes: number): void {
    const now = Date.now();
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0].at > SPEED_WINDOW_MS) this.samples.shift();
  }

  text(): string {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return '';
    return ` · ${megabytes(((last.bytes - first.bytes) * 1000) / (last.at - first.at))}/s`;
  }
}

export class DownloadModel {
  private running = false;

  constructor(
    private readonly storage: string,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The models downloaded whole, newest first (for Select Model…). */
  downloaded(): DownloadedModel[] {
    try {
      return listDownloadedModels(this.storage);
    } catch (e) {
      this.log.warn(`Could not list the downloaded models in ${this.storage}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  /** The Hub from the settings, or undefined after saying what is wrong with them. */
  private hub(): Hub | undefined {
    try {
      return hubEndpoint(readSettings().hubEndpoint);
    } catch (e) {
      void this.report(e, async () => undefined);
      return undefined;
    }
  }

  /** Model Lens: Download Model… */
  async run(): Promise<void> {
    if (this.running) {
      void vscode.window.showInformationMessage('Model Lens: a model is being downloaded already; its progress is in the notifications.');
      return;
    }
    const hub = this.hub();
    if (!hub) return;
    const choice = await this.chooseRepository(hub);
    if (choice) await this.download(hub, choice.repo, choice.revision);
  }

  private async chooseRepository(hub: Hub): Promise<{ repo: string; revision: string } | undefined> {
    const host = new URL(hub.endpoint).host;
    const have = new Set(this.downloaded().map((m) => m.repo));
    const items: RepoItem[] = [
      ...CURATED_MODELS.map((m) => ({
        label: `$(cloud-download) ${m.name}`,
        description: `${m.parameters} parameters · about ${m.approxSize}${have.has(m.repo) ? ' · downloaded' : ''}`,
        detail: `${m.repo}: ${m.about}`,
        repo: m.repo,
      })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(edit) Any repository id…', description: `a model with ONNX files on ${host}`, any: true },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: `Model Lens: Download Model from ${host}`,
      placeHolder: 'A small model published as ONNX; the precision and its exact size come next, before anything is downloaded',
      matchOnDetail: true,
    });
    if (!picked) return undefined;
    if (picked.repo) return { repo: picked.repo, revision: 'main' };
    const typed = await vscode.window.showInputBox({
      title: `Model Lens: Download Model from ${host}`,
      prompt: `A model repository on ${host} with ONNX files and a tokenizer.json: org/name, org/name@revision, or the model page's address`,
      placeHolder: 'onnx-community/Qwen2.5-0.5B-Instruct',
      ignoreFocusOut: true,
      validateInput: (value) => (!value.trim() || parseRepoId(value) ? undefined : 'Give org/name, org/name@revision, or the address of the model page.'),
    });
    return typed ? parseRepoId(typed) : undefined;
  }

  private async download(hub: Hub, repo: string, revision: string): Promise<void> {
    const host = new URL(hub.endpoint).host;
    const token = await this.secrets.get(TOKEN_PREFIX + hub.origin);
    const client = new HubClient({ endpoint: hub.endpoint, token });
    const again = () => this.download(hub, repo, revision);
    let chosen: ModelVariant | undefined;
    this.running = true;
    try {
      this.log.info(`Listing the files of ${repo}@${revision} on ${hub.endpoint} (${hub.source === 'default' ? 'the default Hub' : hub.source}).`);
      const { protocol, hostname } = new URL(hub.endpoint);
      if (token && protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(hostname))
        this.log.warn(`${hub.origin} is plain http: the Hub token crosses the network unencrypted. Use https for a Hub on another machine.`);
      const info = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Model Lens: asking ${host} for the files of ${plainText(repo)}…`, cancellable: true },
        (_, cancel) => withSignal(cancel, (signal) => client.repoInfo(repo, revision, signal)),
      );
      const variants = modelVariants(info.files);
      if (!variants.length) {
        const why = whyNoVariant(info.files) === 'no-onnx' ? 'has no .onnx file' : 'has .onnx files but no tokenizer.json beside them';
        throw new HubError(
          'no-model',
          `${repo} on ${host} ${why}, so Model Lens cannot load it. Look for an ONNX export of the model (onnx-community/… repositories have them), or export it with Optimum.`,
          hub.origin,
        );
      }
      const variant = await this.chooseVariant(repo, info.commit, variants, host);
      if (!variant) return;
      chosen = variant;
      if (info.gated && !token) {
        throw new HubError(
          'auth',
          `${repo} is a gated model on ${hub.origin}: accept its conditions on its page on the Hub, then set an access token with Model Lens: Set Hugging Face Hub Token….`,
          hub.origin,
        );
      }
      const label = variantLabel(variant);
      const already = downloadedFolder(this.storage, repo, variant, info.commit);
      const model = already
        ? undefined
        : await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Model Lens: downloading ${plainText(repo)} (${label})`, cancellable: true },
            (progress, cancel) =>
              withSignal(cancel, (signal) => {
                this.log.info(`Downloading ${repo} (${label}, ${megabytes(variant.bytes)}) at ${info.commit} from ${hub.endpoint} into ${this.storage}.`);
                return downloadModel({
                  client,
                  repo,
                  revision,
                  commit: info.commit,
                  variant,
                  storage: this.storage,
                  signal,
                  onProgress: this.reporter(progress),
                });
              }),
          );
      const folder = already ?? model!.folder;
      this.log.info(`${repo} (${label}) is in ${folder}; it is now modelLens.modelPath.`);
      await useModel(folder);
      void vscode.window.showInformationMessage(
        `Model Lens: ${plainText(repo)} (${label}, ${megabytes(variant.bytes)}) ${already ? 'was downloaded before' : `downloaded from ${host}`} and is the model in use now.`,
      );
    } catch (e) {
      if (e instanceof HubError && e.kind === 'cancelled' && chosen) return this.cancelled(repo, chosen);
      await this.report(e, again, hub.origin);
    } finally {
      this.running = false;
    }
  }

  private async chooseVariant(repo: string, commit: string, variants: ModelVariant[], host: string): Promise<ModelVariant | undefined> {
    const limit = readSettings().maxModelBytes;
    const items: VariantItem[] = variants.map((variant) => {
      const notes: string[] = [];
      if (downloadedFolder(this.storage, repo, variant, commit)) notes.push('downloaded already');
      const kept = partialBytes(this.storage, repo, variant, commit);
      if (kept > 0) notes.push(`${megabytes(kept)} already here: the download resumes`);
      // What maxModelSizeMB counts: the .onnx and its external data.
      const modelBytes = [variant.files.find((f) => f.path === variant.onnx), ...externalDataOf(variant.onnx, variant.files)].reduce(
        (sum, f) => sum + (f?.size ?? 0),
        0,
      );
      if (modelBytes > limit) notes.push(`larger than modelLens.maxModelSizeMB (${Math.round(limit / 2 ** 20)} MB): raise it to load this one`);
      return {
        label: variantLabel(variant),
        description: `${path.posix.basename(variant.onnx)} · ${megabytes(variant.bytes)}`,
        detail: notes.length ? notes.join(' · ') : undefined,
        variant,
      };
    });
    const picked = await vscode.window.showQuickPick(items, {
      title: `Model Lens: download ${plainText(repo)} from ${host}`,
      placeHolder: `${variants.length === 1 ? 'One ONNX model' : `${variants.length} precisions`} at commit ${commit.slice(0, 7)}, sizes with the tokenizer files`,
      matchOnDescription: true,
    });
    return picked?.variant;
  }

  /** Progress in the notification: the file, bytes so far of the total, the speed; percent as increments. */
  private reporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (p: DownloadProgress) => void {
    const speed = new Speed();
    let shownPercent = 0;
    let lastReport = 0;
    let lastFile = '';
    return ({ file, received, total }) => {
      speed.add(received);
      const now = Date.now();
      if (file === lastFile && now - lastReport < REPORT_EVERY_MS && received < total) return;
      lastFile = file;
      lastReport = now;
      const percent = total > 0 ? (100 * received) / total : 100;
      progress.report({
        message: `${plainText(file, 80)}: ${megabytes(received)} of ${megabytes(total)}${speed.text()}`,
        increment: Math.max(0, percent - shownPercent),
      });
      shownPercent = Math.max(shownPercent, percent);
    };
  }

  private async cancelled(repo: string, variant: ModelVariant): Promise<void> {
    this.log.info(`The download of ${repo} was cancelled; what arrived is kept to resume it.`);
    const choice = await vscode.window.showInformationMessage(
      `Model Lens: the download of ${plainText(repo)} was cancelled. What arrived is kept, and Download Model… resumes it; Discard deletes it.`,
      DISCARD,
    );
    if (choice !== DISCARD) return;
    discardPartial(this.storage, repo, variant);
    this.log.info(`The partial download of ${repo} (${variantLabel(variant)}) was deleted.`);
  }

  /** A failure: the log and a notification, with what can be done about it. */
  private async report(e: unknown, again: () => Promise<void>, origin?: string): Promise<void> {
    const error = e instanceof HubError ? e : new HubError('disk', e instanceof Error ? e.message : String(e), '');
    const actions =
      error.kind === 'auth' ? [SET_TOKEN] : error.kind === 'config' ? [OPEN_SETTINGS] : error.resumable || error.kind === 'integrity' ? [TRY_AGAIN] : [];
    // The server's own words are in the message: shown as text.
    const choice = await showErrorWithLog(`Model Lens: ${plainText(error.message, 600)}`, ...actions);
    if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.hub.endpoint');
    if (choice === TRY_AGAIN) await again();
    if (choice === SET_TOKEN && origin && (await this.askForToken(origin))) await again();
  }

  /** Model Lens: Set Hugging Face Hub Token…: the token for the configured Hub's origin, or none. */
  async setToken(): Promise<void> {
    const hub = this.hub();
    if (hub) await this.askForToken(hub.origin);
  }

  /** Asks for the token of `origin` and keeps it; true when one was set. */
  private async askForToken(origin: string): Promise<boolean> {
    const token = await vscode.window.showInputBox({
      title: `Model Lens: Hugging Face Hub token for ${plainText(origin)}`,
      prompt: `A read token (huggingface.co/settings/tokens). Sent only to ${plainText(origin)} (Authorization: Bearer …), never to the servers it redirects downloads to, and kept in VS Code's secret storage. Leave empty to remove it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (token === undefined) return false;
    if (token.trim()) await this.secrets.store(TOKEN_PREFIX + origin, token.trim());
    else await this.secrets.delete(TOKEN_PREFIX + origin);
    this.log.info(`${token.trim() ? 'A Hub token was set' : 'The Hub token was removed'} for ${origin}.`);
    return !!token.trim();
  }
}
