// VS Code takes a display language only where a language pack declares it: `--locale zh-cn`
// alone leaves it in English, and then neither package.nls.zh-cn.json nor vscode.l10n's zh-cn
// bundle is read. Microsoft's Chinese pack cannot be downloaded here (only the npm registry is
// reachable), so the harness writes what an installed pack leaves in the user data folder: the
// `languagepacks.json` index that VS Code's server reads when it resolves the locale for a page,
// naming a core translations file with no entries (VS Code falls back to English for each of its
// own strings). That is all an extension's own translations need. The index is VS Code's internal
// format: if a VS Code update changes it, the Chinese end-to-end test fails on its first heading.
import fs from 'node:fs';
import path from 'node:path';

/** Makes `locale` a display language the VS Code using `userDataDir` can resolve. */
export function declareLanguagePack(locale: string, userDataDir: string): void {
  const translations = path.join(userDataDir, `test-language-pack-${locale}`, 'main.i18n.json');
  fs.mkdirSync(path.dirname(translations), { recursive: true });
  fs.writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  const index = {
    [locale]: {
      hash: `model-lens-tests-${locale}`,
      extensions: [{ extensionIdentifier: { id: `model-lens-tests.language-pack-${locale}` }, version: '1.0.0' }],
      translations: { vscode: translations },
      label: locale,
    },
  };
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(index));
}
