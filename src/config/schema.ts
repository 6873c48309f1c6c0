/**
 * The configuration schema: the YAML file's keys, spelled as the seed spec spells them
 * (snake_case), validated with zod so that every problem names its key path.
 * Durations and sizes accept human units (see units.ts).
 */
import * as z from 'zod';
import { parseDuration, parseSize } from './units.ts';

const duration = z.union([z.number(), z.string()]).transform((value, context) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    context.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (use e.g. "500ms", "30s", "5m", "1h")` });
    return z.NEVER;
  }
  return ms;
});

const size = z.union([z.number(), z.string()]).transform((value, context) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    context.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(value)} (use e.g. 1048576, "512kb", "32mb")` });
    return z.NEVER;
  }
  return bytes;
});

const positiveInt = z.number().int().positive();

const modelObject = z.strictObject({
  name: z.string().min(1),
  enabled: z.boolean().optional(),
  max_tokens: positiveInt.optional(),
  max_output_tokens: positiveInt.optional(),
  supports_functions: z.boolean().optional(),
  supports_streaming: z.boolean().optional(),
  supports_vision: z.boolean().optional(),
  display_name: z.string().optional(),
});

const modelEntry = z.union([z.string().min(1).transform((name): z.output<typeof modelObject> => ({ name })), modelObject]);

const features = z.strictObject({
  streaming: z.boolean().optional(),
  functions: z.boolean().optional(),
  vision: z.boolean().optional(),
  code_generation: z.boolean().optional(),
  multimodal: z.boolean().optional(),
});

const limits = z.strictObject({
  requests_per_minute: positiveInt.optional(),
  tokens_per_minute: positiveInt.optional(),
  requests_per_day: positiveInt.optional(),
  tokens_per_day: positiveInt.optional(),
  max_tokens_per_request: positiveInt.optional(),
});

const cooldown = z.strictObject({
  enabled: z.boolean().optional(),
  default_duration: duration.optional(),
  rate_limit_duration: duration.optional(),
  error_duration: duration.optional(),
  not_found_duration: duration.optional(),
});

const credential = z.union([
  z.string(),
  z.strictObject({ key: z.string(), name: z.string().optional(), weight: z.number().positive().optional(), limits: limits.optional() }),
]);

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item)]).transform((value) => (Array.isArray(value) ? value : [value]) as Array<z.output<T>>);

export const AUTH_TYPES = ['api_key', 'oauth_device_flow', 'none'] as const;

const provider = z.strictObject({
  type: z.string().min(1).optional(),
  enabled: z.boolean().optional(),
  auth_type: z.enum(AUTH_TYPES).optional(),
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  api_keys: oneOrMany(credential).optional(),
  models: z.array(modelEntry).optional(),
  model_mappings: z.record(z.string(), z.string().min(1)).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  features: features.optional(),
  limits: limits.optional(),
  cooldown: cooldown.optional(),
  priority: z.number().int().optional(),
  weight: z.number().positive().optional(),
  module: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

const clientKey = z.union([
  z.string().min(1),
  z.strictObject({ key: z.string().min(1), name: z.string().optional(), limits: limits.optional() }),
]);

export const STRATEGIES = ['priority', 'round_robin', 'capability', 'fill_first', 'weighted', 'least_latency', 'least_busy'] as const;

const routing = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  model_strategies: z.record(z.string(), z.enum(STRATEGIES)).optional(),
  max_attempts: positiveInt.optional(),
  fallbacks: z.record(z.string(), z.array(z.string().min(1))).optional(),
  context_window_fallbacks: z.record(z.string(), z.array(z.string().min(1))).optional(),
  backoff: z.strictObject({ base: duration.optional(), max: duration.optional() }).optional(),
  max_cooldown: duration.optional(),
  probe_interval: duration.optional(),
  on_limit: z.enum(['reject', 'wait']).optional(),
  max_wait: duration.optional(),
  keepalive_interval: duration.optional(),
  timeouts: z
    .strictObject({ connect: duration.optional(), first_byte: duration.optional(), idle: duration.optional() })
    .optional(),
});

const imageFetch = z.strictObject({
  enabled: z.boolean().optional(),
  max_bytes: size.optional(),
  timeout: duration.optional(),
  allow_hosts: z.array(z.string().min(1)).optional(),
});

const state = z.strictObject({
  driver: z.enum(['local', 'memory', 'redis']).optional(),
  redis_url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  key_prefix: z.string().optional(),
});

const usage = z.strictObject({
  enabled: z.boolean().optional(),
  retention: duration.optional(),
});

const url = z.string().regex(/^https?:\/\//, 'must be an http(s) URL');

/** Where the OAuth flows go; every one a real default, configurable for tests and mirrors. */
const oauth = z.strictObject({
  refresh_lead: duration.optional(),
  github_client_id: z.string().min(1).optional(),
  github_device_code_url: url.optional(),
  github_access_token_url: url.optional(),
  github_user_url: url.optional(),
  copilot_token_url: url.optional(),
  copilot_user_url: url.optional(),
  aws_oidc_url: url.optional(),
  kiro_social_refresh_url: url.optional(),
  kiro_usage_url: url.optional(),
  kiro_region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region').optional(),
  kiro_start_url: url.optional(),
});

export const configSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  api_keys: oneOrMany(clientKey).optional(),
  management_key: z.string().min(1).optional(),
  allow_unauthenticated: z.boolean().optional(),
  data_dir: z.string().min(1).optional(),
  log_level: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
  max_body_size: size.optional(),
  routing: routing.optional(),
  image_fetch: imageFetch.optional(),
  state: state.optional(),
  oauth: oauth.optional(),
  usage: usage.optional(),
  metrics: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'provider names are letters, digits, - and _'), provider.nullable()).optional(),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawProviderConfig = z.output<typeof provider>;
export type RawModelEntry = z.output<typeof modelObject>;
export type RawCredential = z.output<typeof credential>;
export type Features = z.output<typeof features>;
export type Limits = z.output<typeof limits>;
export type CooldownSettings = z.output<typeof cooldown>;
export type Strategy = (typeof STRATEGIES)[number];
export type OAuthSettings = z.output<typeof oauth>;
