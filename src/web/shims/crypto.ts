// node:crypto for the web bundles: randomBytes for webview nonces, from the Web Crypto API.
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

class RandomBytes extends Uint8Array {
  override toString(encoding?: string): string {
    if (encoding === 'hex') return Array.from(this, (b) => b.toString(16).padStart(2, '0')).join('');
    if (encoding !== 'base64') return super.toString();
    let out = '';
    for (let i = 0; i < this.length; i += 3) {
      const n = (this[i] << 16) | ((this[i + 1] ?? 0) << 8) | (this[i + 2] ?? 0);
      out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + (i + 1 < this.length ? BASE64[(n >> 6) & 63] : '=') + (i + 2 < this.length ? BASE64[n & 63] : '=');
    }
    return out;
  }
}

export function randomBytes(size: number): RandomBytes {
  const bytes = new RandomBytes(size);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}
