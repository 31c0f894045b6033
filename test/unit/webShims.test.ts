// The web edition's stand-ins for Node (src/web): the POSIX path functions against Node's own
// path.posix, randomBytes' base64 against Buffer's, the in-memory file system's answers to the
// calls the engine makes, and which files of a model folder the host reads for the engine.
import * as nodePath from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import * as memoryFs from '../../src/web/memoryFs';
import { filesToRead, modelFolderPath, virtualPath, webTarget } from '../../src/web/modelListing';
import { randomBytes } from '../../src/web/shims/crypto';
import * as webPath from '../../src/web/shims/path';

const segment = fc.oneof(fc.constantFrom('', '.', '..', 'a', 'b.onnx', 'onnx', 'x y', '.hidden', 'c.'), fc.stringMatching(/^[a-z_.-]{1,6}$/));
const pathString = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([abs, parts, trailing]) => {
  const joined = parts.join('/');
  return `${abs ? '/' : ''}${joined}${trailing && joined ? '/' : ''}`;
});
const absolutePath = pathString.map((p) => (p.startsWith('/') ? p : `/${p}`));

describe('the web path shim', () => {
  const posix = nodePath.posix;
  it('normalizes, joins, splits and compares paths as Node does', () => {
    fc.assert(
      fc.property(pathString, pathString, (a, b) => {
        expect(webPath.normalize(a)).toBe(posix.normalize(a));
        expect(webPath.join(a, b)).toBe(posix.join(a, b));
        expect(webPath.dirname(a)).toBe(posix.dirname(a));
        expect(webPath.basename(a)).toBe(posix.basename(a));
        // (Node keeps a trailing slash when an extension is given; nothing asks that.)
        if (!a.endsWith('/')) expect(webPath.basename(a, '.onnx')).toBe(posix.basename(a, '.onnx'));
        expect(webPath.extname(a)).toBe(posix.extname(a));
        expect(webPath.isAbsolute(a)).toBe(posix.isAbsolute(a));
      }),
      { numRuns: 2000 },
    );
  });

  it('resolves and relates absolute paths as Node does (the web has no working directory but the root)', () => {
    fc.assert(
      fc.property(absolutePath, pathString, absolutePath, (a, b, c) => {
        expect(webPath.resolve(a, b)).toBe(posix.resolve(a, b));
        expect(webPath.resolve(b, a)).toBe(posix.resolve(b, a));
        expect(webPath.relative(a, c)).toBe(posix.relative(a, c));
      }),
      { numRuns: 2000 },
    );
    expect(webPath.resolve('model')).toBe('/model');
    expect(webPath.join()).toBe('.');
  });
});

describe('the web randomBytes', () => {
  it('writes base64 and hex as Buffer does', () => {
    for (const size of [0, 1, 2, 3, 16, 17]) {
      const bytes = randomBytes(size);
      expect(bytes.toString('base64')).toBe(Buffer.from(bytes).toString('base64'));
      expect(bytes.toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
    }
    expect(randomBytes(16).toString('base64')).not.toBe(randomBytes(16).toString('base64'));
  });
});

describe('the in-memory file system', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  beforeEach(() => memoryFs.removeFolder('/'));

  it('answers stat, readdir and reads for the files put in, and folders they imply', () => {
    memoryFs.putFiles([
      { path: '/m/tokenizer.json', size: 0, data: bytes('{"a":1}') },
      { path: '/m/onnx/model.onnx', size: 0, data: bytes('0123456789') },
      { path: '/m/onnx/model.onnx_data', size: 5000 },
    ]);
    expect(memoryFs.existsSync('/m')).toBe(true);
    expect(memoryFs.existsSync('/m/onnx/../tokenizer.json')).toBe(true);
    expect(memoryFs.existsSync('/m/nothing')).toBe(false);
    expect(memoryFs.statSync('/m')?.isDirectory()).toBe(true);
    expect(memoryFs.statSync('/m/onnx/model.onnx')?.isFile()).toBe(true);
    expect(memoryFs.statSync('/m/onnx/model.onnx')?.size).toBe(10);
    expect(memoryFs.statSync('/m/onnx/model.onnx_data')?.size).toBe(5000);
    expect(memoryFs.statSync('/m/none', { throwIfNoEntry: false })).toBeUndefined();
    expect(() => memoryFs.statSync('/m/none')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(memoryFs.readdirSync('/m')).toEqual(['onnx', 'tokenizer.json']);
    const entries = memoryFs.readdirSync('/m', { withFileTypes: true }) as memoryFs.Dirent[];
    expect(entries.map((e) => [e.name, e.isFile(), e.isDirectory()])).toEqual([
      ['onnx', false, true],
      ['tokenizer.json', true, false],
    ]);
    expect(memoryFs.readFileSync('/m/tokenizer.json', 'utf8')).toBe('{"a":1}');
    expect(memoryFs.realpathSync('/m/onnx/./model.onnx')).toBe('/m/onnx/model.onnx');
    expect(() => memoryFs.realpathSync('/m/none')).toThrow(/ENOENT/);
    // A file known by its size only says so when read.
    expect(() => memoryFs.readFileSync('/m/onnx/model.onnx_data')).toThrow(/model\.onnx_data \(5000 bytes\) was not read into memory/);
  });

  it('reads ranges through file descriptors as fs.readSync does', () => {
    memoryFs.putFiles([{ path: '/m/model.onnx', size: 0, data: bytes('0123456789') }]);
    const fd = memoryFs.openSync('/m/model.onnx', 'r');
    const into = new Uint8Array(6);
    expect(memoryFs.readSync(fd, into, 1, 4, 7)).toBe(3);
    expect(new TextDecoder().decode(into.subarray(1, 4))).toBe('789');
    expect(memoryFs.readSync(fd, into, 0, 4, 10)).toBe(0);
    memoryFs.closeSync(fd);
    expect(() => memoryFs.readSync(fd, into, 0, 1, 0)).toThrow(/EBADF/);
    // What is read is a copy: the engine may change it.
    const read = memoryFs.readFileSync('/m/model.onnx') as Uint8Array;
    read[0] = 0;
    expect(memoryFs.readFileSync('/m/model.onnx', 'utf8')).toBe('0123456789');
  });

  it('forgets a folder and nothing beside it', () => {
    memoryFs.putFiles([
      { path: '/a/x.json', size: 1 },
      { path: '/ab/y.json', size: 1 },
    ]);
    memoryFs.removeFolder('/a');
    expect(memoryFs.listFiles()).toEqual(['/ab/y.json']);
  });
});

describe('what the web edition reads of a model folder', () => {
  it('names every URI by a path of its own that keeps the file names', () => {
    expect(virtualPath({ scheme: 'vscode-remote', authority: '127.0.0.1:8080', path: '/home/me/lens-tiny/' })).toBe(
      '/vscode-remote/127.0.0.1%3A8080/home/me/lens-tiny',
    );
    expect(virtualPath({ scheme: 'vscode-vfs', authority: 'github', path: '/org/repo/model' })).toBe('/vscode-vfs/github/org/repo/model');
    expect(virtualPath({ scheme: 'file', authority: '', path: '/m' })).toBe('/file/m');
  });

  it('takes the folder of a chosen .onnx file, one up from onnx/', () => {
    expect(modelFolderPath('/m/onnx/model.onnx', true)).toBe('/m');
    expect(modelFolderPath('/m/model.onnx', true)).toBe('/m');
    expect(modelFolderPath('/m', false)).toBe('/m');
  });

  it('reads the chosen graph and its data, not the other variants', () => {
    const files = [
      { name: 'config.json', size: 10 },
      { name: 'tokenizer.json', size: 100 },
      { name: 'onnx/model.onnx', size: 1000 },
      { name: 'onnx/model.onnx_data', size: 5000 },
      { name: 'onnx/model_fp16.onnx', size: 500 },
      { name: 'onnx/model_fp16.onnx_data', size: 2500 },
      { name: 'README.md', size: 3 },
    ];
    expect(filesToRead(files, 'onnx/model.onnx', 10_000)).toEqual(['config.json', 'tokenizer.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'README.md']);
    expect(filesToRead(files, 'onnx/model_fp16.onnx', 10_000)).toEqual([
      'config.json',
      'tokenizer.json',
      'onnx/model_fp16.onnx',
      'onnx/model_fp16.onnx_data',
      'README.md',
    ]);
    // Over the limit, or without a graph, only the JSON files: the engine says why from the sizes.
    expect(filesToRead(files, 'onnx/model.onnx', 6000)).toEqual(['config.json', 'tokenizer.json']);
    expect(filesToRead(files, undefined, 10_000)).toEqual(['config.json', 'tokenizer.json']);
  });

  it('finds the model modelLens.modelPath names as a URI', () => {
    const folder = { scheme: 'vscode-vfs', authority: 'github', path: '/org/repo' };
    const show = (u: { scheme: string; authority: string; path: string }) => `${u.scheme}://${u.authority}${u.path}`;
    const target = (configured: string, trusted = true, at: typeof folder | null = folder) => webTarget(configured, 'DEFAULT', at ?? undefined, trusted, show);
    expect(target('')).toBe('DEFAULT');
    expect(target('  ')).toBe('DEFAULT');
    expect(target('models/tiny')).toBe('vscode-vfs://github/org/repo/models/tiny');
    expect(target('./models/../tiny/')).toBe('vscode-vfs://github/org/repo/tiny/');
    expect(target('/data/tiny')).toBe('vscode-vfs://github/data/tiny');
    expect(target('/data/tiny', true, null)).toBe('file:///data/tiny');
    expect(target('https://example.com/m')).toBe('https://example.com/m');
    // Restricted Mode: a relative path is the workspace's choice, so the default model is used.
    expect(target('models/tiny', false)).toBe('DEFAULT');
    expect(target('models/tiny', true, null)).toBe('DEFAULT');
  });
});
