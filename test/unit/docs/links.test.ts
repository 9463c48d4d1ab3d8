import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, githubSlug, linksOf } from '../../support/markdownLinks';

// The README is the way in: short, and one click from any part's page in docs/. Every relative
// link and #anchor in the markdown at the top level and in docs/ must resolve, as GitHub renders it.

const ROOT = path.resolve(__dirname, '../../..');
const markdownIn = (folder: string) =>
  readdirSync(path.join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
const topLevelMarkdown = () =>
  readdirSync(ROOT)
    .filter((name) => name.endsWith('.md'))
    .sort();

describe("the project's markdown", () => {
  it('has no relative link or #anchor that does not resolve', () => {
    const files = [...topLevelMarkdown(), ...markdownIn('docs')];
    expect(files).toContain('README.md');
    expect(brokenLinks(ROOT, files)).toEqual([]);
  });

  it('keeps README.md within 250 lines', () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(250);
  });

  it('links every page of docs/ from README.md', () => {
    const linked = new Set(
      linksOf(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((l) => l.target.split('#')[0]),
    );
    const unlinked = markdownIn('docs').filter((page) => !linked.has(page));
    expect(unlinked).toEqual([]);
  });
});

describe('the link check', () => {
  it("makes anchors by GitHub's rules", () => {
    expect(githubSlug('Changing the saga safely (versioning)')).toBe('changing-the-saga-safely-versioning');
    expect(githubSlug('`npm start` and what survives it')).toBe('npm-start-and-what-survives-it');
    expect(githubSlug('Speed (`npm run bench`)')).toBe('speed-npm-run-bench');
    expect(githubSlug('HTTP API and settings')).toBe('http-api-and-settings');
    expect(githubSlug('The walk-through, continued')).toBe('the-walk-through-continued');
    expect(githubSlug('snake_case & a [link](x.md)')).toBe('snake_case--a-link');
    expect(githubSlug('Größe à la carte')).toBe('größe-à-la-carte');
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const anchors = anchorsOf(['# Tests', '## Tests', '```sh', '# not a heading', '```', '### Tests ##'].join('\n'));
    expect([...anchors]).toEqual(['tests', 'tests-1', 'tests-2']);
  });

  it('finds inline links and reference definitions, not code', () => {
    const markdown = [
      'See [a](a.md#x "title") and ![b](img/b.png), `[not](code.md)`.',
      '```',
      '[not](fenced.md)',
      '```',
      '[ref]: <docs/c.md#y>',
    ].join('\n');
    expect(linksOf(markdown)).toEqual([
      { line: 1, target: 'a.md#x' },
      { line: 1, target: 'img/b.png' },
      { line: 5, target: 'docs/c.md#y' },
    ]);
  });

  it('names the file, line and link of a missing file or anchor, and skips external links', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'links-'));
    writeFileSync(path.join(root, 'page.md'), '# Page\n\n## Part one\n');
    writeFileSync(
      path.join(root, 'index.md'),
      [
        '# Index',
        '[ok](page.md#part-one) [self](#index) [web](https://example.com/x.md#nowhere)',
        '[gone](missing.md)',
        '[no anchor](page.md#part-two) [no own anchor](#nowhere)',
      ].join('\n'),
    );
    expect(brokenLinks(root, ['index.md'])).toEqual([
      'index.md:3: missing.md: no file missing.md',
      'index.md:4: page.md#part-two: no heading with the anchor #part-two in page.md',
      'index.md:4: #nowhere: no heading with the anchor #nowhere in index.md',
    ]);
  });
});
