// Opens the byte stream a Connection runs on: plain TCP (node:net) or TLS (node:tls), bounded by
// a timeout, with every failure reported as a TransportError of kind 'connect'.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsOptions } from './config.js';
import { TransportError } from './errors.js';

export interface SocketTarget {
  host: string;
  port: number;
  tls: boolean;
  tlsOptions: TlsOptions;
}

export function openSocket(target: SocketTarget, timeoutMs: number): Promise<Socket> {
  const where = `${target.host}:${target.port}`;
  return new Promise<Socket>((resolve, reject) => {
    let socket: Socket;
    const ready = target.tls ? 'secureConnect' : 'connect';
    if (target.tls) {
      // SNI never carries an IP address; node checks the certificate against `host` either way
      const servername = target.tlsOptions.servername ?? (isIP(target.host) ? undefined : target.host);
      socket = tlsConnect({
        host: target.host,
        port: target.port,
        ...target.tlsOptions,
        ...(servername === undefined ? {} : { servername }),
      });
    } else {
      socket = netConnect({ host: target.host, port: target.port });
    }
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new TransportError('connect', `cannot connect to ${where}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      const what = target.tls ? 'TLS connection to' : 'connect to';
      reject(new TransportError('connect', `cannot ${what} ${where}: ${err.message}`, { cause: err }));
    };
    const onReady = (): void => {
      cleanup();
      socket.setNoDelay(true); // frames are whole requests: send them now, no Nagle delay
      socket.setKeepAlive(true, 30_000);
      resolve(socket);
    };
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off(ready, onReady);
    }
    socket.once('error', onError);
    socket.once(ready, onReady);
  });
}
