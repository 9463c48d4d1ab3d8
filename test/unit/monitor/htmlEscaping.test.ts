import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScriptElement } from '../../../src/monitor/htmlEscaping';

describe('escapeHtml', () => {
  it('turns markup a user typed into text', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)">')).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('escapes every character that can end an attribute or start a tag or entity', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('escapes ampersands once, so entities a user typed stay visible as typed', () => {
    expect(escapeHtml('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
  });

  it('shows nothing for null and undefined, and the text of other values', () => {
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('leaves ordinary text alone', () => {
    expect(escapeHtml('Alice Example, Damrak 1 – 1012 LG Amsterdam')).toBe(
      'Alice Example, Damrak 1 – 1012 LG Amsterdam',
    );
  });
});

describe('jsonForScriptElement', () => {
  const tricky = {
    name: '</script><script>alert(1)</script>',
    comment: '<!-- x -->',
    amp: 'a & b',
    separators: 'x\u2028y\u2029z',
  };

  it('cannot close the script element or open a comment inside it', () => {
    const text = jsonForScriptElement(tricky);

    expect(text).not.toMatch(/<|>/);
    expect(text).not.toContain('\u2028');
    expect(text).not.toContain('\u2029');
  });

  it('is still the same JSON', () => {
    expect(JSON.parse(jsonForScriptElement(tricky))).toEqual(tricky);
  });
});
