import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { renderMonitorPage } from '../../../src/monitor/monitorPage';
import { orderFormExamples } from '../../../src/monitor/orderFormExamples';
import { pageScript } from '../../../src/monitor/pageScript';
import { pageStyle } from '../../../src/monitor/pageStyle';

const page = renderMonitorPage();

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
  it('allows exactly its own inline script and style by hash, and talks to its own origin only', () => {
    const policy = page.headers['Content-Security-Policy'] ?? '';

    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${hashOf(pageScript)}`);
    expect(policy).toContain(`style-src ${hashOf(pageStyle)}`);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    // The hashes are of the texts exactly as they stand in the page.
    expect(between(page.html, '<script>', '</script>')).toEqual([pageScript]);
    expect(between(page.html, '<style>', '</style>')).toEqual([pageStyle]);
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

  it('has a script that parses as plain browser JavaScript (no build step)', () => {
    expect(() => new Script(pageScript)).not.toThrow();
  });

  it('builds everything user-supplied with textContent, never with innerHTML', () => {
    expect(pageScript).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
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
