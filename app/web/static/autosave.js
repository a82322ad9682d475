// Autosave. Every change is kept on this device (localStorage) until the server has
// acknowledged it, and sent again until it is: across a lost network, a server restart
// or a reload. `seq` grows per item, so the server keeps the newest answer whatever order
// requests arrive in; when it answers with a higher seq than ours (the item was saved
// from an earlier page load), our answer, which is newer still, goes again above it.

import { api, ApiError, NetworkError } from "./api.js";

const MAX_DELAY_MS = 4000;
// Answers that say this very request can never succeed; anything else is retried.
const FINAL_STATUSES = new Set([400, 404, 413, 422]);

export class Autosave {
  constructor({ attemptId, clockSeq, onState, onSaved, onReceipt, onClosed }) {
    this.attemptId = attemptId;
    this.clockSeq = clockSeq; // a seq floor from the server-synced clock
    this.onState = onState;
    this.onSaved = onSaved;
    this.onReceipt = onReceipt; // every acknowledgement's receipt of the stored answers
    this.onClosed = onClosed;
    this.key = `assay:${attemptId}:autosave`;
    const stored = JSON.parse(localStorage.getItem(this.key) || "{}");
    this.pending = stored.pending || {}; // ref -> {payload, seq}
    this.lastSeq = stored.lastSeq || {}; // ref -> highest seq used or seen
    this.inFlight = new Set();
    this.timers = {};
    this.retryDelay = 500;
    this.retryTimer = null;
    this.state = null;
    this.waiters = [];
    window.addEventListener("online", () => this.flushSoon(0));
    window.addEventListener("beforeunload", (event) => {
      if (Object.keys(this.pending).length > 0) event.preventDefault();
    });
  }

  persist() {
    localStorage.setItem(this.key, JSON.stringify({ pending: this.pending, lastSeq: this.lastSeq }));
  }

  /** The unacknowledged answer for an item, to show after a reload. */
  unsaved(ref) {
    return this.pending[ref] ? this.pending[ref].payload : undefined;
  }

  hasPending(ref) {
    return ref === undefined ? Object.keys(this.pending).length > 0 : ref in this.pending;
  }

  nextSeq(ref) {
    const seq = Math.max((this.lastSeq[ref] || 0) + 1, this.clockSeq());
    this.lastSeq[ref] = seq;
    return seq;
  }

  /** Record a change; `delayMs` lets typing settle before it is sent. */
  save(ref, payload, delayMs = 0) {
    this.pending[ref] = { payload, seq: this.nextSeq(ref) };
    this.persist();
    this.setState(navigator.onLine === false ? "offline" : "saving");
    clearTimeout(this.timers[ref]);
    this.timers[ref] = setTimeout(() => this.send(ref), delayMs);
  }

  flushSoon(delayMs) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      for (const ref of Object.keys(this.pending)) this.send(ref);
    }, delayMs);
  }

  /** Resolves once everything is acknowledged (used before runs and submitting). */
  settled() {
    if (!this.hasPending()) return Promise.resolve();
    for (const ref of Object.keys(this.pending)) {
      clearTimeout(this.timers[ref]);
      this.send(ref);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async send(ref) {
    const entry = this.pending[ref];
    if (!entry || this.inFlight.has(ref)) return;
    this.inFlight.add(ref);
    const sentSeq = entry.seq;
    try {
      const saved = await api(
        "PUT",
        `/api/v1/attempts/${this.attemptId}/responses/${encodeURIComponent(ref)}`,
        { ...entry.payload, seq: sentSeq },
      );
      this.inFlight.delete(ref);
      this.retryDelay = 500;
      this.onReceipt(saved.receipt);
      const current = this.pending[ref];
      if (saved.seq > sentSeq) {
        // Stored from an earlier page: ours is newer, so it goes again above that.
        this.lastSeq[ref] = Math.max(this.lastSeq[ref] || 0, saved.seq);
        if (current) current.seq = this.nextSeq(ref);
        this.persist();
        this.send(ref);
        return;
      }
      if (current && current.seq === sentSeq) {
        delete this.pending[ref];
        this.persist();
        this.onSaved(ref, entry.payload);
      } else if (current) {
        this.send(ref); // changed while in flight
        return;
      }
      this.afterChange();
    } catch (err) {
      this.inFlight.delete(ref);
      if (err instanceof ApiError && err.code === "attempt_closed") {
        this.onClosed();
        return;
      }
      if (err instanceof ApiError && FINAL_STATUSES.has(err.status)) {
        // Refused as it is (malformed, e.g. a character that cannot be stored, or too
        // large): sending it again cannot help. Dropped, so the next edit goes normally.
        delete this.pending[ref];
        this.persist();
        this.setState("refused", err.message);
        return;
      }
      this.setState(err instanceof NetworkError ? "offline" : "error", err.message);
      this.flushSoon(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, MAX_DELAY_MS);
    }
  }

  afterChange() {
    if (this.hasPending()) {
      this.setState("saving");
      return;
    }
    this.setState("saved");
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }
}
