// The API client: same-origin JSON under /api, errors as Problem (application/problem+json),
// the bearer session in sessionStorage.

const API = "/api";
const SESSION_KEY = "snf.session";  // sessionStorage: {token, expires_at}

/** A failed request, shaped like application/problem+json whatever the server sent. A 402
 *  (Payment Required) also carries the plan's facts: tier, plan, state, reason, resource, limit,
 *  usage and billing_url, in `extensions`. */
export class Problem extends Error {
  constructor({ status = 0, title = "Error", detail = "", errors = [], request_id = null,
                retry_after = null, extensions = {} } = {}) {
    super(detail || title);
    Object.assign(this, { status, title, detail, errors: errors ?? [], request_id, retry_after,
                          extensions: extensions ?? {} });
  }

  /** Over a plan's limit, or read-only: the answer is a plan, not a retry. */
  get paymentRequired() {
    return this.status === 402;
  }
}

const PROBLEM_MEMBERS = new Set(["type", "title", "status", "detail", "instance", "errors", "request_id"]);

/** Raised instead of a Problem when the session ended and the page went back to sign-in. */
export class SessionEnded extends Error {}

export let session = readSession();
let onSessionEnded = () => {};

/** What the page does when the service says the session is over (401 on an authed call). */
export function whenSessionEnds(handler) {
  onSessionEnded = handler;
}

function readSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    return saved && typeof saved.token === "string" ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(value) {
  session = value;
  if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION_KEY);
}

/**
 * Call the API. `body` is sent as JSON; `raw` (a Blob or File) is sent as it is, with
 * `contentType`. Resolves with the parsed JSON (null for 202/204 without a body).
 */
export async function api(path, { method = "GET", body, raw, contentType, auth = true,
                                  idempotencyKey } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers["Content-Type"] = contentType || raw.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(API + path, { method, headers, cache: "no-store", body: payload });
  } catch {
    throw new Problem({ title: "No connection",
                        detail: "The service could not be reached. Check the connection and try again." });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: handled below */ }
  if (response.ok) return data;

  const problem = new Problem({
    status: response.status,
    title: data?.title ?? (response.statusText || `HTTP ${response.status}`),
    detail: data?.detail ?? "The service answered with an error.",
    errors: Array.isArray(data?.errors) ? data.errors : [],
    request_id: data?.request_id ?? response.headers.get("X-Request-Id"),
    retry_after: response.headers.get("Retry-After"),
    extensions: data && typeof data === "object"
      ? Object.fromEntries(Object.entries(data).filter(([key]) => !PROBLEM_MEMBERS.has(key)))
      : {},
  });
  // The organization's standing may have changed since the page last asked (a trial ends the
  // second its end passes): whoever shows the banner refreshes it.
  if (response.status === 402) {
    document.dispatchEvent(new CustomEvent("api:payment-required", { detail: problem }));
  }
  if (auth && session && response.status === 401) {
    onSessionEnded(problem.detail);
    throw new SessionEnded(problem.detail);
  }
  throw problem;
}

// Submissions not yet answered with success, by path and body -> their Idempotency-Key.
const unansweredCreates = new Map();

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
                    (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * POST a create with an Idempotency-Key: a fresh key for a new submission, the same key when
 * the same submission (path and body) is sent again after it failed or while it is in flight,
 * so a retried click after a lost answer or a 503 gets the first answer instead of a duplicate.
 * The server keeps a key only with a create that succeeded, so reusing one after a refusal is
 * harmless; a changed body is a new submission with a new key.
 */
export async function create(path, body, options = {}) {
  const submission = `${path}\n${JSON.stringify(body)}`;
  if (!unansweredCreates.has(submission)) unansweredCreates.set(submission, newKey());
  const result = await api(path, { ...options, method: "POST", body,
                                   idempotencyKey: unansweredCreates.get(submission) });
  unansweredCreates.delete(submission);
  return result;
}

/** Every page of a cursor-paged list (the configuration lists are short). */
export async function allPages(path, params = {}) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ ...params, limit: "200" });
    if (cursor) query.set("cursor", cursor);
    const page = await api(`${path}?${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** Download a CSV the API makes (it needs the bearer token, so no plain link): saved under
 *  `filename` through a temporary object URL. */
export function downloadCsv(path, filename) {
  return downloadFile(path, filename, "text/csv");
}

/** Download a file the API makes (a CSV, the data export's zip) under `filename`. */
export async function downloadFile(path, filename, type) {
  const headers = { Accept: `${type}, application/problem+json` };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const response = await fetch(API + path, { headers, cache: "no-store" });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    throw new Problem({ status: response.status, title: data?.title ?? `HTTP ${response.status}`,
                        detail: data?.detail ?? "The export failed.", request_id: data?.request_id });
  }
  saveBlob(await response.blob(), filename);
}

/** Offer a file made in the page (or fetched) as a download under `filename`. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
