/**
 * `${VAR}` expansion anywhere in a parsed YAML tree, before validation. `${VAR:-fallback}`
 * gives a default; `$${` is a literal `${`. A variable that is unset and has no default is
 * an error naming the key path, so a typo never silently becomes an empty API key.
 */

export type Env = Record<string, string | undefined>;

export interface ExpansionProblem {
  path: string;
  message: string;
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function expandEnv(value: unknown, env: Env, problems: ExpansionProblem[], path = ''): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(PATTERN, (match: string, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name as string];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: path || '(root)', message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnv(item, env, problems, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = expandEnv(item, env, problems, path === '' ? key : `${path}.${key}`);
    }
    return out;
  }
  return value;
}
