/* RFC 7644 §3.7: a BulkRequest read and checked as a whole, and the order its operations can run in. Pure. */
import { getIgnoringCase, isPlainObject } from '../resource';
import { SCIM_SCHEMAS } from '../schema';
import { ScimException } from '../scim.exception';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkResourceType = 'User' | 'Group';

const METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** `/Users`, `/Groups/<id>` (any case, an optional leading and trailing slash): the paths an operation may name. */
const PATH = /^\/?(users|groups)(?:\/([^/?#]+))?\/?$/i;
const REFERENCE = /^bulkId:(.+)$/;

export interface BulkOperation {
  /** Its place in `Operations` (0-based): responses keep the request's order. */
  index: number;
  method: BulkMethod;
  bulkId?: string;
  /** The ETag the operation requires (If-Match), as sent. */
  version?: string;
  resourceType: BulkResourceType;
  /** The resource's id from the path, or the bulkId it refers to (`/Users/bulkId:x`); undefined for POST. */
  target?: { id: string } | { bulkId: string };
  data?: unknown;
  /** The bulkIds the operation refers to, in its path and anywhere in its data, each once. */
  references: string[];
}

export interface BulkRequest {
  /** Stop after this many failed operations; undefined: run them all. */
  failOnErrors?: number;
  operations: BulkOperation[];
}

function syntax(detail: string): ScimException {
  return new ScimException(400, 'invalidSyntax', detail);
}

/**
 * Reads a BulkRequest. Anything malformed — the envelope, or any operation (a method other than POST, PUT, PATCH
 * and DELETE, a path that is not `/Users` or `/Groups` with an id exactly when the method needs one, data missing
 * or sent with DELETE, a bulkId used twice) — refuses the whole request before any operation runs (400). More than
 * `maxOperations` operations is 413 `tooLarge`. What is wrong within an operation's data is that operation's own
 * error, found when it runs.
 */
export function parseBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isPlainObject(body)) throw syntax('The bulk request must be a JSON object.');
  const schemas = getIgnoringCase(body, 'schemas');
  const bulkSchema = SCIM_SCHEMAS.bulkRequest.toLowerCase();
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === bulkSchema)
  ) {
    throw syntax(`The bulk request must have "schemas": ["${SCIM_SCHEMAS.bulkRequest}"].`);
  }
  const operations = getIgnoringCase(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw syntax('The bulk request must have a non-empty "Operations" array.');
  }
  if (operations.length > maxOperations) {
    throw new ScimException(
      413,
      'tooLarge',
      `The bulk request has ${operations.length} operations; maxOperations is ${maxOperations}.`,
    );
  }
  const failOnErrors = getIgnoringCase(body, 'failOnErrors');
  if (failOnErrors !== undefined && failOnErrors !== null) {
    if (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1) {
      throw new ScimException(400, 'invalidValue', '"failOnErrors" must be a whole number of at least 1.');
    }
  }
  const parsed = operations.map((raw: unknown, index) => parseOperation(raw, index));
  const seen = new Set<string>();
  for (const op of parsed) {
    if (op.bulkId === undefined) continue;
    if (seen.has(op.bulkId)) {
      throw new ScimException(
        400,
        'invalidValue',
        `Operations[${op.index}]: bulkId "${op.bulkId}" is used by another operation; each must be unique.`,
      );
    }
    seen.add(op.bulkId);
  }
  return { failOnErrors: typeof failOnErrors === 'number' ? failOnErrors : undefined, operations: parsed };
}

function parseOperation(raw: unknown, index: number): BulkOperation {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw syntax(`${where} must be an object.`);
  const methodValue = getIgnoringCase(raw, 'method');
  const method = typeof methodValue === 'string' ? methodValue.toUpperCase() : undefined;
  if (method === undefined || !METHODS.includes(method)) {
    throw syntax(
      `${where}: "method" must be POST, PUT, PATCH or DELETE, got ${JSON.stringify(methodValue)}.`,
    );
  }
  const bulkId = optionalString(raw, 'bulkId', where);
  if (bulkId !== undefined && bulkId === '') throw syntax(`${where}: "bulkId" must not be empty.`);
  const version = optionalString(raw, 'version', where);
  const path = getIgnoringCase(raw, 'path');
  if (typeof path !== 'string') throw syntax(`${where}: "path" is required (such as "/Users").`);
  const match = PATH.exec(path);
  if (!match) {
    throw syntax(
      `${where}: "path" must be /Users, /Users/{id}, /Groups or /Groups/{id}, got ${JSON.stringify(path)}.`,
    );
  }
  const resourceType: BulkResourceType = match[1].toLowerCase() === 'users' ? 'User' : 'Group';
  const id = match[2];
  if (method === 'POST' && id !== undefined) throw syntax(`${where}: POST takes a path without an id.`);
  if (method !== 'POST' && id === undefined) throw syntax(`${where}: ${method} takes a path with an id.`);
  const data = getIgnoringCase(raw, 'data');
  if (method === 'DELETE' && data !== undefined) throw syntax(`${where}: DELETE takes no "data".`);
  if (method !== 'DELETE' && !isPlainObject(data))
    throw syntax(`${where}: ${method} needs "data", an object.`);
  const references = new Set<string>();
  let target: BulkOperation['target'];
  if (id !== undefined) {
    const ref = REFERENCE.exec(id);
    target = ref ? { bulkId: ref[1] } : { id };
    if (ref) references.add(ref[1]);
  }
  if (data !== undefined) collectReferences(data, references);
  return {
    index,
    method: method as BulkMethod,
    ...(bulkId !== undefined && { bulkId }),
    ...(version !== undefined && { version }),
    resourceType,
    ...(target && { target }),
    ...(data !== undefined && { data }),
    references: [...references],
  };
}

function optionalString(raw: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = getIgnoringCase(raw, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw syntax(`${where}: "${name}" must be a string.`);
  return value;
}

/** Every string of `value` that is exactly `bulkId:<id>`, iteratively (the body parser bounds the depth). */
function collectReferences(value: unknown, into: Set<string>): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const ref = REFERENCE.exec(v);
      if (ref) into.add(ref[1]);
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (isPlainObject(v)) {
      for (const key in v) stack.push(v[key]);
    }
  }
}

/** `value` with every string `bulkId:<id>` replaced by the id that bulkId created (all of them are known). */
export function resolveReferences(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const ref = REFERENCE.exec(value);
    return ref ? (ids.get(ref[1]) ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, ids));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = resolveReferences(value[key], ids);
    return out;
  }
  return value;
}

/**
 * The order operations may run in (RFC 7644 §3.7.2: whatever order they come in, an operation that refers to a
 * bulkId runs after the POST that creates it). Kahn's algorithm, linear in the operations and their references:
 * `ready()` gives the operations whose POSTs have all finished, in the request's order as far as it can;
 * `finished(op)` releases the operations waiting for it. Operations never released are in a cycle of references,
 * or wait for one. A reference to a bulkId no POST of the request has is no dependency: the operation runs, and
 * fails (its references cannot be resolved).
 */
export class BulkSchedule {
  private readonly waitingFor: number[];
  private readonly dependents: number[][];
  private readonly queue: BulkOperation[] = [];
  private head = 0;

  constructor(private readonly operations: readonly BulkOperation[]) {
    const creator = new Map<string, number>();
    for (const op of operations)
      if (op.method === 'POST' && op.bulkId !== undefined) creator.set(op.bulkId, op.index);
    this.waitingFor = operations.map(() => 0);
    this.dependents = operations.map(() => []);
    for (const op of operations) {
      for (const ref of op.references) {
        const by = creator.get(ref);
        if (by === undefined) continue;
        this.waitingFor[op.index]++;
        this.dependents[by].push(op.index);
      }
    }
    for (const op of operations) if (this.waitingFor[op.index] === 0) this.queue.push(op);
  }

  /** Whether an operation may run now. */
  hasReady(): boolean {
    return this.head < this.queue.length;
  }

  /** The next operation that may run now, if any. */
  next(): BulkOperation | undefined {
    return this.head < this.queue.length ? this.queue[this.head++] : undefined;
  }

  finished(op: BulkOperation): void {
    for (const i of this.dependents[op.index])
      if (--this.waitingFor[i] === 0) this.queue.push(this.operations[i]);
  }

  /** Operations that were never ready: in a cycle of bulkId references, or waiting for one. Request order. */
  blocked(): BulkOperation[] {
    return this.operations.filter((op) => this.waitingFor[op.index] > 0);
  }
}
