// The streaming frame decoder: frames split or merged across chunks at any byte come out the
// same; a bad header (over the limit, unknown opcode, reserved bits) is a typed error as soon
// as its 12 bytes are in, and the error is sticky.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { assertProtocolError, prng, randomInt } from './helpers.js';

const frames: Buffer[] = [
  p.encodeHello(1, { clientName: 'example' }),
  p.encodeWelcome(1, { version: 1, serverName: 'symphonyd/0.1.0', sessionId: 1n, limits: { ...p.DEFAULT_LIMITS } }),
  p.encodeHealth(2), // an empty body
  p.encodeDispatch(3, [{ type: 'Email', payload: '{"to":"a@b.c"}', headers: [['trace', 't1']], queue: 'email', priority: 7 }]),
  p.encodeAck(4, [1n, 2n], { confirm: true }),
  p.encodeDeliver([
    {
      messageId: 1n,
      attempt: 1,
      priority: 7,
      queue: 'email',
      createdAtMs: 1_700_000_000_000,
      leaseDeadlineMs: 1_700_000_030_000,
      type: 'Email',
      headers: [['message-type', 'Email']],
      metadata: '',
      payload: '{}',
    },
  ]),
  p.encodeMetrics(5),
  p.encodePing(6, 99n),
];
const stream = Buffer.concat(frames);

interface Plain {
  opcode: number;
  flags: number;
  requestId: number;
  body: string;
}

const expected: Plain[] = frames.map((f) => ({
  opcode: f[4] as number,
  flags: f[5] as number,
  requestId: f.readUInt32LE(8),
  body: f.subarray(p.FRAME_HEADER_BYTES).toString('hex'),
}));

/** Feeds the chunks, collecting frames; compared only at the end, so a later chunk could not
 *  have changed an earlier frame's body behind its back. */
function run(chunks: Buffer[], decoder = new p.FrameDecoder()): Plain[] {
  const got: p.Frame[] = [];
  for (const c of chunks) for (const f of decoder.feed(c)) got.push(f);
  assert.equal(decoder.bufferedBytes, 0);
  return got.map((f) => ({ opcode: f.opcode, flags: f.flags, requestId: f.requestId, body: f.body.toString('hex') }));
}

/** run() as one string, for the loops that compare tens of thousands of runs. */
function signature(frames: Plain[]): string {
  return frames.map((f) => `${f.opcode}/${f.flags}/${f.requestId}/${f.body}`).join(' ');
}
const expectedSignature = signature(expected);

function header(bodyLength: number, opcode: number, requestId = 7, reserved = 0, flags = 0): Buffer {
  const h = Buffer.alloc(p.FRAME_HEADER_BYTES);
  h.writeUInt32LE(bodyLength, 0);
  h[4] = opcode;
  h[5] = flags;
  h.writeUInt16LE(reserved, 6);
  h.writeUInt32LE(requestId, 8);
  return h;
}

describe('FrameDecoder', () => {
  it('decodes every frame when all arrive in one chunk', () => {
    assert.deepEqual(run([stream]), expected);
  });

  it('decodes every frame fed one byte at a time', () => {
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    assert.deepEqual(run(chunks), expected);
  });

  it(`decodes the same frames with the stream cut at each of its ${stream.length + 1} boundaries`, () => {
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(run([stream.subarray(0, i), stream.subarray(i)]), expected, `cut at ${i}`);
    }
  });

  it('decodes the same frames with the stream cut at every pair of boundaries', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const got = signature(run([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]));
        if (got !== expectedSignature) assert.equal(got, expectedSignature, `cuts at ${i} and ${j}`);
      }
    }
  });

  it('decodes the same frames in seeded random chunk sizes (copied chunks)', () => {
    const rand = prng(42);
    for (let round = 0; round < 500; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + randomInt(rand, 40);
        chunks.push(Buffer.from(stream.subarray(at, at + n)));
        at += n;
      }
      assert.deepEqual(run(chunks), expected);
    }
  });

  it('returns undefined until a frame is complete, and keeps unread frames buffered', () => {
    const d = new p.FrameDecoder();
    d.push(stream.subarray(0, 5));
    assert.equal(d.next(), undefined);
    d.push(stream.subarray(5, (frames[0] as Buffer).length - 1));
    assert.equal(d.next(), undefined);
    d.feed(stream.subarray((frames[0] as Buffer).length - 1)); // not iterated: frames stay buffered
    assert.equal(d.bufferedBytes, stream.length);
    assert.equal(d.next()?.opcode, p.Opcode.HELLO);
    assert.equal([...d.drain()].length, frames.length - 1);
    assert.equal(d.next(), undefined);
  });

  it('accepts a body of exactly the limit', () => {
    const d = new p.FrameDecoder({ maxBodyBytes: 8 });
    const f = [...d.feed(p.encodePing(1, 5n))];
    assert.equal(f.length, 1);
  });

  it('rejects a length over the limit as soon as the header is in, without the body', () => {
    const d = new p.FrameDecoder({ maxBodyBytes: 1024 });
    const h = header(1025, p.Opcode.DISPATCH_RESULT, 9);
    d.push(h.subarray(0, 11));
    assert.equal(d.next(), undefined);
    d.push(h.subarray(11));
    const err = assertProtocolError(() => d.next(), 'FRAME_TOO_LARGE');
    assert.equal(err.code, p.ErrorCode.FRAME_TOO_LARGE);
    assert.equal(err.requestId, 9);
    assert.equal(err.category, 'protocol');
  });

  it('rejects a 4 GiB declared length under the default limit at once', () => {
    const d = new p.FrameDecoder();
    assertProtocolError(() => [...d.feed(header(0xffffffff, p.Opcode.DELIVER, 0))], 'FRAME_TOO_LARGE');
  });

  it('caps the limit at 64 MiB and lets WELCOME set it', () => {
    const d = new p.FrameDecoder({ maxBodyBytes: 1 << 30 });
    assert.equal(d.maxBodyBytes, p.HARD_MAX_FRAME_BYTES);
    d.setMaxBodyBytes(100);
    assert.equal(d.maxBodyBytes, 100);
    assertProtocolError(() => [...d.feed(header(101, p.Opcode.PONG))], 'FRAME_TOO_LARGE');
    const d2 = new p.FrameDecoder({ maxBodyBytes: p.HARD_MAX_FRAME_BYTES });
    assertProtocolError(() => [...d2.feed(header(p.HARD_MAX_FRAME_BYTES + 1, p.Opcode.PONG))], 'FRAME_TOO_LARGE');
    assert.throws(() => new p.FrameDecoder({ maxBodyBytes: -1 }), RangeError);
  });

  it('rejects an unknown opcode and reserved bits, naming the request id', () => {
    const unknown = assertProtocolError(() => [...new p.FrameDecoder().feed(header(0, 0x03, 11))], 'UNKNOWN_OPCODE');
    assert.equal(unknown.requestId, 11);
    const reserved = assertProtocolError(() => [...new p.FrameDecoder().feed(header(0, p.Opcode.PONG, 12, 1))], 'MALFORMED_FRAME');
    assert.equal(reserved.requestId, 12);
  });

  it('checks the limit before the opcode and the opcode before the reserved bits (as the broker)', () => {
    assertProtocolError(() => [...new p.FrameDecoder({ maxBodyBytes: 4 }).feed(header(5, 0xee, 1, 1))], 'FRAME_TOO_LARGE');
    assertProtocolError(() => [...new p.FrameDecoder().feed(header(0, 0xee, 1, 1))], 'UNKNOWN_OPCODE');
  });

  it('ignores flag bits it does not know', () => {
    const f = [...new p.FrameDecoder().feed(header(0, p.Opcode.HEALTH_RESULT, 1, 0, 0xfe))];
    assert.equal(f[0]?.flags, 0xfe);
  });

  it('yields the good frames before a broken header, then stays broken', () => {
    const d = new p.FrameDecoder();
    const got: p.Frame[] = [];
    const bad = header(0, 0xee);
    const err = assertProtocolError(() => {
      for (const f of d.feed(Buffer.concat([frames[0] as Buffer, frames[2] as Buffer, bad]))) got.push(f);
    }, 'UNKNOWN_OPCODE');
    assert.deepEqual(got.map((f) => f.opcode), [p.Opcode.HELLO, p.Opcode.HEALTH]);
    assert.equal(d.error, err);
    d.push(frames[0] as Buffer); // ignored
    assert.equal(d.bufferedBytes, 0);
    assert.throws(() => d.next(), (e) => e === err);
  });

  it('parseFrameHeader reads a header on its own', () => {
    assert.deepEqual(p.parseFrameHeader(frames[4] as Buffer, p.DEFAULT_MAX_FRAME_BYTES), {
      bodyLength: 4 + 16,
      opcode: p.Opcode.ACK,
      flags: p.FLAG_CONFIRM,
      requestId: 4,
    });
    assertProtocolError(() => p.parseFrameHeader(Buffer.alloc(11), 100), 'MALFORMED_FRAME');
  });

  it('encodeFrame wraps an encoded body', () => {
    const body = (frames[7] as Buffer).subarray(p.FRAME_HEADER_BYTES);
    assert.deepEqual(p.encodeFrame(p.Opcode.PING, 6, body), frames[7]);
    assert.deepEqual(p.encodeFrame(p.Opcode.HEALTH, 2), frames[2]);
  });
});
