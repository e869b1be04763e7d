// Language models (which ones this server runs, their models and fields): model-providers.ts.
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
const CREDENTIALS_USED = [
  'openai', 'anthropic', 'google', 'azure-openai', 'groq', 'together-ai', 'openrouter', 'deepinfra', 'perplexity-ai', 'xai',
  'cerebras', 'deep-seek', 'anyscale', 'custom-llm', 'deepgram', 'assembly-ai', '11labs', 'cartesia',
];
/** Vapi has a credential for these too; this server runs nothing that uses one. */
const CREDENTIALS_UNUSED = ['gladia', 'azure', 'playht', 'rime-ai', 'lmnt', 'speechmatics', 'mistral'];

/** The credential picker: what this server uses first, then the rest, marked. */
export const CREDENTIAL_PROVIDERS = [
  ...CREDENTIALS_USED.map((p) => ({ value: p, label: p })),
  ...CREDENTIALS_UNUSED.map((p) => ({ value: p, label: `${p} (not used by this server)` })),
];

/** ElevenLabs' API environments (Vapi's CreateElevenLabsCredentialDTO.apiUrl allows only these). */
export const ELEVENLABS_API_URLS = ['https://api.elevenlabs.io', 'https://api.eu.residency.elevenlabs.io'];

/**
 * What a credential holds besides provider, its key and name (Vapi's Create*CredentialDTO):
 * apiUrl where Vapi has one (a self-hosted Deepgram or Cartesia, ElevenLabs' EU residency),
 * PlayHT's userId, Azure's service, and Azure OpenAI's own shape (the key is `openAIKey`, with
 * `openAIEndpoint`, `region` and the `models` deployed there).
 */
export const CREDENTIAL_EXTRAS: Record<string, { apiUrl?: 'url' | readonly string[]; userId?: true; service?: string; azureOpenAI?: true }> = {
  deepgram: { apiUrl: 'url' },
  cartesia: { apiUrl: 'url' },
  '11labs': { apiUrl: ELEVENLABS_API_URLS },
  playht: { userId: true },
  azure: { service: 'speech' },
  'azure-openai': { azureOpenAI: true },
};

/** The field that holds a provider's secret key (Vapi's name). */
export function credentialKeyField(provider: string): 'apiKey' | 'openAIKey' {
  return CREDENTIAL_EXTRAS[provider]?.azureOpenAI ? 'openAIKey' : 'apiKey';
}
