// Audit log (#audit, owners and admins): who did what, when and from where, filtered by user,
// action, object and dates, newest first, a page at a time; the same filters as a CSV download.

import { allPages, api, downloadCsv, SessionEnded } from "./api.js";
import { $, dateTime, el } from "./dom.js";
import { announce, busy, handleSubmit, problemText } from "./forms.js";

const PAGE_SIZE = 50;
const view = { cursor: null, loaded: false, usersLoaded: false };

function filters() {
  const form = $("#audit-filters");
  const params = new URLSearchParams();
  for (const name of ["user_id", "action", "object_type", "since", "until"]) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

/** "admission.reopen" as "Admission reopen"; the code stays readable in the title. */
const actionWords = (action) => action.replace(/[._]/g, " ").replace(/^./, (c) => c.toUpperCase());

function changesText(changes) {
  return Object.entries(changes ?? {}).map(([key, value]) =>
    `${key.replace(/_/g, " ")}: ${value === null ? "—" : typeof value === "object" ? JSON.stringify(value) : value}`).join("; ");
}

function row(entry) {
  return el("tr", {},
    el("td", { dataset: { label: "When" } }, dateTime(entry.occurred_at)),
    el("td", { dataset: { label: "Who" } }, entry.user_email ?? "System or operator"),
    el("td", { dataset: { label: "What" }, title: entry.action }, actionWords(entry.action)),
    el("td", { dataset: { label: "Object" } }, entry.object_type.replace(/_/g, " ")),
    el("td", { dataset: { label: "From" } }, entry.source_address ?? "—"),
    el("td", { dataset: { label: "Changes" }, class: "audit-changes" }, changesText(entry.changes) || "—"));
}

async function load({ reset }) {
  const params = filters();
  params.set("limit", String(PAGE_SIZE));
  if (!reset && view.cursor) params.set("cursor", view.cursor);
  const page = await api(`/audit-log?${params}`);
  const body = $("#audit-body");
  if (reset) body.replaceChildren();
  body.append(...page.items.map(row));
  view.cursor = page.next_cursor;
  view.loaded = true;
  const none = body.childElementCount === 0;
  $("#audit-empty").hidden = !none;
  $("#audit-table").hidden = none;
  $("#audit-more").hidden = !view.cursor;
}

async function loadUsers() {
  if (view.usersLoaded) return;
  const users = await allPages("/users");
  $("#audit-user").append(...users.map((u) => new Option(u.email, u.id)));
  view.usersLoaded = true;
}

export async function showAudit() {
  try {
    await loadUsers();
    if (!view.loaded) await load({ reset: true });
  } catch (error) {
    if (error instanceof SessionEnded) return;
    announce($("#audit-status"), `Could not load the audit log: ${problemText(error)}`, "error");
  }
}

export function resetAudit() {
  Object.assign(view, { cursor: null, loaded: false, usersLoaded: false });
  $("#audit-body").replaceChildren();
  $("#audit-filters").reset();
  $("#audit-user").replaceChildren(new Option("Anyone", ""));
  announce($("#audit-status"), "");
}

export function initAudit() {
  handleSubmit($("#audit-filters"), () => null, async () => {
    await load({ reset: true });
    announce($("#audit-status"), "");
  });
  $("#audit-filters").addEventListener("reset", () => setTimeout(() => load({ reset: true }).catch(() => {})));
  $("#audit-more").addEventListener("click", (event) => busy(event.currentTarget, () => load({ reset: false })));
  $("#audit-export").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      await downloadCsv(`/audit-log/export?${filters()}`, "audit-log.csv");
    } catch (error) {
      if (!(error instanceof SessionEnded)) announce($("#audit-status"), `Could not export: ${problemText(error)}`, "error");
    }
  }));
}
