// Token probabilities from a completions server in the real VS Code: with modelLens.remote.endpoint
// set to a server on 127.0.0.1 that answers from the default model (as vLLM would), the hover says
// which model and server answered and gives the probability the local model gives; the heatmap
// and the status bar's perplexity come from the server; a Chinese document is sent in requests
// that fit the server's context. The API key's path is covered by the integration tests.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BUCKET_COLOURS } from '../../src/host/decorations/heatmapColours';
import { LoadedModel } from '../../src/engine/loadedModel';
import { chineseDocument } from '../helpers/cjkText';
import { startCompletionsServer, type CompletionsServer } from '../helpers/completionsServer';
import { DEFAULT_MODEL } from '../helpers/paths';
import { editorDecorations, modelHover, openFile, readNotifications, runCommand, screenshot, selectLines, useVSCode } from './harness';

const SERVED_AS = 'lens-tiny-served';
const code = useVSCode();
let model: LoadedModel;
let server: CompletionsServer;

beforeAll(async () => {
  // Written now (VS Code has started: this hook runs after useVSCode's), so that Quick Open has
  // indexed it by the last test.
  fs.writeFileSync(path.join(code.workspace, 'notes-zh.md'), chineseDocument(1500));
  model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
  server = await startCompletionsServer(model, { name: SERVED_AS, context: 512 });
});

afterAll(async () => {
  await server?.close();
  await model?.release();
});

/** The probability (in %) and the surprisal (bits) a hover shows. */
function numbers(hover: string): { percent: number; bits: number } {
  const percent = /P\(token \| text before\)\s*([\d.e-]+)%/.exec(hover)?.[1];
  const bits = /surprisal\s*([\d.]+) bits/.exec(hover)?.[1];
  if (percent === undefined || bits === undefined) throw new Error(`the hover shows no probability:\n${hover}`);
  return { percent: Number(percent), bits: Number(bits) };
}

const heatColours = new Set(Object.values(BUCKET_COLOURS).flatMap((c) => [c.light, c.dark].map((rgba) => rgba.replace(/\s+/g, ''))));
const heat = async () => (await editorDecorations(code.page)).filter((d) => heatColours.has(d.backgroundColor.replace(/\s+/g, '')));

test('the hover names the server and its model, and gives the probability the local model gives', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  // Near the top of the file: the local window and the server's both read everything before it.
  const local = await modelHover(page, 'REPORT_TITLE');
  expect(local).not.toContain('Answered by the server');
  expect(server.state.completions).toBe(0);

  // In the workspace's settings (trusted here): VS Code picks the file up about a second later.
  await code.setSetting('modelLens.remote.endpoint', server.endpoint, 'workspace');
  let remote = '';
  await expect
    .poll(async () => (remote = await modelHover(page, 'REPORT_TITLE')), { timeout: 90_000, interval: 1000 })
    .toContain(`Answered by the server ${server.endpoint}`);
  expect(remote).toContain(SERVED_AS);
  expect(server.state.completions).toBeGreaterThan(0);
  const [l, r] = [numbers(local), numbers(remote)];
  // Both shown rounded: 0.1 of a percent point above 10%, the surprisal to 0.01 bits.
  expect(Math.abs(r.percent - l.percent)).toBeLessThanOrEqual(Math.max(0.051, l.percent * 0.01));
  expect(Math.abs(r.bits - l.bits)).toBeLessThanOrEqual(0.011);
  await page.waitForTimeout(500);
  await screenshot(page, 'hover-remote');
});

test('the heatmap and the perplexity come from the server', async () => {
  const { page } = code;
  const before = server.state.completions;
  await page.mouse.move(0, 0);
  await selectLines(page, 17, 27);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  await expect.poll(async () => (await heat()).length, { timeout: 60_000 }).toBeGreaterThan(30);
  expect(new Set((await heat()).map((d) => d.backgroundColor)).size).toBeGreaterThan(1);
  await expect.poll(() => page.locator('.statusbar').innerText(), { timeout: 30_000 }).toMatch(new RegExp(`${SERVED_AS} · ppl [\\d.]+`));
  expect(server.state.completions).toBeGreaterThan(before);
  await runCommand(page, 'Model Lens: Clear Token Probability Heatmap');
  await expect.poll(async () => (await heat()).length, { timeout: 15_000 }).toBe(0);
});

test('a Chinese document is sent in requests that fit the server, and coloured', async () => {
  const { page } = code;
  await openFile(page, 'notes-zh.md');
  const before = server.state.completions;
  await page.keyboard.press('Control+A');
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  await expect.poll(async () => (await heat()).length, { timeout: 90_000 }).toBeGreaterThan(100);
  // The document's windows, planned by characters, hold more tokens than the server's 512: each
  // went in several requests, and the server refused none.
  expect(server.state.completions - before).toBeGreaterThan(4);
  expect(server.state.refused).toBe(0);
  expect((await readNotifications(page)).filter((n) => /server|too long/i.test(n))).toEqual([]);
  await page
    .locator('.monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });
  const hover = await modelHover(page, '汇总');
  expect(hover).toContain(`Answered by the server ${server.endpoint}`);
  numbers(hover);
});
