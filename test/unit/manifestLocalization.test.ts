// package.json's contributions are shown in the display language: every title and description is
// a %key% that package.nls.json (English) and package.nls.zh-cn.json (Chinese) both fill, and a
// translation keeps what VS Code acts on in the text (setting links, command links, code).
import { describe, expect, it } from 'vitest';
import manifest from '../../package.json';
import { localized, nlsFile, placeholderKey } from '../helpers/manifest';

/** Every string of the manifest with the path that leads to it. */
function strings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** What must survive translation: `#setting#` links, `(command:…)` links and `code`. */
function actionable(text: string): string[] {
  return [...text.matchAll(/#modelLens\.[\w.]+#|\(command:[^)]+\)|`[^`]+`/g)].map((m) => m[0]).sort();
}

const english = nlsFile();
const chinese = nlsFile('zh-cn');

describe('package.nls', () => {
  it('fills every placeholder of package.json in English and in Chinese', () => {
    const keys = strings(manifest).flatMap(([, v]) => placeholderKey(v) ?? []);
    expect(keys.length).toBeGreaterThan(50);
    for (const key of keys) {
      expect(english[key], key).toBeTruthy();
      expect(chinese[key], key).toBeTruthy();
    }
  });

  it('has the same keys in both languages', () => {
    expect(Object.keys(chinese).sort()).toEqual(Object.keys(english).sort());
  });

  it('leaves no command title, setting description, view or walkthrough text unlocalized', () => {
    const visible = /(^contributes\.commands\[\d+\]\.(title|category)|Description|description|\.title|\.name|altText)$/;
    const raw = strings(manifest.contributes).filter(([at, v]) => visible.test(at) && placeholderKey(v) === undefined);
    expect(raw).toEqual([]);
  });

  it('keeps setting links, command links and code as they are in each translation', () => {
    for (const [key, text] of Object.entries(english)) expect(actionable(chinese[key]), key).toEqual(actionable(text));
  });

  it("uses the guide's terms in Chinese", () => {
    expect(localized(manifest.contributes.commands.find((c) => c.command === 'modelLens.explainAttention')!.title, 'zh-cn')).toBe('解释注意力');
    const walk = manifest.contributes.walkthroughs[0].steps.find((s) => s.id === 'walkTransformer')!;
    expect(localized(walk.description, 'zh-cn')).toMatch(/层归一化.*多头注意力.*前馈网络.*残差连接/);
  });
});
