// Message headers: Headers := u16 count, count x (str16 key, str16 value). Order is kept and
// keys may repeat, so they travel as a list of pairs, not a map.
import type { ByteReader, ByteWriter } from './bytes.js';

export type Header = readonly [key: string, value: string];
export type Headers = readonly Header[];

/** Header names the broker sets on every DELIVER (a producer may not send them). */
export const HEADER_MESSAGE_TYPE = 'message-type';
export const HEADER_MESSAGE_ID = 'message-id';
export const HEADER_DISPATCHED_AT = 'dispatched-at';

const MIN_PAIR_BYTES = 4; // two empty str16

export function writeHeaders(w: ByteWriter, headers: Headers): void {
  w.u16(headers.length);
  for (const [key, value] of headers) {
    w.str16(key);
    w.str16(value);
  }
}

export function readHeaders(r: ByteReader): Header[] {
  const n = r.count(MIN_PAIR_BYTES, 2);
  const out: Header[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.str16();
    out.push([key, r.str16()]);
  }
  return out;
}
