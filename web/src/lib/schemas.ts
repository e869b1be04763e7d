import { z } from 'zod';
import { CREDENTIAL_EXTRAS } from './providers';
import { configIssues, FALLBACK_LIST, type SpeechKind } from './speech-providers';
import { AZURE_OPENAI_MODELS, AZURE_OPENAI_REGIONS, modelIssues } from './model-providers';
import { isHttpUrl } from './utils';

export { isHttpUrl };

// The dashboard's Content-Security-Policy forbids eval: no JIT-compiled parsers (and no probe
// for eval, which the browser would report as a CSP violation). Set before any schema is built.
z.config({ jitless: true });

/** Maps a Zod error to { 'dotted.path': 'first message' }. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || '_';
    if (!out[key]) out[key] = issue.message;
  }
  return out;
}

export const emailSchema = z.string().trim().min(1, 'Email is required').email('Enter a valid email address');

/** docs/dashboard.md: 10 to 128 characters, not the email, at least one letter and one digit or symbol. */
export function passwordIssues(password: string, email?: string): string | null {
  if (password.length < 10) return 'Password must be at least 10 characters';
  if (password.length > 128) return 'Password must be at most 128 characters';
  if (!/\p{L}/u.test(password)) return 'Password must contain at least one letter';
  if (!/[^\p{L}\s]/u.test(password)) return 'Password must contain at least one digit or symbol';
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase()) return 'Password must not be your email';
  return null;
}

export const loginSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Password is required'),
});

export const registerSchema = z
  .object({
    email: emailSchema,
    password: z.string(),
    name: z.string().trim().max(100, 'Name must be at most 100 characters').optional(),
    orgName: z.string().trim().max(100, 'Organization name must be at most 100 characters').optional(),
  })
  .superRefine((v, ctx) => {
    const p = passwordIssues(v.password, v.email);
    if (p) ctx.addIssue({ code: 'custom', path: ['password'], message: p });
  });

export const resetSchema = z
  .object({ password: z.string(), confirm: z.string() })
  .superRefine((v, ctx) => {
    const p = passwordIssues(v.password);
    if (p) ctx.addIssue({ code: 'custom', path: ['password'], message: p });
    else if (v.password !== v.confirm) ctx.addIssue({ code: 'custom', path: ['confirm'], message: 'Passwords do not match' });
  });

const optionalUrl = z
  .string()
  .trim()
  .refine((s) => s === '' || isHttpUrl(s), 'Must be a valid http(s) URL')
  .optional();

export const urlSchema = optionalUrl;

const num = (label: string, min: number, max: number, int = false) =>
  z.any().superRefine((v, ctx) => {
    if (v === undefined || v === null || v === '') return;
    const n = typeof v === 'number' ? v : Number(v);
    if (typeof v !== 'number' || Number.isNaN(n)) {
      ctx.addIssue({ code: 'custom', message: `${label} must be a number` });
      return;
    }
    if (int && !Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `${label} must be a whole number` });
    if (n < min) ctx.addIssue({ code: 'custom', message: `${label} must not be less than ${min}` });
    if (n > max) ctx.addIssue({ code: 'custom', message: `${label} must not be greater than ${max}` });
  }).optional();

/**
 * A transcriber or voice: its provider's fields (speech-providers.ts, Vapi's names and limits),
 * then each fallbackPlan entry's the same way. Other fields pass through to the server.
 */
const speechConfig = (kind: SpeechKind) =>
  z
    .object({ provider: z.string().min(1, 'Provider is required') })
    .passthrough()
    .superRefine((config, ctx) => {
      for (const [key, message] of configIssues(kind, config)) ctx.addIssue({ code: 'custom', path: key.split('.'), message });
      const list = (config.fallbackPlan as Record<string, unknown> | undefined)?.[FALLBACK_LIST[kind]];
      if (!Array.isArray(list)) return;
      list.forEach((entry, i) => {
        const at = ['fallbackPlan', FALLBACK_LIST[kind], i];
        if (!entry || typeof entry !== 'object' || !(entry as { provider?: unknown }).provider) {
          ctx.addIssue({ code: 'custom', path: [...at, 'provider'], message: 'Choose a provider' });
          return;
        }
        for (const [key, message] of configIssues(kind, entry)) ctx.addIssue({ code: 'custom', path: [...at, ...key.split('.')], message });
      });
    })
    .optional();

export const FIRST_MESSAGE_MODES = [
  'assistant-speaks-first',
  'assistant-speaks-first-with-model-generated-message',
  'assistant-waits-for-user',
] as const;

/**
 * The assistant editor's validation, mirroring the API's (Vapi's CreateAssistantDTO). Unknown
 * keys pass through untouched: the server validates everything else.
 */
export const assistantSchema = z
  .object({
    name: z.string().max(40, 'Name must be at most 40 characters').optional(),
    firstMessage: z.string().max(1000, 'First message must be at most 1000 characters').optional(),
    firstMessageMode: z.enum(FIRST_MESSAGE_MODES, { message: 'Choose a first message mode' }).optional(),
    endCallMessage: z.string().max(1000, 'End call message must be at most 1000 characters').optional(),
    endCallPhrases: z.array(z.string().min(2, 'Each phrase needs at least 2 characters').max(140)).optional(),
    silenceTimeoutSeconds: num('Silence timeout', 10, 3600),
    maxDurationSeconds: num('Max duration', 10, 43200),
    model: z
      .object({
        provider: z.string().min(1, 'Provider is required'),
        model: z.string().optional(),
        temperature: num('Temperature', 0, 2),
        maxTokens: num('Max tokens', 50, 10000, true),
        url: optionalUrl,
        toolIds: z.array(z.string()).optional(),
      })
      .passthrough()
      // The provider's own fields (model-providers.ts): its models, custom-llm's url, thinking, fallbackModels.
      .superRefine((config, ctx) => {
        for (const [key, message] of modelIssues(config)) ctx.addIssue({ code: 'custom', path: key.split('.'), message });
      })
      .optional(),
    voice: speechConfig('voice'),
    transcriber: speechConfig('transcriber'),
    startSpeakingPlan: z
      .object({ waitSeconds: num('Wait seconds', 0, 5) })
      .passthrough()
      .optional(),
    stopSpeakingPlan: z
      .object({
        numWords: num('Number of words', 0, 10, true),
        voiceSeconds: num('Voice seconds', 0, 0.5),
        backoffSeconds: num('Backoff seconds', 0, 10),
      })
      .passthrough()
      .optional(),
    server: z
      .object({ url: optionalUrl, timeoutSeconds: num('Timeout', 1, 300) })
      .passthrough()
      .optional(),
    serverUrl: optionalUrl,
  })
  .passthrough();

export const orgSettingsSchema = z.object({
  name: z.string().trim().min(1, 'Name is required').max(40, 'Name must be at most 40 characters'),
  serverUrl: optionalUrl,
  serverSecret: z.string().max(1000).optional(),
});

export const keySchema = z.object({
  tag: z.enum(['private', 'public']),
  name: z.string().trim().min(1, 'Name is required').max(40, 'Name must be at most 40 characters'),
});

export const inviteSchema = z.object({
  email: emailSchema,
  role: z.enum(['owner', 'admin', 'member', 'viewer']),
});

/** Vapi's Create*CredentialDTO for the chosen provider: apiUrl only where Vapi has one (CREDENTIAL_EXTRAS). */
export const credentialSchema = z
  .object({
    provider: z.string().min(1, 'Choose a provider'),
    apiKey: z.string().trim().min(1, 'API key is required').max(10000, 'API key must be at most 10000 characters'),
    name: z.string().trim().max(40, 'Name must be at most 40 characters').optional(),
    apiUrl: z.string().trim().optional(),
    userId: z.string().trim().optional(),
    // CreateAzureOpenAICredentialDTO (the key itself is apiKey here, openAIKey on the wire)
    openAIEndpoint: z.string().trim().max(10000, 'Endpoint must be at most 10000 characters').optional(),
    region: z.string().optional(),
    models: z.array(z.string()).optional(),
    ocpApimSubscriptionKey: z.string().trim().max(10000).optional(),
  })
  .superRefine((c, ctx) => {
    const extra = CREDENTIAL_EXTRAS[c.provider] ?? {};
    if (extra.azureOpenAI) {
      if (!c.openAIEndpoint) ctx.addIssue({ code: 'custom', path: ['openAIEndpoint'], message: 'Endpoint is required' });
      else if (!isHttpUrl(c.openAIEndpoint)) ctx.addIssue({ code: 'custom', path: ['openAIEndpoint'], message: 'Must be a valid http(s) URL' });
      if (!c.region || !AZURE_OPENAI_REGIONS.includes(c.region)) ctx.addIssue({ code: 'custom', path: ['region'], message: 'Choose a region' });
      if (!c.models?.length) ctx.addIssue({ code: 'custom', path: ['models'], message: 'Choose the models deployed there' });
      else if (c.models.some((m) => !AZURE_OPENAI_MODELS.includes(m))) ctx.addIssue({ code: 'custom', path: ['models'], message: 'Unknown model' });
    }
    if (c.apiUrl) {
      const allowed = extra.apiUrl;
      const message = !allowed
        ? `A ${c.provider} credential has no API URL`
        : allowed === 'url'
          ? isHttpUrl(c.apiUrl) ? null : 'Must be a valid http(s) URL'
          : allowed.includes(c.apiUrl) ? null : `Must be one of ${allowed.join(', ')}`;
      if (message) ctx.addIssue({ code: 'custom', path: ['apiUrl'], message });
    }
    if (extra.userId && !c.userId) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'User ID is required' });
  });

export const resourceNameSchema = z.string().max(40, 'Name must be at most 40 characters');
