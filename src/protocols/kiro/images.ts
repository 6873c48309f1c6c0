/**
 * IR images → Kiro's `{format, source:{bytes}}`. Kiro takes inline base64 only, in four
 * formats. URL images are fetched and inlined by the server before rendering; an http(s)
 * image still left here (the fetch was refused, say) has no Kiro form and is dropped, as is
 * any image of another type, rather than letting the whole request be rejected.
 */
import type { ImagePart } from '../ir.ts';
import { parseBase64DataUrl } from '../shared/image-data-url.ts';
import type { KiroImage, KiroImageFormat } from './types.ts';

const FORMAT_BY_MEDIA_TYPE: Readonly<Record<string, KiroImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

export function renderKiroImage(part: ImagePart): KiroImage | undefined {
  const inline = part.source.kind === 'base64' ? part.source : parseBase64DataUrl(part.source.url);
  if (inline === undefined || inline.data === '') return undefined;
  const format = FORMAT_BY_MEDIA_TYPE[inline.mediaType.toLowerCase()];
  if (format === undefined) return undefined;
  return { format, source: { bytes: inline.data } };
}
