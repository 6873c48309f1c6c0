/**
 * Fetches images given by http(s) URL and inlines them as base64, for targets that take
 * only inline data (Gemini). The fetch is the gateway acting on a client's behalf, so it is
 * fenced: public addresses only — loopback, private, link-local, CGNAT, multicast and cloud
 * metadata addresses are refused unless the host is on `image_fetch.allow_hosts` —, checked
 * at connect time on the resolved address (a DNS answer cannot swap in a private address
 * after the check), redirects re-checked hop by hop, a size cap, a time cap, and only
 * `image/*` answers accepted.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Agent, Dispatcher } from 'undici';
import { GatewayError } from '../errors.ts';
import type { ContentPart, IRRequest, ImagePart } from '../protocols/ir.ts';

export interface ImageFetchSettings {
  enabled: boolean;
  maxBytes: number;
  timeoutMs: number;
  /** Hostnames (or IP literals) exempt from the address checks. */
  allowHosts: string[];
}

const MAX_REDIRECTS = 3;

const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32],
] as const) FORBIDDEN.addSubnet(network, prefix, 'ipv6');

/** Whether an address may be fetched from (IPv4-mapped IPv6 is judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return !FORBIDDEN.check(mapped[1] as string, 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return !FORBIDDEN.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(allowHosts: ReadonlySet<string>) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family ?? 0;
    dnsLookup(hostname, { all: true, family }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const list = addresses as LookupAddress[];
      if (!allowHosts.has(hostname.toLowerCase())) {
        const blocked = list.find((entry) => !isPublicAddress(entry.address));
        if (blocked !== undefined) {
          const refusal = Object.assign(new Error(`${hostname} resolves to ${blocked.address}, which is not a public address`), { code: 'ERR_CLIPROXY_BLOCKED_ADDRESS' });
          return callback(refusal, []);
        }
      }
      if (options.all === true) return callback(null, list);
      const first = list[0];
      if (first === undefined) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

export class ImageFetcher {
  private readonly settings: ImageFetchSettings;
  /** Made on the first fetch: most gateways never fetch an image, and all of undici (its
   *  request API included) is loaded only then. */
  private agent: Promise<Agent> | undefined;

  constructor(settings: ImageFetchSettings) {
    this.settings = settings;
  }

  private connectionPool(): Promise<Agent> {
    if (this.closing !== undefined) return Promise.reject(new Error('the image fetcher is closed'));
    this.agent ??= import('undici').then(({ Agent: AgentClass }) => {
      const allow = new Set(this.settings.allowHosts.map((host) => host.toLowerCase()));
      return new AgentClass({ connect: { lookup: guardedLookup(allow), timeout: this.settings.timeoutMs }, connections: 16 });
    });
    return this.agent;
  }

  private closing: Promise<void> | undefined;

  /** Idempotent: a reload and a shutdown may both close the same fetcher. */
  close(): Promise<void> {
    this.closing ??= this.agent === undefined ? Promise.resolve() : this.agent.then((agent) => agent.close());
    return this.closing;
  }

  /** Downloads one image: `{mediaType, data}` in base64, or a 400 saying why not. */
  async fetch(url: string, signal?: AbortSignal): Promise<{ mediaType: string; data: string }> {
    const deadline = AbortSignal.timeout(this.settings.timeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    let target = new URL(url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw refused(url, `unsupported scheme ${target.protocol}`);
      // IP literals skip DNS (and so the lookup hook): check them here.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal) !== 0 && !isPublicAddress(literal) && !this.settings.allowHosts.map((host) => host.toLowerCase()).includes(literal.toLowerCase())) {
        throw refused(url, `${literal} is not a public address`);
      }
      let response: Dispatcher.ResponseData;
      const agent = await this.connectionPool();
      try {
        response = await agent.request({
          origin: target.origin,
          path: target.pathname + target.search,
          method: 'GET',
          headers: { accept: 'image/*', 'user-agent': 'cliproxy-image-fetch' },
          signal: combined,
          headersTimeout: this.settings.timeoutMs,
          bodyTimeout: this.settings.timeoutMs,
        });
      } catch (error) {
        throw refused(url, (error as Error).message);
      }
      if (response.statusCode >= 300 && response.statusCode < 400 && typeof response.headers.location === 'string') {
        await response.body.dump();
        target = new URL(response.headers.location, target);
        continue;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw refused(url, `it answered ${response.statusCode}`);
      }
      const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!mediaType.startsWith('image/')) {
        await response.body.dump();
        throw refused(url, `it answered ${mediaType || 'no content type'}, not an image`);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.settings.maxBytes) {
        await response.body.dump();
        throw refused(url, `it is ${declared} bytes, over the limit of ${this.settings.maxBytes}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          size += (chunk as Buffer).length;
          if (size > this.settings.maxBytes) {
            response.body.destroy();
            throw refused(url, `it is over the limit of ${this.settings.maxBytes} bytes`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        throw refused(url, (error as Error).message);
      }
      return { mediaType, data: Buffer.concat(chunks, size).toString('base64') };
    }
    throw refused(url, `more than ${MAX_REDIRECTS} redirects`);
  }

  /**
   * A copy of `request` whose http(s) image parts are inline data. Parts are fetched in
   * parallel; the same URL is fetched once.
   */
  async inline(request: IRRequest, signal?: AbortSignal): Promise<IRRequest> {
    const urls = new Set<string>();
    const visit = (part: ContentPart): void => {
      if (part.type === 'image' && part.source.kind === 'url' && /^https?:/i.test(part.source.url)) urls.add(part.source.url);
      if (part.type === 'tool-result') part.content.forEach(visit);
    };
    for (const message of request.messages) message.content.forEach(visit);
    if (urls.size === 0) return request;
    if (!this.settings.enabled) {
      throw new GatewayError(400, 'invalid_request', 'this provider takes images only as inline data, and fetching image URLs is disabled (image_fetch.enabled)', { retryable: false });
    }
    const fetched = new Map<string, { mediaType: string; data: string }>();
    await Promise.all([...urls].map(async (url) => { fetched.set(url, await this.fetch(url, signal)); }));
    const replace = (part: ContentPart): ContentPart => {
      if (part.type === 'image' && part.source.kind === 'url' && fetched.has(part.source.url)) {
        const image = fetched.get(part.source.url) as { mediaType: string; data: string };
        const inlined: ImagePart = { ...part, source: { kind: 'base64', mediaType: image.mediaType, data: image.data } };
        return inlined;
      }
      if (part.type === 'tool-result') return { ...part, content: part.content.map(replace) as typeof part.content };
      return part;
    };
    return { ...request, messages: request.messages.map((message) => ({ ...message, content: message.content.map(replace) })) };
  }
}

function refused(url: string, reason: string): GatewayError {
  const shown = url.length > 200 ? `${url.slice(0, 200)}…` : url;
  return new GatewayError(400, 'invalid_request', `could not fetch the image at ${shown}: ${reason}`, { retryable: false });
}
