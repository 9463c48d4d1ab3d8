import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The relative links and #anchors of the project's markdown, checked the way GitHub renders them.
// A handful of lines instead of a markdown parser: headings are ATX (`## Title`), links are inline
// (`[text](target)`) or reference definitions (`[name]: target`), and fenced code blocks and inline
// code are not markdown. No slug package is a dependency, so GitHub's slug rule is restated here.

/** A heading's anchor as GitHub makes it: the rendered text lowercased, punctuation other than `-`
 * and `_` dropped, each space a `-`. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or an image counts with its text only
    .replace(/<[^>]*>/g, ''); // inline HTML tags are not text
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

interface Line {
  readonly number: number;
  readonly text: string;
}

/** The lines that are markdown, not the inside of a fenced code block, each with its line number. */
function proseLines(markdown: string): Line[] {
  const lines: Line[] = [];
  let fence: string | undefined;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined) {
      if (marker !== undefined) fence = marker;
      else lines.push({ number: index + 1, text });
    } else if (marker?.startsWith(fence[0] ?? '') && marker.length >= fence.length) {
      fence = undefined; // closed by a run of the same character at least as long
    }
  });
  return lines;
}

/** Every anchor a file offers: its headings' slugs (a repeated one gets `-1`, `-2`, ...) and the
 * `id`/`name` of inline HTML anchors. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const times = seen.get(slug) ?? 0;
      seen.set(slug, times + 1);
      anchors.add(times === 0 ? slug : `${slug}-${String(times)}`);
    }
    for (const match of text.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  }
  return anchors;
}

export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** The targets of a file's inline links, images and reference definitions, outside code. */
export function linksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { number, text } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[\s\S]*?\1/g, ''); // inline code is not a link
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    if (definition !== undefined) links.push({ line: number, target: definition });
    for (const match of prose.matchAll(/\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: number, target: match[1] ?? '' });
    }
  }
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** What is wrong with the relative links of `files` (paths relative to `root`), one line per
 * broken link: `file:line: target: why`. */
export function brokenLinks(root: string, files: readonly string[]): string[] {
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    let found = anchorCache.get(file);
    if (found === undefined) {
      found = anchorsOf(readFileSync(file, 'utf8'));
      anchorCache.set(file, found);
    }
    return found;
  };
  const problems: string[] = [];
  for (const file of files) {
    const absolute = path.join(root, file);
    for (const { line, target } of linksOf(readFileSync(absolute, 'utf8'))) {
      if (isExternal(target)) continue;
      const hashAt = target.indexOf('#');
      const filePart = decodeURIComponent(hashAt < 0 ? target : target.slice(0, hashAt));
      const anchor = hashAt < 0 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
      const linked = filePart === '' ? absolute : path.resolve(path.dirname(absolute), filePart);
      const where = `${file}:${String(line)}: ${target}`;
      if (!existsSync(linked)) {
        problems.push(`${where}: no file ${path.relative(root, linked)}`);
      } else if (anchor !== undefined && linked.endsWith('.md') && !anchors(linked).has(anchor)) {
        problems.push(`${where}: no heading with the anchor #${anchor} in ${path.relative(root, linked)}`);
      }
    }
  }
  return problems;
}
