import { ScimException } from './scim.exception';
import { limitExceeded, MAX_ATTRIBUTE_LIST_LENGTH } from './scim-limits';
import { SCIM_SCHEMAS } from './schema';

/** The parameters of a SCIM list or search (RFC 7644 §3.4.2, §3.4.3). */
export interface ScimListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string;
  excludedAttributes?: string;
}

/** A page of resources as a service returns it; the SCIM response interceptor renders the ListResponse. */
export class ScimPage<T = Record<string, unknown>> {
  constructor(
    readonly resources: T[],
    readonly totalResults: number,
    readonly startIndex: number,
  ) {}

  toListResponse() {
    return {
      schemas: [SCIM_SCHEMAS.listResponse],
      totalResults: this.totalResults,
      startIndex: this.startIndex,
      itemsPerPage: this.resources.length,
      Resources: this.resources,
    };
  }
}

function integer(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n)) throw new ScimException(400, 'invalidValue', `${name} must be an integer`);
  return n;
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  if (typeof value !== 'string') throw new ScimException(400, 'invalidValue', `${name} must be a string`);
  return value;
}

/** Case-insensitive parameter lookup: clients send `startindex`, `Count`, … */
function lookup(source: Record<string, unknown>, name: string): unknown {
  if (name in source) return source[name];
  const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : source[key];
}

/** `sortBy` names one attribute; a `.search` body could otherwise carry a megabyte of it. */
function attributePath(name: string, value: unknown): string | undefined {
  const path = text(name, value);
  if (path !== undefined && path.length > MAX_ATTRIBUTE_LIST_LENGTH) {
    throw limitExceeded(
      `'${name}' has ${path.length} characters; the limit is ${MAX_ATTRIBUTE_LIST_LENGTH} characters.`,
    );
  }
  return path;
}

/**
 * Reads list parameters from a query string or a `.search` body. `startIndex` below 1 means 1; `count`
 * defaults to `defaultCount`, is capped at `maxResults`, and 0 asks only for `totalResults`. The filter and
 * `attributes` / `excludedAttributes` are checked against their limits where they are parsed.
 */
export function parseListQuery(
  source: Record<string, unknown>,
  maxResults: number,
  defaultCount = 100,
): ScimListQuery {
  const startIndex = Math.max(1, integer('startIndex', lookup(source, 'startIndex')) ?? 1);
  const count = Math.min(
    maxResults,
    Math.max(0, integer('count', lookup(source, 'count')) ?? Math.min(defaultCount, maxResults)),
  );
  return {
    filter: text('filter', lookup(source, 'filter')),
    startIndex,
    count,
    sortBy: attributePath('sortBy', lookup(source, 'sortBy')),
    sortOrder: text('sortOrder', lookup(source, 'sortOrder')),
    attributes: text('attributes', lookup(source, 'attributes')),
    excludedAttributes: text('excludedAttributes', lookup(source, 'excludedAttributes')),
  };
}

/** A `.search` body (RFC 7644 §3.4.3) into list parameters. */
export function parseSearchRequest(body: unknown, maxResults: number): ScimListQuery {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScimException(400, 'invalidSyntax', 'The search request must be a JSON object');
  }
  const schemas = lookup(body as Record<string, unknown>, 'schemas');
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes(SCIM_SCHEMAS.searchRequest))) {
    throw new ScimException(400, 'invalidSyntax', `schemas must contain ${SCIM_SCHEMAS.searchRequest}`);
  }
  return parseListQuery(body as Record<string, unknown>, maxResults);
}
