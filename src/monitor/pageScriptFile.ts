import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The monitor page's script is TypeScript in ./page, compiled for the browser by its own tsconfig
// (npm run build) to dist/src/monitor/page/pageScript.js, beside this module's own compiled file.
// The file is deployed with the rest of dist/ and read once per process; the page names it with
// its hash, which the Content-Security-Policy allows.

export interface PageScript {
  readonly text: string;
  /** The SHA-256 of the text as served, in the `sha256-<base64>` form of CSP and Subresource Integrity. */
  readonly hash: string;
}

export function sha256Source(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/**
 * Where the compiled script is: beside this module once compiled (dist/src/monitor, locally and in
 * Azure); when this module runs from its TypeScript source (the tests), in the build's output.
 */
export function pageScriptPath(): string {
  const compiledDir = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/src/monitor') : __dirname;
  return path.join(compiledDir, 'page', 'pageScript.js');
}

export function loadPageScript(file: string = pageScriptPath()): PageScript {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `The monitor page's script is missing at ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        'run npm run build, which compiles src/monitor/page with its own tsconfig.',
      { cause: error },
    );
  }
  return { text, hash: sha256Source(text) };
}
