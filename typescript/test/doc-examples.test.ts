// docs/protocol.md §8: every worked example reproduced byte for byte by the encoders and decoded
// back by the decoders. The hex is copied here (so the package tests stand alone) and, when the
// doc is beside us, checked against it so the copy cannot drift.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { docHexBlocks, hex, protocolDoc } from './helpers.js';

const HELLO = hex(`
0000  0d 00 00 00 01 00 00 00 01 00 00 00 01 00 07 00
0010  65 78 61 6d 70 6c 65 00 00
`);

const WELCOME = hex(`
0000  2f 00 00 00 81 00 00 00 01 00 00 00 01 00 0f 00
0010  73 79 6d 70 68 6f 6e 79 64 2f 30 2e 31 2e 30 01
0020  00 00 00 00 00 00 00 00 00 00 01 10 27 00 00 00
0030  00 10 00 00 00 01 00 40 00 ff 00
`);

const DISPATCH = hex(`
0000  41 00 00 00 10 00 00 00 02 00 00 00 01 00 00 00
0010  05 00 45 6d 61 69 6c 0e 00 00 00 7b 22 74 6f 22
0020  3a 22 61 40 62 2e 63 22 7d 00 00 00 00 01 00 05
0030  00 74 72 61 63 65 02 00 74 31 05 00 65 6d 61 69
0040  6c 07 00 00 00 00 00 00 00 00 00 00 00
`);

const DISPATCH_RESULT = hex(`
0000  1d 00 00 00 90 00 00 00 02 00 00 00 01 00 00 00
0010  00 00 00 00 00 00 01 00 00 00 00 00 00 00 05 00
0020  65 6d 61 69 6c 00 00 00 00
`);

const DELIVER = hex(`
0000  9f 00 00 00 60 00 00 00 00 00 00 00 01 00 00 00
0010  01 00 00 00 00 00 00 00 01 00 00 00 07 05 00 65
0020  6d 61 69 6c 00 68 e5 cf 8b 01 00 00 30 dd e5 cf
0030  8b 01 00 00 05 00 45 6d 61 69 6c 04 00 0c 00 6d
0040  65 73 73 61 67 65 2d 74 79 70 65 05 00 45 6d 61
0050  69 6c 0a 00 6d 65 73 73 61 67 65 2d 69 64 01 00
0060  31 0d 00 64 69 73 70 61 74 63 68 65 64 2d 61 74
0070  18 00 32 30 32 33 2d 31 31 2d 31 34 54 32 32 3a
0080  31 33 3a 32 30 2e 30 30 30 5a 05 00 74 72 61 63
0090  65 02 00 74 31 00 00 00 00 0e 00 00 00 7b 22 74
00a0  6f 22 3a 22 61 40 62 2e 63 22 7d
`);

const ACK = hex(`
0000  0c 00 00 00 22 00 00 00 03 00 00 00 01 00 00 00
0010  01 00 00 00 00 00 00 00
`);

const PAYLOAD = '{"to":"a@b.c"}';

/** Decodes `bytes` as exactly one frame through the streaming decoder. */
function oneFrame(bytes: Buffer): p.Frame {
  const frames = [...new p.FrameDecoder().feed(bytes)];
  assert.equal(frames.length, 1);
  return frames[0] as p.Frame;
}

describe('docs/protocol.md §8 worked examples', () => {
  it('8.1 HELLO', () => {
    assert.deepEqual(p.encodeHello(1, { clientName: 'example', authToken: '' }), HELLO);
    const f = oneFrame(HELLO);
    assert.equal(f.opcode, p.Opcode.HELLO);
    assert.equal(f.requestId, 1);
    assert.deepEqual(p.decodeHello(f.body), { version: 1, clientName: 'example', authToken: '' });
  });

  it('8.1 WELCOME', () => {
    const welcome: p.Welcome = { version: 1, serverName: 'symphonyd/0.1.0', sessionId: 1n, limits: { ...p.DEFAULT_LIMITS } };
    assert.deepEqual(p.encodeWelcome(1, welcome), WELCOME);
    const f = oneFrame(WELCOME);
    assert.equal(f.opcode, p.Opcode.WELCOME);
    assert.equal(f.requestId, 1);
    const decoded = p.decodeWelcome(f.body);
    assert.deepEqual(decoded, welcome);
    assert.deepEqual(decoded.limits, {
      maxFrameBytes: 16 * 1024 * 1024,
      maxBatch: 10_000,
      maxPayloadBytes: 1024 * 1024,
      maxMetadataBytes: 64 * 1024,
      maxHeaders: 64,
      maxTypeBytes: 255,
    });
  });

  it('8.2 DISPATCH', () => {
    const encoded = p.encodeDispatch(2, [
      { type: 'Email', payload: PAYLOAD, headers: [['trace', 't1']], queue: 'email', priority: 7 },
    ]);
    assert.deepEqual(encoded, DISPATCH);
    const f = oneFrame(DISPATCH);
    assert.equal(f.opcode, p.Opcode.DISPATCH);
    assert.equal(f.requestId, 2);
    assert.deepEqual(p.decodeDispatch(f.body), [
      {
        type: 'Email',
        payload: Buffer.from(PAYLOAD),
        metadata: Buffer.alloc(0),
        headers: [['trace', 't1']],
        queue: 'email',
        priority: 7,
        when: p.When.NOW,
        whenValue: 0,
        idempotencyKey: '',
      },
    ]);
  });

  it('8.2 DISPATCH_RESULT', () => {
    const result: p.DispatchResult = {
      index: 0,
      code: p.ErrorCode.OK,
      messageId: 1n,
      queue: 'email',
      duplicate: false,
      status: p.EnvelopeStatus.PENDING,
      errorMessage: '',
    };
    assert.deepEqual(p.encodeDispatchResult(2, [result]), DISPATCH_RESULT);
    const f = oneFrame(DISPATCH_RESULT);
    assert.equal(f.opcode, p.Opcode.DISPATCH_RESULT);
    assert.equal(f.requestId, 2);
    assert.deepEqual(p.decodeDispatchResult(f.body), [result]);
  });

  it('8.3 DELIVER', () => {
    const delivery: p.Delivery = {
      messageId: 1n,
      attempt: 1,
      priority: 7,
      queue: 'email',
      createdAtMs: 1_700_000_000_000,
      leaseDeadlineMs: 1_700_000_030_000,
      type: 'Email',
      headers: [
        ['message-type', 'Email'],
        ['message-id', '1'],
        ['dispatched-at', '2023-11-14T22:13:20.000Z'],
        ['trace', 't1'],
      ],
      metadata: Buffer.alloc(0),
      payload: Buffer.from(PAYLOAD),
    };
    assert.deepEqual(p.encodeDeliver([delivery]), DELIVER);
    const f = oneFrame(DELIVER);
    assert.equal(f.opcode, p.Opcode.DELIVER);
    assert.equal(f.requestId, 0);
    const decoded = p.decodeDeliver(f.body);
    assert.deepEqual(decoded, [delivery]);
    assert.equal(new Date((decoded[0] as p.Delivery).createdAtMs).toISOString(), '2023-11-14T22:13:20.000Z');
  });

  it('8.3 ACK', () => {
    assert.deepEqual(p.encodeAck(3, [1n]), ACK);
    const f = oneFrame(ACK);
    assert.equal(f.opcode, p.Opcode.ACK);
    assert.equal(f.requestId, 3);
    assert.equal(f.flags, 0);
    assert.deepEqual(p.decodeAck(f.body), [1n]);
  });

  it('the copied hex matches docs/protocol.md', (t) => {
    const doc = protocolDoc();
    if (!doc) {
      t.skip('docs/protocol.md is not beside this package');
      return;
    }
    const blocks = docHexBlocks(doc);
    const copies: Record<string, Buffer> = {
      hello: HELLO,
      welcome: WELCOME,
      dispatch: DISPATCH,
      dispatch_result: DISPATCH_RESULT,
      deliver: DELIVER,
      ack: ACK,
    };
    assert.deepEqual([...blocks.keys()].sort(), Object.keys(copies).sort(), 'the doc has a hex block this test does not cover');
    for (const [name, bytes] of Object.entries(copies)) assert.deepEqual(blocks.get(name), bytes, `hex:${name}`);
  });
});
