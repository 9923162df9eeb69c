/**
 * A counting semaphore for task concurrency (global and per job). `acquire` answers synchronously
 * (undefined) while a permit is free — a task start costs no promise on the hot path — and a
 * promise otherwise, settled in FIFO order as permits come back.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private max: number) {}

  get inUse(): number {
    return this.active;
  }

  /** undefined: the permit is yours; a promise: it will be once settled. */
  acquire(): Promise<void> | undefined {
    if (this.active < this.max) {
      this.active++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the permit passes straight to the next waiter
    else this.active--;
  }

  resize(max: number): void {
    this.max = max;
    while (this.active < this.max && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}
