// The host's and the webviews' words in Chinese come from l10n/bundle.l10n.zh-cn.json, keyed by
// their English text: every string the code localizes has a translation there, every translation
// belongs to a string the code still has, and each keeps its {0}, {1}… arguments.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths';

const BUNDLE: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n/bundle.l10n.zh-cn.json'), 'utf8'));

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => path.join(f.parentPath, f.name));
}

const FILES = [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'webview'))].map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));

const LITERAL = String.raw`'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"`;
/** The English strings given as literals to vscode.l10n.t, the webviews' t, or plural's two forms. */
const CALL = new RegExp(String.raw`(?:\bl10n\.t|(?<![\w.])t)\(\s*(?:${LITERAL})|\bplural\([^,]+,\s*(?:${LITERAL})\s*,\s*(?:${LITERAL})`, 'g');

function unquote(literal: string): string {
  return literal.replace(/\\(['"\\])/g, '$1');
}

function localized(): Map<string, string> {
  const found = new Map<string, string>();
  for (const { file, text } of FILES) {
    // Only files that localize: elsewhere a function named t is something else.
    if (!/from 'vscode'|shared\/l10n'/.test(text) || !/\bl10n\b/.test(text)) continue;
    for (const m of text.matchAll(CALL)) for (const g of m.slice(1)) if (g !== undefined) found.set(unquote(g), path.relative(ROOT, file));
  }
  return found;
}

const placeholders = (s: string) => (s.match(/\{\d+\}/g) ?? []).sort();

describe('l10n/bundle.l10n.zh-cn.json', () => {
  const used = localized();

  it('translates every string the host and the webviews localize', () => {
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter(([english]) => !(english in BUNDLE)).map(([english, file]) => `${file}: ${english}`);
    expect(missing).toEqual([]);
  });

  it('holds no translation of a string the code no longer has', () => {
    const everywhere = FILES.map((f) => f.text).join('\n');
    const stale = Object.keys(BUNDLE).filter(
      (english) => !used.has(english) && !everywhere.includes(`'${english.replace(/'/g, "\\'")}'`) && !everywhere.includes(`"${english}"`),
    );
    expect(stale).toEqual([]);
  });

  it('keeps the arguments of each string', () => {
    for (const [english, chinese] of Object.entries(BUNDLE)) expect(placeholders(chinese), english).toEqual(placeholders(english));
  });

  it("names the attention panel's parts with the guide's terms", () => {
    expect(BUNDLE['Queries, keys and values']).toBe('查询、键和值');
    expect(BUNDLE['Causal mask: S + M']).toContain('因果掩码');
    expect(BUNDLE['Residual stream norm by layer and token']).toContain('残差流');
  });
});
