import type { HeaderObject } from '@nestjs/swagger';

/** `ETag: "<version>"` (a strong validator: the version changes with every change of the product). */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

/**
 * What an `If-Match` header accepts (RFC 9110 §13.1.1, strong comparison): `any` for `*`, otherwise the
 * versions named by strong entity tags. Weak tags (`W/"3"`) and anything unparsable match nothing.
 */
export type IfMatch = { any: true } | { any: false; versions: number[] };

export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
  const versions: number[] = [];
  for (const part of value.split(',')) {
    const match = /^"(\d{1,9})"$/.exec(part.trim());
    if (match) versions.push(Number(match[1]));
  }
  return { any: false, versions };
}

/** OpenAPI description of the `ETag` answer header (products and their single-resource answers). */
export const ETAG_HEADER_DOC: HeaderObject = {
  required: true,
  description: "The product's `version` as a strong entity tag; send it back in `If-Match`",
  schema: { type: 'string', pattern: '^"[0-9]+"$' },
};

/** OpenAPI description of the optional `If-Match` request header of a product change. */
export const IF_MATCH_HEADER_DOC = {
  name: 'If-Match',
  required: false,
  description:
    'Apply the change only if the product is still at this version (`"<version>"`, or `*`); ' +
    'otherwise 412 PRECONDITION_FAILED. Without it the change is applied.',
  schema: { type: 'string', example: '"3"' },
};
