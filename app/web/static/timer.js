// The countdown. The server's remaining_seconds is the truth: the browser only counts
// down between re-syncs (every 30 s, when the tab comes back, when the network returns),
// using a monotonic clock so that changing the computer's time changes nothing.

const WARNINGS = [30, 15, 5]; // minutes

function format(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${String(m).padStart(2, "0")}:${sec}`;
}

export class Countdown {
  constructor({ display, warning, attemptId, fetchRemaining, onExpire }) {
    this.display = display;
    this.warning = warning;
    this.fetchRemaining = fetchRemaining;
    this.onExpire = onExpire;
    this.deadline = null; // performance.now() value at which time runs out
    this.expired = false;
    this.total = Infinity; // the exam's length in seconds, once known
    this.warnedKey = `assay:${attemptId}:warned`;
    this.warned = new Set(JSON.parse(sessionStorage.getItem(this.warnedKey) || "[]"));
  }

  sync(remainingSeconds) {
    this.deadline = performance.now() + remainingSeconds * 1000;
    this.tick();
  }

  remaining() {
    return this.deadline === null ? null : (this.deadline - performance.now()) / 1000;
  }

  start() {
    this.interval = setInterval(() => this.tick(), 250);
    this.resyncer = setInterval(() => this.resync(), 30000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.resync();
    });
    window.addEventListener("online", () => this.resync());
  }

  /** Stops counting (the exam is submitted): nothing expires any more. */
  stop() {
    this.expired = true;
    clearInterval(this.interval);
    clearInterval(this.resyncer);
  }

  async resync() {
    try {
      this.sync(await this.fetchRemaining());
    } catch (err) {
      // offline: keep counting down locally until the server answers again
    }
  }

  tick() {
    const left = this.remaining();
    if (left === null) return;
    this.display.textContent = format(left);
    this.display.classList.toggle("low", left <= 5 * 60);
    this.warn(left);
    if (left <= 0 && !this.expired) {
      this.expired = true;
      clearInterval(this.interval);
      clearInterval(this.resyncer);
      this.onExpire();
    }
  }

  warn(left) {
    // The smallest threshold crossed, announced once per attempt (a reload does not
    // repeat it).
    // A threshold the exam starts under (30 minutes in a 30-minute exam) is not news.
    const crossed = WARNINGS.filter(
      (minutes) => left <= minutes * 60 && left > 0 && minutes * 60 < this.total,
    );
    if (crossed.length === 0) return;
    const minutes = Math.min(...crossed);
    if (this.warned.has(minutes)) return;
    for (const m of crossed) this.warned.add(m);
    sessionStorage.setItem(this.warnedKey, JSON.stringify([...this.warned]));
    this.warning.textContent = `Less than ${minutes} minutes left. Your answers are saved as you go; the exam is submitted for you when time runs out.`;
    this.warning.hidden = false;
  }
}
