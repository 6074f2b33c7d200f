// The dispatcher's configuration, in the seeds' shape (symphony.config.ts and Phase 4's config
// module): default queue/priority/transport, named transports, routing by message type, retry
// policies and worker settings. Explicit values win over SYMPHONY_* variables, which win over the
// defaults. MessengerSettings is also the seeds' runtime config manager (setDefaultPriority,
// setTransport...): changes apply to the next dispatch.
//
// Transports are queues here: a transport name resolves to its `transports` entry (its queue,
// else the name itself, and its default priority); a name without an entry is a queue name.
// With no queue, transport, routing or default, the broker routes the message by its own
// [routing] configuration (docs/operations.md).
import { DEFAULT_URL, resolveConnectionConfig, type Env } from '../config.js';
import { ConfigError } from '../errors.js';
import { isValidQueueName } from '../queue-name.js';
import { DEFAULT_RETRY, RetryPolicy, retryFromEnv, type RetryConfig } from './retry-policy.js';

export interface TransportConfig {
  /** The seeds' backend kind ('supabase', 'sync', 'redis'...). Informational: every transport of
   *  this package is a broker queue (SyncTransport is set on the Messenger instead). */
  type?: string;
  /** Default: the transport's name. */
  queue?: string;
  /** Default priority of its messages (1..10). */
  priority?: number;
}

export interface WorkerConfig {
  /** Prefetch (SYMPHONY_WORKER_BATCH_SIZE). Default: 10. */
  batchSize?: number;
  /** Handlers at once (SYMPHONY_WORKER_MAX_CONCURRENCY). Default: 5. */
  maxConcurrency?: number;
  /** Accepted for the seeds' config shape; unused: the broker pushes deliveries, nothing polls. */
  pollInterval?: number;
}

export interface DispatcherConfig {
  /** SYMPHONY_ENABLED. Read by feature checks, not by dispatch(). Default: false. */
  enabled?: boolean;
  /** The transport of messages nothing else routes. Default: none. */
  defaultTransport?: string;
  /** SYMPHONY_DEFAULT_QUEUE. Used when no transport applies. Default: none (the broker routes). */
  defaultQueue?: string;
  /** SYMPHONY_DEFAULT_PRIORITY (1..10). Default: none (the queue's default, 5). */
  defaultPriority?: number;
  /** Named transports. A string entry under `default` names the default transport (the seeds'
   *  symphony.config.ts writes it that way). */
  transports?: Record<string, TransportConfig | string>;
  /** Message type -> transport name(s); several = fan-out. */
  routing?: Record<string, string | readonly string[]>;
  /** `default` and per message type; a type's policy inherits what it leaves out from the
   *  default one (SYMPHONY_RETRY_* apply to the default). Applied by SyncTransport; the broker
   *  applies its own [retry] policy. */
  retry?: Record<string, Partial<RetryConfig>>;
  worker?: WorkerConfig;
}

export interface ResolvedConfig {
  enabled: boolean;
  defaultTransport: string | undefined;
  defaultQueue: string | undefined;
  defaultPriority: number | undefined;
  transports: Record<string, TransportConfig>;
  routing: Record<string, string[]>;
  retry: Record<string, RetryConfig>;
  worker: { batchSize: number; maxConcurrency: number; pollInterval: number };
}

/** Where one dispatch goes. */
export interface Target {
  /** The transport name it was resolved from, if any. */
  transport: string | undefined;
  /** '' lets the broker route by type. */
  queue: string;
  priority: number | undefined;
}

export class MessengerSettings {
  private state: ResolvedConfig;
  private readonly initial: ResolvedConfig;

  constructor(config: DispatcherConfig = {}, env: Env = process.env) {
    this.state = fromEnv(config, env);
    const { enabled: _e, defaultQueue: _q, defaultPriority: _p, ...rest } = config; // applied above
    this.update(rest);
    this.initial = clone(this.state);
  }

  /** A copy of the configuration in effect (the seeds' getConfig()). */
  get(): ResolvedConfig {
    return clone(this.state);
  }

  /** Merges `partial` in (the seeds' setConfig()): scalars replace, maps merge by key. */
  update(partial: DispatcherConfig): this {
    const next = clone(this.state);
    if (partial.enabled !== undefined) next.enabled = partial.enabled;
    if (partial.defaultTransport !== undefined) next.defaultTransport = partial.defaultTransport;
    if (partial.defaultQueue !== undefined) next.defaultQueue = checkQueue('defaultQueue', partial.defaultQueue);
    if (partial.defaultPriority !== undefined) next.defaultPriority = checkPriority('defaultPriority', partial.defaultPriority);
    for (const [name, t] of Object.entries(partial.transports ?? {})) {
      if (typeof t === 'string') next.defaultTransport = checkName(`transports.${name}`, t);
      else next.transports[name] = checkTransport(name, t);
    }
    for (const [type, names] of Object.entries(partial.routing ?? {})) next.routing[type] = checkRouting(type, names);
    const retryDefault = partial.retry?.['default'];
    if (retryDefault) next.retry['default'] = new RetryPolicy(retryDefault, next.retry['default'], 'retry.default').config;
    for (const [type, r] of Object.entries(partial.retry ?? {})) {
      if (type !== 'default') next.retry[type] = new RetryPolicy(r, next.retry[type] ?? next.retry['default'], `retry.${type}`).config;
    }
    if (partial.worker) {
      const w = Object.fromEntries(Object.entries(partial.worker).filter(([, v]) => v !== undefined));
      next.worker = checkWorker({ ...next.worker, ...w });
    }
    this.state = next;
    return this;
  }

  /** Back to the configuration this was created with (the seeds' resetConfig()). */
  reset(): this {
    this.state = clone(this.initial);
    return this;
  }

  setDefaultPriority(priority: number): this {
    return this.update({ defaultPriority: priority });
  }

  setDefaultQueue(queue: string): this {
    return this.update({ defaultQueue: queue });
  }

  setDefaultTransport(name: string): this {
    return this.update({ defaultTransport: name });
  }

  setTransport(name: string, config: TransportConfig): this {
    return this.update({ transports: { [name]: config } });
  }

  setRouting(type: string, transports: string | readonly string[]): this {
    return this.update({ routing: { [type]: transports } });
  }

  setRetry(type: string, config: Partial<RetryConfig>): this {
    return this.update({ retry: { [type]: config } });
  }

  /** The transports a message type goes to by configuration (the seeds'
   *  getTransportsForMessageType()); [] when the broker routes it. */
  transportsFor(type: string): string[] {
    const routed = this.state.routing[type];
    if (routed) return [...routed];
    return this.state.defaultTransport !== undefined ? [this.state.defaultTransport] : [];
  }

  /** Where a dispatch goes: `queue`, else `transport`, else the routing of its type, else the
   *  default transport, else the default queue, else the broker's routing. */
  targets(type: string, options: { queue?: string | undefined; transport?: string | undefined; priority?: number | undefined } = {}): Target[] {
    const s = this.state;
    if (options.queue !== undefined) {
      const t = options.transport === undefined ? undefined : s.transports[options.transport];
      return [{ transport: options.transport, queue: options.queue, priority: options.priority ?? t?.priority ?? s.defaultPriority }];
    }
    const names = options.transport !== undefined ? [options.transport] : this.transportsFor(type);
    if (names.length > 0) return names.map((name) => this.target(name, options.priority));
    return [{ transport: undefined, queue: s.defaultQueue ?? '', priority: options.priority ?? s.defaultPriority }];
  }

  /** One transport name as a target. */
  target(name: string, priority?: number): Target {
    const t = this.state.transports[name];
    return { transport: name, queue: t?.queue ?? name, priority: priority ?? t?.priority ?? this.state.defaultPriority };
  }

  /** The retry policy of a message type (its own, else the default). */
  retryFor(type: string): RetryPolicy {
    const r = this.state.retry;
    return new RetryPolicy(r[type] ?? r['default'] ?? DEFAULT_RETRY);
  }
}

/** The scalar settings (explicit, else SYMPHONY_*, else defaults) and the default retry policy. */
function fromEnv(config: DispatcherConfig, env: Env): ResolvedConfig {
  // the client layer's parser validates these variables (ConfigError naming the variable); the
  // explicit default URL keeps it from judging SYMPHONY_URL, which dispatching in process never uses
  const base = resolveConnectionConfig(
    {
      url: DEFAULT_URL,
      ...(config.enabled !== undefined && { enabled: config.enabled }),
      ...(config.defaultQueue !== undefined && { defaultQueue: config.defaultQueue }),
      ...(config.defaultPriority !== undefined && { defaultPriority: config.defaultPriority }),
      ...(config.worker?.batchSize !== undefined && { workerBatchSize: config.worker.batchSize }),
      ...(config.worker?.maxConcurrency !== undefined && { workerMaxConcurrency: config.worker.maxConcurrency }),
    },
    env,
  );
  return {
    enabled: base.enabled,
    defaultTransport: undefined,
    defaultQueue: base.defaultQueue,
    defaultPriority: base.defaultPriority,
    transports: {},
    routing: {},
    retry: { default: new RetryPolicy(retryFromEnv(env), DEFAULT_RETRY, 'SYMPHONY_RETRY').config },
    worker: { batchSize: base.workerBatchSize, maxConcurrency: base.workerMaxConcurrency, pollInterval: 1000 },
  };
}

function checkPriority(setting: string, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 10) throw new ConfigError(setting, `expected an integer from 1 to 10, got ${String(p)}`);
  return p;
}

function checkQueue(setting: string, q: string): string {
  if (!isValidQueueName(q)) throw new ConfigError(setting, `expected a queue name of 1..255 characters of [A-Za-z0-9._:-], got ${JSON.stringify(q)}`);
  return q;
}

function checkName(setting: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new ConfigError(setting, `expected a transport name, got ${JSON.stringify(name)}`);
  return name;
}

function checkTransport(name: string, t: TransportConfig): TransportConfig {
  if (typeof t !== 'object' || t === null) throw new ConfigError(`transports.${name}`, 'expected an object or a transport name');
  const out: TransportConfig = {};
  if (t.type !== undefined) out.type = t.type;
  out.queue = checkQueue(`transports.${name}.queue`, t.queue ?? name);
  if (t.priority !== undefined) out.priority = checkPriority(`transports.${name}.priority`, t.priority);
  return out;
}

function checkRouting(type: string, names: string | readonly string[]): string[] {
  const list = typeof names === 'string' ? [names] : [...names];
  if (list.length === 0) throw new ConfigError(`routing.${type}`, 'expected at least one transport');
  return list.map((n) => checkName(`routing.${type}`, n));
}

function checkWorker(w: ResolvedConfig['worker']): ResolvedConfig['worker'] {
  const int = (key: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new ConfigError(`worker.${key}`, `expected an integer from 1 to ${max}, got ${String(v)}`);
  };
  int('batchSize', w.batchSize, 100_000);
  int('maxConcurrency', w.maxConcurrency, 1024);
  int('pollInterval', w.pollInterval, 3_600_000);
  return w;
}

function clone(c: ResolvedConfig): ResolvedConfig {
  return {
    ...c,
    transports: Object.fromEntries(Object.entries(c.transports).map(([k, v]) => [k, { ...v }])),
    routing: Object.fromEntries(Object.entries(c.routing).map(([k, v]) => [k, [...v]])),
    retry: Object.fromEntries(Object.entries(c.retry).map(([k, v]) => [k, { ...v }])),
    worker: { ...c.worker },
  };
}
