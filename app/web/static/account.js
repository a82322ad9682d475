// Sign-in and registration forms: JSON to the API, then on to where the person was going.
import { api, showError } from "./api.js";

// In a sign-in storm the server checks passwords as fast as it can and asks the rest to
// come back after Retry-After (503 sign_in_busy): the page says so and asks again by
// itself, so the person waits in line instead of seeing an error.
async function signIn(email, password) {
  const wait = document.getElementById("form-wait");
  for (;;) {
    try {
      const session = await api("POST", "/api/v1/auth/session", { email, password });
      if (wait) wait.hidden = true;
      return session;
    } catch (err) {
      if (err.code !== "sign_in_busy") {
        if (wait) wait.hidden = true;
        throw err;
      }
      const seconds = Math.max(1, Number(err.details.retry_after) || 5);
      if (wait) {
        wait.textContent = `Many people are signing in at this moment. Signing you in again in ${seconds} s; keep this page open.`;
        wait.hidden = false;
      }
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

function wire(form, handler) {
  const error = document.getElementById("form-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await handler(new FormData(form));
      window.location.assign(form.dataset.next || "/exams");
    } catch (err) {
      showError(error, err.message);
      button.disabled = false;
    }
  });
}

const signInForm = document.getElementById("sign-in-form");
if (signInForm) {
  wire(signInForm, async (data) => {
    try {
      await signIn(data.get("email"), data.get("password"));
    } catch (err) {
      if (err.status === 401 || err.status === 422) {
        throw new Error("The email or password is not right.");
      }
      throw err;
    }
  });
}

// Registration checks every field at once and says what is wrong next to each one.
const FIELDS = {
  full_name: "Full name",
  email: "Email",
  password: "Password",
};

function localProblems(data) {
  const problems = {};
  if (!String(data.get("full_name") || "").trim()) problems.full_name = "Enter your full name.";
  const email = String(data.get("email") || "").trim();
  if (!email) problems.email = "Enter your email address.";
  else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) problems.email = "Enter an email address like name@example.org.";
  if (String(data.get("password") || "").length < 10) problems.password = "Use at least 10 characters.";
  return problems;
}

function serverProblems(err) {
  const problems = {};
  for (const p of (err.details && err.details.problems) || []) {
    const field = String(p.where || "").split(".").pop();
    if (field in FIELDS && !problems[field]) problems[field] = p.problem;
  }
  return problems;
}

function showProblems(form, problems) {
  for (const name of Object.keys(FIELDS)) {
    const input = form.elements[name];
    const note = document.getElementById(`${name}-error`);
    const message = problems[name];
    note.textContent = message || "";
    note.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  const wrong = Object.keys(FIELDS).filter((name) => problems[name]);
  if (wrong.length) form.elements[wrong[0]].focus();
  return wrong;
}

class FieldsInvalid extends Error {}

const registerForm = document.getElementById("register-form");
if (registerForm) {
  wire(registerForm, async (data) => {
    const local = localProblems(data);
    const wrong = showProblems(registerForm, local);
    if (wrong.length) {
      throw new FieldsInvalid(`Please correct ${wrong.length === 1 ? "this field" : `these ${wrong.length} fields`}: ${wrong.map((n) => FIELDS[n]).join(", ")}.`);
    }
    try {
      await api("POST", "/api/v1/auth/register", {
        email: data.get("email"),
        password: data.get("password"),
        full_name: data.get("full_name"),
      });
    } catch (err) {
      const fromServer = showProblems(registerForm, serverProblems(err));
      if (fromServer.length) {
        throw new FieldsInvalid(`Please correct: ${fromServer.map((n) => FIELDS[n]).join(", ")}.`);
      }
      throw err;
    }
    await signIn(data.get("email"), data.get("password"));
  });
}
