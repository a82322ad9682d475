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
  if (status >= 500) return "Something went wrong on our side. Please try again.";
  return error.message || "The request was refused.";
}

export function showError(element, message) {
  element.textContent = message;
  element.hidden = false;
}
