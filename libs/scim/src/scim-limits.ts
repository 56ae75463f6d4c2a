/*
 * The input limits of the SCIM API, in one place. Rollcall is one process shared by every tenant, so each
 * limit bounds the work a single request can cause. Each is set well above what identity providers send
 * (Okta and Entra ID send at most a few hundred members or operations in a PATCH), and a request over one
 * is refused with a 400 whose detail names the limit and its value, before the work it would cost.
 *
 * One more limit comes from the configuration: a resource a PATCH leaves behind may not take more than
 * BODY_LIMIT_BYTES as JSON (it must fit in the PUT that replaces it), or PATCH requests could grow it without
 * end. The body limit itself is enforced by the JSON body parser (413).
 */
import { ScimException } from './scim.exception';

/**
 * Operations in one /Bulk request (advertised as `bulk.maxOperations`; 413 `tooLarge` above it). A migration tool
 * loads a directory in requests of this size; each operation costs what the same single request would.
 */
export const MAX_BULK_OPERATIONS = 1_000;

/** Operations in one PATCH request. Okta and Entra send at most a few hundred. */
export const MAX_PATCH_OPERATIONS = 1_000;

/**
 * Values of one multi-valued attribute (`emails`, `roles`, `entitlements`, `schemas`, …) in a request body or
 * in the result of a PATCH. People have a handful of emails or addresses and at most a few hundred roles.
 */
export const MAX_VALUES_PER_ATTRIBUTE = 1_000;

/**
 * Attributes of one object: a resource, an extension object, a complex value, or the value of a PATCH
 * operation. SCIM's own schemas have fewer than thirty; an IdP's custom extension a few hundred at most. Code
 * that reads attributes one by one costs about a microsecond each, and a megabyte holds a hundred thousand.
 */
export const MAX_ATTRIBUTES_PER_OBJECT = 1_000;

/**
 * Group members named by one request: the `members` of a POST or PUT, or all the members in a PATCH's
 * operations together. A PUT carries every member of the group; about 21,000 fit in the default 1 MiB body.
 */
export const MAX_MEMBERS_PER_REQUEST = 50_000;

/**
 * Members of one group. A PUT carries every member, so this equals MAX_MEMBERS_PER_REQUEST: a group at the
 * limit can always be replaced whole. Reading such a group renders every member (about 150 bytes of JSON
 * each, 7.5 MB in all); a PATCH `add` that would take the group over the limit is a 400 and changes nothing.
 */
export const MAX_GROUP_MEMBERS = MAX_MEMBERS_PER_REQUEST;

/**
 * Stored resource JSON in one page of /Users (GET or `.search`): a page holds at most `count` users and at
 * most this many bytes of them, and always at least one. A user may take BODY_LIMIT_BYTES (1 MiB), so a full
 * page of SCIM_MAX_RESULTS users could otherwise be a gigabyte in a process whose heap is 128 MiB; parsed and
 * rendered, stored JSON takes several times its size in memory, so 4 MiB keeps a page within a few tens of
 * MiB. IdP users take 1 to 3 KB each: a page of 1,000 of them (≤ 3 MB) is never cut short. A shorter page is
 * allowed by RFC 7644 §3.4.2.4: `itemsPerPage` says how many came, and the client goes on from there.
 */
export const USER_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Group members rendered in one page of /Groups (when `members` is returned): the page ends before the group
 * that would take it over this many, keeping at least one group. Each member is an object of four values in
 * memory and about 150 bytes of JSON, so 10,000 of them cost a few MiB; without the budget a page of 1,000
 * groups could hold 50 million members. `excludedAttributes=members` pages are not limited by it.
 */
export const GROUP_PAGE_MEMBERS = 10_000;

/**
 * Characters of `attributes`, `excludedAttributes` or `sortBy`. Every User attribute and sub-attribute, each
 * schema-qualified, comes to under 5,000 characters.
 */
export const MAX_ATTRIBUTE_LIST_LENGTH = 8_192;

/** Characters of a filter or of a PATCH path. IdPs filter on one attribute: `userName eq "…"`. */
export const MAX_FILTER_LENGTH = 4_096;

/** Nesting of parentheses, `not` and value filters in a filter. */
export const MAX_FILTER_DEPTH = 50;

/** Comparisons and presence tests in a filter; each becomes a condition the database evaluates per row. */
export const MAX_FILTER_TERMS = 100;

/**
 * Characters of a userName, of a group's displayName, and of an externalId: the columns PostgreSQL indexes.
 * Okta and Entra send ids of 20 to 40 characters and names of a few dozen.
 */
export const MAX_INDEXED_TEXT_LENGTH = 1_024;

/**
 * The same values' size in UTF-8: an index entry must fit in a third of a page (2,704 bytes), and 1,024
 * characters of CJK take 3,072 bytes. A longer value would fail in the database instead of with a 400.
 */
export const MAX_INDEXED_TEXT_BYTES = 2_048;

/**
 * scrypt password hashes computed at once, process-wide. Each takes 16 MiB and tens of milliseconds on a
 * thread of libuv's pool (four by default, shared with file and DNS work); the rest wait their turn.
 */
export const MAX_CONCURRENT_PASSWORD_HASHES = 2;

/** The 400 for a request over one of these limits; `detail` names the limit and its value. */
export function limitExceeded(detail: string): ScimException {
  return new ScimException(400, 'invalidValue', detail);
}

/** Refuses a value for an indexed column (`userName`, `displayName`, `externalId`) over either limit above. */
export function checkIndexedText(attribute: string, value: string): void {
  if (value.length > MAX_INDEXED_TEXT_LENGTH) {
    throw limitExceeded(
      `${attribute} has ${value.length} characters; the limit is ${MAX_INDEXED_TEXT_LENGTH} characters.`,
    );
  }
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_INDEXED_TEXT_BYTES) {
    throw limitExceeded(
      `${attribute} takes ${bytes} bytes in UTF-8; the limit is ${MAX_INDEXED_TEXT_BYTES} bytes.`,
    );
  }
}

/**
 * Bytes of a group's own JSON, members aside (they live in their own table): a display name, an external
 * id and a few attributes take well under a kilobyte. A page of 1,000 groups is then at most 8 MiB, which the
 * heap can hold; without it, 1,000 groups of 1 MiB each would be a gigabyte.
 */
export const MAX_GROUP_RESOURCE_BYTES = 8 * 1024;
