import { WardenError } from '@warden/contracts';

/** The `scimType` values of RFC 7644 §3.12 that Warden returns. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An error a SCIM endpoint answers with the SCIM error body (`urn:ietf:params:scim:api:messages:2.0:Error`). */
export class ScimError extends WardenError {
  readonly code: string;
  constructor(
    readonly status: number,
    readonly scimType: ScimType | null,
    detail: string,
  ) {
    super(detail);
    this.code = scimType ? `SCIM_${scimType.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}` : `SCIM_${status}`;
  }

  static invalidFilter = (detail: string) => new ScimError(400, 'invalidFilter', detail);
  static invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
  static invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
  static invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);
  static noTarget = (detail: string) => new ScimError(400, 'noTarget', detail);
  static mutability = (detail: string) => new ScimError(400, 'mutability', detail);
  static uniqueness = (detail: string) => new ScimError(409, 'uniqueness', detail);
  static notFound = (detail: string) => new ScimError(404, null, detail);
  static unauthorized = (detail: string) => new ScimError(401, null, detail);
}

export type ScimErrorBody = { schemas: string[]; status: string; scimType?: ScimType; detail: string };
