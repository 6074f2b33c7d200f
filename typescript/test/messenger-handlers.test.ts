// HandlerRegistry, the middleware chain, the ready-made middleware and how failures are
// classified (retryable or not, and under which error class).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HandlerError,
  HandlerRegistry,
  MessageValidationError,
  NoHandlerError,
  ValidationError,
  classifyError,
  errorHandlingMiddleware,
  loggingMiddleware,
  type HandlerContext,
  type Logger,
  type Message,
  type MessageEnvelope,
  type MessageHandler,
} from '../src/index.js';

function envelopeOf(message: Message, attempt = 1): MessageEnvelope {
  return {
    id: '7',
    type: message.type,
    queue: 'default',
    priority: 5,
    attempt,
    headers: {},
    createdAt: new Date(0),
    leaseDeadline: new Date(8.64e15),
    metadata: undefined,
    message,
  };
}

function contextOf(envelope: MessageEnvelope, logger: Logger = recordingLogger([])): HandlerContext {
  return { attempt: envelope.attempt, envelope, logger, signal: new AbortController().signal, stopping: false, touch: async () => undefined };
}

function recordingLogger(lines: Array<[string, string, Record<string, unknown> | undefined]>): Logger {
  const log = (level: string) => (m: string, f?: Record<string, unknown>) => void lines.push([level, m, f]);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function run(registry: HandlerRegistry, message: Message, logger?: Logger): Promise<void> {
  const envelope = envelopeOf(message);
  await registry.execute(message, envelope, contextOf(envelope, logger));
}

class FetchError extends Error {}

describe('classifyError', () => {
  it('HandlerError keeps its retryable flag; its class is HandlerError unless given', () => {
    assert.deepEqual(classifyError(new HandlerError('smtp down', true)), { retryable: true, errorClass: 'HandlerError', message: 'smtp down' });
    assert.deepEqual(classifyError(new HandlerError('bad address', false)), { retryable: false, errorClass: 'HandlerError', message: 'bad address' });
    assert.equal(classifyError(new HandlerError('x', false, { errorClass: 'AuthError' })).errorClass, 'AuthError');
    assert.equal(new HandlerError('default').retryable, true);
  });

  it('any other error is retryable, under its class name', () => {
    assert.deepEqual(classifyError(new FetchError('ECONNRESET')), { retryable: true, errorClass: 'FetchError', message: 'ECONNRESET' });
    assert.equal(classifyError(new TypeError('x')).errorClass, 'TypeError');
    assert.equal(classifyError(new ValidationError('T', [])).retryable, true, 'only HandlerError says not retryable');
    assert.deepEqual(classifyError('a string'), { retryable: true, errorClass: 'UnknownError', message: 'a string' });
  });

  it('a subclass of HandlerError is recorded under its own name; NoHandlerError is fatal', () => {
    class QuotaError extends HandlerError {}
    assert.equal(classifyError(new QuotaError('q', true)).errorClass, 'QuotaError');
    const e = new NoHandlerError('Unknown');
    assert.ok(e instanceof HandlerError);
    assert.deepEqual([e.retryable, e.errorClass, e.messageType], [false, 'NoHandlerError', 'Unknown']);
  });
});

describe('HandlerRegistry', () => {
  it('registers classes, { type, handle } objects and functions; lookup, has, types', async () => {
    const seen: string[] = [];
    class AHandler implements MessageHandler {
      async handle(message: Message, envelope: MessageEnvelope, context: HandlerContext): Promise<void> {
        seen.push(`A:${String(message.payload['n'])}:${envelope.id}:${context.attempt}`);
      }
    }
    // the seeds' object form: handle(message, context)
    const bHandler: MessageHandler = {
      type: 'B',
      handle: async (message: Message, context: HandlerContext) => {
        seen.push(`B:${String(message.payload['n'])}:${context.attempt}:${typeof context.touch}:${context.envelope.queue}`);
      },
    };
    const registry = new HandlerRegistry().register('A', new AHandler()).register(bHandler).register('C', (m) => void seen.push(`C:${m.type}`));
    assert.deepEqual(registry.types(), ['A', 'B', 'C']);
    assert.equal(registry.has('B'), true);
    assert.equal(registry.has('D'), false);
    assert.equal(registry.lookup('B'), bHandler);
    assert.equal(registry.lookup('D'), undefined);
    await run(registry, { type: 'A', payload: { n: 1 } });
    await run(registry, { type: 'B', payload: { n: 2 } });
    await run(registry, { type: 'C', payload: {} });
    assert.deepEqual(seen, ['A:1:7:1', 'B:2:1:function:default', 'C:C']);
  });

  it('a later registration replaces the earlier one; bad registrations throw', async () => {
    const registry = new HandlerRegistry();
    let which = '';
    registry.register('A', () => void (which = 'first'));
    registry.register('A', () => void (which = 'second'));
    await run(registry, { type: 'A', payload: {} });
    assert.equal(which, 'second');
    assert.throws(() => registry.register('', () => undefined), TypeError);
    assert.throws(() => registry.register('X', {} as MessageHandler), TypeError);
    assert.throws(() => registry.register({ handle: async () => undefined }), TypeError);
  });

  it('execute() throws NoHandlerError for an unregistered type', async () => {
    await assert.rejects(run(new HandlerRegistry(), { type: 'Nope', payload: {} }), (e: unknown) => e instanceof NoHandlerError && e.messageType === 'Nope');
  });
});

describe('middleware', () => {
  it('runs in registration order around the handler; next() may be skipped', async () => {
    const order: string[] = [];
    const registry = new HandlerRegistry()
      .register('A', () => void order.push('handler'))
      .use(async (_m, _e, _c, next) => {
        order.push('outer in');
        await next();
        order.push('outer out');
      })
      .use(async (m, _e, _c, next) => {
        order.push('inner in');
        if (m.payload['skip'] !== true) await next();
        order.push('inner out');
      });
    await run(registry, { type: 'A', payload: {} });
    assert.deepEqual(order, ['outer in', 'inner in', 'handler', 'inner out', 'outer out']);
    order.length = 0;
    await run(registry, { type: 'A', payload: { skip: true } });
    assert.deepEqual(order, ['outer in', 'inner in', 'inner out', 'outer out']);
  });

  it('a middleware sees the handler error and may replace it; next() twice is refused', async () => {
    const registry = new HandlerRegistry()
      .register('A', () => {
        throw new Error('boom');
      })
      .use(async (_m, _e, _c, next) => {
        try {
          await next();
        } catch (err) {
          throw new HandlerError(`wrapped: ${(err as Error).message}`, false);
        }
      });
    await assert.rejects(run(registry, { type: 'A', payload: {} }), { message: 'wrapped: boom' });
    const twice = new HandlerRegistry().register('A', () => undefined).use(async (_m, _e, _c, next) => {
      await next();
      await next();
    });
    await assert.rejects(run(twice, { type: 'A', payload: {} }), /next\(\) called twice/);
  });

  it('loggingMiddleware logs start, success with duration, and failures by retryability', async () => {
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const registry = new HandlerRegistry()
      .use(loggingMiddleware())
      .register('Ok', () => undefined)
      .register('Flaky', () => {
        throw new FetchError('reset');
      })
      .register('Bad', () => {
        throw new HandlerError('invalid', false);
      });
    await run(registry, { type: 'Ok', payload: {} }, recordingLogger(lines));
    await assert.rejects(run(registry, { type: 'Flaky', payload: {} }, recordingLogger(lines)), FetchError);
    await assert.rejects(run(registry, { type: 'Bad', payload: {} }, recordingLogger(lines)), HandlerError);
    assert.deepEqual(
      lines.map(([level, m]) => `${level} ${m}`),
      ['debug handling message', 'info handled message', 'debug handling message', 'warn handler failed', 'debug handling message', 'error handler failed'],
    );
    assert.equal(lines[1]?.[2]?.['messageId'], '7');
    assert.equal(typeof lines[1]?.[2]?.['durationMs'], 'number');
    assert.deepEqual([lines[3]?.[2]?.['errorClass'], lines[3]?.[2]?.['retryable']], ['FetchError', true]);
  });

  it('errorHandlingMiddleware makes validation errors and bugs fatal, keeps network errors retryable', async () => {
    const reported: unknown[] = [];
    const throwing = (err: unknown) => () => {
      throw err;
    };
    const registry = new HandlerRegistry()
      .use(errorHandlingMiddleware({ onError: (e) => reported.push(e) }))
      .register('Net', throwing(new FetchError('timeout')))
      .register('Invalid', throwing(new MessageValidationError('missing field')))
      .register('Bug', throwing(new TypeError('x is undefined')))
      .register('Explicit', throwing(new HandlerError('keep me', true)));
    const outcome = async (type: string): Promise<[boolean, string]> => {
      try {
        await run(registry, { type, payload: {} });
      } catch (err) {
        assert.ok(err instanceof HandlerError);
        return [err.retryable, err.errorClass];
      }
      return [true, 'none'];
    };
    assert.deepEqual(await outcome('Net'), [true, 'FetchError']);
    assert.deepEqual(await outcome('Invalid'), [false, 'MessageValidationError']);
    assert.deepEqual(await outcome('Bug'), [false, 'TypeError']);
    assert.deepEqual(await outcome('Explicit'), [true, 'HandlerError']);
    assert.equal(reported.length, 4);
    const custom = new HandlerRegistry().use(errorHandlingMiddleware({ isFatal: () => true })).register('Net', throwing(new FetchError('t')));
    await assert.rejects(run(custom, { type: 'Net', payload: {} }), (e: unknown) => e instanceof HandlerError && !e.retryable && e.cause instanceof FetchError);
  });
});
