// Every decoder given each strict prefix of a valid body throws ProtocolError (MALFORMED_FRAME),
// never another exception and never a hang; one trailing byte is MALFORMED_FRAME too.
import { describe, it } from 'node:test';
import { Buffer } from 'node:buffer';
import * as p from '../src/index.js';
import { assertProtocolError } from './helpers.js';
import { cases } from './cases.js';

// Bodies with a 0xffff-byte string would make every-prefix quadratic; past this size the test
// takes every prefix up to it, then a stride, then the last bytes.
const FULL_PREFIX_LIMIT = 4096;

function prefixLengths(n: number): number[] {
  if (n <= FULL_PREFIX_LIMIT) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < FULL_PREFIX_LIMIT; i++) out.add(i);
  for (let i = FULL_PREFIX_LIMIT; i < n; i += 509) out.add(i);
  for (let i = Math.max(0, n - 64); i < n; i++) out.add(i);
  return [...out];
}

describe('truncated and padded bodies', () => {
  for (const k of cases) {
    const body = k.frame.subarray(p.FRAME_HEADER_BYTES);
    it(`${k.name}: every strict prefix of ${body.length} bytes`, () => {
      for (const n of prefixLengths(body.length)) {
        // a copy, so a read past the prefix could not see the rest of the frame
        const prefix = Buffer.from(body.subarray(0, n));
        assertProtocolError(() => k.decode(prefix), 'MALFORMED_FRAME', `${k.name} prefix ${n}`);
      }
    });
    it(`${k.name}: a trailing byte`, () => {
      const padded = Buffer.concat([body, Buffer.from([0])]);
      assertProtocolError(() => k.decode(padded), 'MALFORMED_FRAME', `${k.name} + 1 byte`);
    });
  }
});
