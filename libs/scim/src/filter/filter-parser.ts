/*
 * Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar and the §3.5.2 PATCH PATH grammar.
 *
 * Why not the npm package `scim2-parse-filter` (0.2.10, evaluated from its source and by probing it):
 *  - string escapes are corrupted: it doubles every backslash not followed by `"` before JSON.parse, so
 *    `"a\\b"` yields `a\\b`, `"\u00e9"` yields the six characters `\u00e9`, `"\n"` yields `\n` literally,
 *    and `"a\\"` (a value ending in a backslash) is rejected;
 *  - `emails[type eq "work"].value eq "x"` is silently rewritten into
 *    `emails[type eq "work"] and emails.value eq "x"`, which matches different resources (two emails may each
 *    satisfy one half);
 *  - no PATH parser (`attrPath[filter].subAttr`) for PATCH, and `$ref` names (`members.$ref`) fail to tokenize;
 *  - `true`/`false`/`null` are case-sensitive (ABNF literals are case-insensitive: Entra sends `True`);
 *  - garbage is accepted: nested value paths `a[b[c eq 1]]`, attribute names like `1abc` or `a/b%c`,
 *    and unbounded recursion (a deeply parenthesised filter overflows the stack);
 *  - errors are plain `Error`s with no position.
 * Its precedence handling (not > and > or) and `not` were correct, but the defects above are in the parts
 * that matter most, so this file implements the grammar directly.
 *
 * Beyond the RFC 7644 filter ABNF, `attrPath[valFilter].subAttr op value` (Entra's
 * `emails[type eq "work"].value eq "…"`) is read as the value path `attrPath[(valFilter) and subAttr op value]`:
 * one element must match both, as in a PATCH path. The `.subAttr` follows the `]` directly.
 *
 * Leniencies (documented, deliberate): any whitespace separates tokens; `not` may precede any expression, not
 * only a parenthesised one; keywords, operators and literals are case-insensitive.
 *
 * Bounded work: the text is at most MAX_FILTER_LENGTH characters and is read once, left to right; recursion
 * (parentheses, `not`, value filters) is at most MAX_FILTER_DEPTH deep; at most MAX_FILTER_TERMS comparisons
 * reach the database. Each limit is a 400 naming it.
 */
import { ScimException } from '../scim.exception';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS } from '../scim-limits';
import type { ScimErrorType } from '../schema/scim-schema.types';
import { COMPARE_OPS, type CompareOp, type FilterNode, type FilterValue, type ScimPath } from './filter-ast';

type TokenKind = 'word' | 'string' | '(' | ')' | '[' | ']' | 'eof';

interface Token {
  kind: TokenKind;
  /** Raw text for words; the decoded value for strings. */
  text: string;
  pos: number;
}

const ATTRNAME = String.raw`(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)`;
const ATTR_PATH = new RegExp(String.raw`^(?:urn:[A-Za-z0-9._:-]+:)?${ATTRNAME}(?:\.${ATTRNAME})?$`, 'i');
const SUB_ATTR = new RegExp(String.raw`^\.(${ATTRNAME})$`);
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const WORD_CHAR = /[A-Za-z0-9_\-:.$+]/;
const PUNCTUATION = new Set(['(', ')', '[', ']']);

class ParseError extends Error {}

function fail(message: string, pos: number): never {
  throw new ParseError(`${message} at position ${pos + 1}`);
}

function readString(text: string, start: number): { token: Token; end: number } {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  if (i >= text.length) fail('Unterminated string', start);
  const raw = text.slice(start, i + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    fail('Invalid string literal (JSON escapes only, no raw control characters)', start);
  }
  return { token: { kind: 'string', text: value as string, pos: start }, end: i + 1 };
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      const { token, end } = readString(text, i);
      tokens.push(token);
      i = end;
    } else if (PUNCTUATION.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, pos: i });
      i++;
    } else if (WORD_CHAR.test(c)) {
      const start = i;
      while (i < text.length && WORD_CHAR.test(text.charAt(i))) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), pos: start });
    } else {
      fail(`Unexpected character '${c}'`, i);
    }
  }
  tokens.push({ kind: 'eof', text: '', pos: text.length });
  return tokens;
}

function isCompareOp(word: string): word is CompareOp {
  return (COMPARE_OPS as readonly string[]).includes(word);
}

function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of input';
  if (token.kind === 'string') return 'a string';
  return `'${token.text}'`;
}

function parseValue(token: Token): FilterValue {
  if (token.kind === 'string') return token.text;
  if (token.kind !== 'word') fail(`Expected a comparison value but found ${describe(token)}`, token.pos);
  const word = token.text.toLowerCase();
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  if (NUMBER.test(token.text)) return Number(token.text);
  return fail(`Invalid comparison value '${token.text}' (strings must be double-quoted)`, token.pos);
}

/** `name.givenName[...]` is meaningless: a value filter selects values of an attribute. */
function assertNotSubAttribute(path: string, pos: number): void {
  if (path.slice(path.lastIndexOf(':') + 1).includes('.')) {
    fail(`A value filter applies to an attribute, not to the sub-attribute '${path}'`, pos);
  }
}

class Parser {
  private index = 0;
  private depth = 0;
  private terms = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  expect(kind: TokenKind): Token {
    const token = this.next();
    if (token.kind !== kind) fail(`Expected '${kind}' but found ${describe(token)}`, token.pos);
    return token;
  }

  isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  enter(pos: number): void {
    if (++this.depth > MAX_FILTER_DEPTH) fail(`Filter nested deeper than ${MAX_FILTER_DEPTH} levels`, pos);
  }

  leave(): void {
    this.depth--;
  }

  /** Counts a comparison or presence test. */
  term(pos: number): void {
    if (++this.terms > MAX_FILTER_TERMS) {
      fail(`More than ${MAX_FILTER_TERMS} comparisons (the limit is ${MAX_FILTER_TERMS})`, pos);
    }
  }

  parseOr(inValuePath: boolean): FilterNode {
    return this.parseChain('or', () => this.parseAnd(inValuePath));
  }

  parseAnd(inValuePath: boolean): FilterNode {
    return this.parseChain('and', () => this.parseUnary(inValuePath));
  }

  parseChain(kind: 'and' | 'or', operand: () => FilterNode): FilterNode {
    const filters = [operand()];
    while (this.isKeyword(kind)) {
      this.next();
      filters.push(operand());
    }
    if (filters.length === 1) return filters[0];
    return { kind, filters: filters.flatMap((f) => (f.kind === kind ? f.filters : [f])) };
  }

  parseUnary(inValuePath: boolean): FilterNode {
    const token = this.peek();
    if (token.kind === '(') {
      this.next();
      this.enter(token.pos);
      const inner = this.parseOr(inValuePath);
      this.expect(')');
      this.leave();
      return inner;
    }
    if (this.isKeyword('not') && this.notStartsExpression()) {
      this.next();
      this.enter(token.pos);
      const filter = this.parseUnary(inValuePath);
      this.leave();
      return { kind: 'not', filter };
    }
    return this.parseAttrExp(inValuePath);
  }

  /** `not` is an operator unless it is itself an attribute name followed by an operator (`not pr`). */
  notStartsExpression(): boolean {
    const after = this.peek(1);
    if (after.kind === '(') return true;
    if (after.kind !== 'word') return false;
    const word = after.text.toLowerCase();
    return !isCompareOp(word) && word !== 'pr';
  }

  parseAttrPath(): string {
    const token = this.next();
    if (token.kind !== 'word') fail(`Expected an attribute path but found ${describe(token)}`, token.pos);
    if (!ATTR_PATH.test(token.text)) fail(`Invalid attribute path '${token.text}'`, token.pos);
    return token.text;
  }

  parseAttrExp(inValuePath: boolean): FilterNode {
    const pathToken = this.peek();
    const path = this.parseAttrPath();
    const opToken = this.next();
    if (opToken.kind === '[') {
      if (inValuePath) fail('Value paths cannot be nested', opToken.pos);
      assertNotSubAttribute(path, opToken.pos);
      this.enter(opToken.pos);
      const filter = this.parseOr(true);
      const close = this.expect(']');
      this.leave();
      const sub = this.peek();
      if (sub.kind !== 'word' || !sub.text.startsWith('.') || sub.pos !== close.pos + 1) {
        return { kind: 'valuePath', path, filter };
      }
      // `attr[valFilter].subAttr op value`: some element matches valFilter and its subAttr compares true,
      // which is the value path `attr[(valFilter) and subAttr op value]`.
      const match = SUB_ATTR.exec(sub.text);
      if (!match) fail(`Invalid sub-attribute '${sub.text}' after the value filter of '${path}'`, sub.pos);
      this.next();
      if (this.peek().kind === '[') fail('Value paths cannot be nested', this.peek().pos);
      const comparison = this.parseComparison(match[1], sub);
      const filters = filter.kind === 'and' ? [...filter.filters, comparison] : [filter, comparison];
      return { kind: 'valuePath', path, filter: { kind: 'and', filters } };
    }
    return this.parseComparison(path, pathToken, opToken);
  }

  /** `path op value` or `path pr`, the path already read (`pathToken` is where it starts). */
  parseComparison(path: string, pathToken: Token, opToken = this.next()): FilterNode {
    const op = opToken.kind === 'word' ? opToken.text.toLowerCase() : '';
    if (op === 'pr' || isCompareOp(op)) this.term(pathToken.pos);
    if (op === 'pr') return { kind: 'present', path };
    if (isCompareOp(op)) return { kind: 'compare', path, op, value: parseValue(this.next()) };
    return fail(`Expected an operator after '${pathToken.text}' but found ${describe(opToken)}`, opToken.pos);
  }

  parseSubAttr(): string | undefined {
    const token = this.peek();
    if (token.kind !== 'word') return undefined;
    const match = SUB_ATTR.exec(token.text);
    if (!match) fail(`Invalid sub-attribute '${token.text}'`, token.pos);
    this.next();
    return match[1];
  }

  end(): void {
    const token = this.peek();
    if (token.kind !== 'eof') fail(`Unexpected ${describe(token)}`, token.pos);
  }
}

function run<T>(text: unknown, what: string, scimType: ScimErrorType, body: (p: Parser) => T): T {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ScimException(400, scimType, `The ${what} is empty`);
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ScimException(
      400,
      scimType,
      `The ${what} has ${text.length} characters; the limit is ${MAX_FILTER_LENGTH} characters.`,
    );
  }
  try {
    const parser = new Parser(tokenize(text));
    const result = body(parser);
    parser.end();
    return result;
  } catch (error) {
    if (error instanceof ParseError)
      throw new ScimException(400, scimType, `Invalid ${what}: ${error.message}`);
    throw error;
  }
}

/** Parses a SCIM filter; any syntax error is a 400 `invalidFilter`. */
export function parseFilter(text: string): FilterNode {
  return run(text, 'filter', 'invalidFilter', (p) => p.parseOr(false));
}

/**
 * Parses a PATCH operation path (RFC 7644 §3.5.2): `attrPath`, `attrPath[valFilter]` or
 * `attrPath[valFilter].subAttr`. Syntax errors are a 400 `invalidPath`.
 */
export function parsePath(text: string): ScimPath {
  return run(text, 'path', 'invalidPath', (p) => {
    const attrPath = p.parseAttrPath();
    if (p.peek().kind !== '[') return { attrPath };
    const open = p.next();
    p.enter(open.pos);
    const valueFilter = p.parseOr(true);
    p.expect(']');
    p.leave();
    assertNotSubAttribute(attrPath, open.pos);
    const subAttr = p.parseSubAttr();
    return subAttr === undefined ? { attrPath, valueFilter } : { attrPath, valueFilter, subAttr };
  });
}
