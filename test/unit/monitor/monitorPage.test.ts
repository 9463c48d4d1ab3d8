import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pageScriptRoute, renderMonitorPage } from '../../../src/monitor/monitorPage';
import { orderFormExamples } from '../../../src/monitor/orderFormExamples';
import { loadPageScript, pageScriptPath } from '../../../src/monitor/pageScriptFile';
import { pageStyle } from '../../../src/monitor/pageStyle';

// The script is the build's output (npm run build compiles src/monitor/page), read as it is served.
const script = loadPageScript();
const pageScript = script.text;
const page = renderMonitorPage(script);
const scriptSource = readFileSync(path.resolve(__dirname, '../../../src/monitor/page/pageScript.ts'), 'utf8');

function hashOf(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function between(html: string, open: string, close: string): string[] {
  const found: string[] = [];
  let at = html.indexOf(open);
  while (at >= 0) {
    const end = html.indexOf(close, at + open.length);
    found.push(html.slice(at + open.length, end));
    at = html.indexOf(open, end);
  }
  return found;
}

describe('the monitor page', () => {
  it('allows exactly its own script file and inline style by hash, and talks to its own origin only', () => {
    const policy = page.headers['Content-Security-Policy'] ?? '';

    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${hashOf(pageScript)};`);
    expect(policy).toContain(`style-src ${hashOf(pageStyle)}`);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    // The style hash is of the text exactly as it stands in the page.
    expect(between(page.html, '<style>', '</style>')).toEqual([pageStyle]);
  });

  it('loads its script as a module from the app, naming it by the same hash as its integrity', () => {
    const scripts = page.html.match(/<script\b[^>]*>/g) ?? [];

    expect(scripts).toEqual([
      '<script type="application/json" id="order-examples">',
      `<script type="module" src="${pageScriptRoute}" integrity="${hashOf(pageScript).slice(1, -1)}">`,
    ]);
    expect(between(page.html, `integrity="${script.hash}">`, '</script>')).toEqual(['']);
  });

  it('reads the script the build compiled from src/monitor/page, beside the compiled server modules', () => {
    expect(pageScriptPath()).toBe(path.resolve(__dirname, '../../../dist/src/monitor/page/pageScript.js'));
    expect(pageScript).toContain('function renderTimeline(t) {');
    expect(pageScript).not.toMatch(/: (string|number|boolean|void)\b[),;]/);
  });

  it('says what to do when the compiled script is missing', () => {
    expect(() => loadPageScript('/nonexistent/pageScript.js')).toThrow(
      /missing at \/nonexistent\/pageScript.js.*npm run build/,
    );
  });

  it('loads nothing from anywhere else: no external scripts, styles, fonts or images', () => {
    expect(page.html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page.html).not.toMatch(/@import|@font-face|url\(\s*["']?https?:/i);
    expect(pageScript).not.toMatch(/https?:\/\//);
  });

  it('is served as HTML that is never cached, sniffed or framed', () => {
    expect(page.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    });
  });

  it('has a script that parses as a JavaScript module', () => {
    const check = spawnSync(process.execPath, ['--input-type=module', '--check'], {
      input: pageScript,
      encoding: 'utf8',
    });

    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('builds everything user-supplied with textContent, never with innerHTML', () => {
    // The comments say why innerHTML is not used: only the code counts.
    const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
    for (const text of [scriptSource, pageScript]) {
      expect(code(text)).toContain('textContent');
      expect(code(text)).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });

  it("carries the form's examples as inert JSON", () => {
    const [data] = between(page.html, '<script type="application/json" id="order-examples">', '</script>');
    const examples = JSON.parse(data ?? 'null') as { label: string; body: unknown }[];

    expect(examples.map((e) => e.label)).toEqual(orderFormExamples.map((e) => e.label));
    expect(examples[0]?.body).toEqual(orderFormExamples[0]?.body);
  });

  it('offers every runtime status a person filters by', () => {
    for (const status of ['Pending', 'Running', 'Suspended', 'Completed', 'Failed', 'Terminated']) {
      expect(page.html).toContain(`name="status" value="${status}"`);
    }
  });
});
