/** What the request and response parser tests share: feeding pieces, and cutting input every way. */

/** Feeds `pieces` (latin1 text or bytes) to `execute` in order; returns the leftover bytes it reported. */
export function feed(pieces: (string | Buffer)[], execute: (input: Buffer) => number): number {
  let leftover = 0;
  for (const piece of pieces) leftover += execute(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
  return leftover;
}

/** Every way of cutting `text` in two, and a three-way cut beside each. */
export function splits(text: string): string[][] {
  const ways: string[][] = [[text]];
  for (let i = 1; i < text.length; i++) {
    ways.push([text.slice(0, i), text.slice(i)]);
    const j = Math.min(text.length - 1, i + 3);
    if (j > i) ways.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return ways;
}
