import type { ScimErrorType } from './schema/scim-schema.types';

/** A SCIM protocol error; the SCIM exception filter renders it as an RFC 7644 §3.12 Error body. */
export class ScimException extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimErrorType | undefined,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ScimException';
  }
}
