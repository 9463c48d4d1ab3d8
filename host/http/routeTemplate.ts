/**
 * Azure Functions route templates (ASP.NET style: `orders/{id}`, `{id:int}`, `{id?}`, `{*rest}`)
 * turned into find-my-way paths, with the constraints find-my-way cannot express checked after a
 * match.
 */
export interface CompiledRoute {
  /** The find-my-way path, e.g. `/api/orders/:id`. */
  path: string;
  /** Checks a matched parameter set against the template's constraints; false = no match. */
  accepts(params: Record<string, string>): boolean;
  /** Maps find-my-way param names back to the template's names (the catch-all is `*`). */
  rename(params: Record<string, string | undefined>): Record<string, string>;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i,
  decimal: /^-?\d+(\.\d+)?$/,
  double: /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/,
  float: /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/,
  datetime: /^\d{4}-\d{2}-\d{2}/,
};

export function compileRoute(prefix: string, template: string): CompiledRoute {
  const checks: { name: string; test: RegExp }[] = [];
  let catchAll: string | undefined;
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((segment) =>
      segment.replace(/\{([^}]+)\}/g, (_m, body: string) => {
        if (body.startsWith('*')) {
          catchAll = body.slice(1).replace(/\?$/, '');
          return '*';
        }
        const optional = body.endsWith('?');
        const [nameAndConstraints] = body.replace(/\?$/, '').split('=');
        const [name, ...constraints] = nameAndConstraints.split(':');
        for (const c of constraints) {
          const test = CONSTRAINTS[c.replace(/\(.*\)$/, '').toLowerCase()];
          if (test) checks.push({ name, test });
        }
        return `:${name}${optional ? '?' : ''}`;
      }),
    );
  const path = '/' + [prefix, ...segments].filter((s) => s.length > 0).join('/');
  return {
    path,
    accepts: (params) =>
      checks.every(({ name, test }) => params[name] === undefined || params[name] === '' || test.test(params[name])),
    rename: (params) => {
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(params)) {
        if (value === undefined) continue;
        out[key === '*' && catchAll ? catchAll : key] = value;
      }
      return out;
    },
  };
}
