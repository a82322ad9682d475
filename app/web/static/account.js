// Sign-in and registration forms: JSON to the API, then on to where the person was going.
import { api, showError } from "./api.js";

async function signIn(email, password) {
  return api("POST", "/api/v1/auth/session", { email, password });
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

const registerForm = document.getElementById("register-form");
if (registerForm) {
  wire(registerForm, async (data) => {
    const password = data.get("password");
    if (String(password).length < 10) throw new Error("The password needs at least 10 characters.");
    await api("POST", "/api/v1/auth/register", {
      email: data.get("email"),
      password,
      full_name: data.get("full_name"),
    });
    await signIn(data.get("email"), password);
  });
}
