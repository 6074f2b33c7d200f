// Every encoder/decoder pair: the frame header is right and the body decodes to what was encoded,
// including edge values (empty strings, 0xffff-byte strings, max priority, 2^64-1 ids, the
// extremes of the safe millisecond range).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { cases } from './cases.js';

describe('round trips', () => {
  for (const k of cases) {
    it(k.name, () => {
      const frames = [...new p.FrameDecoder({ maxBodyBytes: p.HARD_MAX_FRAME_BYTES }).feed(k.frame)];
      assert.equal(frames.length, 1);
      const f = frames[0] as p.Frame;
      assert.equal(f.opcode, k.opcode, 'opcode');
      assert.equal(f.requestId, k.requestId, 'request id');
      assert.equal(f.flags, k.flags ?? 0, 'flags');
      assert.equal(k.frame.readUInt32LE(0), k.frame.length - p.FRAME_HEADER_BYTES, 'body_length');
      assert.equal(k.frame.readUInt16LE(6), 0, 'reserved');
      assert.deepEqual(k.decode(f.body), k.expected);
    });
  }

  it('every exported body decoder has a case', () => {
    const covered = new Set(cases.map((k) => k.decode));
    // decodeBody is the generic helper; decodeServerFrame takes a whole frame (server-frame tests)
    const skip = new Set(['decodeBody', 'decodeServerFrame']);
    const missing = Object.entries(p)
      .filter(([name, v]) => name.startsWith('decode') && typeof v === 'function' && !skip.has(name))
      .filter(([, v]) => !covered.has(v as (body: Buffer) => unknown))
      .map(([name]) => name);
    assert.deepEqual(missing, []);
  });

  it('every opcode of §4 has an encoder case', () => {
    const encoded = new Set(cases.map((k) => k.opcode));
    const missing = Object.entries(p.Opcode).filter(([, op]) => !encoded.has(op)).map(([name]) => name);
    assert.deepEqual(missing, []);
  });
});
