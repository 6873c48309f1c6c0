/** "Did you mean": the known names closest to an unknown one, by edit distance. */

function distance(a: string, b: string): number {
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/** Up to `limit` names within an edit distance proportional to the name's length, or containing it. */
export function closeMatches(name: string, known: Iterable<string>, limit = 3): string[] {
  const needle = name.toLowerCase();
  const threshold = Math.max(2, Math.floor(needle.length / 3));
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of new Set(known)) {
    const lower = candidate.toLowerCase();
    // A partial name ("sonnet") matches what contains it, ranked after near-misses.
    const score = Math.min(distance(needle, lower), lower.includes(needle) ? threshold : Number.POSITIVE_INFINITY);
    if (score <= threshold) scored.push({ candidate, score });
  }
  scored.sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate));
  return scored.slice(0, limit).map((entry) => entry.candidate);
}
