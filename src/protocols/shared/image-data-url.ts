/**
 * `data:` URLs ⇄ base64 payloads. OpenAI carries inline images as data URLs, Anthropic as
 * `{type:"base64", media_type, data}`; converting exactly both ways keeps images lossless.
 */

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** `data:image/png;base64,AAA` → `{mediaType:"image/png", data:"AAA"}`; undefined if not base64 data. */
export function parseBase64DataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  if (match === null) return undefined;
  return { mediaType: match[1] ?? '', data: match[2] ?? '' };
}

export function toBase64DataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}
