// The webview shell's security: a strict CSP, nonce-only scripts, nothing remote, escaped labels.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, webviewHtml } from '../../src/host/webviewHtml';

const SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

describe('webview shell', () => {
  const html = webviewHtml({ app: 'attention', label: 'A "label" <b>', cspSource: SOURCE, asset: (...p) => `${SOURCE}/dist/${p.join('/')}`, nonce: 'abc123' });
  const csp = contentSecurityPolicy(SOURCE, 'abc123', 'attention');

  it('allows only the webview origin, nonce scripts, and no inline or eval code', () => {
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-abc123'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/);
    for (const directive of csp.split('; ')) {
      for (const source of directive.split(' ').slice(1)) expect([SOURCE, 'data:', "'none'", "'nonce-abc123'"]).toContain(source);
    }
  });

  it('loads every script with the nonce, from the bundle, and no inline script or style', () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${csp}">`);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0][1]).toBe(` nonce="abc123" src="${SOURCE}/dist/webview/attention.js"`);
    expect(scripts[0][2]).toBe('');
    expect(html).not.toMatch(/<style|style="/);
  });

  it('escapes the label', () => {
    expect(html).toContain('aria-label="A &quot;label&quot; &lt;b>"');
  });
});

describe('the WebGPU backend page', () => {
  const csp = contentSecurityPolicy(SOURCE, 'n', 'gpu');

  it('may compile WebAssembly and fetch it from the extension, and nothing more', () => {
    expect(csp).toContain("script-src 'nonce-n' 'wasm-unsafe-eval'");
    expect(csp).toContain(`connect-src ${SOURCE}`);
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|blob:|https?:\/\/(?!file\+)/);
  });

  it('is a module that knows where the bundles are', () => {
    const html = webviewHtml({
      app: 'gpu',
      label: 'GPU',
      cspSource: SOURCE,
      asset: (...p) => `${SOURCE}/dist/${p.join('/')}`,
      nonce: 'n',
      data: { dist: `${SOURCE}/dist/` },
    });
    expect(html).toContain(`<script nonce="n" type="module" src="${SOURCE}/dist/webview/gpu.js"></script>`);
    expect(html).toContain(`data-dist="${SOURCE}/dist/"`);
  });
});
