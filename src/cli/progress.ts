/** A one-line progress bar on a terminal, redrawn at most every 200 ms. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  private readonly started = Date.now();
  constructor(
    private readonly write: (s: string) => void,
    private readonly total: number,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const frac = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - this.started) / 1000;
    const mibs = secs > 0 ? done / 1048576 / secs : 0;
    const eta = frac > 0 ? secs / frac - secs : 0;
    this.write(`\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${mibs.toFixed(0)} MiB/s  eta ${eta.toFixed(0)} s `);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.write('\r\x1b[K');
    this.drawn = false;
  }
}
