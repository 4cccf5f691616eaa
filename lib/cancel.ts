// Cancellation of a native operation by AbortSignal or timeout. The native side is asked to cancel
// (CancelIoEx on Windows); the returned promise settles only when the native operation has completed, so
// the caller's buffers are free again once it rejects. A completion that succeeded despite a late cancel
// keeps its result: data that arrived is never thrown away.
import { AbortError, makeSystemError } from './errors';
import type { OpOptions } from './validate';

export interface CancelContext { syscall: string; address?: string; port?: number }

/** One cancellation scope that may span several native operations (connect tries each address in turn). */
export class CancelScope {
  reason: 'abort' | 'timeout' | undefined;
  #cancelCurrent: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort = (): void => this.#fire('abort');

  constructor(opts: OpOptions) {
    this.#signal = opts.signal;
    if (opts.signal?.aborted) this.reason = 'abort';
    else opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (opts.timeout !== undefined && this.reason === undefined) {
      this.#timer = setTimeout(() => this.#fire('timeout'), opts.timeout);
      this.#timer.unref();
    }
  }

  #fire(reason: 'abort' | 'timeout'): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#cancelCurrent?.();
  }

  /** Waits for a promise that cannot itself be cancelled (a host name lookup), giving up when the scope fires. */
  race<T>(p: Promise<T>, ctx: CancelContext): Promise<T> {
    if (this.reason !== undefined) return Promise.reject(this.error(ctx));
    return new Promise<T>((resolve, reject) => {
      const giveUp = (): void => reject(this.error(ctx));
      this.#cancelCurrent = giveUp;
      // Unhooked before the caller continues, and only if still ours: a later clean-up (a finally() on the
      // lookup) would run after the caller had started the next operation under this scope, and take away
      // that operation's cancel, so a connect that needed a lookup ignored its timeout and signal.
      const done = (): void => { if (this.#cancelCurrent === giveUp) this.#cancelCurrent = undefined; };
      p.then((value) => { done(); resolve(value); }, (err: unknown) => { done(); reject(err); });
    });
  }

  /** Runs one native operation under this scope. */
  run<T>(start: () => Promise<T>, cancel: () => void, ctx: CancelContext): Promise<T> {
    if (this.reason !== undefined) return Promise.reject(this.error(ctx));
    this.#cancelCurrent = cancel;
    return start().then(
      (value) => {
        this.#cancelCurrent = undefined;
        return value;
      },
      (err: { code?: string; bytesRead?: number }) => {
        this.#cancelCurrent = undefined;
        if (this.reason === undefined || err?.code !== 'ECANCELED') throw err;
        // A read of at least minBytes that was cut short keeps telling how much of it arrived.
        const e = this.error(ctx);
        if (err.bytesRead !== undefined) Object.assign(e, { bytesRead: err.bytesRead });
        throw e;
      },
    );
  }

  error(ctx: CancelContext): Error {
    if (this.reason === 'abort') return new AbortError(undefined, { cause: this.#signal?.reason });
    return makeSystemError('ETIMEDOUT', ctx.syscall, 0, ctx.address, ctx.port);
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** A single native operation with optional signal/timeout; no overhead when neither is given. */
export function cancellable<T>(opts: OpOptions | undefined, start: () => Promise<T>, cancel: () => void,
                               ctx: CancelContext): Promise<T> {
  if (opts === undefined || (opts.signal === undefined && opts.timeout === undefined)) return start();
  const scope = new CancelScope(opts);
  const p = scope.run(start, cancel, ctx);
  p.then(() => scope.dispose(), () => scope.dispose());
  return p;
}
