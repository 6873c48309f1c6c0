/**
 * The `redis` state driver: everything in Redis, changed only by single commands, MULTI
 * blocks or Lua scripts, so that any number of gateway instances sharing one Redis behave
 * as one gateway (DESIGN.md, "State").
 *
 * Keys, under a configurable prefix (default `cliproxy:`):
 * - `cd:<key>` hash: one cooldown, expiring (PEXPIREAT) when it ends; `cooldowns` zset
 *   indexes them by end time for listing and filtered clearing; `strikes:<key>` counter.
 * - `win:<key>` zset (member = reservation id, score = time) and `wamt:<key>` hash
 *   (id → amount, plus `_total`): a sliding window; one script prunes, checks and adds, so
 *   concurrent reservations from many instances never overshoot a limit.
 * - `ctr:<key>`: round-robin cursors (INCR).
 * - `usage` zset of records (score = time; member = identity hash, unique id, JSON array);
 *   `usage:hour:<start>` hashes of per-hour sums by (model, provider, client), indexed by the
 *   `usage:hours` zset. Aggregates read the hour hashes for whole hours and the records only
 *   for the partial hours at the edges of a query, so a month by day is a few hundred reads.
 * - `doc:<key>` strings; `lock:<key>` SET NX PX with a random token.
 *
 * Expiry of cooldowns and locks uses the Redis server's clock, so instances need clocks in
 * step with it (NTP), as any shared expiry does. The scripts build keys from the prefix
 * they are given, so this driver targets a single Redis (or a primary with replicas), not
 * Redis Cluster.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Cooldown, StateHealth, StateStore, UsageAggregate, UsageGroup, UsageQuery, UsageRecord, WindowReservation } from './types.ts';
import { groupKey, usageIdentity } from './usage-aggregate.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Separates the parts of an hour hash's field: metric, model, provider, client. */
const SEPARATOR = '\x1f';
const METRICS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cachedTokens', 'reasoningTokens', 'latencyTotal'] as const;
type Metric = (typeof METRICS)[number];

export interface RedisStateOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Prepended to every key; defaults to `cliproxy:`. */
  keyPrefix?: string;
  /** Fail a command that has no answer after this long (ms); unset waits indefinitely. */
  commandTimeoutMs?: number;
  /**
   * Queue commands while disconnected (true, ioredis's default) or fail them at once
   * (false: what ResilientState needs to fall back without waiting).
   */
  offlineQueue?: boolean;
  connectTimeoutMs?: number;
}

/** A Lua script run by SHA, loaded again when the server has forgotten it (a restart). */
class Script {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Prunes a window's entries at or before `cutoff`, keeping `_total` right; returns the total. */
const PRUNE = `
local function prune(zkey, hkey, cutoff)
  local total = tonumber(redis.call('HGET', hkey, '_total') or '0')
  local pruned = false
  while true do
    local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', cutoff, 'LIMIT', 0, 500)
    if #old == 0 then break end
    pruned = true
    local amounts = redis.call('HMGET', hkey, unpack(old))
    for i = 1, #old do total = total - tonumber(amounts[i] or '0') end
    redis.call('ZREM', zkey, unpack(old))
    redis.call('HDEL', hkey, unpack(old))
  end
  if pruned then
    if redis.call('ZCARD', zkey) == 0 then
      redis.call('DEL', hkey)
      total = 0
    else
      redis.call('HSET', hkey, '_total', tostring(total))
    end
  end
  return total
end
`;

/** KEYS: window zset, amounts hash. ARGV: now, windowMs, limit, amount, id. */
const RESERVE = new Script(`${PRUNE}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local total = prune(KEYS[1], KEYS[2], now - window)
if amount > 0 and total + amount > limit then
  local excess = total + amount - limit
  local freed = 0
  local offset = 0
  while true do
    local batch = redis.call('ZRANGE', KEYS[1], offset, offset + 199, 'WITHSCORES')
    if #batch == 0 then break end
    local ids = {}
    for i = 1, #batch, 2 do ids[#ids + 1] = batch[i] end
    local amounts = redis.call('HMGET', KEYS[2], unpack(ids))
    for i = 1, #ids do
      freed = freed + tonumber(amounts[i] or '0')
      if freed >= excess then
        return {0, tostring(total), tostring(math.max(1, tonumber(batch[i * 2]) + window - now))}
      end
    end
    offset = offset + 200
  end
  return {0, tostring(total), tostring(window)}
end
total = total + amount
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[4], '_total', tostring(total))
redis.call('PEXPIRE', KEYS[1], window + 60000)
redis.call('PEXPIRE', KEYS[2], window + 60000)
return {1, tostring(total), '0'}
`);

/** KEYS: window zset, amounts hash. ARGV: windowMs, now. */
const WINDOW_USAGE = new Script(`${PRUNE}
return tostring(prune(KEYS[1], KEYS[2], tonumber(ARGV[2]) - tonumber(ARGV[1])))
`);

/** KEYS: amounts hash. ARGV: id, amount. */
const ADJUST = new Script(`
if ARGV[1] == '_total' then return 0 end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local total = tonumber(redis.call('HGET', KEYS[1], '_total') or '0') + tonumber(ARGV[2]) - tonumber(old)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '_total', tostring(total))
return 1
`);

/** KEYS: cooldown index. ARGV: now, cooldown key prefix. Drops ended cooldowns, returns the rest. */
const LIST_COOLDOWNS = new Script(`
local ended = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, key in ipairs(ended) do redis.call('DEL', ARGV[2] .. key) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local fields = redis.call('HGETALL', ARGV[2] .. key)
  if #fields > 0 then out[#out + 1] = fields else redis.call('ZREM', KEYS[1], key) end
end
return out
`);

/** KEYS: cooldown index. ARGV: cooldown key prefix, strikes key prefix, filter as JSON. */
const CLEAR_COOLDOWNS = new Script(`
local filter = cjson.decode(ARGV[3])
local candidates
if type(filter.key) == 'string' then candidates = {filter.key} else candidates = redis.call('ZRANGE', KEYS[1], 0, -1) end
local cleared = 0
for _, key in ipairs(candidates) do
  local fields = redis.call('HMGET', ARGV[1] .. key, 'provider', 'credential', 'model')
  if fields[1] then
    if (type(filter.provider) ~= 'string' or fields[1] == filter.provider)
      and (type(filter.credential) ~= 'string' or fields[2] == filter.credential)
      and (type(filter.model) ~= 'string' or fields[3] == filter.model) then
      redis.call('DEL', ARGV[1] .. key, ARGV[2] .. key)
      redis.call('ZREM', KEYS[1], key)
      cleared = cleared + 1
    end
  else
    redis.call('ZREM', KEYS[1], key)
  end
end
return cleared
`);

/**
 * KEYS: usage zset, hours zset, the record's hour hash. ARGV: check ('1' skips a record
 * whose identity is already there), time, member, identity prefix, hour start, then
 * field/increment pairs.
 */
const ADD_USAGE = new Script(`
if ARGV[1] == '1' then
  local prefix = ARGV[4]
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])) do
    if string.sub(member, 1, #prefix) == prefix then return 0 end
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[5])
for i = 6, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
`);

/**
 * KEYS: usage zset, hours zset. ARGV: before, start of the hour holding it, hour hash key
 * prefix, separator. Whole hours before go with their hash; the partial hour has the pruned
 * records subtracted from its sums.
 */
const PRUNE_USAGE = new Script(`
local sep = ARGV[4]
local partialKey = ARGV[3] .. ARGV[2]
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '(' .. ARGV[1])) do
  local first = string.find(member, ':', 1, true)
  local second = string.find(member, ':', first + 1, true)
  -- [time, client, provider, credential, model, input, output, cached, reasoning, latency, status]
  local r = cjson.decode(string.sub(member, second + 1))
  local tuple = sep .. r[5] .. sep .. r[3] .. sep .. r[2]
  local errors = 0
  if r[11] >= 400 then errors = 1 end
  redis.call('HINCRBYFLOAT', partialKey, 'requests' .. tuple, '-1')
  redis.call('HINCRBYFLOAT', partialKey, 'errors' .. tuple, tostring(-errors))
  redis.call('HINCRBYFLOAT', partialKey, 'inputTokens' .. tuple, tostring(-r[6]))
  redis.call('HINCRBYFLOAT', partialKey, 'outputTokens' .. tuple, tostring(-r[7]))
  redis.call('HINCRBYFLOAT', partialKey, 'cachedTokens' .. tuple, tostring(-r[8]))
  redis.call('HINCRBYFLOAT', partialKey, 'reasoningTokens' .. tuple, tostring(-r[9]))
  redis.call('HINCRBYFLOAT', partialKey, 'latencyTotal' .. tuple, tostring(-r[10]))
end
for _, hour in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])) do
  redis.call('DEL', ARGV[3] .. hour)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
`);

/** KEYS: lock. ARGV: token. Deletes the lock only while it is still ours. */
const RELEASE_LOCK = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

type Sums = Record<Metric, number>;

function emptySums(): Sums {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, latencyTotal: 0 };
}

function recordSums(record: UsageRecord): Sums {
  return {
    requests: 1,
    errors: record.status >= 400 ? 1 : 0,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    cachedTokens: record.cachedTokens,
    reasoningTokens: record.reasoningTokens,
    latencyTotal: record.latencyMs,
  };
}

function addSums(target: Sums, source: Sums): void {
  for (const metric of METRICS) target[metric] += source[metric];
}

/**
 * A usage record as a sorted-set member: `<identity>:<unique>:<JSON array of the fields>`.
 * The identity (a hash of usageIdentity()) lets an import find a record it already holds;
 * the unique part keeps two identical requests two members; the array keeps it short.
 */
function usageMember(record: UsageRecord): { member: string; identity: string } {
  const identity = `${createHash('sha256').update(usageIdentity(record)).digest('hex').slice(0, 20)}:`;
  const fields = [record.time, record.client, record.provider, record.credential, record.model, record.inputTokens, record.outputTokens, record.cachedTokens, record.reasoningTokens, record.latencyMs, record.status];
  return { member: `${identity}${randomBytes(8).toString('base64url')}:${JSON.stringify(fields)}`, identity };
}

function parseMember(member: string): UsageRecord {
  const first = member.indexOf(':');
  const second = member.indexOf(':', first + 1);
  const [time, client, provider, credential, model, inputTokens, outputTokens, cachedTokens, reasoningTokens, latencyMs, status] = JSON.parse(member.slice(second + 1)) as [number, string, string, string, string, number, number, number, number, number, number];
  return { time, client, provider, credential, model, inputTokens, outputTokens, cachedTokens, reasoningTokens, latencyMs, status };
}

function hourStart(time: number): number {
  return Math.floor(time / HOUR) * HOUR;
}

/** The cooldown as hash fields (status null as an empty string). */
function cooldownFields(cooldown: Cooldown): Record<string, string> {
  return {
    key: cooldown.key,
    provider: cooldown.provider,
    credential: cooldown.credential,
    model: cooldown.model,
    until: String(cooldown.until),
    since: String(cooldown.since),
    reason: cooldown.reason,
    status: cooldown.status === null ? '' : String(cooldown.status),
    message: cooldown.message,
    strikes: String(cooldown.strikes),
  };
}

function cooldownFromFields(fields: Record<string, string>): Cooldown | undefined {
  if (fields.key === undefined) return undefined;
  return {
    key: fields.key,
    provider: fields.provider ?? '',
    credential: fields.credential ?? '',
    model: fields.model ?? '',
    until: Number(fields.until),
    since: Number(fields.since),
    reason: fields.reason ?? '',
    status: fields.status === undefined || fields.status === '' ? null : Number(fields.status),
    message: fields.message ?? '',
    strikes: Number(fields.strikes),
  };
}

function pairsToRecord(pairs: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(pairs)) return out;
  for (let index = 0; index + 1 < pairs.length; index += 2) out[String(pairs[index])] = String(pairs[index + 1]);
  return out;
}

/** MULTI reports a failed command in its results rather than by rejecting. */
function throwFirstError(results: Array<[Error | null, unknown]> | null): void {
  if (results === null) throw new Error('redis transaction aborted');
  for (const [error] of results) if (error !== null) throw error;
}

/** Where a URL points, without its credentials (for health and logs). */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'redis (unparsable url)';
  }
}

/**
 * The shared driver.
 *
 * @example
 * const state = await RedisState.connect({ url: 'redis://127.0.0.1:6379' });
 * const reservation = await state.reserve('provider:openai:rpm', 500, 60_000, 1, Date.now());
 * await state.close();
 */
export class RedisState implements StateStore {
  readonly driver = 'redis';
  readonly client: Redis;
  readonly prefix: string;
  readonly target: string;
  private lastError: string | undefined;

  constructor(options: RedisStateOptions) {
    this.prefix = options.keyPrefix ?? 'cliproxy:';
    this.target = describeRedisUrl(options.url);
    const settings: RedisOptions = {
      enableOfflineQueue: options.offlineQueue ?? true,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // Reconnect for ever, at most every two seconds: the fallback waits for it.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
    if (options.commandTimeoutMs !== undefined) settings.commandTimeout = options.commandTimeoutMs;
    if (options.offlineQueue === false) {
      // Nothing waits for a reconnect: a command in flight when the link drops fails now.
      settings.maxRetriesPerRequest = 0;
      settings.autoResendUnfulfilledCommands = false;
    }
    this.client = new Redis(options.url, settings);
    // Without a listener ioredis prints every connection error; keep the last for health().
    this.client.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
    });
  }

  /** Connects and waits until Redis answers; throws (and closes) when it does not in time. */
  static async connect(options: RedisStateOptions, timeoutMs = 3000): Promise<RedisState> {
    const state = new RedisState(options);
    if (!(await state.ready(timeoutMs))) {
      const reason = state.lastError ?? 'no answer';
      await state.close();
      throw new Error(`redis at ${state.target} unreachable: ${reason}`);
    }
    return state;
  }

  /** Resolves true once connected (at once if already), false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(value);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
    });
  }

  /** Round trip to the server; throws when it does not answer. */
  async ping(): Promise<void> {
    await this.client.ping();
  }

  get connected(): boolean {
    return this.client.status === 'ready';
  }

  get error(): string | undefined {
    return this.lastError;
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  async getCooldown(key: string): Promise<Cooldown | undefined> {
    return cooldownFromFields(await this.client.hgetall(this.key('cd', key)));
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    const hash = this.key('cd', cooldown.key);
    await this.client
      .multi()
      .del(hash)
      .hset(hash, cooldownFields(cooldown))
      .pexpireat(hash, Math.ceil(cooldown.until))
      .zadd(`${this.prefix}cooldowns`, cooldown.until, cooldown.key)
      .set(this.key('strikes', cooldown.key), cooldown.strikes)
      .exec()
      .then(throwFirstError);
  }

  async clearCooldowns(filter: { key?: string; provider?: string; credential?: string; model?: string } = {}): Promise<number> {
    const cleared = await CLEAR_COOLDOWNS.run(this.client, [`${this.prefix}cooldowns`], [`${this.prefix}cd:`, `${this.prefix}strikes:`, JSON.stringify(filter)]);
    return Number(cleared);
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    const rows = await LIST_COOLDOWNS.run(this.client, [`${this.prefix}cooldowns`], [now, `${this.prefix}cd:`]);
    const out: Cooldown[] = [];
    if (!Array.isArray(rows)) return out;
    for (const row of rows) {
      const cooldown = cooldownFromFields(pairsToRecord(row));
      if (cooldown !== undefined) out.push(cooldown);
    }
    return out;
  }

  async strikes(key: string): Promise<number> {
    const value = await this.client.get(this.key('strikes', key));
    return value === null ? 0 : Number(value);
  }

  async resetStrikes(key: string): Promise<void> {
    await this.client.del(this.key('strikes', key));
  }

  /** A window's two keys: entries by time, and their amounts. */
  private windowKeys(key: string): [string, string] {
    return [this.key('win', key), this.key('wamt', key)];
  }

  async reserve(key: string, limit: number, windowMs: number, amount: number, now: number): Promise<WindowReservation> {
    const id = randomUUID();
    const reply = await RESERVE.run(this.client, this.windowKeys(key), [now, windowMs, limit, amount, id]);
    const [allowed, used, retryAfterMs] = Array.isArray(reply) ? reply : [0, 0, windowMs];
    const ok = Number(allowed) === 1;
    return { allowed: ok, used: Number(used), retryAfterMs: Number(retryAfterMs), id: ok ? id : undefined };
  }

  async adjust(key: string, id: string, amount: number): Promise<void> {
    await ADJUST.run(this.client, [this.windowKeys(key)[1]], [id, amount]);
  }

  async windowUsage(key: string, windowMs: number, now: number): Promise<number> {
    return Number(await WINDOW_USAGE.run(this.client, this.windowKeys(key), [windowMs, now]));
  }

  increment(key: string): Promise<number> {
    return this.client.incr(this.key('ctr', key));
  }

  async recordUsage(record: UsageRecord): Promise<void> {
    await this.addUsage(record, false);
  }

  /** Adds one record and its hour sums in one script; with `check`, only when its identity is new. */
  private async addUsage(record: UsageRecord, check: boolean): Promise<boolean> {
    const { member, identity } = usageMember(record);
    const hour = hourStart(record.time);
    const tuple = `${SEPARATOR}${record.model}${SEPARATOR}${record.provider}${SEPARATOR}${record.client}`;
    const sums = recordSums(record);
    const increments: Array<string | number> = [];
    for (const metric of METRICS) increments.push(`${metric}${tuple}`, sums[metric]);
    const added = await ADD_USAGE.run(
      this.client,
      [`${this.prefix}usage`, `${this.prefix}usage:hours`, `${this.prefix}usage:hour:${hour}`],
      [check ? '1' : '0', record.time, member, identity, hour, ...increments],
    );
    return Number(added) === 1;
  }

  async queryUsage(query: UsageQuery): Promise<UsageRecord[] | UsageAggregate[]> {
    if (query.groupBy === undefined) return this.queryRecords(query);
    return this.queryAggregates(query, query.groupBy);
  }

  private matches(record: { model: string; provider: string; client: string }, query: UsageQuery): boolean {
    return (query.model === undefined || record.model === query.model) &&
      (query.provider === undefined || record.provider === query.provider) &&
      (query.client === undefined || record.client === query.client);
  }

  private async queryRecords(query: UsageQuery): Promise<UsageRecord[]> {
    const limit = Math.max(0, query.limit ?? 1000);
    const out: UsageRecord[] = [];
    const max = query.to === undefined ? '+inf' : `(${query.to}`;
    const min = query.from === undefined ? '-inf' : String(query.from);
    const page = 500;
    for (let offset = 0; out.length < limit; offset += page) {
      const members = await this.client.zrevrangebyscore(`${this.prefix}usage`, max, min, 'LIMIT', offset, page);
      for (const member of members) {
        const record = parseMember(member);
        if (this.matches(record, query)) out.push(record);
        if (out.length === limit) break;
      }
      if (members.length < page) break;
    }
    return out;
  }

  /**
   * Whole hours inside [from, to) come from the hour hashes; the partial hours at either
   * edge from the records themselves.
   */
  private async queryAggregates(query: UsageQuery, group: UsageGroup): Promise<UsageAggregate[]> {
    const groups = new Map<string, Sums>();
    const add = (key: string, sums: Sums): void => {
      let entry = groups.get(key);
      if (entry === undefined) {
        entry = emptySums();
        groups.set(key, entry);
      }
      addSums(entry, sums);
    };

    const fullStart = query.from === undefined ? -Infinity : Math.ceil(query.from / HOUR) * HOUR;
    const fullEnd = query.to === undefined ? Infinity : Math.floor(query.to / HOUR) * HOUR;
    const edges: Array<[number | undefined, number | undefined]> = [];
    if (fullStart < fullEnd) {
      if (query.from !== undefined && query.from < fullStart) edges.push([query.from, fullStart]);
      if (query.to !== undefined && fullEnd < query.to) edges.push([fullEnd, query.to]);
      const hours = await this.client.zrangebyscore(
        `${this.prefix}usage:hours`,
        fullStart === -Infinity ? '-inf' : String(fullStart),
        fullEnd === Infinity ? '+inf' : `(${fullEnd}`,
      );
      const pipeline = this.client.pipeline();
      for (const hour of hours) pipeline.hgetall(`${this.prefix}usage:hour:${hour}`);
      const replies = hours.length === 0 ? [] : (await pipeline.exec()) ?? [];
      replies.forEach(([error, fields], index) => {
        if (error !== null) throw error;
        const hour = Number(hours[index]);
        const tuples = new Map<string, Sums>();
        for (const [field, value] of Object.entries(fields as Record<string, string>)) {
          const [metric, model = '', provider = '', client = ''] = field.split(SEPARATOR);
          if (!this.matches({ model, provider, client }, query)) continue;
          const tupleKey = `${model}${SEPARATOR}${provider}${SEPARATOR}${client}`;
          let sums = tuples.get(tupleKey);
          if (sums === undefined) {
            sums = emptySums();
            tuples.set(tupleKey, sums);
          }
          if ((METRICS as readonly string[]).includes(metric as string)) sums[metric as Metric] = Number(value);
        }
        for (const [tupleKey, sums] of tuples) {
          // A tuple whose records were all pruned stays as zeros until its hour goes.
          if (sums.requests < 1) continue;
          const [model = '', provider = '', client = ''] = tupleKey.split(SEPARATOR);
          const key = group === 'hour' ? new Date(hour).toISOString()
            : group === 'day' ? new Date(Math.floor(hour / DAY) * DAY).toISOString()
            : group === 'model' ? model
            : group === 'provider' ? provider
            : client;
          add(key, sums);
        }
      });
    } else {
      edges.push([query.from, query.to]);
    }

    for (const [from, to] of edges) {
      const members = await this.client.zrangebyscore(`${this.prefix}usage`, from === undefined ? '-inf' : String(from), to === undefined ? '+inf' : `(${to}`);
      for (const member of members) {
        const record = parseMember(member);
        if (this.matches(record, query)) add(groupKey(record, group), recordSums(record));
      }
    }

    return [...groups.entries()]
      .map(([key, sums]): UsageAggregate => ({
        key,
        requests: sums.requests,
        errors: sums.errors,
        inputTokens: sums.inputTokens,
        outputTokens: sums.outputTokens,
        cachedTokens: sums.cachedTokens,
        reasoningTokens: sums.reasoningTokens,
        latencyMs: sums.requests === 0 ? 0 : Math.round((sums.latencyTotal / sums.requests) * 100) / 100,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async pruneUsage(before: number): Promise<number> {
    const removed = await PRUNE_USAGE.run(this.client, [`${this.prefix}usage`, `${this.prefix}usage:hours`], [before, hourStart(before), `${this.prefix}usage:hour:`, SEPARATOR]);
    return Number(removed);
  }

  async importUsage(records: UsageRecord[]): Promise<number> {
    let added = 0;
    // Sent without waiting for each answer; Redis runs the scripts in order, so a duplicate
    // within the batch still finds its twin.
    for (let start = 0; start < records.length; start += 500) {
      const results = await Promise.all(records.slice(start, start + 500).map((record) => this.addUsage(record, true)));
      added += results.filter(Boolean).length;
    }
    return added;
  }

  async getDocument(key: string): Promise<string | undefined> {
    return (await this.client.get(this.key('doc', key))) ?? undefined;
  }

  async putDocument(key: string, value: string): Promise<void> {
    await this.client.set(this.key('doc', key), value);
  }

  async tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lock = this.key('lock', key);
    const token = randomUUID();
    const taken = await this.client.set(lock, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    if (taken !== 'OK') return undefined;
    return async () => {
      await RELEASE_LOCK.run(this.client, [lock], [token]);
    };
  }

  health(): StateHealth {
    if (this.connected) return { driver: this.driver, ok: true, detail: `redis at ${this.target}` };
    return { driver: this.driver, ok: false, detail: `redis at ${this.target} ${this.client.status}${this.lastError === undefined ? '' : `: ${this.lastError}`}` };
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: the link went while quitting.
      }
    }
    this.client.disconnect();
  }
}
