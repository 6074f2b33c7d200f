// A deterministic random-bytes loop against every body decoder and the frame decoder: random
// bodies, and valid bodies with bytes flipped, cut or extended. Whatever the bytes, a decoder
// returns or throws ProtocolError: no RangeError, no TypeError, no hang, no huge allocation.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { decodersWithSample } from './cases.js';
import { prng, randomBytes, randomInt } from './helpers.js';

const CASES_PER_DECODER = 3000;

function mutate(rand: () => number, sample: Buffer): Buffer {
  const out = Buffer.from(sample);
  switch (randomInt(rand, 4)) {
    case 0: // random bytes of a random length
      return randomBytes(rand, randomInt(rand, 96));
    case 1: // flip a few bytes
      for (let i = randomInt(rand, 4) + 1; i > 0 && out.length > 0; i--) out[randomInt(rand, out.length)] = randomInt(rand, 256);
      return out;
    case 2: // a count or length pushed to its maximum
      if (out.length >= 4) {
        const at = randomInt(rand, out.length - 3);
        out.fill(0xff, at, at + 4);
      }
      return out;
    default: // cut and extended with noise
      return Buffer.concat([out.subarray(0, randomInt(rand, out.length + 1)), randomBytes(rand, randomInt(rand, 16))]);
  }
}

function onlyProtocolErrors(fn: () => unknown, what: string): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof p.ProtocolError)) assert.fail(`${what}: threw ${String(err)} (${(err as Error)?.stack ?? ''})`);
    return false;
  }
}

describe('robustness against random bytes', () => {
  const decoders = decodersWithSample();
  let seed = 1;
  for (const [name, { decode, sample }] of decoders) {
    const caseSeed = seed++;
    it(`${name}: ${CASES_PER_DECODER} seeded cases`, () => {
      const rand = prng(0x5eed0000 + caseSeed);
      let decoded = 0;
      for (let i = 0; i < CASES_PER_DECODER; i++) {
        const body = mutate(rand, sample);
        if (onlyProtocolErrors(() => decode(body), `${name} case ${i} body ${body.toString('hex')}`)) decoded++;
      }
      assert.ok(decoded < CASES_PER_DECODER || sample.length === 0, 'mutations should break some bodies');
    });
  }

  it('decodeServerFrame over random frames', () => {
    const rand = prng(0xf4a3e);
    const ops = Object.values(p.Opcode);
    for (let i = 0; i < CASES_PER_DECODER; i++) {
      const opcode = ops[randomInt(rand, ops.length)] as p.Opcode;
      const frame: p.Frame = { opcode, flags: 0, requestId: i, body: randomBytes(rand, randomInt(rand, 64)) };
      onlyProtocolErrors(() => p.decodeServerFrame(frame), `decodeServerFrame ${p.opcodeName(opcode)}`);
    }
  });

  it('the frame decoder over random streams in random chunks', () => {
    const rand = prng(0xdec0de);
    for (let i = 0; i < CASES_PER_DECODER; i++) {
      const stream = randomBytes(rand, randomInt(rand, 200));
      // keep some headers plausible so bodies get read too
      if (stream.length >= 12 && rand() < 0.7) {
        stream.writeUInt32LE(randomInt(rand, 40), 0);
        stream[4] = p.Opcode.PING;
        stream.writeUInt16LE(0, 6);
      }
      const d = new p.FrameDecoder({ maxBodyBytes: 64 });
      let at = 0;
      onlyProtocolErrors(() => {
        while (at < stream.length) {
          const n = 1 + randomInt(rand, 24);
          for (const f of d.feed(stream.subarray(at, at + n))) assert.ok(f.body.length <= 64);
          at += n;
        }
      }, `stream ${stream.toString('hex')}`);
    }
  });
});
