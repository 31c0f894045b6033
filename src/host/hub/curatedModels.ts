// Small language models published as ONNX on the Hugging Face Hub that Model Lens reads, offered
// first by Download Model… The sizes are what their full-precision files take, rounded (the
// exact sizes of every precision come from the Hub once one is chosen); quantized files are
// several times smaller. Pure: no `vscode`.

export interface CuratedModel {
  repo: string;
  /** Shown as the item's label. */
  name: string;
  parameters: string;
  /** The full-precision download, rounded. */
  approxSize: string;
  about: string;
}

export const CURATED_MODELS: readonly CuratedModel[] = [
  {
    repo: 'Xenova/gpt2',
    name: 'GPT-2',
    parameters: '124M',
    approxSize: '650 MB',
    about: 'the model most interpretability work starts from (transformers.js export)',
  },
  { repo: 'Xenova/distilgpt2', name: 'DistilGPT-2', parameters: '82M', approxSize: '350 MB', about: 'GPT-2 distilled to 6 layers' },
  {
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    name: 'SmolLM2-135M',
    parameters: '135M',
    approxSize: '540 MB',
    about: 'a Llama-style model: rotary positions, RMSNorm, gated MLP, grouped KV heads',
  },
  { repo: 'HuggingFaceTB/SmolLM2-360M-Instruct', name: 'SmolLM2-360M', parameters: '360M', approxSize: '1.4 GB', about: 'the same family, larger' },
  {
    repo: 'onnx-community/Qwen2.5-0.5B-Instruct',
    name: 'Qwen2.5-0.5B',
    parameters: '494M',
    approxSize: '2 GB',
    about: 'Qwen2.5 (multilingual, code); its full-precision weights are in an external data file',
  },
  {
    repo: 'microsoft/Phi-3-mini-4k-instruct-onnx',
    name: 'Phi-3-mini',
    parameters: '3.8B',
    approxSize: '2.7 GB as int4',
    about: 'onnxruntime-genai folders per precision and device; fused GroupQueryAttention',
  },
];
