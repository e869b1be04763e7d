// Vapi's endedReason values in words, with what to do about the failures.
//
//   describeEndedReason('pipeline-error-openai-401-incorrect-api-key')
//   // { text: 'The model provider (openai) refused the API key.', action: 'Check the openai key in Settings → Provider keys.', error: true }

export interface EndedReasonText {
  text: string;
  action?: string;
  error: boolean;
}

const ROLE_WORDS: Record<string, string> = {
  llm: 'model provider',
  transcriber: 'transcriber',
  voice: 'voice provider',
};

// Provider segments that are two words in Vapi's values.
const PROVIDERS = [
  'assembly-ai', 'eleven-labs', 'azure-openai', 'azure-speech', 'anthropic-bedrock', 'anthropic-vertex', 'custom-llm',
  'custom-transcriber', 'custom-voice', 'deep-seek', 'inflection-ai', 'perplexity-ai', 'rime-ai', 'smallest-ai',
  'together-ai',
];

function providerOf(rest: string): { provider: string; tail: string } {
  for (const p of PROVIDERS) if (rest === p || rest.startsWith(p + '-')) return { provider: p, tail: rest.slice(p.length + 1) };
  const dash = rest.indexOf('-');
  return dash < 0 ? { provider: rest, tail: '' } : { provider: rest.slice(0, dash), tail: rest.slice(dash + 1) };
}

function roleOf(provider: string, tail: string): string {
  if (/transcriber/.test(tail) || ['deepgram', 'assembly-ai', 'gladia', 'speechmatics', 'talkscriber', 'soniox', 'custom-transcriber'].includes(provider))
    return 'transcriber';
  if (/voice/.test(tail) || ['eleven-labs', '11labs', 'cartesia', 'playht', 'lmnt', 'rime-ai', 'neuphonic', 'hume', 'custom-voice', 'azure-speech'].includes(provider))
    return 'voice';
  return 'llm';
}

const KEYS_HINT = (provider: string) => `Check the ${provider} key in Settings → Provider keys (or the assistant's credentials).`;

export function describeEndedReason(reason?: string | null): EndedReasonText | null {
  if (!reason) return null;
  switch (reason) {
    case 'customer-ended-call':
      return { text: 'The caller hung up.', error: false };
    case 'assistant-ended-call':
    case 'assistant-said-end-call-phrase':
    case 'assistant-ended-call-after-message-spoken':
    case 'assistant-ended-call-with-hangup-task':
      return { text: 'The assistant ended the call.', error: false };
    case 'assistant-forwarded-call':
      return { text: 'The assistant transferred the call.', error: false };
    case 'silence-timed-out':
      return { text: 'Nobody spoke for too long, so the call ended.', action: "Raise silenceTimeoutSeconds in the assistant's settings if callers need longer.", error: false };
    case 'exceeded-max-duration':
      return { text: 'The call reached its maximum length.', action: "Raise maxDurationSeconds in the assistant's settings.", error: false };
    case 'customer-did-not-give-microphone-permission':
      return { text: 'The browser was not allowed to use the microphone.', action: "Allow the microphone for this site in the browser's address bar, then call again.", error: true };
    case 'worker-shutdown':
      return { text: 'The server shut down during the call.', error: true };
    case 'customer-did-not-answer':
    case 'customer-busy':
      return { text: reason === 'customer-busy' ? 'The number was busy.' : 'Nobody answered.', error: false };
  }
  if (reason.startsWith('pipeline-error-')) {
    const { provider, tail } = providerOf(reason.slice('pipeline-error-'.length));
    const role = roleOf(provider, tail);
    const who = provider === 'vapi' ? `The ${ROLE_WORDS[role]}` : `The ${ROLE_WORDS[role]} (${provider})`;
    if (/not-found|404|no-such-model|model-access/.test(tail))
      return { text: `${who} does not know the model or voice that was asked for.`, action: "Check the model, voice or language in the assistant's settings.", error: true };
    if (/401|403|invalid-api-key|incorrect-api-key|invalid-credentials|unauthorized|account-not-in-organization/.test(tail))
      return { text: `${who} refused the API key.`, action: KEYS_HINT(provider), error: true };
    if (/api-key-missing|key-missing/.test(tail))
      return { text: `${who} has no API key.`, action: `Add a ${provider} key in Settings → Provider keys.`, error: true };
    if (/429|quota|rate-limit|insufficent|insufficient|payment/.test(tail))
      return { text: `${who} refused the request: rate limit or quota.`, action: `Check the ${provider} account's plan and limits.`, error: true };
    if (/network|econnreset|socket|could-not-connect|502|503|500|server/.test(tail) || /failed$/.test(tail))
      return {
        text: `${who} could not be reached or failed.`,
        action: `Check that the server can reach ${provider === 'vapi' ? 'the provider' : provider} (its URL, the egress policy) and the key in Settings, then call again.`,
        error: true,
      };
    return { text: `${who} failed.`, action: KEYS_HINT(provider), error: true };
  }
  if (/error|failed|fault/i.test(reason)) return { text: `The call failed (${reason}).`, action: "The call's logs below say more.", error: true };
  return { text: reason.replace(/-/g, ' ') + '.', error: false };
}
