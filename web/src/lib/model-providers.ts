// The language-model providers the assistant editor configures, under Vapi's names (AnthropicModel,
// GoogleModel, OpenAIModel, GroqModel, ... in Vapi's OpenAPI spec): which ones this server runs,
// each one's models (Vapi's enum where it has one, any id where Vapi takes any string) and its own
// fields. One table drives the model card (components/assistant/model-section.tsx) and its
// validation (schemas.ts). The enums below are copied from ../shared/api/vapi-openapi.json.

import { isHttpUrl } from './utils';

type Obj = Record<string, unknown>;

/** AnthropicModel.model */
export const ANTHROPIC_MODELS = ['claude-3-opus-20240229', 'claude-3-sonnet-20240229', 'claude-3-haiku-20240307', 'claude-3-5-sonnet-20240620', 'claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022', 'claude-3-7-sonnet-20250219', 'claude-opus-4-20250514', 'claude-opus-4-5-20251101', 'claude-opus-4-6', 'claude-sonnet-4-20250514', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-haiku-4-5-20251001'];
/** GoogleModel.model */
export const GOOGLE_MODELS = ['gemini-3.5-flash', 'gemini-3.1-flash-lite', 'gemini-3-flash-preview', 'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash-thinking-exp', 'gemini-2.0-pro-exp-02-05', 'gemini-2.0-flash', 'gemini-2.0-flash-lite', 'gemini-2.0-flash-exp', 'gemini-2.0-flash-realtime-exp', 'gemini-1.5-flash', 'gemini-1.5-flash-002', 'gemini-1.5-pro', 'gemini-1.5-pro-002', 'gemini-1.0-pro'];
/** OpenAIModel.model */
export const OPENAI_MODELS = ['gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna', 'gpt-5.5', 'chat-latest', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-5.2', 'gpt-5.2-chat-latest', 'gpt-5.1', 'gpt-5.1-chat-latest', 'gpt-5', 'gpt-5-chat-latest', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1-2025-04-14', 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-nano-2025-04-14', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'chatgpt-4o-latest', 'o3', 'o3-mini', 'o4-mini', 'o1-mini', 'o1-mini-2024-09-12', 'gpt-4o-realtime-preview-2024-10-01', 'gpt-4o-realtime-preview-2024-12-17', 'gpt-4o-mini-realtime-preview-2024-12-17', 'gpt-realtime-2025-08-28', 'gpt-realtime-mini-2025-12-15', 'gpt-realtime-2', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini', 'gpt-4o', 'gpt-4o-2024-05-13', 'gpt-4o-2024-08-06', 'gpt-4o-2024-11-20', 'gpt-4-turbo', 'gpt-4-turbo-2024-04-09', 'gpt-4-turbo-preview', 'gpt-4-0125-preview', 'gpt-4-1106-preview', 'gpt-4', 'gpt-4-0613', 'gpt-3.5-turbo', 'gpt-3.5-turbo-0125', 'gpt-3.5-turbo-1106', 'gpt-3.5-turbo-16k', 'gpt-3.5-turbo-0613', 'gpt-5.6-luna:westus3', 'gpt-5.6-terra:westus3', 'gpt-5.6-sol:westus3', 'gpt-5.4:eastus2', 'gpt-5.4:swedencentral', 'gpt-5.4-mini:eastus2', 'gpt-5.4-mini:swedencentral', 'gpt-5.4-nano:eastus2', 'gpt-5.4-nano:swedencentral', 'gpt-5.2:eastus2', 'gpt-5.2:swedencentral', 'gpt-5.1:eastus2', 'gpt-5.1:swedencentral', 'gpt-5:eastus2', 'gpt-5:swedencentral', 'gpt-5:canadaeast', 'gpt-5:eastus', 'gpt-5:westeurope', 'gpt-5:germanywestcentral', 'gpt-5:polandcentral', 'gpt-5:spaincentral', 'gpt-5-mini:eastus2', 'gpt-5-mini:swedencentral', 'gpt-5-mini:westeurope', 'gpt-5-mini:germanywestcentral', 'gpt-5-mini:polandcentral', 'gpt-5-mini:spaincentral', 'gpt-5-nano:eastus2', 'gpt-5-nano:swedencentral', 'gpt-4.1-2025-04-14:westus', 'gpt-4.1-2025-04-14:eastus2', 'gpt-4.1-2025-04-14:eastus', 'gpt-4.1-2025-04-14:westus3', 'gpt-4.1-2025-04-14:northcentralus', 'gpt-4.1-2025-04-14:southcentralus', 'gpt-4.1-2025-04-14:westeurope', 'gpt-4.1-2025-04-14:germanywestcentral', 'gpt-4.1-2025-04-14:polandcentral', 'gpt-4.1-2025-04-14:spaincentral', 'gpt-4.1-mini-2025-04-14:westus', 'gpt-4.1-mini-2025-04-14:eastus2', 'gpt-4.1-mini-2025-04-14:eastus', 'gpt-4.1-mini-2025-04-14:westus3', 'gpt-4.1-mini-2025-04-14:northcentralus', 'gpt-4.1-mini-2025-04-14:southcentralus', 'gpt-4.1-mini-2025-04-14:westeurope', 'gpt-4.1-mini-2025-04-14:germanywestcentral', 'gpt-4.1-mini-2025-04-14:polandcentral', 'gpt-4.1-mini-2025-04-14:spaincentral', 'gpt-4.1-nano-2025-04-14:westus', 'gpt-4.1-nano-2025-04-14:eastus2', 'gpt-4.1-nano-2025-04-14:westus3', 'gpt-4.1-nano-2025-04-14:northcentralus', 'gpt-4.1-nano-2025-04-14:southcentralus', 'gpt-4o-2024-11-20:swedencentral', 'gpt-4o-2024-11-20:westus', 'gpt-4o-2024-11-20:eastus2', 'gpt-4o-2024-11-20:eastus', 'gpt-4o-2024-11-20:westus3', 'gpt-4o-2024-11-20:southcentralus', 'gpt-4o-2024-11-20:westeurope', 'gpt-4o-2024-11-20:germanywestcentral', 'gpt-4o-2024-11-20:polandcentral', 'gpt-4o-2024-11-20:spaincentral', 'gpt-4o-2024-08-06:westus', 'gpt-4o-2024-08-06:westus3', 'gpt-4o-2024-08-06:eastus', 'gpt-4o-2024-08-06:eastus2', 'gpt-4o-2024-08-06:northcentralus', 'gpt-4o-2024-08-06:southcentralus', 'gpt-4o-mini-2024-07-18:westus', 'gpt-4o-mini-2024-07-18:westus3', 'gpt-4o-mini-2024-07-18:eastus', 'gpt-4o-mini-2024-07-18:eastus2', 'gpt-4o-mini-2024-07-18:northcentralus', 'gpt-4o-mini-2024-07-18:southcentralus', 'gpt-4o-2024-05-13:eastus2', 'gpt-4o-2024-05-13:eastus', 'gpt-4o-2024-05-13:northcentralus', 'gpt-4o-2024-05-13:southcentralus', 'gpt-4o-2024-05-13:westus3', 'gpt-4o-2024-05-13:westus', 'gpt-4-turbo-2024-04-09:eastus2', 'gpt-4-0125-preview:eastus', 'gpt-4-0125-preview:northcentralus', 'gpt-4-0125-preview:southcentralus', 'gpt-4-1106-preview:australiaeast', 'gpt-4-1106-preview:canadaeast', 'gpt-4-1106-preview:france', 'gpt-4-1106-preview:india', 'gpt-4-1106-preview:norway', 'gpt-4-1106-preview:swedencentral', 'gpt-4-1106-preview:uk', 'gpt-4-1106-preview:westus', 'gpt-4-1106-preview:westus3', 'gpt-4-0613:canadaeast', 'gpt-3.5-turbo-0125:canadaeast', 'gpt-3.5-turbo-0125:northcentralus', 'gpt-3.5-turbo-0125:southcentralus', 'gpt-3.5-turbo-1106:canadaeast', 'gpt-3.5-turbo-1106:westus', 'gpt-4.1:australiaeast', 'gpt-4o:australiaeast', 'gpt-5.4-mini:australiaeast'];
/** GroqModel.model */
export const GROQ_MODELS = ['openai/gpt-oss-20b', 'openai/gpt-oss-120b', 'deepseek-r1-distill-llama-70b', 'llama-3.3-70b-versatile', 'llama-3.1-405b-reasoning', 'llama-3.1-8b-instant', 'llama3-8b-8192', 'llama3-70b-8192', 'gemma2-9b-it', 'moonshotai/kimi-k2-instruct-0905', 'meta-llama/llama-4-scout-17b-16e-instruct', 'mistral-saba-24b', 'compound-beta', 'compound-beta-mini'];
/** XaiModel.model */
export const XAI_MODELS = ['grok-beta', 'grok-2', 'grok-3', 'grok-4-fast-reasoning', 'grok-4-fast-non-reasoning', 'grok-4.20-0309-reasoning', 'grok-4.20-0309-non-reasoning', 'grok-4.3'];
/** CerebrasModel.model */
export const CEREBRAS_MODELS = ['llama3.1-8b', 'llama-3.3-70b'];
/** DeepSeekModel.model */
export const DEEPSEEK_MODELS = ['deepseek-chat', 'deepseek-reasoner'];
/** CreateAzureOpenAICredentialDTO.region */
export const AZURE_OPENAI_REGIONS = ['australiaeast', 'canadaeast', 'canadacentral', 'centralus', 'eastus2', 'eastus', 'france', 'germanywestcentral', 'india', 'japaneast', 'japanwest', 'northcentralus', 'norway', 'polandcentral', 'southcentralus', 'spaincentral', 'swedencentral', 'switzerland', 'switzerlandnorth', 'switzerlandwest', 'uaenorth', 'uk', 'westeurope', 'westus', 'westus3'];
/** CreateAzureOpenAICredentialDTO.models */
export const AZURE_OPENAI_MODELS = ['gpt-5.6-luna-2026-07-09', 'gpt-5.6-terra-2026-07-09', 'gpt-5.6-sol-2026-07-09', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-5.2', 'gpt-5.2-chat', 'gpt-5.1', 'gpt-5.1-chat', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1-2025-04-14', 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-nano-2025-04-14', 'gpt-4o-2024-11-20', 'gpt-4o-2024-08-06', 'gpt-4o-2024-05-13', 'gpt-4o-mini-2024-07-18', 'gpt-4-turbo-2024-04-09', 'gpt-4-0125-preview', 'gpt-4-1106-preview', 'gpt-4-0613', 'gpt-35-turbo-0125', 'gpt-35-turbo-1106', 'gpt-4o', 'gpt-4.1', 'gpt-5.4-mini-2026-03-17'];

export interface ModelProvider {
  /** Vapi's `model` values (its enum), or common ids where Vapi takes any string: suggestions. */
  models: readonly string[];
  /** Vapi allows only `models` (the server refuses anything else). */
  strict?: boolean;
  /** Chosen when the provider is (Vapi requires a model). */
  defaultModel?: string;
  placeholder?: string;
  hint?: string;
  /** AnthropicModel.thinking: extended thinking with a token budget. */
  thinking?: boolean;
  /** CustomLLMModel.url: the OpenAI-compatible base URL (required). */
  url?: boolean;
  /** model.fallbackModels: ids of this provider's models, tried in order when the model fails. */
  fallbacks?: boolean;
  /** Shared fields (SHARED_MODEL_KEYS) this provider's schema does not have. */
  lacks?: readonly string[];
}

const openAICompatible = (models: readonly string[], placeholder: string, extra: Partial<ModelProvider> = {}): ModelProvider => ({
  models,
  defaultModel: models[0],
  placeholder,
  fallbacks: true,
  ...extra,
});

/** Model providers this server runs, in the order the picker offers them. */
export const MODEL_PROVIDERS: Record<string, ModelProvider> = {
  local: { models: [], lacks: ['knowledgeBase', 'toolRefs', 'emotionRecognitionEnabled', 'numFastTurns'] },
  openai: {
    models: OPENAI_MODELS,
    strict: true,
    defaultModel: 'gpt-4o-mini',
    fallbacks: true,
    hint: 'A model:region id (gpt-4o-2024-11-20:swedencentral) goes to Azure OpenAI with an azure-openai credential (Settings).',
  },
  anthropic: { models: ANTHROPIC_MODELS, strict: true, defaultModel: 'claude-haiku-4-5-20251001', thinking: true, fallbacks: true },
  google: { models: GOOGLE_MODELS, strict: true, defaultModel: 'gemini-2.5-flash', fallbacks: true },
  groq: { models: GROQ_MODELS, strict: true, defaultModel: 'llama-3.3-70b-versatile', fallbacks: true },
  'together-ai': openAICompatible(['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'Qwen/Qwen2.5-72B-Instruct-Turbo'], 'meta-llama/Llama-3.3-70B-Instruct-Turbo'),
  openrouter: openAICompatible(['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku', 'google/gemini-2.0-flash-001'], 'openai/gpt-4o-mini'),
  deepinfra: openAICompatible(['meta-llama/Meta-Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.3-70B-Instruct'], 'meta-llama/Meta-Llama-3.1-8B-Instruct'),
  'perplexity-ai': openAICompatible(['sonar', 'sonar-pro'], 'sonar'),
  xai: { models: XAI_MODELS, strict: true, defaultModel: 'grok-3', fallbacks: true },
  cerebras: { models: CEREBRAS_MODELS, strict: true, defaultModel: 'llama-3.3-70b', fallbacks: true },
  'deep-seek': { models: DEEPSEEK_MODELS, strict: true, defaultModel: 'deepseek-chat', fallbacks: true },
  anyscale: openAICompatible(['meta-llama/Meta-Llama-3-70B-Instruct', 'mistralai/Mixtral-8x7B-Instruct-v0.1'], 'meta-llama/Meta-Llama-3-70B-Instruct'),
  'custom-llm': {
    models: ['llama3.1', 'qwen2.5'],
    placeholder: 'llama3.1',
    url: true,
    fallbacks: true,
    hint: 'Sent as the model of each request to your server.',
  },
};

/** Vapi model providers this server does not run: still selectable (a call with one is refused). */
const OTHER_MODEL_PROVIDERS = ['anthropic-bedrock', 'inflection-ai', 'minimax', 'vapi'];
const OTHER_MODEL: ModelProvider = { models: [] };

export const NOT_ON_SERVER = '(not on this server)';

export function modelProvider(provider: string): ModelProvider {
  return MODEL_PROVIDERS[provider] ?? OTHER_MODEL;
}

/** One of Vapi's model providers this server does not run (not: a Voxa-only one such as bench). */
export function modelNotOnServer(provider: string): boolean {
  return OTHER_MODEL_PROVIDERS.includes(provider);
}

/** Vapi's model providers have a `model` (required but by vapi); Voxa's local and bench have none. */
export function hasModelField(provider: string): boolean {
  return provider !== 'local' && (provider in MODEL_PROVIDERS || modelNotOnServer(provider));
}

/** The provider picker: what the server runs first, then the rest of Vapi's, marked. */
export function modelProviderOptions(): Array<{ value: string; label: string }> {
  return [
    ...Object.keys(MODEL_PROVIDERS).map((p) => ({ value: p, label: p })),
    ...OTHER_MODEL_PROVIDERS.map((p) => ({ value: p, label: `${p} ${NOT_ON_SERVER}` })),
  ];
}

/**
 * Fields every Vapi model has (the prompt, tools, sampling), and the legacy `functions` Voxa
 * takes on every one (src/api/spec/overlay.json): kept when the provider changes.
 */
export const SHARED_MODEL_KEYS = ['messages', 'tools', 'toolIds', 'toolRefs', 'functions', 'knowledgeBase', 'emotionRecognitionEnabled', 'numFastTurns', 'temperature', 'maxTokens'];

/** What the editor remembers of each provider while the page is open: its own fields. */
export type ModelStash = Record<string, Obj>;

/**
 * The model after choosing `provider`. The shared fields the new provider has too stay; the
 * previous provider's own fields (its model, fallbackModels, thinking, url, scripted rules, ...)
 * are put aside in the stash rather than lost, so that choosing that provider again while the
 * page is open brings them back; the new provider gets what was put aside for it, else its
 * default model. Returns the new model and the new stash.
 */
export function switchModelProvider(old: Obj | undefined, provider: string, stash: ModelStash): [Obj, ModelStash] {
  const prev = old ?? {};
  if (prev.provider === provider) return [prev, stash];
  const lacks = new Set(modelProvider(provider).lacks ?? []);
  const next: Obj = { provider };
  const own: Obj = {};
  for (const [k, v] of Object.entries(prev)) {
    if (k === 'provider' || v === undefined) continue;
    if (SHARED_MODEL_KEYS.includes(k) && !lacks.has(k)) next[k] = v;
    else own[k] = v;
  }
  const nextStash: ModelStash = { ...stash };
  if (typeof prev.provider === 'string' && prev.provider) nextStash[prev.provider] = own;
  const kept = stash[provider];
  if (kept) Object.assign(next, kept);
  else if (modelProvider(provider).defaultModel) next.model = modelProvider(provider).defaultModel;
  return [next, nextStash];
}

/** A fallback model to add: the first suggestion not in use yet, else empty (to be typed). */
export function nextFallbackModel(config: Obj): string {
  const used = new Set([config.model, ...(Array.isArray(config.fallbackModels) ? config.fallbackModels : [])]);
  return modelProvider(String(config.provider ?? '')).models.find((m) => !used.has(m)) ?? '';
}

export const THINKING_BUDGET = { min: 1024, max: 100000 };

/**
 * What is wrong with a model config, keyed by the path inside it (`model`, `fallbackModels.1`,
 * `thinking.budgetTokens`). Temperature and maxTokens are checked by schemas.ts. Mirrors the
 * server's checks of Vapi's schema for the provider.
 */
export function modelIssues(config: Obj): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const provider = String(config.provider ?? '');
  const p = modelProvider(provider);
  const model = config.model;
  if (hasModelField(provider) && provider !== 'vapi') {
    if (typeof model !== 'string' || model.trim() === '') out.push(['model', 'Model is required']);
    else if (p.strict && !p.models.includes(model)) out.push(['model', `Model must be one of ${provider}'s models`]);
  }
  if (p.url) {
    const url = config.url;
    if (typeof url !== 'string' || url.trim() === '') out.push(['url', 'Base URL is required']);
    else if (!isHttpUrl(url.trim())) out.push(['url', 'Must be a valid http(s) URL']);
  }
  const thinking = config.thinking as Obj | undefined;
  if (thinking && typeof thinking === 'object') {
    const b = thinking.budgetTokens;
    if (typeof b !== 'number' || Number.isNaN(b)) out.push(['thinking.budgetTokens', 'Thinking budget is required']);
    else if (b < THINKING_BUDGET.min || b > THINKING_BUDGET.max)
      out.push(['thinking.budgetTokens', `Thinking budget must be ${THINKING_BUDGET.min} to ${THINKING_BUDGET.max} tokens`]);
  }
  const fallbacks = config.fallbackModels;
  if (Array.isArray(fallbacks)) {
    fallbacks.forEach((m, i) => {
      if (typeof m !== 'string' || m.trim() === '') out.push([`fallbackModels.${i}`, 'Choose a model']);
      else if (p.strict && !p.models.includes(m)) out.push([`fallbackModels.${i}`, `Must be one of ${provider}'s models`]);
    });
  }
  return out;
}
