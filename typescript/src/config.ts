// Connection and client settings: explicit options first, then SYMPHONY_* environment variables,
// then defaults. Everything is validated here, once, so a typo in the environment stops the
// program at start-up with a message naming the variable instead of misbehaving later.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { isValidQueueName } from './queue-name.js';

export const DEFAULT_URL = 'symphony://127.0.0.1:7400';
export const DEFAULT_PORT = 7400;
export const DEFAULT_CLIENT_NAME = 'symphony-ts';

/** Passed to tls.connect(); only these keys, so a config object cannot smuggle in others. */
export interface TlsOptions {
  /** PEM CA bundle(s) to verify the broker against. Default: Node's bundled CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name sent as SNI and checked against the certificate. Default: the host (if a DNS name). */
  servername?: string;
  /** Default: true. False disables verification: for tests only. */
  rejectUnauthorized?: boolean;
  /** Client certificate and key, for a broker that requires one (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface ConnectionOptions {
  /** `symphony://host:port` or `symphonys://host:port` (TLS). Env: SYMPHONY_URL. */
  url?: string;
  /** Override the URL's host. */
  host?: string;
  /** Override the URL's port. */
  port?: number;
  /** true or TLS options: speak TLS (overrides the URL's scheme); false: plain TCP. */
  tls?: boolean | TlsOptions;
  /** Env: SYMPHONY_TOKEN. Default: none. */
  token?: string;
  /** Free text for the broker's logs. Default: "symphony-ts". */
  clientName?: string;
  /** Longest wait for TCP/TLS connect plus HELLO/WELCOME. Default: 10 000 ms (an auth-throttled
   *  HELLO may be held back up to 4 s: docs/protocol.md §5.1). */
  connectTimeoutMs?: number;
  /** Longest wait for any reply. Default: 30 000 ms. */
  requestTimeoutMs?: number;
}

/** Settings of the higher layer (dispatcher, worker), validated here with the rest. */
export interface SettingsOptions {
  /** Env: SYMPHONY_ENABLED (true/false/1/0). Default: false. */
  enabled?: boolean;
  /** Env: SYMPHONY_DEFAULT_QUEUE. Default: none (the broker routes by type). */
  defaultQueue?: string;
  /** Env: SYMPHONY_DEFAULT_PRIORITY (1..10). Default: none (the queue's default). */
  defaultPriority?: number;
  /** Env: SYMPHONY_WORKER_BATCH_SIZE (1..100 000). Default: 10. */
  workerBatchSize?: number;
  /** Env: SYMPHONY_WORKER_MAX_CONCURRENCY (1..1024). Default: 5. */
  workerMaxConcurrency?: number;
}

export type ResolveOptions = ConnectionOptions & SettingsOptions;

export interface ConnectionConfig {
  host: string;
  port: number;
  tls: boolean;
  /** Used only when `tls` is true. */
  tlsOptions: TlsOptions;
  /** Empty: none. */
  token: string;
  clientName: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  enabled: boolean;
  defaultQueue: string | undefined;
  defaultPriority: number | undefined;
  workerBatchSize: number;
  workerMaxConcurrency: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

// The C++ worker's bounds (client/worker.cc), so both clients accept the same values.
const MAX_WORKER_BATCH_SIZE = 100_000;
const MAX_WORKER_CONCURRENCY = 1024;

export function resolveConnectionConfig(options: ResolveOptions = {}, env: Env = process.env): ConnectionConfig {
  const fromEnv = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v; // an empty variable counts as unset
  };
  const urlSetting = options.url !== undefined ? 'url' : 'SYMPHONY_URL';
  const url = parseUrl(urlSetting, options.url ?? fromEnv('SYMPHONY_URL') ?? DEFAULT_URL);

  const host = options.host ?? url.host;
  if (host.length === 0) throw new ConfigError('host', 'must not be empty');
  const port = options.port ?? url.port;
  checkInteger('port', port, 1, 65535);
  const tls = options.tls === undefined ? url.tls : options.tls !== false;
  const tlsOptions = typeof options.tls === 'object' ? pickTlsOptions(options.tls) : {};
  const caFile = fromEnv('SYMPHONY_TLS_CA');
  if (tls && tlsOptions.ca === undefined && caFile !== undefined) tlsOptions.ca = readCaFile(caFile);

  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  checkInteger('connectTimeoutMs', connectTimeoutMs, 1, 2 ** 31 - 1);
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  checkInteger('requestTimeoutMs', requestTimeoutMs, 1, 2 ** 31 - 1);

  return {
    host,
    port,
    tls,
    tlsOptions,
    token: options.token ?? fromEnv('SYMPHONY_TOKEN') ?? '',
    clientName: options.clientName ?? DEFAULT_CLIENT_NAME,
    connectTimeoutMs,
    requestTimeoutMs,
    enabled: options.enabled ?? parseBoolean('SYMPHONY_ENABLED', fromEnv('SYMPHONY_ENABLED')) ?? false,
    defaultQueue: resolveQueue(options.defaultQueue, fromEnv('SYMPHONY_DEFAULT_QUEUE')),
    defaultPriority: resolveInteger('defaultPriority', options.defaultPriority, 'SYMPHONY_DEFAULT_PRIORITY', fromEnv('SYMPHONY_DEFAULT_PRIORITY'), 1, 10),
    workerBatchSize:
      resolveInteger('workerBatchSize', options.workerBatchSize, 'SYMPHONY_WORKER_BATCH_SIZE', fromEnv('SYMPHONY_WORKER_BATCH_SIZE'), 1, MAX_WORKER_BATCH_SIZE) ?? 10,
    workerMaxConcurrency:
      resolveInteger('workerMaxConcurrency', options.workerMaxConcurrency, 'SYMPHONY_WORKER_MAX_CONCURRENCY', fromEnv('SYMPHONY_WORKER_MAX_CONCURRENCY'), 1, MAX_WORKER_CONCURRENCY) ?? 5,
  };
}

interface ParsedUrl {
  host: string;
  port: number;
  tls: boolean;
}

/** `symphony://HOST[:PORT]` or `symphonys://HOST[:PORT]`; IPv6 hosts in brackets. */
export function parseUrl(setting: string, text: string): ParsedUrl {
  const bad = (why: string): ConfigError =>
    new ConfigError(setting, `${why}; expected symphony://HOST:PORT or symphonys://HOST:PORT, got ${JSON.stringify(redact(text))}`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'symphony:' && u.protocol !== 'symphonys:') throw bad(`unknown scheme '${u.protocol.slice(0, -1)}'`);
  if (u.username !== '' || u.password !== '') throw bad('credentials do not go in the URL (use SYMPHONY_TOKEN)');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw bad('no host');
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') throw bad('no path, query or fragment allowed');
  // a non-special scheme keeps the port as written, so check it ourselves
  const port = u.port === '' ? DEFAULT_PORT : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${u.port} is not 1..65535`);
  return { host, port, tls: u.protocol === 'symphonys:' };
}

/** The URL without its userinfo, so an error message never repeats a secret. */
function redact(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//<redacted>@');
}

/**
 * A boolean setting of the environment: true/false/1/0 in any case, undefined when unset or
 * empty; anything else (yes, on, " true") is a ConfigError naming `name`. The one parser of
 * SYMPHONY_ENABLED and the feature flags (SYMPHONY_<FEATURE>_ENABLED), so a value means the same
 * to every reader.
 */
export function parseBoolean(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  switch (text.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new ConfigError(name, `expected true, false, 1 or 0, got ${JSON.stringify(text)}`);
  }
}

function resolveQueue(option: string | undefined, text: string | undefined): string | undefined {
  const [setting, value] = option !== undefined ? ['defaultQueue', option] : ['SYMPHONY_DEFAULT_QUEUE', text];
  if (value !== undefined && !isValidQueueName(value)) {
    throw new ConfigError(setting, `expected a queue name of 1..255 characters of [A-Za-z0-9._:-], got ${JSON.stringify(value)}`);
  }
  return value;
}

function resolveInteger(
  option: string,
  value: number | undefined,
  variable: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value !== undefined) {
    checkInteger(option, value, min, max);
    return value;
  }
  if (text === undefined) return undefined;
  const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN; // digits only: no sign, space, 1e3, 0x
  if (!(n >= min && n <= max)) {
    throw new ConfigError(variable, `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function checkInteger(setting: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(setting, `expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

function pickTlsOptions(o: TlsOptions): TlsOptions {
  const out: TlsOptions = {};
  if (o.ca !== undefined) out.ca = o.ca;
  if (o.servername !== undefined) out.servername = o.servername;
  if (o.rejectUnauthorized !== undefined) out.rejectUnauthorized = o.rejectUnauthorized;
  if (o.cert !== undefined) out.cert = o.cert;
  if (o.key !== undefined) out.key = o.key;
  return out;
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError('SYMPHONY_TLS_CA', `cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}
