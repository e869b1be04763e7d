/** hosted LLM providers: first in the model picker (after local) and in the credential picker */
const HOSTED_LLM_PROVIDERS = ['openai', 'anthropic', 'groq', 'together-ai', 'openrouter', 'deepinfra', 'custom-llm'];

export const MODEL_PROVIDERS = [
  'local',
  ...HOSTED_LLM_PROVIDERS,
  'google',
  'deep-seek',
  'xai',
  'perplexity-ai',
  'cerebras',
  'anyscale',
];

export const MODEL_SUGGESTIONS: Record<string, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-3.5-turbo'],
  anthropic: ['claude-3-5-haiku-20241022', 'claude-3-5-sonnet-20241022', 'claude-3-7-sonnet-20250219'],
  groq: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant'],
  'together-ai': ['meta-llama/Llama-3.3-70B-Instruct-Turbo'],
  openrouter: ['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku'],
  deepinfra: ['meta-llama/Meta-Llama-3.1-8B-Instruct'],
  'custom-llm': ['llama3.1', 'qwen2.5'],
  google: ['gemini-2.0-flash', 'gemini-1.5-pro'],
};

/** model fields every provider shares; the rest is provider specific and dropped on a switch */
export const COMMON_MODEL_KEYS = ['messages', 'tools', 'toolIds', 'temperature', 'maxTokens', 'knowledgeBase', 'emotionRecognitionEnabled', 'numFastTurns'];

// Transcribers and voices (which ones this server runs, their fields): speech-providers.ts.

export const SERVER_MESSAGES = [
  'assistant.started',
  'conversation-update',
  'end-of-call-report',
  'function-call',
  'hang',
  'model-output',
  'phone-call-control',
  'speech-update',
  'status-update',
  'transcript',
  'transcript[transcriptType="final"]',
  'tool-calls',
  'transfer-destination-request',
  'handoff-destination-request',
  'transfer-update',
  'user-interrupted',
  'voice-input',
];

export const RUBRICS = ['PassFail', 'NumericScale', 'DescriptiveScale', 'Checklist', 'Matrix', 'PercentageScale', 'LikertScale', 'AutomaticRubric'];

/** Providers whose credential this server uses (models, transcribers, voices it runs). */
const CREDENTIALS_USED = [...HOSTED_LLM_PROVIDERS.filter((p) => p !== 'anthropic'), 'deepgram', 'assembly-ai', '11labs', 'cartesia'];
/** Vapi has a credential for these too; this server runs nothing that uses one. */
const CREDENTIALS_UNUSED = ['anthropic', 'gladia', 'google', 'azure', 'playht', 'rime-ai', 'lmnt', 'speechmatics', 'xai', 'deep-seek', 'mistral', 'perplexity-ai', 'cerebras'];

/** The credential picker: what this server uses first, then the rest, marked. */
export const CREDENTIAL_PROVIDERS = [
  ...CREDENTIALS_USED.map((p) => ({ value: p, label: p })),
  ...CREDENTIALS_UNUSED.map((p) => ({ value: p, label: `${p} (not used by this server)` })),
];

/** ElevenLabs' API environments (Vapi's CreateElevenLabsCredentialDTO.apiUrl allows only these). */
export const ELEVENLABS_API_URLS = ['https://api.elevenlabs.io', 'https://api.eu.residency.elevenlabs.io'];

/**
 * What a credential holds besides provider, apiKey and name (Vapi's Create*CredentialDTO):
 * apiUrl where Vapi has one (a self-hosted Deepgram or Cartesia, ElevenLabs' EU residency),
 * PlayHT's userId, Azure's service.
 */
export const CREDENTIAL_EXTRAS: Record<string, { apiUrl?: 'url' | readonly string[]; userId?: true; service?: string }> = {
  deepgram: { apiUrl: 'url' },
  cartesia: { apiUrl: 'url' },
  '11labs': { apiUrl: ELEVENLABS_API_URLS },
  playht: { userId: true },
  azure: { service: 'speech' },
};
