// What WebGPU this webview has. VS Code's webviews are Chromium: on a machine with a GPU they
// usually have an adapter, which is how the extension (Node, no WebGPU) learns there is one.
import type { GpuAdapterInfo } from '../../src/shared/protocol';

interface GpuAdapter {
  info?: { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
}

/** The adapter, or null with why there is none. */
export async function probeGpu(): Promise<{ adapter: GpuAdapterInfo | null; reason?: string }> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;
  if (!gpu) return { adapter: null, reason: 'this webview has no WebGPU' };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { adapter: null, reason: 'the browser has no WebGPU adapter for this machine' };
  const info = adapter.info ?? { vendor: '', architecture: '', description: '' };
  // SwiftShader and other CPU implementations are correct but far slower than the CPU backends.
  const software =
    adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(`${info.architecture} ${info.description}`);
  return {
    adapter: { vendor: info.vendor, architecture: info.architecture, description: info.description, software, shaderF16: adapter.features.has('shader-f16') },
  };
}
