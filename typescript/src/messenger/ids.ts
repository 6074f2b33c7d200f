// Message ids at the API edge: decimal strings out, strings or bigints in (see types.ts).
import { MessageValidationError } from './errors.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** The wire id of `id`; throws MessageValidationError for anything but 1..2^64-1. */
export function toWireId(id: string | bigint): bigint {
  let n: bigint;
  if (typeof id === 'bigint') n = id;
  else if (/^[0-9]{1,20}$/.test(id)) n = BigInt(id);
  else throw new MessageValidationError(`message id must be a decimal string, got ${JSON.stringify(id)}`);
  if (n < 1n || n > U64_MAX) throw new MessageValidationError(`message id out of range: ${String(id)}`);
  return n;
}

export function toWireIds(ids: string | bigint | ReadonlyArray<string | bigint>): bigint[] {
  return Array.isArray(ids) ? ids.map(toWireId) : [toWireId(ids as string | bigint)];
}
