// Assistant templates: complete CreateAssistantDTOs that run on the embedded "local" engines
// (pocketsphinx, flite, the scripted model of docs/providers.md).

export interface AssistantTemplate {
  id: string;
  title: string;
  description: string;
  body: Record<string, unknown>;
}

const local = {
  transcriber: { provider: 'local', language: 'en-US' },
  voice: { provider: 'local', voiceId: 'slt', speed: 1 },
};

/** The local model with only a system prompt. */
const localModel = (prompt: string) => ({ provider: 'local', messages: [{ role: 'system', content: prompt }] });

const goodbye = { match: ['bye', 'goodbye', 'that is all', "that's all", 'nothing else'], reply: 'Thanks for calling. Goodbye!' };

interface ScriptedTemplate {
  id: string;
  /** also the assistant's name */
  title: string;
  description: string;
  firstMessage: string;
  endCallMessage: string;
  endCallPhrases: string[];
  prompt: string;
  /** the scripted model's rules, tried in order; the goodbye rule is added last */
  rules: Record<string, unknown>[];
  fallback: string;
  greeting: string;
  maxDurationSeconds: number;
  /** the properties of the structured data the analysis extracts */
  data: Record<string, unknown>;
}

/** A template on the local engines whose scripted model answers by rules, with an analysis plan. */
function scripted(t: ScriptedTemplate): AssistantTemplate {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    body: {
      name: t.title,
      firstMessage: t.firstMessage,
      firstMessageMode: 'assistant-speaks-first',
      endCallMessage: t.endCallMessage,
      endCallPhrases: t.endCallPhrases,
      ...local,
      model: {
        ...localModel(t.prompt),
        rules: [...t.rules, goodbye],
        fallback: t.fallback,
        emptyReply: "Sorry, I didn't catch that. Could you say it again?",
        greeting: t.greeting,
      },
      silenceTimeoutSeconds: 30,
      maxDurationSeconds: t.maxDurationSeconds,
      analysisPlan: {
        minMessagesThreshold: 2,
        summaryPlan: { enabled: true },
        successEvaluationPlan: { enabled: true, rubric: 'PassFail' },
        structuredDataPlan: { enabled: true, schema: { type: 'object', properties: t.data } },
      },
    },
  };
}

export const TEMPLATES: AssistantTemplate[] = [
  scripted({
    id: 'appointment-booking',
    title: 'Appointment booking',
    description: 'Books, moves and cancels appointments; confirms the day and time.',
    firstMessage: 'Hello! Thanks for calling Bright Smile Dental. I can help you book an appointment. What can I do for you?',
    endCallMessage: 'Thanks for calling. Goodbye!',
    endCallPhrases: ['goodbye', 'have a great day'],
    prompt:
      'You are the receptionist of Bright Smile Dental. Help callers book, reschedule or cancel appointments. ' +
      'Office hours are Monday to Friday, 9 am to 5 pm. Ask for the preferred day, then the time, then confirm ' +
      'both back to the caller. Keep answers short and friendly, one question at a time. Never give medical advice.',
    rules: [
      { match: ['hello', 'hi', 'hey'], reply: 'Hello! Would you like to book an appointment?' },
      { all: ['cancel', 'appointment'], reply: 'No problem, I have cancelled your appointment. Is there anything else?' },
      { match: ['reschedule', 'move', 'change'], reply: 'Sure, let us find a new time. What day works best?' },
      // the local recognizer often hears "appointment" as "apartment"
      { match: ['book', 'appointment', 'apartment', 'schedule', 'cleaning', 'checkup'], reply: 'I can book that for you. What day works best?' },
      { match: ['saturday', 'sunday', 'weekend'], reply: 'Sorry, we are closed on weekends. Would a weekday work?' },
      {
        regex: '\\b(monday|tuesday|wednesday|thursday|friday|tomorrow|today)\\b',
        reply: 'Great, {{1}} it is. Would you prefer the morning or the afternoon?',
      },
      { match: ['morning'], reply: 'You are booked for 10 am. We will see you then. Anything else?' },
      { match: ['afternoon'], reply: 'You are booked for 2 pm. We will see you then. Anything else?' },
      { match: ['hours', 'open'], reply: 'We are open Monday to Friday, 9 am to 5 pm.' },
      { match: ['no', 'thanks', 'thank you'], reply: 'You are welcome. Have a great day, goodbye!' },
    ],
    fallback: 'I can book, move or cancel an appointment. Which day would you like?',
    greeting: 'Hello! Would you like to book an appointment?',
    maxDurationSeconds: 600,
    data: {
      day: { type: 'string', description: 'The day the caller booked' },
      timeOfDay: { type: 'string', enum: ['morning', 'afternoon'] },
      cancelled: { type: 'boolean' },
    },
  }),
  scripted({
    id: 'customer-support',
    title: 'Customer support',
    description: 'Answers order, shipping, refund and password questions; hands off to a human.',
    firstMessage: 'Hi, you have reached Acme support. How can I help you today?',
    endCallMessage: 'Thanks for contacting Acme support. Goodbye!',
    endCallPhrases: ['goodbye'],
    prompt:
      'You are a patient customer support agent for Acme, an online store. Help with order status, shipping, ' +
      'returns and refunds, and account access. Ask for the order number when it is needed. If you cannot solve ' +
      'the problem, offer to open a ticket for a human agent. Be concise and empathetic.',
    rules: [
      { match: ['hello', 'hi', 'hey'], reply: 'Hello! Are you calling about an order, a refund, or your account?' },
      { regex: 'order (?:number )?(\\d+)', reply: 'Thanks. Order {{1}} has shipped and should arrive in two to three days.' },
      { match: ['order', 'package', 'delivery', 'shipping', 'tracking'], reply: 'I can check that. What is your order number?' },
      { match: ['refund', 'return', 'money back'], reply: 'You can return any item within 30 days for a full refund. Shall I email you a return label?' },
      { match: ['password', 'log in', 'login', 'account', 'locked'], reply: 'I have sent a password reset link to the email on your account.' },
      { match: ['human', 'agent', 'person', 'representative'], reply: 'I have opened a ticket. A human agent will call you back within one business day.' },
      { match: ['yes', 'please'], reply: 'Done. Is there anything else I can help with?' },
      { match: ['no', 'thanks', 'thank you'], reply: 'Happy to help. Goodbye!' },
    ],
    fallback: 'I can help with orders, refunds and account access. Which one is it?',
    greeting: 'Hello! Are you calling about an order, a refund, or your account?',
    maxDurationSeconds: 900,
    data: {
      topic: { type: 'string', enum: ['order', 'refund', 'account', 'other'] },
      orderNumber: { type: 'string' },
      escalated: { type: 'boolean' },
    },
  }),
  scripted({
    id: 'lead-qualification',
    title: 'Lead qualification',
    description: 'Qualifies inbound leads: team size, budget, timeline; books a demo.',
    firstMessage: 'Hi, this is Ava from Voxa. Thanks for your interest! Do you have a minute to tell me about your team?',
    endCallMessage: 'Thanks for your time. Goodbye!',
    endCallPhrases: ['goodbye'],
    prompt:
      'You are Ava, a friendly sales development representative for Voxa. Qualify the lead with three questions: ' +
      'how large is their team, what budget they have in mind, and when they want to start. If they have a team of ' +
      'five or more and want to start within three months, offer to book a demo with an account executive. ' +
      'Never be pushy; if they are not interested, thank them and end the call.',
    rules: [
      { match: ['hello', 'hi', 'hey'], reply: 'Hello! How many people are on your team?' },
      { match: ['not interested', 'no time', 'busy', 'stop calling'], reply: 'No problem at all. Thanks for your time. Goodbye!' },
      { regex: '(\\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred) (?:people|persons|agents|employees|users)', reply: 'Got it, {{1}} people. What budget do you have in mind per month?' },
      { match: ['team', 'people', 'employees', 'agents'], reply: 'Thanks. Roughly how many people would use it?' },
      { match: ['budget', 'dollars', 'thousand', 'hundred', 'price', 'cost'], reply: 'Thanks. When would you like to get started?' },
      { match: ['week', 'month', 'soon', 'quarter', 'now', 'asap', 'immediately'], reply: 'Great timing. Would you like to book a demo with our team?' },
      { match: ['yes', 'sure', 'demo', 'okay'], reply: 'Wonderful. I have booked a demo and will email you the invite. Anything else?' },
      { match: ['no', 'thanks', 'thank you'], reply: 'Thanks for your time. Goodbye!' },
    ],
    fallback: 'Thanks. To make sure we are a fit: how many people are on your team?',
    greeting: 'Hello! How many people are on your team?',
    maxDurationSeconds: 600,
    data: {
      teamSize: { type: 'string' },
      budget: { type: 'string' },
      timeline: { type: 'string' },
      demoBooked: { type: 'boolean' },
    },
  }),
  {
    id: 'blank',
    title: 'Blank assistant',
    description: 'No template: a greeting, a goodbye rule and your own prompt. Pick any model, voice and transcriber after.',
    body: {
      name: 'New assistant',
      firstMessage: 'Hello! How can I help you today?',
      ...local,
      model: localModel('You are a helpful voice assistant. Keep answers short.'),
    },
  },
];
