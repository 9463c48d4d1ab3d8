/** A blob trigger's path, `container/prefix/{name}.ext`, matched against blob names. */
export interface BlobPathPattern {
  container: string;
  /** The fixed start of blob names (listing prefix). */
  prefix: string;
  /** The values of the `{...}` parts, or undefined when the blob does not match. */
  match(blobName: string): Record<string, string> | undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads a blob trigger path as the extension does; throws with the reason when it cannot. */
export function parseBlobPathPattern(path: string): BlobPathPattern {
  const slash = path.indexOf('/');
  const container = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container))
    throw new Error(`container "${container}" is not a valid container name`);
  let source = '';
  let cursor = 0;
  for (const part of rest.matchAll(/\{([^{}]+)\}/g)) {
    const name = part[1].trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"{${part[1]}}" is not a parameter name`);
    // A parameter may span virtual folders ("{name}" binds "2026/01/report.pdf").
    source += `${escape(rest.slice(cursor, part.index))}(?<${name}>.+?)`;
    cursor = (part.index ?? 0) + part[0].length;
  }
  source += escape(rest.slice(cursor));
  const open = rest.indexOf('{');
  const prefix = open < 0 ? rest : rest.slice(0, open);
  // A bare container means every blob in it.
  const regex = new RegExp(rest === '' ? '^.+$' : `^${source}$`);
  return {
    container,
    prefix,
    match: (blobName) => {
      const found = regex.exec(blobName);
      return found ? { ...(found.groups ?? {}) } : undefined;
    },
  };
}
