// What the exam page tells the proctors: leaving the window, a hidden tab, pastes and
// copies (their size, never their text), leaving full screen, and reconnecting after
// being offline. Best effort: it never gets in the candidate's way, backs off when the
// server says it is too fast, and stops when the attempt is closed.

import { api, ApiError } from "./api.js";

const BACK_OFF_MS = 60000;

export class EventReporter {
  constructor({ attemptId, context }) {
    this.url = `/api/v1/attempts/${attemptId}/events`;
    this.context = context; // () => {ref, path?} of the item on screen
    this.pausedUntil = 0;
    this.stopped = false;
    this.offlineSince = null;
    this.unloading = false;
  }

  start() {
    // A reload or leaving by the exam's own button hides the tab on the way out: that
    // is not the candidate looking elsewhere, so nothing is reported while unloading.
    const unloading = () => {
      this.unloading = true;
    };
    window.addEventListener("beforeunload", unloading);
    window.addEventListener("pagehide", unloading);
    window.addEventListener("pageshow", () => {
      this.unloading = false;
    });
    window.addEventListener("blur", () => {
      if (!this.unloading) this.report("focus_lost");
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden" && !this.unloading) this.report("tab_hidden");
    });
    document.addEventListener("paste", (event) => {
      const text = event.clipboardData ? event.clipboardData.getData("text") : "";
      this.report("paste", { ...this.context(), length: text.length });
    });
    document.addEventListener("copy", () => {
      this.report("copy", { ...this.context(), length: String(window.getSelection() || "").length });
    });
    document.addEventListener("fullscreenchange", () => {
      if (!document.fullscreenElement) this.report("fullscreen_left");
    });
    window.addEventListener("offline", () => {
      this.offlineSince = Date.now();
    });
    window.addEventListener("online", () => {
      const data = this.offlineSince === null ? {} : { offline_seconds: Math.round((Date.now() - this.offlineSince) / 1000) };
      this.offlineSince = null;
      this.report("reconnect", data);
    });
  }

  async report(type, data = {}) {
    if (this.stopped || Date.now() < this.pausedUntil) return;
    try {
      await api("POST", this.url, { type, at: new Date().toISOString(), data });
    } catch (err) {
      if (!(err instanceof ApiError)) return; // offline: the reconnect is reported later
      if (err.status === 429) this.pausedUntil = Date.now() + BACK_OFF_MS;
      else if (err.status === 409 || err.status === 404 || err.status === 401) this.stopped = true;
    }
  }
}
