// Downloading a model from the Hub, against a loopback Hub that serves the project's own models
// with the CDN redirect, Range, the Hub's error codes and faults: the files arrive whole and
// checked, a broken download resumes where it stopped, every failure says what happened and
// leaves no model folder behind, and what was downloaded loads in the engine and analyses text.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { HubClient, type RepoInfo } from '../../src/host/hub/hubClient';
import { HubError } from '../../src/host/hub/hubError';
import { modelVariants, type ModelVariant } from '../../src/host/hub/modelChoice';
import { downloadModel, listDownloadedModels, partialBytes, type DownloadRequest } from '../../src/host/hub/modelDownload';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';
import { startHubServer, type HubServer } from '../helpers/hubServer';
import { testTokenizerJson } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';
import { hookGroups } from '../../src/shared/hooks';

const LENS = 'fixtures/lens-tiny-onnx';
const EXTERNAL = 'fixtures/external-data';
const GATED = 'fixtures/gated-model';
const GENAI = 'fixtures/tiny-random-gpt2-onnx';
/** Where onnxruntime-genai repositories (Phi-3's, Llama's) keep one precision. */
const GENAI_FOLDER = 'cpu_and_mobile/cpu-fp32';
const MODEL_FILE = path.join(DEFAULT_MODEL, 'onnx', 'model.onnx');

let hub: HubServer;
let storage: string;

beforeAll(async () => {
  const external = withExternalData(buildDecoder({ attention: 'unfused', seed: 5 }), 'model.onnx_data');
  const tokenizer = JSON.stringify(testTokenizerJson());
  hub = await startHubServer([
    {
      id: LENS,
      files: {
        'config.json': path.join(DEFAULT_MODEL, 'config.json'),
        'tokenizer.json': path.join(DEFAULT_MODEL, 'tokenizer.json'),
        'tokenizer_config.json': path.join(DEFAULT_MODEL, 'tokenizer_config.json'),
        'README.md': path.join(DEFAULT_MODEL, 'README.md'),
        'onnx/model.onnx': MODEL_FILE,
        // A second precision, as transformers.js repositories have (here the same weights).
        'onnx/model_fp16.onnx': MODEL_FILE,
      },
    },
    {
      id: EXTERNAL,
      files: { 'tokenizer.json': new TextEncoder().encode(tokenizer), 'onnx/model.onnx': external.onnx, 'onnx/model.onnx_data': external.data },
    },
    {
      id: GATED,
      gated: true,
      files: { 'tokenizer.json': new TextEncoder().encode(tokenizer), 'onnx/model.onnx': external.onnx, 'onnx/model.onnx_data': external.data },
    },
    ...(exists(TINY_GPT2)
      ? [
          {
            id: GENAI,
            files: {
              'README.md': path.join(TINY_GPT2, 'SOURCE.md'),
              ...Object.fromEntries(
                ['genai_config.json', 'past.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json'].map((f) => [
                  `${GENAI_FOLDER}/${f}`,
                  path.join(TINY_GPT2, f),
                ]),
              ),
            },
          },
        ]
      : []),
  ]);
});

afterAll(async () => {
  await hub?.close();
});

afterEach(() => {
  if (storage) fs.rmSync(storage, { recursive: true, force: true });
  hub.requests.length = 0;
});

function freshStorage(): string {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-hub-'));
  return storage;
}

async function listing(repo: string, token?: string): Promise<{ client: HubClient; info: RepoInfo; variant: ModelVariant }> {
  const client = new HubClient({ endpoint: hub.endpoint, token });
  const info = await client.repoInfo(repo, 'main');
  return { client, info, variant: modelVariants(info.files)[0] };
}

async function download(repo: string, overrides: Partial<DownloadRequest> = {}) {
  const { client, info, variant } = await listing(repo);
  return downloadModel({ client, repo, revision: 'main', commit: info.commit, variant, storage: storage ?? freshStorage(), retryDelayMs: 0, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<HubError> {
  const e = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) =>
      path
        .relative(dir, path.join(e.parentPath ?? e.path, e.name))
        .split(path.sep)
        .join('/'),
    )
    .sort();
}

const stagingFiles = () => filesUnder(path.join(storage, 'models', '.partial'));
const modelFiles = () => filesUnder(path.join(storage, 'models')).filter((f) => !f.startsWith('.partial/'));

describe('the listing', () => {
  it('gives the commit, and sizes and hashes for every file', async () => {
    const { info } = await listing(LENS);
    expect(info.commit).toBe(hub.commit(LENS));
    const model = info.files.find((f) => f.path === 'onnx/model.onnx')!;
    expect(model.size).toBe(fs.statSync(MODEL_FILE).size);
    expect(model.sha256).toBe(hub.sha256(LENS, 'onnx/model.onnx'));
    // Small files are not in LFS: git's blob id is their hash.
    expect(info.files.find((f) => f.path === 'config.json')?.blobId).toMatch(/^[0-9a-f]{40}$/);
    expect(hub.requests[0].path).toBe(`/api/models/${LENS}/revision/main`);
  });

  it('offers each precision, full precision first, with the tokenizer files but not the README', async () => {
    const { info } = await listing(LENS);
    const variants = modelVariants(info.files);
    expect(variants.map((v) => [v.onnx, v.precision])).toEqual([
      ['onnx/model.onnx', 'full'],
      ['onnx/model_fp16.onnx', 'fp16'],
    ]);
    expect(variants[0].files.map((f) => f.path).sort()).toEqual(['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('names a repository that is not there, and a revision that is not', async () => {
    const client = new HubClient({ endpoint: hub.endpoint });
    const missing = await failure(client.repoInfo('fixtures/no-such-model', 'main'));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('fixtures/no-such-model');
    expect(missing.message).toContain(hub.endpoint);
    const revision = await failure(client.repoInfo(LENS, 'v9'));
    expect(revision.kind).toBe('not-found');
    expect(revision.message).toContain('no revision "v9"');
  });

  it('says so when the endpoint is not a Hub', async () => {
    const client = new HubClient({ endpoint: `${hub.endpoint}/not-a-hub` });
    const e = await failure(client.repoInfo(LENS, 'main'));
    expect(e.message).toMatch(/no model fixtures\/lens-tiny-onnx|not JSON/);
  });
});

describe('downloading', () => {
  it('downloads a model through the CDN redirect, checks it, and the folder loads and analyses text', async () => {
    freshStorage();
    const progress: number[] = [];
    const model = await download(LENS, { onProgress: (p) => progress.push(p.received) });
    expect(model.folder).toBe(path.join(storage, 'models', 'fixtures--lens-tiny-onnx', `model@${hub.commit(LENS).slice(0, 12)}`, 'lens-tiny-onnx'));
    expect(filesUnder(model.folder)).toEqual(['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(fs.readFileSync(path.join(model.folder, 'onnx', 'model.onnx')).equals(fs.readFileSync(MODEL_FILE))).toBe(true);
    expect(stagingFiles()).toEqual([]);
    // The model's bytes came from the CDN, asked for by commit, not by branch.
    expect(hub.requests.some((r) => r.server === 'cdn')).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'hub' && r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${hub.commit(LENS)}/`))).toBe(
      true,
    );
    expect(progress.at(-1)).toBe(model.bytes);

    const loaded = await LoadedModel.load(model.folder, { backend: 'wasm', threads: 1 });
    try {
      const analysis = await loaded.analyze('function add(a, b) { return a + b; }', { hooks: hookGroups.attention });
      expect(analysis.tokens.length).toBeGreaterThan(5);
      expect(Array.from(analysis.prob.slice(1)).every((p) => p > 0 && p <= 1)).toBe(true);
    } finally {
      await loaded.release();
    }

    expect(listDownloadedModels(storage).map((m) => [m.repo, m.variant.onnx, m.folder])).toEqual([[LENS, 'onnx/model.onnx', model.folder]]);
    // Asked again: already here, nothing is requested.
    hub.requests.length = 0;
    const again = await download(LENS);
    expect(again.folder).toBe(model.folder);
    expect(hub.requests.filter((r) => r.path.includes('/resolve/') || r.server === 'cdn')).toEqual([]);
  });

  it('downloads the external data that belongs to the model, and the model runs from it', async () => {
    freshStorage();
    const model = await download(EXTERNAL);
    expect(filesUnder(model.folder)).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json']);
    const loaded = await LoadedModel.load(model.folder, { backend: 'wasm', threads: 1 });
    try {
      const analysis = await loaded.analyze('the cat sat on the mat', { hooks: hookGroups.attention });
      expect(analysis.tokens.length).toBeGreaterThan(3);
    } finally {
      await loaded.release();
    }
  });

  it('a file the server cannot find ends the download with its name, and nothing is left', async () => {
    freshStorage();
    hub.fault(LENS, 'tokenizer.json', 'not-found');
    const e = await failure(download(LENS));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('tokenizer.json of fixtures/lens-tiny-onnx');
    expect(e.message).toContain('404');
    expect(modelFiles()).toEqual([]);
    expect(stagingFiles()).toEqual([]);
  });

  it('wrong bytes are caught by the published sha256, deleted, and no model is left', async () => {
    freshStorage();
    hub.fault(LENS, 'onnx/model.onnx', 'wrong-bytes');
    const e = await failure(download(LENS));
    expect(e.kind).toBe('integrity');
    expect(e.message).toContain('onnx/model.onnx of fixtures/lens-tiny-onnx');
    expect(e.message).toContain(`sha256 ${hub.endpoint} publishes`);
    expect(e.message).toContain(hub.sha256(LENS, 'onnx/model.onnx').slice(0, 12));
    expect(modelFiles()).toEqual([]);
    expect(stagingFiles()).toEqual([]);
  });

  it('a body cut short is resumed with a Range request within the same download', async () => {
    freshStorage();
    hub.fault(LENS, 'onnx/model.onnx', 'truncate');
    const model = await download(LENS);
    const ranged = hub.requests.filter((r) => r.server === 'cdn' && r.range);
    expect(ranged).toHaveLength(1);
    expect(Number(/^bytes=(\d+)-$/.exec(ranged[0].range!)![1])).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(model.folder, 'onnx', 'model.onnx')).equals(fs.readFileSync(MODEL_FILE))).toBe(true);
  });

  it('a connection that keeps breaking ends in a clear message, keeps what arrived out of sight, and the next download resumes it', async () => {
    freshStorage();
    hub.fault(LENS, 'onnx/model.onnx', 'truncate', 3);
    const e = await failure(download(LENS));
    expect(e.kind).toBe('truncated');
    expect(e.message).toContain('onnx/model.onnx');
    expect(e.message).toContain('after 3 tries');
    expect(e.message).toContain('run Model Lens: Download Model… again to resume');
    // No model folder; the bytes received wait in the staging folder.
    expect(modelFiles()).toEqual([]);
    expect(listDownloadedModels(storage)).toEqual([]);
    const { variant, info } = await listing(LENS);
    const kept = partialBytes(storage, LENS, variant, info.commit);
    expect(kept).toBeGreaterThan(0);
    expect(stagingFiles().some((f) => f.endsWith('onnx/model.onnx.part'))).toBe(true);

    hub.requests.length = 0;
    const model = await download(LENS);
    const resumed = hub.requests.filter((r) => r.server === 'cdn');
    expect(resumed).toHaveLength(1);
    const from = Number(/^bytes=(\d+)-$/.exec(resumed[0].range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThan(fs.statSync(MODEL_FILE).size);
    // Files finished before the break are not asked for again.
    expect(hub.requests.some((r) => r.path.endsWith('/config.json'))).toBe(false);
    expect(fs.readFileSync(path.join(model.folder, 'onnx', 'model.onnx')).equals(fs.readFileSync(MODEL_FILE))).toBe(true);
    expect(stagingFiles()).toEqual([]);
  });

  it('resumes from a server that ignores Range by starting the file over', async () => {
    freshStorage();
    hub.fault(LENS, 'onnx/model.onnx', 'truncate');
    hub.fault(LENS, 'onnx/model.onnx', 'ignore-range');
    const model = await download(LENS);
    expect(fs.readFileSync(path.join(model.folder, 'onnx', 'model.onnx')).equals(fs.readFileSync(MODEL_FILE))).toBe(true);
  });

  it('asks a busy server again', async () => {
    freshStorage();
    hub.fault(LENS, 'config.json', 'busy');
    const model = await download(LENS);
    expect(fs.existsSync(path.join(model.folder, 'config.json'))).toBe(true);
    expect(hub.requests.filter((r) => r.path.endsWith('/config.json'))).toHaveLength(2);
  });

  it('a cancelled download stops at once, leaves no model, and keeps what arrived to resume', async () => {
    freshStorage();
    const { client, info, variant } = await listing(LENS);
    const controller = new AbortController();
    const e = await failure(
      downloadModel({
        client,
        repo: LENS,
        revision: 'main',
        commit: info.commit,
        variant,
        storage,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'onnx/model.onnx' && p.received > 1_000_000) controller.abort();
        },
      }),
    );
    expect(e.kind).toBe('cancelled');
    expect(modelFiles()).toEqual([]);
    expect(partialBytes(storage, LENS, variant, info.commit)).toBeGreaterThan(1_000_000);
  });
});

describe('more downloads', () => {
  it.skipIf(!exists(TINY_GPT2))('downloads an onnxruntime-genai folder into a model folder of its own, which loads', async () => {
    freshStorage();
    const { variant } = await listing(GENAI);
    expect([variant.layout, variant.base]).toEqual(['genai', GENAI_FOLDER]);
    const model = await download(GENAI);
    expect(filesUnder(model.folder)).toEqual(['config.json', 'genai_config.json', 'past.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const loaded = await LoadedModel.load(model.folder, { backend: 'wasm', threads: 1 });
    try {
      // Ids below the model's 1000-row embedding (see the fixture's SOURCE.md).
      const analysis = await loaded.analyze('a b c d', { hooks: hookGroups.attention });
      expect(analysis.tokens.length).toBe(4);
    } finally {
      await loaded.release();
    }
  });

  it('a second download of the same model while one runs is refused', async () => {
    freshStorage();
    // The first one waits on the model's bytes until it is cancelled.
    hub.fault(LENS, 'onnx/model.onnx', 'stall');
    const controller = new AbortController();
    const first = failure(download(LENS, { signal: controller.signal }));
    await expect.poll(() => stagingFiles()).toContain(`fixtures--lens-tiny-onnx--model@${hub.commit(LENS).slice(0, 12)}/lens-tiny-onnx/onnx/model.onnx.part`);
    const second = await failure(download(LENS));
    expect(second.kind).toBe('busy');
    expect(second.message).toContain('fixtures/lens-tiny-onnx is being downloaded already');
    controller.abort();
    expect((await first).kind).toBe('cancelled');
    // Once the first has stopped, the same download can go on.
    const model = await download(LENS);
    expect(fs.readFileSync(path.join(model.folder, 'onnx', 'model.onnx')).equals(fs.readFileSync(MODEL_FILE))).toBe(true);
  });

  it('a server that stops sending is given up on, and what arrived is kept', async () => {
    freshStorage();
    hub.fault(LENS, 'onnx/model.onnx', 'stall', 2);
    const { info, variant } = await listing(LENS);
    const client = new HubClient({ endpoint: hub.endpoint, stallTimeoutMs: 300 });
    const e = await failure(downloadModel({ client, repo: LENS, revision: 'main', commit: info.commit, variant, storage, attempts: 2, retryDelayMs: 0 }));
    expect(e.kind).toBe('truncated');
    expect(e.message).toContain('nothing arrived for 0.3 s');
    expect(modelFiles()).toEqual([]);
    expect(partialBytes(storage, LENS, variant, info.commit)).toBeGreaterThan(0);
  });

  it('lists only complete downloads', async () => {
    freshStorage();
    const model = await download(LENS);
    // A manifest that is not one, and a folder without a manifest, are not models.
    fs.mkdirSync(path.join(storage, 'models', 'other--repo', 'model@000000000000', 'repo'), { recursive: true });
    fs.writeFileSync(path.join(storage, 'models', 'other--repo', 'model@000000000000', 'download.json'), '{"repo": 3}');
    fs.mkdirSync(path.join(storage, 'models', 'third--repo', 'model@000000000000'), { recursive: true });
    expect(listDownloadedModels(storage).map((m) => m.folder)).toEqual([model.folder]);
  });
});

describe('a gated model', () => {
  it('without a token: says it is gated and how to set a token', async () => {
    freshStorage();
    const { info } = await listing(GATED);
    expect(info.gated).toBe('manual');
    const e = await failure(download(GATED));
    expect(e.kind).toBe('auth');
    expect(e.status).toBe(401);
    expect(e.message).toContain('fixtures/gated-model is a gated model');
    expect(e.message).toContain('Set Hugging Face Hub Token');
    expect(modelFiles()).toEqual([]);
    expect(stagingFiles()).toEqual([]);
  });

  it('with a token that has no access: says the token cannot read it', async () => {
    freshStorage();
    const client = new HubClient({ endpoint: hub.endpoint, token: 'hf_wrong' });
    const info = await client.repoInfo(GATED, 'main');
    const e = await failure(
      downloadModel({ client, repo: GATED, revision: 'main', commit: info.commit, variant: modelVariants(info.files)[0], storage, retryDelayMs: 0 }),
    );
    expect(e.kind).toBe('auth');
    expect(e.status).toBe(403);
    expect(e.message).toContain(`The token set for ${hub.endpoint} has no access to ${GATED}`);
  });

  it('with the token: downloads, and the token goes to the Hub only, never to the CDN it redirects to', async () => {
    freshStorage();
    const client = new HubClient({ endpoint: hub.endpoint, token: hub.token });
    const info = await client.repoInfo(GATED, 'main');
    const model = await downloadModel({ client, repo: GATED, revision: 'main', commit: info.commit, variant: modelVariants(info.files)[0], storage });
    expect(filesUnder(model.folder)).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json']);
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.authorization === undefined)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === `Bearer ${hub.token}`)).toBe(true);
  });
});
