// The speech providers the assistant editor configures: which ones this server runs, and each
// one's main fields under Vapi's names (DeepgramTranscriber, ElevenLabsVoice, ... in Vapi's
// OpenAPI spec). One table drives the form (components/assistant/) and its validation
// (schemas.ts), for the primary config and for each fallbackPlan entry.

import { isHttpUrl } from './utils';

type Obj = Record<string, unknown>;

export interface SpeechField {
  /** Vapi's field name; dotted when nested (`server.url`). */
  key: string;
  label: string;
  kind: 'text' | 'textarea' | 'number' | 'switch' | 'tags' | 'url' | 'local-voice';
  /** The spec's enum, offered as suggestions. */
  suggestions?: readonly string[];
  /** The spec allows only the suggestions (the server refuses anything else). */
  strict?: boolean;
  required?: boolean;
  min?: number;
  max?: number;
  int?: boolean;
  maxLength?: number;
  maxItems?: number;
  placeholder?: string;
  hint?: string;
  /** switch: what the provider does when the field is unset. */
  defaultOn?: boolean;
  /** Takes the form's full width. */
  wide?: boolean;
  /** Shown only for configs where this holds (a field that is set is always shown). */
  showIf?: (config: Obj) => boolean;
  /** The field a fallbackPlan entry shows. */
  main?: boolean;
}

export interface SpeechProvider {
  fields: SpeechField[];
  /** Set when the provider is chosen (required fields with an obvious value). */
  defaults?: Obj;
}

/** DeepgramTranscriber.model */
export const DEEPGRAM_STT_MODELS = ['nova-3', 'nova-3-general', 'nova-3-medical', 'nova-2', 'nova-2-general', 'nova-2-meeting', 'nova-2-phonecall', 'nova-2-finance', 'nova-2-conversationalai', 'nova-2-voicemail', 'nova-2-video', 'nova-2-medical', 'nova-2-drivethru', 'nova-2-automotive', 'nova', 'nova-general', 'nova-phonecall', 'nova-medical', 'enhanced', 'enhanced-general', 'enhanced-meeting', 'enhanced-phonecall', 'enhanced-finance', 'base', 'base-general', 'base-meeting', 'base-phonecall', 'base-finance', 'base-conversationalai', 'base-voicemail', 'base-video', 'whisper', 'flux-general-en', 'flux-general-multi'];
/** DeepgramTranscriber.language */
export const DEEPGRAM_STT_LANGUAGES = ['ar', 'az', 'ba', 'be', 'bg', 'bn', 'br', 'bs', 'ca', 'cs', 'da', 'da-DK', 'de', 'de-CH', 'el', 'en', 'en-AU', 'en-CA', 'en-GB', 'en-IE', 'en-IN', 'en-NZ', 'en-US', 'es', 'es-419', 'es-LATAM', 'et', 'eu', 'fa', 'fi', 'fr', 'fr-CA', 'ha', 'haw', 'he', 'hi', 'hi-Latn', 'hr', 'hu', 'id', 'is', 'it', 'ja', 'jw', 'kn', 'ko', 'ko-KR', 'ln', 'lt', 'lv', 'mk', 'mr', 'ms', 'multi', 'nl', 'nl-BE', 'no', 'pl', 'pt', 'pt-BR', 'pt-PT', 'ro', 'ru', 'sk', 'sl', 'sn', 'so', 'sr', 'su', 'sv', 'sv-SE', 'ta', 'taq', 'te', 'th', 'th-TH', 'tl', 'tr', 'tt', 'uk', 'ur', 'vi', 'yo', 'zh', 'zh-CN', 'zh-HK', 'zh-Hans', 'zh-Hant', 'zh-TW'];
/** AssemblyAITranscriber.speechModel */
export const ASSEMBLY_AI_SPEECH_MODELS = ['universal-streaming-english', 'universal-streaming-multilingual', 'universal-3-5-pro'];
/** AssemblyAITranscriber.language */
export const ASSEMBLY_AI_LANGUAGES = ['multi', 'en'];
/** OpenAITranscriber.model */
export const OPENAI_STT_MODELS = ['gpt-4o-transcribe', 'gpt-4o-mini-transcribe'];
/** OpenAITranscriber.language */
export const OPENAI_STT_LANGUAGES = ['af', 'ar', 'hy', 'az', 'be', 'bs', 'bg', 'ca', 'zh', 'hr', 'cs', 'da', 'nl', 'en', 'et', 'fi', 'fr', 'gl', 'de', 'el', 'he', 'hi', 'hu', 'is', 'id', 'it', 'ja', 'kn', 'kk', 'ko', 'lv', 'lt', 'mk', 'ms', 'mr', 'mi', 'ne', 'no', 'fa', 'pl', 'pt', 'ro', 'ru', 'sr', 'sk', 'sl', 'es', 'sw', 'sv', 'tl', 'ta', 'th', 'tr', 'uk', 'ur', 'vi', 'cy'];
/** ElevenLabsVoice.model */
export const ELEVENLABS_MODELS = ['eleven_multilingual_v2', 'eleven_turbo_v2', 'eleven_turbo_v2_5', 'eleven_flash_v2', 'eleven_flash_v2_5', 'eleven_monolingual_v1', 'eleven_v3'];
/** CartesiaVoice.model */
export const CARTESIA_MODELS = ['sonic-3.5', 'sonic-3.5-2026-05-04', 'sonic-3', 'sonic-3-2026-01-12', 'sonic-3-2025-10-27', 'sonic-2', 'sonic-2-2025-06-11', 'sonic-english', 'sonic-multilingual', 'sonic-preview', 'sonic'];
/** CartesiaVoice.language */
export const CARTESIA_LANGUAGES = ['ar', 'bg', 'bn', 'cs', 'da', 'de', 'el', 'en', 'es', 'fi', 'fr', 'gu', 'he', 'hi', 'hr', 'hu', 'id', 'it', 'ja', 'ka', 'kn', 'ko', 'ml', 'mr', 'ms', 'nl', 'no', 'pa', 'pl', 'pt', 'ro', 'ru', 'sk', 'sv', 'ta', 'te', 'th', 'tl', 'tr', 'uk', 'vi', 'zh'];
/** OpenAIVoice.voiceId */
export const OPENAI_VOICES = ['alloy', 'echo', 'fable', 'onyx', 'nova', 'shimmer', 'marin', 'cedar'];
/** OpenAIVoice.model */
export const OPENAI_TTS_MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts'];
/** DeepgramVoice.voiceId */
export const DEEPGRAM_VOICES = ['asteria', 'luna', 'stella', 'athena', 'hera', 'orion', 'arcas', 'perseus', 'angus', 'orpheus', 'helios', 'zeus', 'thalia', 'andromeda', 'helena', 'apollo', 'aries', 'amalthea', 'atlas', 'aurora', 'callista', 'cora', 'cordelia', 'delia', 'draco', 'electra', 'harmonia', 'hermes', 'hyperion', 'iris', 'janus', 'juno', 'jupiter', 'mars', 'minerva', 'neptune', 'odysseus', 'ophelia', 'pandora', 'phoebe', 'pluto', 'saturn', 'selene', 'theia', 'vesta', 'celeste', 'estrella', 'nestor', 'sirio', 'carina', 'alvaro', 'diana', 'aquila', 'selena', 'javier', 'viktoria', 'kara', 'fabian', 'julius', 'lara', 'elara', 'aurelia'];
/** DeepgramVoice.model */
export const DEEPGRAM_TTS_MODELS = ['aura', 'aura-2'];

export const LOCAL_VOICES = [
  { value: 'slt', label: 'slt — US English female (flite)' },
  { value: 'rms', label: 'rms — US English male (flite)' },
  { value: 'awb', label: 'awb — Scottish English male (flite)' },
  { value: 'kal16', label: 'kal16 — US English male, diphone (flite)' },
  { value: 'espeak:en-us', label: 'espeak:en-us (espeak-ng)' },
  { value: 'espeak:de', label: 'espeak:de (espeak-ng)' },
  { value: 'espeak:fr', label: 'espeak:fr (espeak-ng)' },
];

const serverUrl = (what: string): SpeechField => ({
  key: 'server.url',
  label: 'Server URL',
  kind: 'url',
  required: true,
  main: true,
  wide: true,
  placeholder: `https://${what}.example.com/vapi`,
});

/** Transcribers this server runs, in the order the picker offers them. */
export const TRANSCRIBERS: Record<string, SpeechProvider> = {
  local: {
    fields: [
      { key: 'language', label: 'Language', kind: 'text', placeholder: 'en-US', hint: 'en or en-US', maxLength: 40 },
      { key: 'model', label: 'Model', kind: 'text', placeholder: 'en-us', maxLength: 200, main: true },
    ],
  },
  deepgram: {
    fields: [
      { key: 'model', label: 'Model', kind: 'text', suggestions: DEEPGRAM_STT_MODELS, placeholder: 'nova-2', main: true },
      { key: 'language', label: 'Language', kind: 'text', suggestions: DEEPGRAM_STT_LANGUAGES, strict: true, placeholder: 'en' },
      { key: 'endpointing', label: 'Endpointing (ms)', kind: 'number', min: 10, max: 500, placeholder: '300', hint: '10 to 500: silence before Deepgram finalizes' },
      { key: 'smartFormat', label: 'Smart format', kind: 'switch', defaultOn: false },
      { key: 'keyterm', label: 'Keyterms', kind: 'tags', wide: true, hint: 'Words and phrases to recognize better (Nova-3). Enter to add.' },
    ],
  },
  'assembly-ai': {
    fields: [
      { key: 'speechModel', label: 'Speech model', kind: 'text', suggestions: ASSEMBLY_AI_SPEECH_MODELS, strict: true, placeholder: 'universal-streaming-english', main: true },
      { key: 'language', label: 'Language', kind: 'text', suggestions: ASSEMBLY_AI_LANGUAGES, strict: true, placeholder: 'en' },
      { key: 'endOfTurnConfidenceThreshold', label: 'End of turn confidence', kind: 'number', min: 0, max: 1, placeholder: '0.7', hint: '0 to 1' },
      { key: 'formatTurns', label: 'Format turns', kind: 'switch', defaultOn: true },
      { key: 'keytermsPrompt', label: 'Keyterms', kind: 'tags', wide: true, maxItems: 100, maxLength: 50, hint: 'Up to 100, each up to 50 characters. Enter to add.' },
    ],
  },
  openai: {
    fields: [
      { key: 'model', label: 'Model', kind: 'text', suggestions: OPENAI_STT_MODELS, strict: true, required: true, main: true },
      { key: 'language', label: 'Language', kind: 'text', suggestions: OPENAI_STT_LANGUAGES, strict: true, placeholder: 'en' },
    ],
    defaults: { model: OPENAI_STT_MODELS[0] },
  },
  'custom-transcriber': { fields: [serverUrl('stt')] },
};

/** Voices this server runs, in the order the picker offers them. */
export const VOICES: Record<string, SpeechProvider> = {
  local: {
    fields: [
      { key: 'voiceId', label: 'Voice', kind: 'local-voice', main: true },
      { key: 'speed', label: 'Speed', kind: 'number', min: 0.5, max: 2, placeholder: '1', hint: '0.5 to 2' },
    ],
    defaults: { voiceId: 'slt' },
  },
  '11labs': {
    fields: [
      // Vapi's preset names (burt, marissa, ...) are Vapi's own aliases; Voxa sends the id as given.
      { key: 'voiceId', label: 'Voice ID', kind: 'text', required: true, main: true, placeholder: '21m00Tcm4TlvDq8ikWAM', hint: 'An ElevenLabs voice id' },
      { key: 'model', label: 'Model', kind: 'text', suggestions: ELEVENLABS_MODELS, strict: true, placeholder: 'eleven_turbo_v2' },
      { key: 'stability', label: 'Stability', kind: 'number', min: 0, max: 1, placeholder: '0.5', hint: '0 to 1' },
      { key: 'similarityBoost', label: 'Similarity boost', kind: 'number', min: 0, max: 1, placeholder: '0.75', hint: '0 to 1' },
      { key: 'style', label: 'Style', kind: 'number', min: 0, max: 1, placeholder: '0', hint: '0 to 1' },
      { key: 'speed', label: 'Speed', kind: 'number', min: 0.7, max: 1.2, placeholder: '1', hint: '0.7 to 1.2' },
      { key: 'useSpeakerBoost', label: 'Speaker boost', kind: 'switch', defaultOn: false },
    ],
  },
  cartesia: {
    fields: [
      { key: 'voiceId', label: 'Voice ID', kind: 'text', required: true, main: true, placeholder: 'a0e99841-438c-4a64-b679-ae501e7d6091' },
      { key: 'model', label: 'Model', kind: 'text', suggestions: CARTESIA_MODELS, strict: true, placeholder: 'sonic-2' },
      { key: 'language', label: 'Language', kind: 'text', suggestions: CARTESIA_LANGUAGES, strict: true, placeholder: 'en' },
    ],
  },
  openai: {
    fields: [
      { key: 'voiceId', label: 'Voice', kind: 'text', suggestions: OPENAI_VOICES, required: true, main: true, hint: 'A preset or a custom voice id' },
      { key: 'model', label: 'Model', kind: 'text', suggestions: OPENAI_TTS_MODELS, strict: true, placeholder: 'tts-1' },
      { key: 'speed', label: 'Speed', kind: 'number', min: 0.25, max: 4, placeholder: '1', hint: '0.25 to 4' },
      {
        key: 'instructions',
        label: 'Instructions',
        kind: 'textarea',
        maxLength: 10000,
        wide: true,
        hint: 'How to speak (gpt-4o-mini-tts only)',
        showIf: (c) => c.model === 'gpt-4o-mini-tts',
      },
    ],
    defaults: { voiceId: OPENAI_VOICES[0] },
  },
  deepgram: {
    fields: [
      { key: 'voiceId', label: 'Voice', kind: 'text', suggestions: DEEPGRAM_VOICES, strict: true, required: true, main: true },
      { key: 'model', label: 'Model', kind: 'text', suggestions: DEEPGRAM_TTS_MODELS, strict: true, placeholder: 'aura-2' },
    ],
    defaults: { voiceId: DEEPGRAM_VOICES[0] },
  },
  'custom-voice': {
    fields: [serverUrl('tts'), { key: 'voiceId', label: 'Voice ID', kind: 'text', maxLength: 200, hint: 'Sent to your server in assistant.voice' }],
  },
};

/** Vapi providers this server does not run: still selectable (a call with one is refused). */
const OTHER_TRANSCRIBERS = ['gladia', 'google', 'azure', 'speechmatics', '11labs', 'talkscriber', 'cartesia', 'soniox', 'xai'];
const OTHER_VOICES = ['azure', 'playht', 'rime-ai', 'lmnt', 'neuphonic', 'hume', 'smallest-ai', 'wellsaid', 'inworld', 'minimax', 'xai'];

/** A provider this server does not run: only the voice id (every Vapi voice has one); the rest in Raw JSON. */
const OTHER_VOICE: SpeechProvider = { fields: [{ key: 'voiceId', label: 'Voice ID', kind: 'text', main: true }] };
const OTHER_TRANSCRIBER: SpeechProvider = { fields: [] };

export type SpeechKind = 'transcriber' | 'voice';

export const NOT_ON_SERVER = '(not on this server)';

export function speechProvider(kind: SpeechKind, provider: string): SpeechProvider {
  return kind === 'voice' ? VOICES[provider] ?? OTHER_VOICE : TRANSCRIBERS[provider] ?? OTHER_TRANSCRIBER;
}

export function runsOnServer(kind: SpeechKind, provider: string): boolean {
  return provider in (kind === 'voice' ? VOICES : TRANSCRIBERS);
}

/** The provider picker: what the server runs first, then the rest of Vapi's, marked. */
export function providerOptions(kind: SpeechKind): Array<{ value: string; label: string }> {
  const on = Object.keys(kind === 'voice' ? VOICES : TRANSCRIBERS);
  const off = kind === 'voice' ? OTHER_VOICES : OTHER_TRANSCRIBERS;
  return [...on.map((p) => ({ value: p, label: p })), ...off.map((p) => ({ value: p, label: `${p} ${NOT_ON_SERVER}` }))];
}

/** Fields every provider shares: kept when the provider changes (the rest is dropped). */
const COMMON_KEYS: Record<SpeechKind, string[]> = {
  transcriber: ['fallbackPlan'],
  voice: ['fallbackPlan', 'chunkPlan'],
};

/**
 * The config after choosing `provider`: the shared fields stay, a field of the new provider
 * whose value the new provider accepts too (language, speed in range) is carried over, the
 * previous provider's own fields are dropped, and the new provider's defaults fill the gaps.
 */
export function switchProvider(kind: SpeechKind, old: Obj | undefined, provider: string, keepCommon = true): Obj {
  const prev = old ?? {};
  if (prev.provider === provider) return prev;
  const next: Obj = { provider };
  if (keepCommon) for (const k of COMMON_KEYS[kind]) if (prev[k] !== undefined) next[k] = prev[k];
  for (const f of speechProvider(kind, provider).fields) {
    if (f.key === 'voiceId' || f.key === 'model' || f.key.includes('.')) continue; // provider specific by nature
    const v = prev[f.key];
    if (v !== undefined && fieldIssue(f, v) === null) next[f.key] = v;
  }
  return { ...next, ...Object.fromEntries(Object.entries(speechProvider(kind, provider).defaults ?? {}).filter(([k]) => next[k] === undefined)) };
}

export function numberIssue(label: string, v: unknown, min?: number, max?: number, int = false): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'number' || Number.isNaN(v)) return `${label} must be a number`;
  if (int && !Number.isInteger(v)) return `${label} must be a whole number`;
  if (min !== undefined && v < min) return `${label} must not be less than ${min}`;
  if (max !== undefined && v > max) return `${label} must not be greater than ${max}`;
  return null;
}

/** What is wrong with one field's value (null: fine). Mirrors the server's checks of Vapi's schema. */
export function fieldIssue(f: SpeechField, v: unknown): string | null {
  const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
  if (empty) return f.required ? `${f.label} is required` : null;
  switch (f.kind) {
    case 'number':
      return numberIssue(f.label, v, f.min, f.max, f.int);
    case 'switch':
      return typeof v === 'boolean' ? null : `${f.label} must be on or off`;
    case 'tags': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return `${f.label} must be a list of words`;
      if (f.maxItems !== undefined && v.length > f.maxItems) return `At most ${f.maxItems} ${f.label.toLowerCase()}`;
      const long = f.maxLength === undefined ? undefined : v.find((x: string) => x.length > f.maxLength!);
      return long === undefined ? null : `"${long}" is longer than ${f.maxLength} characters`;
    }
    case 'url':
      return typeof v === 'string' && isHttpUrl(v.trim()) ? null : 'Must be a valid http(s) URL';
    default:
      if (typeof v !== 'string') return `${f.label} must be text`;
      if (f.maxLength !== undefined && v.length > f.maxLength) return `${f.label} must be at most ${f.maxLength} characters`;
      if (f.strict && f.suggestions && !f.suggestions.includes(v)) return `${f.label} must be one of the suggested values`;
      return null;
  }
}

/** Issues of a whole config, keyed by the field's path inside it (`server.url`). */
export function configIssues(kind: SpeechKind, config: Obj): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of speechProvider(kind, String(config.provider ?? '')).fields) {
    let v: unknown = config;
    for (const k of f.key.split('.')) v = v && typeof v === 'object' ? (v as Obj)[k] : undefined;
    const issue = fieldIssue(f, v);
    if (issue) out.push([f.key, issue]);
  }
  return out;
}

/** Where a config keeps its fallbacks (Vapi: FallbackTranscriberPlan.transcribers, FallbackPlan.voices). */
export const FALLBACK_LIST: Record<SpeechKind, string> = { transcriber: 'transcribers', voice: 'voices' };
