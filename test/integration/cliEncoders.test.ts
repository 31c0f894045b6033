// The CLI on encoders, through the built worker: a masked language model's probabilities are
// labelled as computed with the token masked and its heads' strongest attention may look ahead;
// a classifier prints its classes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEncoder, encoderWeights, type EncoderOptions } from '../helpers/encoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { ROOT } from '../helpers/paths';
import { wordPieceTokenizer } from '../helpers/tokenizers';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const text = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-cli-')), 'text.txt');
fs.writeFileSync(text, 'The cat sat on the mat.');

function folder(options: EncoderOptions, config: object = {}): string {
  const tokenizer = wordPieceTokenizer(['the', 'cat', 'sat', 'on', 'mat', '.'], 64);
  return writeModelFolder('cli-bert', buildEncoder(encoderWeights(options)), {
    'tokenizer.json': JSON.stringify(tokenizer.json),
    'tokenizer_config.json': JSON.stringify(tokenizer.config),
    'config.json': JSON.stringify(config),
  });
}

function cli(model: string, json: boolean): string {
  return execFileSync(process.execPath, [CLI, text, '--model', model, '--threads', '1', ...(json ? ['--json'] : [])], { encoding: 'utf8' });
}

describe('npm run explain -- FILE on encoders', { timeout: 120_000 }, () => {
  const masked = folder({});

  it('reports a masked model’s token probabilities as masked ones, with the attention of every layer', () => {
    const out = JSON.parse(cli(masked, true));
    expect(out.predicts).toBe('masked');
    expect(out.model.bidirectional).toBe(true);
    expect(out.attention).toHaveLength(2);
    const cat = out.tokens.find((t: { text: string }) => t.text.trim() === 'cat');
    expect(cat.prob).toBeGreaterThan(0);
    expect(cat.masked).toHaveLength(10);
    expect(cat.next).toBeUndefined();
    // Some query attends to a key after it.
    const [heads, queries] = [out.attention[0].length, out.attention[0][0].length];
    expect(heads).toBe(4);
    expect(out.attention[0][0][0][queries - 1]).toBeGreaterThan(0);
  });

  it('says so in its text output', () => {
    const out = cli(masked, false);
    expect(out).toContain('P(token|rest, masked)');
    expect(out).toContain('either direction');
  });

  it('prints a classifier’s classes instead of token probabilities', () => {
    const out = cli(folder({ classes: 2 }, { id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } }), false);
    expect(out).toMatch(/Classes of the whole text:\n {2}NEGATIVE +\d+\.\d\d%\n {2}POSITIVE +\d+\.\d\d%/);
    expect(out).not.toContain('P(token');
  });
});
