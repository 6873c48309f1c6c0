/**
 * Minimal SSE reader for the object-level `executeStream` API: yields each `data:` payload.
 * The gateway's own streaming paths never use this; they pass bytes or use the protocol
 * parsers in src/protocols/.
 */
export async function* sseData(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  let data: string[] = [];
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
    }
  }
  pending += decoder.decode();
  if (pending.startsWith('data:')) data.push(pending.slice(pending[5] === ' ' ? 6 : 5).replace(/\r?\n?$/, ''));
  if (data.length > 0) yield data.join('\n');
}
