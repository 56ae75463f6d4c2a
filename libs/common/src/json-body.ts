import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { nestsDeeperThan } from './json-depth';

/** No SCIM resource or settings-API body nests this deep. */
export const MAX_BODY_DEPTH = 32;

/** The media types read as JSON: `application/json`, `application/scim+json` and any other `+json` type. */
const JSON_TYPES = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
const WHITESPACE = /^[ \t\n\r]*/;
/** A declared charset other than UTF-8 (JSON is UTF-8: RFC 8259 §8.1). */
export const OTHER_CHARSET = /;\s*charset\s*=\s*(?!"?utf-?8"?\s*(;|$))/i;

/**
 * A body the parser refused, typed the way the error mappers know it (`entity.parse.failed`,
 * `entity.too.deep`, …): both APIs answer it in their own error shape.
 */
export class BodyError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What else a parsed body must pass before it goes further (e.g. text the database cannot store); a thrown
 * error is answered like a parse failure.
 */
export type BodyCheck = (request: FastifyRequest, body: unknown) => void;

/** The methods whose bodies are read. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Whether a request carries a body that is read: a POST, PUT or PATCH with a Content-Length above 0, or chunks. */
export function carriesBody(request: FastifyRequest): boolean {
  if (!BODY_METHODS.has(request.method)) return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

type ParserDone = (err: Error | null, body?: unknown) => void;

/**
 * Replaces Fastify's parsers with one JSON parser for every JSON media type, up to `bodyLimit` bytes (413
 * above it). It reads an object or an array only (a bare scalar is malformed, as RFC 7644 bodies are
 * objects), refuses nesting deeper than MAX_BODY_DEPTH from the raw bytes before JSON.parse spends time on
 * them, and reads an empty body as `{}`. A POST, PUT or PATCH body without a Content-Type is JSON (RFC 7644
 * §3.8 makes JSON the default; Okta's original SCIM spec test sends such requests). Any other body is 415, as
 * Fastify answers a media type it has no parser for, once read (on an unknown route, the 404 goes first); the
 * SCIM API refuses such bodies before they are read (ScimModule.beforeBody).
 */
export function useJsonBodies(instance: FastifyInstance, bodyLimit: number, check?: BodyCheck): void {
  const parse = (request: FastifyRequest, raw: Buffer | string, done: ParserDone) => {
    let body: unknown;
    try {
      refuseEncodings(request);
      body = parseJson(raw as Buffer);
      check?.(request, body);
    } catch (e) {
      return done(e as Error);
    }
    done(null, body);
  };
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer', bodyLimit }, parse);
  // Fastify hands this parser every body with a media type no other parser takes, and every body without one.
  instance.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, raw: Buffer | string, done: ParserDone) => {
      if (request.headers['content-type'] === undefined && carriesBody(request)) {
        return parse(request, raw, done);
      }
      done(request.is404 ? null : new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE());
    },
  );
}

/** Bodies are read as they arrive: UTF-8, not compressed. */
function refuseEncodings(request: FastifyRequest): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new BodyError('encoding.unsupported', 415, 'Unsupported body encoding');
  }
  if (OTHER_CHARSET.test(request.headers['content-type'] ?? '')) {
    throw new BodyError('charset.unsupported', 415, 'Unsupported body encoding');
  }
}

function parseJson(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  const start = WHITESPACE.exec(text)![0].length;
  if (start === text.length) return {};
  const first = text.charCodeAt(start);
  if (first !== 0x7b && first !== 0x5b) {
    throw new BodyError('entity.parse.failed', 400, 'The request body must be a JSON object');
  }
  if (nestsDeeperThan(buf, MAX_BODY_DEPTH)) {
    throw new BodyError('entity.too.deep', 400, `The body nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError('entity.parse.failed', 400, 'The request body is not valid JSON');
  }
}
