/**
 * Client model names → Kiro model ids. Kiro names Claude models with a dotted version
 * (`claude-sonnet-4.5`) where Anthropic uses dashes and a date (`claude-sonnet-4-5-20250929`).
 */

const DATE_SUFFIX = /-\d{8}$/;
const DASHED = /^(claude-(?:sonnet|haiku|opus))-(\d+)(?:-(\d+))?$/;

/**
 * @example
 * kiroModelId('claude-sonnet-4-5-20250929'); // 'claude-sonnet-4.5'
 * kiroModelId('claude-sonnet-4-20250514');   // 'claude-sonnet-4'
 * kiroModelId('auto');                       // 'auto'
 */
export function kiroModelId(name: string): string {
  const undated = name.replace(DATE_SUFFIX, '');
  const match = DASHED.exec(undated);
  if (match === null) return name;
  const [, family, major, minor] = match;
  // A `-0` minor is how Anthropic spells a major release; Kiro's id has no `.0`.
  if (minor === undefined || minor === '0') return `${family}-${major}`;
  return `${family}-${major}.${minor}`;
}
