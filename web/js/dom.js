// Small DOM helpers and the formats every screen shares. Values from the API reach the page
// as text (textContent, attributes), never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** el("p", {class: "x", text: "y"}, child, "text", [more]) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") {
      // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
      for (const [property, v] of Object.entries(value)) node.style.setProperty(property, v);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function badge(label, tone = "info", extraClass = "") {
  return el("span", { class: `badge ${extraClass}`.trim(), dataset: { tone }, text: label });
}

// ---------------------------------------------------------------------------------------------
// Formats

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export const pctFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
export const intFormat = new Intl.NumberFormat();
const moneyFormat = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const signedMoneyFormat = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD",
                                                             signDisplay: "exceptZero" });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
const longMonthFormat = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });

export const num = (value) => (value === null || value === undefined || value === "" ? NaN : Number(value));
export const money = (value) => (Number.isFinite(num(value)) ? moneyFormat.format(num(value)) : "—");
/** An amount added or taken away, with its sign: "+$6,417.32", "-$506.36". */
export const signedMoney = (value) => (Number.isFinite(num(value)) ? signedMoneyFormat.format(num(value)) : "—");
export const pct = (value) => (Number.isFinite(num(value)) ? `${pctFormat.format(num(value))}%` : "—");
export const date = (value) => (value ? dateFormat.format(new Date(value)) : "—");
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
/** A calendar day ("2026-12-01") as that day wherever the browser is: read and shown in UTC. */
export const day = (value) => (value ? dayFormat.format(new Date(`${String(value).slice(0, 10)}T00:00:00Z`)) : "—");
export const dateTime = (value) => (value ? dateTimeFormat.format(new Date(value)) : "—");

/** "2026-11" as "Nov 2026" (or "November 2026" with long). */
export function monthLabel(month, { long = false } = {}) {
  const [year, m] = month.split("-").map(Number);
  return (long ? longMonthFormat : monthFormat).format(new Date(Date.UTC(year, m - 1, 1)));
}

/** Minutes as "45 min", "3 h 05 min", "2 d 4 h". */
export function duration(minutes) {
  const total = num(minutes);
  if (!Number.isFinite(total)) return "—";
  const m = Math.round(total);
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

/** A datetime-local input's value for a Date, in the browser's time zone. */
export function localInputValue(when = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`
    + `T${pad(when.getHours())}:${pad(when.getMinutes())}`;
}

// ---------------------------------------------------------------------------------------------
// Labels

export const TIER_LABELS = { trial: "Trial", starter: "Starter", professional: "Professional",
                             enterprise: "Enterprise" };
export const ORG_STATUS_LABELS = { trialing: "Trialing", active: "Active",
                                   past_due: "Payment past due", read_only: "Read-only" };
export const ROLE_LABELS = { owner: "Owner", admin: "Admin", coordinator: "Coordinator",
                             viewer: "Viewer" };
export const RECOMMENDATIONS = {
  accept: { label: "Accept", tone: "good" },
  review: { label: "Review", tone: "warn" },
  decline: { label: "Decline", tone: "danger" },
};
export const ADMISSION_STATUS = {
  pending: { label: "Pending", tone: "info" },
  accepted: { label: "Accepted", tone: "good" },
  declined: { label: "Declined", tone: "muted" },
  admitted: { label: "Admitted", tone: "good" },
  not_admitted: { label: "Not admitted", tone: "warn" },
};
// The API's DecisionIn (shared/models/admissions.py): which reasons fit which decision is not
// in /api/reference, so the two lists are kept here.
export const DECLINE_REASONS = {
  clinical_capability: "Clinical capability", financial: "Financial", no_bed: "No bed available",
  payer: "Payer", staffing: "Staffing", patient_choice: "Patient's choice",
  hospital_withdrew: "Hospital withdrew the referral", other: "Other",
};
export const NOT_ADMITTED_REASONS = {
  patient_choice: "Patient's choice", hospital_withdrew: "Hospital withdrew the referral",
  clinical_change: "Clinical change", other: "Other",
};
export const REASON_LABELS = { ...DECLINE_REASONS, ...NOT_ADMITTED_REASONS };
export const FACTOR_LABELS = { margin: "Margin", census: "Census", payer: "Payer preference",
                               clinical: "Clinical fit", risk: "Cost risk" };
export const RATE_METHODS = { pdpm: "Medicare PDPM", per_diem: "Per diem", acuity: "By acuity" };

export function recommendationBadge(code, { large = false } = {}) {
  const r = RECOMMENDATIONS[code] ?? { label: code, tone: "info" };
  return badge(r.label, r.tone, large ? "badge-large" : "");
}

export function statusBadge(code) {
  const s = ADMISSION_STATUS[code] ?? { label: code, tone: "info" };
  return badge(s.label, s.tone);
}
