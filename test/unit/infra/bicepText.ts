// A structural reader for this repository's Bicep files, for the infra unit tests. No Bicep compiler
// runs here (it ships as a .NET program that npm cannot install and this machine cannot download),
// so the tests read the text: comments are dropped, then every top-level declaration (param, var,
// resource, module, output) is parsed into its decorators, its type and its value. Object and array
// literals become trees; anything else (a function call, a ternary, a reference) stays as its text,
// which a test can parse further with `parseValue`.
//
// It covers the Bicep these files use, not the whole language (no multi-line ''' strings, no
// user-defined types or functions); it throws on what it cannot read rather than guess.

export type BicepValue =
  | { kind: 'string'; raw: string; value: string }
  | { kind: 'object'; entries: Record<string, BicepValue> }
  | { kind: 'array'; items: BicepValue[] }
  | { kind: 'for'; header: string; body: BicepValue }
  | { kind: 'if'; condition: string; body: BicepValue }
  | { kind: 'expression'; raw: string };

export interface BicepDeclaration {
  keyword: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** param/output: the type; resource: 'Namespace/type@apiVersion'; module: the module path. */
  type: string;
  decorators: string[];
  existing: boolean;
  value: BicepValue | undefined;
}

export interface BicepFile {
  targetScope: string | undefined;
  declarations: BicepDeclaration[];
}

/** Index just past the string literal that starts at `start` (a `'`), interpolations included. */
function skipString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    throw new Error(`multi-line strings are not supported (at ${start})`);
  }
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
    } else if (c === "'") {
      return i + 1;
    } else if (c === '$' && text[i + 1] === '{') {
      i = skipBalanced(text, i + 1);
    } else {
      i += 1;
    }
  }
  throw new Error(`unterminated string at ${start}`);
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index just past the bracket group that opens at `start`, strings inside included. */
function skipBalanced(text: string, start: number): number {
  const stack: string[] = [];
  let i = start;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === "'") {
      i = skipString(text, i);
      continue;
    }
    const closer = CLOSERS[c];
    if (closer) {
      stack.push(closer);
    } else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at ${i}`);
      if (stack.length === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unclosed bracket at ${start}`);
}

/** The text without its // and /* *\/ comments (strings keep theirs). */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 2;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** Skips spaces and tabs, and newlines too when asked. */
  skipSpace(newlines: boolean): void {
    while (!this.done) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.pos += 1;
      else break;
    }
  }

  word(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) throw new Error(`expected a name at ${this.pos}: ${this.text.slice(this.pos, this.pos + 40)}`);
    this.pos += match[0].length;
    return match[0];
  }

  expect(token: string): void {
    this.skipSpace(false);
    if (!this.text.startsWith(token, this.pos)) {
      throw new Error(`expected '${token}' at ${this.pos}: ${this.text.slice(this.pos, this.pos + 40)}`);
    }
    this.pos += token.length;
  }

  string(): { kind: 'string'; raw: string; value: string } {
    const start = this.pos;
    this.pos = skipString(this.text, start);
    const raw = this.text.slice(start, this.pos);
    return { kind: 'string', raw, value: raw.slice(1, -1).replace(/\\(.)/g, '$1') };
  }

  /** An expression's text: up to a newline, comma or closing bracket outside any bracket. */
  expressionText(): string {
    const start = this.pos;
    while (!this.done) {
      const c = this.peek();
      if (c === "'") {
        this.pos = skipString(this.text, this.pos);
      } else if (CLOSERS[c]) {
        this.pos = skipBalanced(this.text, this.pos);
      } else if (c === '\n' || c === ',' || c === ')' || c === ']' || c === '}') {
        break;
      } else {
        this.pos += 1;
      }
    }
    return this.text.slice(start, this.pos).trim();
  }

  /** Whether the reader stands at the end of a value (nothing more on its line in its list). */
  atValueEnd(): boolean {
    const save = this.pos;
    this.skipSpace(false);
    const c = this.peek();
    const end = this.done || c === '\n' || c === ',' || c === ']' || c === '}' || c === ')';
    this.pos = save;
    return end;
  }

  value(): BicepValue {
    this.skipSpace(false);
    const start = this.pos;
    const c = this.peek();
    let parsed: BicepValue | undefined;
    if (c === "'") parsed = this.string();
    else if (c === '{') parsed = this.object();
    else if (c === '[') parsed = this.array();
    else if (/^if\s*\(/.test(this.text.slice(this.pos))) parsed = this.conditional();
    if (parsed && this.atValueEnd()) return parsed;
    // Not a plain literal (an operator or a call follows it): the whole thing is an expression.
    this.pos = start;
    return { kind: 'expression', raw: this.expressionText() };
  }

  conditional(): BicepValue {
    this.word();
    this.skipSpace(false);
    const open = this.pos;
    this.pos = skipBalanced(this.text, open);
    const condition = this.text.slice(open + 1, this.pos - 1).trim();
    return { kind: 'if', condition, body: this.value() };
  }

  object(): BicepValue {
    this.expect('{');
    const entries: Record<string, BicepValue> = {};
    for (;;) {
      this.skipSpace(true);
      if (this.peek() === ',') {
        this.pos += 1;
        continue;
      }
      if (this.peek() === '}') {
        this.pos += 1;
        return { kind: 'object', entries };
      }
      const key = this.peek() === "'" ? this.string().value : this.word();
      this.expect(':');
      entries[key] = this.value();
    }
  }

  array(): BicepValue {
    this.expect('[');
    this.skipSpace(true);
    if (/^for\s/.test(this.text.slice(this.pos))) {
      const headerStart = this.pos;
      // The header ends at the ':' outside brackets and strings, before the body.
      while (this.peek() !== ':') {
        if (this.peek() === "'") this.pos = skipString(this.text, this.pos);
        else if (CLOSERS[this.peek()]) this.pos = skipBalanced(this.text, this.pos);
        else this.pos += 1;
      }
      const header = this.text.slice(headerStart, this.pos).trim();
      this.pos += 1;
      this.skipSpace(true);
      const body = this.value();
      this.skipSpace(true);
      this.expect(']');
      return { kind: 'for', header, body };
    }
    const items: BicepValue[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.peek() === ',') {
        this.pos += 1;
        continue;
      }
      if (this.peek() === ']') {
        this.pos += 1;
        return { kind: 'array', items };
      }
      items.push(this.value());
    }
  }
}

/** Parses one Bicep value (a literal tree or an expression's text). */
export function parseValue(text: string): BicepValue {
  const reader = new Reader(text.trim());
  const value = reader.value();
  reader.skipSpace(true);
  if (!reader.done) throw new Error(`unexpected text after a value: ${text.slice(reader.pos)}`);
  return value;
}

/** Parses a whole Bicep file into its top-level declarations. */
export function parseBicep(source: string): BicepFile {
  const reader = new Reader(stripComments(source));
  const declarations: BicepDeclaration[] = [];
  let targetScope: string | undefined;
  let decorators: string[] = [];
  for (;;) {
    reader.skipSpace(true);
    if (reader.done) break;
    if (reader.peek() === '@') {
      const start = reader.pos;
      reader.pos += 1;
      reader.word();
      reader.pos = skipBalanced(reader.text, reader.pos);
      decorators.push(reader.text.slice(start, reader.pos));
      continue;
    }
    const keyword = reader.word();
    reader.skipSpace(false);
    if (keyword === 'targetScope') {
      reader.expect('=');
      reader.skipSpace(false);
      targetScope = reader.string().value;
      continue;
    }
    if (
      keyword !== 'param' &&
      keyword !== 'var' &&
      keyword !== 'resource' &&
      keyword !== 'module' &&
      keyword !== 'output'
    ) {
      throw new Error(`unsupported top-level statement '${keyword}'`);
    }
    const name = reader.word();
    reader.skipSpace(false);
    let type = '';
    if (keyword === 'resource' || keyword === 'module') {
      type = reader.string().value;
    } else if (keyword !== 'var') {
      type = reader.word();
      if (reader.peek() === '?') {
        reader.pos += 1;
        type += '?';
      }
    }
    reader.skipSpace(false);
    let existing = false;
    if (keyword === 'resource' && /^existing\b/.test(reader.text.slice(reader.pos))) {
      reader.word();
      existing = true;
      reader.skipSpace(false);
    }
    let value: BicepValue | undefined;
    if (reader.peek() === '=') {
      reader.pos += 1;
      value = reader.value();
    }
    declarations.push({ keyword, name, type, decorators, existing, value });
    decorators = [];
  }
  return { targetScope, declarations };
}

/** The one declaration of that keyword and name. */
export function declaration(file: BicepFile, keyword: BicepDeclaration['keyword'], name: string): BicepDeclaration {
  const found = file.declarations.filter((d) => d.keyword === keyword && d.name === name);
  if (found.length !== 1) throw new Error(`expected one ${keyword} ${name}, found ${found.length}`);
  return found[0];
}

/** The value at a path of object keys. */
export function at(value: BicepValue | undefined, ...path: string[]): BicepValue | undefined {
  let current = value;
  for (const key of path) {
    if (current?.kind === 'if' || current?.kind === 'for') current = current.body;
    if (current?.kind !== 'object') return undefined;
    current = current.entries[key];
  }
  return current;
}

/** A value's source text: a string's quoted literal or an expression's text. */
export function text(value: BicepValue | undefined): string | undefined {
  if (value?.kind === 'string') return value.raw;
  if (value?.kind === 'expression') return value.raw;
  return undefined;
}

/** The string list of a decorator such as @allowed(['a', 'b']). */
export function allowedValues(decl: BicepDeclaration): string[] | undefined {
  const allowed = decl.decorators.find((d) => d.startsWith('@allowed('));
  if (!allowed) return undefined;
  const list = parseValue(allowed.slice('@allowed('.length, -1));
  if (list.kind !== 'array') throw new Error(`@allowed of ${decl.name} is not a list`);
  return list.items.map((item) => {
    if (item.kind !== 'string') throw new Error(`@allowed of ${decl.name} holds a non-string`);
    return item.value;
  });
}

/** The arguments of a call `name(a, b, ...)`, each parsed as a value. */
export function callArguments(expression: string, functionName: string): BicepValue[] {
  const trimmed = expression.trim();
  if (!trimmed.startsWith(`${functionName}(`) || skipBalanced(trimmed, functionName.length) !== trimmed.length) {
    throw new Error(`not a call to ${functionName}: ${trimmed}`);
  }
  const inner = trimmed.slice(functionName.length + 1, -1);
  const args: BicepValue[] = [];
  const reader = new Reader(inner);
  for (;;) {
    reader.skipSpace(true);
    if (reader.done) return args;
    if (reader.peek() === ',') {
      reader.pos += 1;
      continue;
    }
    const start = reader.pos;
    reader.expressionText();
    args.push(parseValue(inner.slice(start, reader.pos)));
  }
}
