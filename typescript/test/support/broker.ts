// Starts the real broker for integration tests: `symphonyd` from $SYMPHONYD, else
// ../build/release/bin/symphonyd next to this package. Each broker gets a fresh temporary
// directory (data, port files, config) that is removed when it is disposed. A missing binary is
// a test failure with a message saying how to get one, never a silent skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: build-test/test/support/broker.js -> ../../.. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function symphonydPath(): string {
  const path = process.env['SYMPHONYD'] ?? resolve(PACKAGE_ROOT, '..', 'build', 'release', 'bin', 'symphonyd');
  if (!existsSync(path)) {
    throw new Error(
      `the broker binary ${path} does not exist: build it (scripts/build.sh in the repository, ` +
        'target symphonyd) or point $SYMPHONYD at one; the integration tests need a real broker',
    );
  }
  return path;
}

export interface BrokerOptions {
  /** Reuse this directory (a restart); default: a fresh temporary one. */
  root?: string;
  /** Listen on this port; default: any free one. */
  port?: number;
  /** Extra environment (SYMPHONY_RETRY_DELAY, ...). The caller's SYMPHONY_* are never passed. */
  env?: Record<string, string>;
  /** TOML configuration text. */
  config?: string;
  /** Extra command-line flags. */
  args?: string[];
}

let started = 0;

export class Broker {
  private output = '';
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly process: ChildProcess,
    readonly root: string,
    readonly port: number,
    readonly adminPort: number,
    private readonly options: BrokerOptions,
    private ownsRoot: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      if (process.exitCode !== null || process.signalCode !== null) resolve(process.exitCode);
      process.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const bin = symphonydPath();
    const ownsRoot = options.root === undefined;
    const root = options.root ?? (await mkdtemp(join(tmpdir(), 'symphony-ts-')));
    const n = ++started;
    const portFile = join(root, `port-${n}`);
    const adminPortFile = join(root, `admin-port-${n}`);
    const args = [
      '--listen', `127.0.0.1:${options.port ?? 0}`,
      '--admin-listen', '127.0.0.1:0',
      '--data-dir', join(root, 'data'),
      '--port-file', portFile,
      '--admin-port-file', adminPortFile,
      '--log-level', 'warn',
      '--shutdown-grace-ms', '3000',
    ];
    if (options.config !== undefined) {
      const configFile = join(root, 'symphony.toml');
      await writeFile(configFile, options.config);
      args.push('--config', configFile);
    }
    args.push(...(options.args ?? []));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith('SYMPHONY')) env[k] = v;
    }
    Object.assign(env, options.env ?? {});
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      const port = await waitForPortFile(portFile, child, () => output);
      const adminPort = await waitForPortFile(adminPortFile, child, () => output);
      const broker = new Broker(child, root, port, adminPort, options, ownsRoot);
      child.stdout?.off('data', keep);
      child.stderr?.off('data', keep);
      broker.output = output;
      child.stdout?.on('data', (c: Buffer) => (broker.output = (broker.output + c.toString('utf8')).slice(-20_000)));
      child.stderr?.on('data', (c: Buffer) => (broker.output = (broker.output + c.toString('utf8')).slice(-20_000)));
      return broker;
    } catch (err) {
      child.kill('SIGKILL');
      if (ownsRoot) await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return `symphony://127.0.0.1:${this.port}`;
  }

  /** The broker's log so far (last 20 kB), for failure messages. */
  get log(): string {
    return this.output;
  }

  get isRunning(): boolean {
    return this.exitCode === undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** SIGTERM (the broker sends GOAWAY and drains), then SIGKILL after `graceMs`. */
  async stop(graceMs = 8000): Promise<number | null> {
    if (!this.isRunning) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** kill -9: no goodbye, no flush. */
  async kill9(): Promise<void> {
    if (!this.isRunning) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** A new process on the same data directory and port (this one must have stopped). */
  async restart(overrides: BrokerOptions = {}): Promise<Broker> {
    if (this.isRunning) throw new Error('restart: the broker is still running');
    const next = await Broker.start({ ...this.options, ...overrides, root: this.root, port: this.port });
    // the directory now belongs to the new process's handle
    next.ownsRoot = this.ownsRoot;
    this.ownsRoot = false;
    return next;
  }

  /** Stops the broker and removes its directory (if this helper made it). */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsRoot) await rm(this.root, { recursive: true, force: true });
  }
}

/** Waits for the broker to write its port (the file ends with a newline once complete). */
async function waitForPortFile(file: string, child: ChildProcess, output: () => string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`symphonyd exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`);
    }
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.endsWith('\n')) {
      const port = Number(text.trim());
      if (Number.isInteger(port) && port > 0) return port;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`symphonyd did not write ${file} within ${timeoutMs} ms:\n${output()}`);
}
