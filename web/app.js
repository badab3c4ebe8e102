// SNF Admissions: the static frontend. Plain ES module, no build step, same-origin API under /api.
// Every value from the API reaches the page through textContent, never as HTML.

const API = "/api";
const SESSION_KEY = "snf.session";          // sessionStorage: {token, expires_at}
const SUBDOMAIN_KEY = "snf.lastSubdomain";  // localStorage: a convenience, not a secret
const HEALTH_EVERY_MS = 60_000;
const WRITER_ROLES = new Set(["owner", "admin"]);

// ?limit=N sets the facilities page size (1-200), handy to see paging with few rows.
const PAGE_SIZE = (() => {
  const n = Number.parseInt(new URLSearchParams(location.search).get("limit") ?? "", 10);
  return Number.isInteger(n) && n >= 1 && n <= 200 ? n : 25;
})();

const STATES = [
  ["AL", "Alabama"], ["AK", "Alaska"], ["AZ", "Arizona"], ["AR", "Arkansas"],
  ["CA", "California"], ["CO", "Colorado"], ["CT", "Connecticut"], ["DE", "Delaware"],
  ["DC", "District of Columbia"], ["FL", "Florida"], ["GA", "Georgia"], ["HI", "Hawaii"],
  ["ID", "Idaho"], ["IL", "Illinois"], ["IN", "Indiana"], ["IA", "Iowa"], ["KS", "Kansas"],
  ["KY", "Kentucky"], ["LA", "Louisiana"], ["ME", "Maine"], ["MD", "Maryland"],
  ["MA", "Massachusetts"], ["MI", "Michigan"], ["MN", "Minnesota"], ["MS", "Mississippi"],
  ["MO", "Missouri"], ["MT", "Montana"], ["NE", "Nebraska"], ["NV", "Nevada"],
  ["NH", "New Hampshire"], ["NJ", "New Jersey"], ["NM", "New Mexico"], ["NY", "New York"],
  ["NC", "North Carolina"], ["ND", "North Dakota"], ["OH", "Ohio"], ["OK", "Oklahoma"],
  ["OR", "Oregon"], ["PA", "Pennsylvania"], ["RI", "Rhode Island"], ["SC", "South Carolina"],
  ["SD", "South Dakota"], ["TN", "Tennessee"], ["TX", "Texas"], ["UT", "Utah"],
  ["VT", "Vermont"], ["VA", "Virginia"], ["WA", "Washington"], ["WV", "West Virginia"],
  ["WI", "Wisconsin"], ["WY", "Wyoming"], ["AS", "American Samoa"], ["GU", "Guam"],
  ["MP", "Northern Mariana Islands"], ["PR", "Puerto Rico"], ["VI", "U.S. Virgin Islands"],
];

const TIER_LABELS = { trial: "Trial", starter: "Starter", professional: "Professional",
                      enterprise: "Enterprise" };
const STATUS_LABELS = { trialing: "Trialing", active: "Active", past_due: "Payment past due",
                        read_only: "Read-only" };

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const pctFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const intFormat = new Intl.NumberFormat();

// ---------------------------------------------------------------------------------------------
// The API client

/** A failed request, shaped like application/problem+json whatever the server sent. */
class Problem extends Error {
  constructor({ status = 0, title = "Error", detail = "", errors = [], request_id = null,
                retry_after = null } = {}) {
    super(detail || title);
    Object.assign(this, { status, title, detail, errors: errors ?? [], request_id, retry_after });
  }
}

/** Raised instead of a Problem when the session ended and the page went back to sign-in. */
class SessionEnded extends Error {}

let session = readSession();

function readSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    return saved && typeof saved.token === "string" ? saved : null;
  } catch {
    return null;
  }
}

function saveSession(value) {
  session = value;
  if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION_KEY);
}

async function api(path, { method = "GET", body, auth = true } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
  });
  if (auth && session && response.status === 401) {
    endSession(problem.detail);
    throw new SessionEnded(problem.detail);
  }
  throw problem;
}

// ---------------------------------------------------------------------------------------------
// Forms: reading values, showing problems next to the form and beside each field

function friendlyMessage(error) {
  switch (error.type) {
    case "missing": return "This field is required.";
    case "int_type": case "int_parsing": case "int_from_float": return "Enter a whole number.";
    case "decimal_type": case "decimal_parsing": return "Enter a number, such as 0.9512.";
    case "string_too_short":
      if (/at least 1 character/.test(error.message ?? "")) return "This field is required.";
      break;
    default: break;
  }
  const message = String(error.message ?? "Invalid value.").trim();
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function clearProblems(form) {
  const box = $("[data-problem]", form);
  box.hidden = true;
  box.replaceChildren();
  for (const slot of $$("[data-error-for]", form)) slot.textContent = "";
  for (const input of $$("[aria-invalid]", form)) input.removeAttribute("aria-invalid");
  for (const group of $$(".has-error", form)) group.classList.remove("has-error");
}

/** The service's messages may name other fields ("must be at most bed_count (10)"): say them
 *  the way the form labels them. */
function withLabels(form, message) {
  return message.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (name) => {
    const slot = $(`[data-error-for="${CSS.escape(name)}"]`, form);
    const label = slot?.closest(".field")?.querySelector("label, legend")?.textContent.trim();
    return label ? label.toLowerCase() : name;
  });
}

/** Show a Problem: the summary above the form, each field's error beside its field. */
function showProblem(form, problem) {
  clearProblems(form);
  const box = $("[data-problem]", form);
  const unplaced = [];
  let firstInvalid = null;

  for (const error of problem.errors ?? []) {
    const field = String(error.field ?? "").replace(/^body\./, "");
    const slot = $(`[data-error-for="${CSS.escape(field)}"]`, form);
    if (!slot) { unplaced.push(error); continue; }
    const message = withLabels(form, friendlyMessage(error));
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.closest(".field")?.classList.add("has-error");
    for (const input of $$(`[name="${CSS.escape(field)}"]`, form)) {
      input.setAttribute("aria-invalid", "true");
      firstInvalid ??= input;
    }
  }

  const title = document.createElement("p");
  title.className = "problem-title";
  title.textContent = problem.detail || problem.title;
  box.append(title);

  const placed = (problem.errors?.length ?? 0) - unplaced.length;
  if (placed > 0) {
    const p = document.createElement("p");
    p.textContent = placed === 1 ? "One field needs attention; see below."
                                 : `${placed} fields need attention; see below.`;
    box.append(p);
  }
  if (unplaced.length) {
    const list = document.createElement("ul");
    for (const error of unplaced) {
      const li = document.createElement("li");
      li.textContent = `${error.field ? `${error.field}: ` : ""}${friendlyMessage(error)}`;
      list.append(li);
    }
    box.append(list);
  }
  if (problem.status === 429 && problem.retry_after) {
    const p = document.createElement("p");
    p.textContent = `Try again in ${problem.retry_after} seconds.`;
    box.append(p);
  }
  if (problem.request_id) {
    const p = document.createElement("p");
    p.className = "problem-ref";
    p.textContent = `Reference ${problem.request_id}${problem.status ? ` · HTTP ${problem.status}` : ""}`;
    box.append(p);
  }
  box.hidden = false;
  (firstInvalid ?? box).focus();
}

/** Run an async action for a form or button: busy state, one at a time, problems shown. */
async function busy(button, action) {
  if (button.getAttribute("aria-disabled") === "true") return;
  const label = button.textContent;
  button.setAttribute("aria-disabled", "true");
  button.disabled = true;
  button.textContent = button.dataset.busyLabel ?? label;
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    button.textContent = label;
  }
}

function handleSubmit(form, build, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $('button[type="submit"]', form);
    await busy(button, async () => {
      try {
        const result = await send(build(form));
        clearProblems(form);
        return result;
      } catch (error) {
        if (error instanceof SessionEnded) return;
        if (error instanceof Problem) showProblem(form, error);
        else showProblem(form, new Problem({ title: "Something went wrong", detail: String(error) }));
      }
    });
  });
}

function text(form, name) {
  return form.elements.namedItem(name).value;
}

/** Read the facility form as the API wants it. The server validates; this only shapes types:
 *  whole numbers as JSON numbers, decimals as strings (exact, and accepted by the API), blank
 *  optional fields left out so the server's defaults apply. */
function facilityBody(form) {
  const body = { name: text(form, "name") };
  for (const input of $$("input[data-kind], select", form)) {
    const raw = input.value.trim();
    if (raw === "") continue;
    if (input.dataset.kind === "int") body[input.name] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    else if (input.dataset.kind === "decimal") body[input.name] = raw.replace(/%$/, "").trim();
    else body[input.name] = raw;
  }
  body.locality = form.elements.namedItem("locality").value || "urban";
  return body;
}

// ---------------------------------------------------------------------------------------------
// Health

async function checkHealth() {
  const box = $("#health");
  const label = $("#health-text");
  try {
    const health = await api("/health", { auth: false });
    box.dataset.state = health?.status === "ok" && health?.database === "ok" ? "ok" : "warn";
    label.textContent = box.dataset.state === "ok" ? "Service operational" : "Service degraded";
    box.title = `API ${health?.status ?? "?"}, database ${health?.database ?? "?"}`;
  } catch (problem) {
    box.dataset.state = "down";
    label.textContent = problem.status ? "Service unavailable" : "Service unreachable";
    box.title = problem.detail ?? "";
  }
}

// ---------------------------------------------------------------------------------------------
// Views

function showView(name) {
  $("#boot").hidden = true;
  $("#signed-out").hidden = name !== "signed-out";
  $("#signed-in").hidden = name !== "signed-in";
}

function showSignedOut(notice = "") {
  showView("signed-out");
  $("#signed-out-notice").textContent = notice;
  const subdomain = localStorage.getItem(SUBDOMAIN_KEY);
  const loginForm = $("#login-form");
  if (subdomain && !loginForm.elements.subdomain.value) loginForm.elements.subdomain.value = subdomain;
  document.title = "Sign in · SNF Admissions";
}

function endSession(notice) {
  saveSession(null);
  facilities.items = [];
  facilities.cursor = null;
  showSignedOut(notice || "Your session ended. Sign in again.");
  $("#welcome-title").focus();
}

let me = null;

function canWrite() {
  return WRITER_ROLES.has(me?.user?.role);
}

function renderAccount() {
  const { organization, user } = me;
  $("#org-name").textContent = organization.name;
  $("#org-subdomain").textContent = organization.subdomain;
  $("#org-tier").textContent = TIER_LABELS[organization.tier] ?? organization.tier;
  const status = $("#org-status");
  status.textContent = STATUS_LABELS[organization.status] ?? organization.status;
  status.dataset.tone = { active: "good", trialing: "info", past_due: "warn", read_only: "warn" }[organization.status] ?? "info";

  const trialRow = $("#org-trial-row");
  trialRow.hidden = !organization.trial_ends_at;
  if (organization.trial_ends_at) {
    const ends = new Date(organization.trial_ends_at);
    const days = Math.ceil((ends.getTime() - Date.now()) / 86_400_000);
    const left = days > 1 ? `${days} days left` : days === 1 ? "1 day left" : "ended";
    $("#org-trial").textContent = `${dateFormat.format(ends)} (${left})`;
  }
  $("#user-email").textContent = user.email;
  $("#user-role").textContent = user.role;

  const writer = canWrite();
  $("#add-toggle").hidden = !writer;
  setFormOpen(false);
  $("#read-only-note").hidden = writer;
  $("#facilities-table").classList.toggle("no-actions", !writer);
  document.title = `${organization.name} · SNF Admissions`;
}

async function enterApp({ focus = true } = {}) {
  me = await api("/me");
  showView("signed-in");
  renderAccount();
  if (focus) $("#org-name").focus();
  const page = await loadFacilities({ reset: true });
  // Nothing to list yet: the form is what a writer needs first.
  if (page && page.items.length === 0 && canWrite()) setFormOpen(true);
}

/** The add-facility form is a disclosure: the list stays in view until it is wanted. */
function setFormOpen(open, { focus = false } = {}) {
  const form = $("#facility-form");
  const toggle = $("#add-toggle");
  form.hidden = !open || !canWrite();
  toggle.setAttribute("aria-expanded", String(!form.hidden));
  toggle.classList.toggle("primary", form.hidden);
  toggle.classList.toggle("secondary", !form.hidden);
  if (form.hidden) clearProblems(form);
  else if (focus) $("#fac-name").focus();
}

// ---------------------------------------------------------------------------------------------
// Facilities

const facilities = { items: [], cursor: null, highlight: null };

function occupancy(facility) {
  return facility.bed_count > 0 ? (facility.current_census / facility.bed_count) * 100 : 0;
}

function cell(label, content, className = "") {
  const td = document.createElement("td");
  td.setAttribute("role", "cell");
  td.dataset.label = label;
  if (className) td.className = className;
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  return td;
}

function badge(label, tone) {
  const span = document.createElement("span");
  span.className = "badge";
  span.dataset.tone = tone;
  span.textContent = label;
  return span;
}

function occupancyCell(facility) {
  const pct = occupancy(facility);
  const target = Number(facility.target_occupancy_pct);
  const wrap = document.createElement("div");
  wrap.className = "occupancy";
  const value = document.createElement("span");
  value.className = "occupancy-value";
  value.textContent = `${pctFormat.format(pct)}%`;
  const meter = document.createElement("span");
  meter.className = "meter";
  meter.setAttribute("aria-hidden", "true");
  const fill = document.createElement("span");
  fill.className = "meter-fill";
  fill.style.width = `${Math.min(100, pct)}%`;
  if (pct < target) fill.dataset.below = "true";
  const mark = document.createElement("span");
  mark.className = "meter-target";
  mark.style.left = `${Math.min(100, target)}%`;
  meter.append(fill, mark);
  const sub = document.createElement("span");
  sub.className = "occupancy-target";
  sub.textContent = `target ${pctFormat.format(target)}%`;
  wrap.append(value, meter, sub);
  return wrap;
}

function facilityRow(facility) {
  const tr = document.createElement("tr");
  tr.setAttribute("role", "row");
  tr.dataset.id = facility.id;
  if (!facility.is_active) tr.classList.add("inactive");
  if (facility.id === facilities.highlight) tr.classList.add("highlight");

  const th = document.createElement("th");
  th.scope = "row";
  th.setAttribute("role", "rowheader");
  th.className = "cell-name";
  th.dataset.label = "Name";
  th.textContent = facility.name;
  tr.append(
    th,
    cell("Beds", intFormat.format(facility.bed_count), "num"),
    cell("Census", intFormat.format(facility.current_census), "num"),
    cell("Occupancy", occupancyCell(facility), "num"),
    cell("State", facility.state ?? "—"),
    cell("Locality", facility.locality === "rural" ? "Rural" : "Urban"),
    cell("Wage index", facility.wage_index, "num"),
    cell("Status", facility.is_active ? badge("Active", "good") : badge("Inactive", "muted")),
  );
  if (canWrite()) {
    const actions = cell("Actions", "", "col-actions");
    if (facility.is_active) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small danger-quiet";
      button.dataset.busyLabel = "Deactivating…";
      button.textContent = "Deactivate";
      button.setAttribute("aria-label", `Deactivate ${facility.name}`);
      button.addEventListener("click", () => deactivate(facility, button));
      actions.append(button);
    }
    tr.append(actions);
  }
  return tr;
}

function renderFacilities() {
  const body = $("#facilities-body");
  body.replaceChildren(...facilities.items.map(facilityRow));
  const empty = $("#facilities-empty");
  const none = facilities.items.length === 0;
  empty.hidden = !none;
  $("#facilities-table").hidden = none;
  empty.textContent = $("#show-inactive").checked
    ? "This organization has no facilities yet."
    : canWrite() ? "No active facilities yet. Facilities you add appear here."
                 : "No active facilities yet.";
  const n = facilities.items.length;
  $("#facilities-count").textContent = none ? ""
    : `Showing ${intFormat.format(n)} ${n === 1 ? "facility" : "facilities"}`
      + (facilities.cursor ? " · more available" : "");
  $("#more").hidden = !facilities.cursor;
}

async function loadFacilities({ reset = false } = {}) {
  const table = $("#facilities-table");
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if ($("#show-inactive").checked) params.set("include_inactive", "true");
  if (!reset && facilities.cursor) params.set("cursor", facilities.cursor);
  table.setAttribute("aria-busy", "true");
  if (reset && facilities.items.length === 0) {
    // Nothing on screen yet: say it is coming (a list already shown stays, dimmed, until
    // the new one replaces it).
    table.hidden = true;
    $("#more").hidden = true;
    $("#facilities-count").textContent = "";
    const empty = $("#facilities-empty");
    empty.textContent = "Loading facilities…";
    empty.hidden = false;
  }
  try {
    const page = await api(`/facilities?${params}`);
    facilities.items = reset ? page.items : facilities.items.concat(page.items);
    facilities.cursor = page.next_cursor;
    renderFacilities();
    return page;
  } catch (error) {
    if (error instanceof SessionEnded) return null;
    announce(`Could not load facilities: ${error.detail || error.message}`, "error");
    renderFacilities();
    return null;
  } finally {
    table.removeAttribute("aria-busy");
  }
}

function announce(message, tone = "info") {
  const status = $("#facilities-status");
  status.dataset.tone = tone;
  status.textContent = message;
}

async function deactivate(facility, button) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent =
    `${facility.name} will leave lists and choices. Its history stays.`;
  const answer = await new Promise((resolve) => {
    const buttons = $$("button", dialog);
    const finish = (value) => {
      for (const b of buttons) b.onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    for (const b of buttons) b.onclick = () => finish(b.value);
    dialog.onclose = () => finish("cancel");  // Escape
    dialog.showModal();
  });
  if (answer !== "confirm") { button.focus(); return; }

  await busy(button, async () => {
    try {
      await api(`/facilities/${encodeURIComponent(facility.id)}`, { method: "DELETE" });
    } catch (error) {
      if (error instanceof SessionEnded) return;
      announce(`Could not deactivate ${facility.name}: ${error.detail || error.message}`, "error");
      return;
    }
    facility.is_active = false;
    if (!$("#show-inactive").checked) {
      facilities.items = facilities.items.filter((f) => f.id !== facility.id);
    }
    renderFacilities();
    announce(`${facility.name} was deactivated.`, "good");
    $("#facilities-title").setAttribute("tabindex", "-1");
    $("#facilities-title").focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Wiring

function fillStates() {
  const select = $("#fac-state");
  for (const [code, name] of STATES) {
    select.append(new Option(`${code} — ${name}`, code));
  }
}

function wire() {
  fillStates();

  handleSubmit($("#login-form"), (form) => ({
    subdomain: text(form, "subdomain"),
    email: text(form, "email"),
    password: text(form, "password"),
  }), async (body) => {
    const result = await api("/auth/login", { method: "POST", body, auth: false });
    localStorage.setItem(SUBDOMAIN_KEY, result.organization.subdomain);
    saveSession({ token: result.token, expires_at: result.expires_at });
    $("#login-form").elements.password.value = "";
    $("#signed-out-notice").textContent = "";
    await enterApp();
  });

  handleSubmit($("#signup-form"), (form) => ({
    organization_name: text(form, "organization_name"),
    subdomain: text(form, "subdomain"),
    email: text(form, "email"),
    password: text(form, "password"),
  }), async (body) => {
    const result = await api("/signup", { method: "POST", body, auth: false });
    localStorage.setItem(SUBDOMAIN_KEY, result.organization.subdomain);
    saveSession({ token: result.token, expires_at: result.expires_at });
    $("#signup-form").reset();
    await enterApp();
    announce(`Welcome. ${result.organization.name} is set up and you are its owner.`, "good");
  });

  const facilityForm = $("#facility-form");
  handleSubmit(facilityForm, facilityBody, async (body) => {
    const created = await api("/facilities", { method: "POST", body });
    facilityForm.reset();
    facilities.highlight = created.id;
    await loadFacilities({ reset: true });
    const listed = facilities.items.some((f) => f.id === created.id);
    announce(listed ? `${created.name} was added.`
                    : `${created.name} was added. Use More to find it in the list.`, "good");
    $("#fac-name").focus();
  });
  facilityForm.addEventListener("reset", () => clearProblems(facilityForm));
  $("#add-toggle").addEventListener("click", () => {
    setFormOpen(facilityForm.hidden, { focus: true });
  });
  $("#add-close").addEventListener("click", () => {
    facilityForm.reset();
    setFormOpen(false);
    $("#add-toggle").focus();
  });

  $("#sign-out").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      await api("/auth/logout", { method: "POST" });
    } catch { /* signed out here either way */ }
    if (session) endSession("You have signed out.");
  }));

  $("#more").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const before = facilities.items.length;
    const page = await loadFacilities();
    if (page) {
      announce(`Loaded ${page.items.length} more.`);
      // Keep keyboard users where the new rows start.
      const firstNew = $$("#facilities-body tr")[before];
      if (firstNew) {
        firstNew.setAttribute("tabindex", "-1");
        firstNew.focus();
      }
    }
  }));

  $("#show-inactive").addEventListener("change", () => {
    announce("");
    loadFacilities({ reset: true });
  });

  checkHealth();
  setInterval(() => { if (!document.hidden) checkHealth(); }, HEALTH_EVERY_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) checkHealth(); });
}

async function start() {
  wire();
  if (!session) { showSignedOut(); return; }
  try {
    await enterApp({ focus: false });
  } catch (error) {
    if (error instanceof SessionEnded) return;
    // The service may be down: keep the session, say so, and offer sign-in.
    showSignedOut(`Could not load your account: ${error.detail || error.message}`);
  }
}

start();
