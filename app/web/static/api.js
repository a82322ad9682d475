// The JSON API from the pages: the session cookie signs the request in, and every
// state-changing request carries the CSRF value the page was rendered with.

export class NetworkError extends Error {}

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export function setCsrfToken(value) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) meta.content = value;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new NetworkError("We could not reach the server. Check your connection.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || "http_error",
      plainMessage(response.status, error),
      error.details || {},
    );
  }
  return data;
}

function plainMessage(status, error) {
  if (status === 401) return "You are signed out. Sign in again to continue.";
  if (status === 422 && error.code === "invalid_request") {
    return "Some of the details are not valid. Check the fields and try again.";
  }
  // Load shed by design says what happens next in its own words.
  if (status === 503 && error.code === "sign_in_busy") return error.message;
  if (status >= 500) return "Something went wrong on our side. Please try again.";
  return error.message || "The request was refused.";
}

export function showError(element, message) {
  element.textContent = message;
  element.hidden = false;
}

// A run (public checks or the pipeline) is queued, then asked for until it is done or
// failed, less often as it takes longer; past ``waitMs`` the page gives up with
// ``slowMessage`` (the run goes on; the files are saved).
export async function pollRun(url, { firstDelayMs, waitMs, slowMessage }) {
  let delay = firstDelayMs;
  const giveUp = Date.now() + waitMs;
  for (;;) {
    if (Date.now() > giveUp) throw new Error(slowMessage);
    const run = await api("GET", url);
    if (run.status === "done" || run.status === "error") return run;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 3000);
  }
}
