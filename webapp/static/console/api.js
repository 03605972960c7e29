// Talking to the API, and showing what went wrong: API errors go to the banner at the top.

import { $ } from "./dom.js";
import { state } from "./state.js";
import { sessionLost } from "./session.js";
import { updateControls } from "./conversation.js";

export const RECONNECT_MS = 3000;    // pause before reopening a live feed the server refused

export class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;   // 0: the request never got an answer
  }

  get network() { return this.status === 0; }
}

export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let reply;
  try {
    reply = await fetch(path, options);
  } catch (_networkError) {
    throw new ApiError("Can't reach the server. Check your connection; the console keeps trying.");
  }
  const data = await reply.json().catch(() => ({}));
  if (reply.ok) return data;
  const error = new ApiError(data.error || `${reply.status} ${reply.statusText}`, reply.status);
  // A session that ended (expired, or signed out in another tab) leads back to the sign-in.
  if (reply.status === 401 && state.me && !path.startsWith("/api/auth/")) {
    sessionLost("Your session has ended: please sign in again.");
  }
  throw error;
}

export const conversationPath = (id, rest = "") => `/api/conversations/${encodeURIComponent(id)}${rest}`;

// ---------------------------------------------------------------------------------------
// Errors and button actions

export function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

export function hideError() {
  $("error").hidden = true;
}

// Runs what a button does: its error goes to the banner, and the button is disabled meanwhile
// so a double click cannot claim or resolve twice.
export async function act(button, action) {
  if (button) button.disabled = true;
  try {
    hideError();
    await action();
  } catch (error) {
    showError(error.message);
  } finally {
    if (button) button.disabled = false;
    updateControls();
  }
}
