/** The management API's answers, as far as the dashboard reads them (see the README's API reference). */

export interface Capabilities {
  streaming: boolean;
  functions: boolean;
  vision: boolean;
  code_generation: boolean;
  multimodal: boolean;
  max_tokens: number;
}

export interface ProviderSummary {
  name: string;
  display_name: string;
  type: string;
  protocol: string;
  source: string;
  enabled: boolean;
  state: string;
  auth_type: string;
  requires_auth: boolean;
  endpoint: string | null;
  priority: number;
  credentials: Array<{ id: string; masked: string }>;
  models: number;
  capabilities: Capabilities;
  note?: string;
}

export interface Cooldown {
  key: string;
  provider: string;
  credential: string;
  model: string;
  reason: string;
  status: number | null;
  message: string;
  strikes: number;
  since: string;
  until: string;
  remaining_seconds: number;
}

export interface ProviderStatus {
  provider: string;
  enabled: boolean;
  state: string;
  requests: number;
  successes: number;
  failures: number;
  success_rate: number | null;
  in_flight: number;
  latency_ms: { p50: number | null; p95: number | null };
  tokens: { input: number; output: number };
  last_error: { at: string; status: number; code: string; message: string } | null;
  cooldowns: Cooldown[];
}

export interface Quota {
  limit: number | null;
  used: number | null;
  remaining: number | null;
  reset_at?: string;
  unlimited?: boolean;
}

export interface OAuthCredential {
  provider: string;
  id: string;
  label: string;
  status: string;
  status_reason: string | null;
  expires_at: string | null;
  quota: Quota | null;
  exhausted: boolean;
  updated_at: string;
}

export interface AddedKey {
  id: string;
  masked: string;
  weight: number;
  created_at: string | number;
}

export interface LoginTicket {
  login_id: string;
  provider: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_at: string;
  interval: number;
}

export type LoginStatus =
  | ({ status: 'pending' } & LoginTicket)
  | { status: 'success'; login_id: string; provider: string; credential_id: string; label: string }
  | { status: 'failed'; login_id: string; provider: string; reason: string; error: string };

export interface CatalogueModel {
  id: string;
  enabled: boolean;
  capabilities: Capabilities;
  max_output_tokens: number | null;
}

export interface ProviderModels {
  provider: string;
  data: CatalogueModel[];
  aliases: Array<{ alias: string; upstream_model: string }>;
}

export interface ModelServing {
  id: string;
  providers: Array<{ provider: string; upstream_model: string; capabilities: Capabilities | null }>;
}

// The server's own record type: the API sends it as it is stored.
export type { UsageRecord } from '../../src/state/types.ts';

export interface UsageAggregate {
  key: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  latencyMs: number;
}

export interface List<T> {
  object: 'list';
  data: T[];
}
