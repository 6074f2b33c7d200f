// decodeServerFrame: every reply and push decodes to the same value as its own decoder; a
// request opcode from a server is UNEXPECTED_FRAME, and a bad body names its request id.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { assertProtocolError } from './helpers.js';
import { cases } from './cases.js';

function frameOf(bytes: Buffer): p.Frame {
  const d = new p.FrameDecoder({ maxBodyBytes: p.HARD_MAX_FRAME_BYTES });
  d.push(bytes);
  const f = d.next();
  assert.ok(f);
  return f;
}

describe('decodeServerFrame', () => {
  const serverCases = cases.filter((k) => p.isServerOpcode(k.opcode));

  it('covers every reply and push opcode', () => {
    const ops = new Set(serverCases.map((k) => k.opcode));
    const expected = Object.values(p.Opcode).filter((op) => p.isReplyOpcode(op) || p.isPushOpcode(op));
    assert.deepEqual([...ops].sort(), [...expected].sort());
  });

  for (const k of serverCases) {
    it(k.name, () => {
      const decoded = p.decodeServerFrame(frameOf(k.frame));
      assert.equal(decoded.opcode, k.opcode);
      assert.equal(decoded.requestId, k.requestId);
      assert.deepEqual(decoded.value, k.expected);
    });
  }

  it('narrows the value by opcode', () => {
    const decoded = p.decodeServerFrame(frameOf(p.encodePong(3, { nonce: 1n, serverTimeMs: 5 })));
    if (decoded.opcode !== p.Opcode.PONG) assert.fail('expected PONG');
    const pong: p.Pong = decoded.value; // compiles only if narrowed
    assert.equal(pong.serverTimeMs, 5);
  });

  it('refuses request opcodes and unknown ones', () => {
    for (const k of cases.filter((c) => p.isRequestOpcode(c.opcode))) {
      assertProtocolError(() => p.decodeServerFrame(frameOf(k.frame)), 'UNEXPECTED_FRAME', k.name);
    }
    const unknown = { opcode: 0x03 as p.Opcode, flags: 0, requestId: 1, body: Buffer.alloc(0) };
    assertProtocolError(() => p.decodeServerFrame(unknown), 'UNKNOWN_OPCODE');
  });

  it('a malformed body names the request it answered', () => {
    const err = assertProtocolError(
      () => p.decodeServerFrame({ opcode: p.Opcode.ACK_RESULT, flags: 0, requestId: 77, body: Buffer.from([1, 0, 0]) }),
      'MALFORMED_FRAME',
    );
    assert.equal(err.requestId, 77);
    assert.ok(err.cause instanceof p.ProtocolError);
  });
});
