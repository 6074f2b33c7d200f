// SIGTERM / SIGINT -> a graceful stop. Listeners are `once`: a second signal during the stop gets
// Node's default (the process ends), the usual "press Ctrl-C again to force".
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export class ShutdownSignals {
  private listener: ((signal: NodeJS.Signals) => void) | undefined;

  install(onSignal: (signal: NodeJS.Signals) => void): void {
    if (this.listener) return;
    this.listener = (signal) => {
      this.remove();
      onSignal(signal);
    };
    for (const s of SIGNALS) process.once(s, this.listener);
  }

  remove(): void {
    if (!this.listener) return;
    for (const s of SIGNALS) process.removeListener(s, this.listener);
    this.listener = undefined;
  }
}
