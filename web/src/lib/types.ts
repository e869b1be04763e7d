export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface SessionUser {
  id: string;
  email: string;
  name?: string;
  createdAt?: string;
}

export interface Session {
  user: SessionUser;
  org: { id: string; name: string };
  role: Role;
  orgs: Array<{ id: string; name: string; role: Role }>;
}

export interface Assistant {
  id: string;
  orgId?: string;
  name?: string;
  createdAt?: string;
  updatedAt?: string;
  firstMessage?: string;
  model?: Record<string, unknown>;
  voice?: Record<string, unknown>;
  transcriber?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Resource {
  id: string;
  name?: string;
  type?: string;
  provider?: string;
  createdAt?: string;
  updatedAt?: string;
  [key: string]: unknown;
}

export interface CallMessage {
  role: string;
  message?: string;
  time?: number;
  endTime?: number;
  secondsFromStart?: number;
  duration?: number;
  toolCalls?: unknown[];
  name?: string;
  result?: unknown;
  error?: string;
  [key: string]: unknown;
}

export interface TurnLatency {
  modelLatency?: number;
  voiceLatency?: number;
  transcriberLatency?: number;
  endpointingLatency?: number;
  turnLatency?: number;
}

export interface Call {
  id: string;
  orgId?: string;
  type?: string;
  status?: string;
  assistantId?: string;
  squadId?: string;
  phoneNumberId?: string;
  createdAt: string;
  updatedAt?: string;
  startedAt?: string;
  endedAt?: string;
  endedReason?: string;
  cost?: number;
  costBreakdown?: Record<string, unknown>;
  costs?: Array<Record<string, unknown>>;
  messages?: CallMessage[];
  transcript?: string;
  analysis?: { summary?: string; successEvaluation?: unknown; structuredData?: unknown; [k: string]: unknown };
  artifact?: {
    transcript?: string;
    messages?: CallMessage[];
    recordingUrl?: string;
    stereoRecordingUrl?: string;
    performanceMetrics?: {
      turnLatencies?: TurnLatency[];
      turnLatencyAverage?: number;
      modelLatencyAverage?: number;
      voiceLatencyAverage?: number;
      transcriberLatencyAverage?: number;
      endpointingLatencyAverage?: number;
      [k: string]: unknown;
    };
    [k: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ApiKey {
  id: string;
  tag: 'private' | 'public';
  name?: string;
  prefix?: string;
  createdAt?: string;
  value?: string;
}

export interface Member {
  userId: string;
  email: string;
  name?: string;
  role: Role;
  createdAt?: string;
}

export interface Invitation {
  id: string;
  orgId?: string;
  email: string;
  role: Role;
  createdAt?: string;
  expiresAt?: string;
  token?: string;
  url?: string;
}

/** What GET /auth/invitation tells about an invitation link (no session needed). */
export interface InvitationInfo {
  orgName: string;
  email: string;
  role: string;
  expiresAt?: string;
}

export interface Org {
  id: string;
  name?: string;
  serverUrl?: string;
  serverUrlSecret?: string;
  server?: { url?: string; secret?: string; [k: string]: unknown };
  [key: string]: unknown;
}

export interface Credential {
  id: string;
  provider: string;
  name?: string;
  createdAt?: string;
  [key: string]: unknown;
}
