/**
 * Where an engine loop waits when it has nothing to do: until it is woken, an optional timeout
 * passes, or the engine stops. A wake that arrives while the loop is awake (between two looks
 * at the store) is kept for its next sleep, which then returns at once — a wake is never lost,
 * which is what lets idle loops sleep long (or without a timer) instead of polling.
 */
export class Bed {
  private pending = false;
  private wakeUp: ((woken: boolean) => void) | undefined;

  constructor(private readonly stop: AbortSignal) {}

  /** Whether the loop is asleep now. */
  get asleep(): boolean {
    return this.wakeUp !== undefined;
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp(true);
    else this.pending = true;
  }

  /** Resolves true when woken (or stopped), false when `ms` passed first; no `ms`: no timeout. */
  sleep(ms?: number): Promise<boolean> {
    if (this.pending || this.stop.aborted) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      // Every exit removes the timer and the stop listener: a long-lived engine sleeps millions
      // of times, and a listener left on the stop signal per sleep would pile up.
      const done = (woken: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.stop.removeEventListener('abort', onStop);
        this.wakeUp = undefined;
        resolve(woken);
      };
      const onStop = (): void => done(true);
      const timer = ms !== undefined ? setTimeout(() => done(false), ms) : undefined;
      this.wakeUp = done;
      this.stop.addEventListener('abort', onStop, { once: true });
    });
  }
}
