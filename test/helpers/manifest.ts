// package.json's user-visible strings are `%key%` placeholders that VS Code fills from
// package.nls.json, or package.nls.<locale>.json in that display language: tests that read a
// title or a description read it the way VS Code shows it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './paths';

export type NlsFile = Record<string, string>;

/** package.nls.json (English), or the file of `locale` (e.g. `zh-cn`). */
export function nlsFile(locale?: string): NlsFile {
  return JSON.parse(fs.readFileSync(path.join(ROOT, locale ? `package.nls.${locale}.json` : 'package.nls.json'), 'utf8'));
}

const PLACEHOLDER = /^%([^%\s]+)%$/;

/** The placeholder's key, or undefined for a string that is shown as written. */
export function placeholderKey(value: string): string | undefined {
  return PLACEHOLDER.exec(value)?.[1];
}

/** A manifest string as VS Code shows it in `locale` (English by default). */
export function localized(value: string, locale?: string): string {
  const key = placeholderKey(value);
  if (key === undefined) return value;
  const text = nlsFile(locale)[key];
  if (text === undefined) throw new Error(`%${key}% is not in package.nls${locale ? `.${locale}` : ''}.json`);
  return text;
}
