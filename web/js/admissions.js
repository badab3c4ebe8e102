// Admissions: the history (filters, paging), one admission with its stored evaluation, and the
// decision: accepted or declined (with a reason, confirmed), then admitted or not (with a
// reason, confirmed); an admin may undo the last of them within 24 hours (reopen).

import { api, downloadCsv, SessionEnded } from "./api.js";
import { $, $$, ADMISSION_STATUS, dateTime, DECLINE_REASONS, duration, el, intFormat, money,
         NOT_ADMITTED_REASONS, num, pct, pctFormat, REASON_LABELS, recommendationBadge,
         statusBadge } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { renderEvaluation } from "./evaluation.js";
import { announce, busy, clearProblems, clientProblem, problemText, runForm, showProblem } from "./forms.js";
import { acuityName, canAdminister, canDecide, facilityName, loadLookups, loadReference, payerName,
         serviceLabel, state } from "./state.js";

const PAGE_SIZE = 25;
const list = { items: [], cursor: null, loaded: false, filtersBuilt: null, request: 0 };
let current = null;  // the admission shown in detail

// ---------------------------------------------------------------------------------------------
// The list

function filters() {
  const form = $("#admissions-filters");
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const name of ["facility_id", "payer_id", "recommendation", "status", "received_from", "received_to"]) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function buildFilters() {
  const fill = (select, options, all) => {
    const keep = select.value;
    select.replaceChildren(new Option(all, ""), ...options.map(([v, l]) => new Option(l, v)));
    if (options.some(([v]) => v === keep)) select.value = keep;
  };
  fill($("#af-facility"), state.facilities.map((f) => [f.id, f.is_active ? f.name : `${f.name} (inactive)`]), "All facilities");
  fill($("#af-payer"), state.payers.map((p) => [p.id, p.is_active ? p.name : `${p.name} (inactive)`]), "All payers");
  list.filtersBuilt = state.facilities;
}

function row(item) {
  const open = () => { location.hash = `#admissions/${item.id}`; };
  const reason = item.decision_reason ? REASON_LABELS[item.decision_reason] ?? item.decision_reason : null;
  const negative = num(item.margin) < 0;
  return el("tr", { dataset: { id: item.id }, class: "clickable", onclick: (event) => {
      if (!event.target.closest("a, button")) open();
    } },
    el("th", { scope: "row", dataset: { label: "Case" } },
      el("a", { href: `#admissions/${item.id}`, class: "case-link", text: item.case_number })),
    el("td", { dataset: { label: "Received" }, text: dateTime(item.referral_received_at) }),
    el("td", { dataset: { label: "Facility" }, text: facilityName(item.facility_id) }),
    el("td", { dataset: { label: "Payer" }, text: payerName(item.payer_id) }),
    el("td", { dataset: { label: "Stay" }, text: `${intFormat.format(item.length_of_stay_days)} d · ${acuityName(item.acuity)}` }),
    el("td", { dataset: { label: "Recommendation" } },
      el("span", { class: "rec-cell" }, recommendationBadge(item.recommendation),
         el("span", { class: "muted", text: pctFormat.format(num(item.score)) }))),
    el("td", { class: `num${negative ? " negative" : ""}`, dataset: { label: "Margin" } },
      el("span", { text: pct(item.margin_pct) }),
      el("span", { class: "cell-sub", text: money(item.margin) })),
    el("td", { dataset: { label: "Status" } }, statusBadge(item.status),
       reason ? el("span", { class: "cell-sub", text: reason }) : null));
}

function renderList() {
  const none = list.items.length === 0;
  $("#admissions-body").replaceChildren(...list.items.map(row));
  $("#admissions-table").hidden = none;
  const empty = $("#admissions-empty");
  empty.hidden = !none;
  const filtered = [...filters().keys()].some((k) => k !== "limit");
  empty.textContent = filtered ? "No admissions match these filters." : "No admissions yet. Evaluated referrals you save appear here.";
  const n = list.items.length;
  $("#admissions-count").textContent = none ? ""
    : `Showing ${intFormat.format(n)} ${n === 1 ? "admission" : "admissions"}, newest referral first`
      + (list.cursor ? " · more available" : "");
  $("#admissions-more").hidden = !list.cursor;
}

async function loadList({ reset = false } = {}) {
  const form = $("#admissions-filters");
  const table = $("#admissions-table");
  const params = filters();
  if (!reset && list.cursor) params.set("cursor", list.cursor);
  const ticket = ++list.request;
  table.setAttribute("aria-busy", "true");
  if (reset && list.items.length === 0) {
    table.hidden = true;
    $("#admissions-more").hidden = true;
    $("#admissions-empty").hidden = false;
    $("#admissions-empty").textContent = "Loading admissions…";
  }
  try {
    const page = await api(`/admissions?${params}`);
    if (ticket !== list.request) return null;  // the filters changed meanwhile
    clearProblems(form);
    list.items = reset ? page.items : list.items.concat(page.items);
    list.cursor = page.next_cursor;
    list.loaded = true;
    renderList();
    return page;
  } catch (error) {
    if (error instanceof SessionEnded || ticket !== list.request) return null;
    showProblem(form, error, { focus: false });
    list.items = reset ? [] : list.items;
    renderList();
    return null;
  } finally {
    if (ticket === list.request) table.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------
// One admission

function fact(term, value) {
  return el("div", {}, el("dt", { text: term }), el("dd", {}, value));
}

function referralFacts(a) {
  const groups = a.pdpm_groups
    ? [["pt_ot", "PT/OT"], ["slp", "SLP"], ["nursing", "Nursing"], ["nta", "NTA"]]
        .filter(([key]) => a.pdpm_groups[key]).map(([key, label]) => `${label} ${a.pdpm_groups[key]}`).join(" · ")
    : null;
  return el("dl", { class: "facts-grid referral-facts" },
    fact("Facility", a.evaluation.facility.name),
    fact("Payer", a.evaluation.payer.name),
    fact("Expected stay", `${intFormat.format(a.length_of_stay_days)} days`),
    fact("Acuity", acuityName(a.acuity)),
    fact("Required services", a.required_services.length ? a.required_services.map(serviceLabel).join(", ") : "None"),
    fact("Medication per day", a.medication_cost_per_day === null ? "Cost model default" : money(a.medication_cost_per_day)),
    groups ? fact("PDPM groups", groups) : null,
    fact("Referral received", dateTime(a.referral_received_at)),
    fact("Saved", dateTime(a.created_at)),
    a.decided_at ? fact("Decided", `${dateTime(a.decided_at)}${a.turnaround_minutes !== null ? ` · ${duration(a.turnaround_minutes)} after the referral` : ""}`) : null,
    a.outcome_at ? fact("Outcome recorded", dateTime(a.outcome_at)) : null,
    a.note ? fact("Note", a.note) : null);
}

function reasonField(id, reasons) {
  return el("div", { class: "field reason-field" },
    el("label", { for: id, text: "Reason" }),
    el("select", { id, name: "reason_code", "aria-describedby": `${id}-error` },
      new Option("Choose a reason", ""),
      Object.entries(reasons).map(([code, label]) => new Option(label, code))),
    el("p", { class: "field-error", id: `${id}-error`, "data-error-for": "reason_code" }));
}

// As the API's reopen allows (shared/services/admissions.py REOPEN_WINDOW).
const REOPEN_WINDOW_MS = 24 * 3600 * 1000;

/** When the last step may still be undone, the time it may be until; else null. */
function undoableUntil(a) {
  const at = a.status === "admitted" || a.status === "not_admitted" ? a.outcome_at : a.decided_at;
  if (!at || a.status === "pending" || !canAdminister()) return null;
  const until = new Date(new Date(at).getTime() + REOPEN_WINDOW_MS);
  return until > new Date() ? until : null;
}

function undoRow(a) {
  const until = undoableUntil(a);
  if (!until) return null;
  const status = ADMISSION_STATUS[a.status]?.label ?? a.status;
  const button = el("button", { type: "button", class: "button small secondary", id: "undo-decision",
                                dataset: { busyLabel: "Undoing…" } }, `Undo “${status}”`);
  button.addEventListener("click", () => undo(a, button));
  return el("p", { class: "undo-row" }, button,
    el("span", { class: "muted", text: ` Admins can undo it until ${dateTime(until)}; the audit log keeps both.` }));
}

async function undo(a, button) {
  const status = ADMISSION_STATUS[a.status]?.label ?? a.status;
  const back = a.status === "admitted" || a.status === "not_admitted" ? "accepted" : "pending";
  const confirmed = await confirmDialog({
    title: `Undo “${status}”?`, text: `${a.case_number} goes back to ${back}, to be decided again.`,
    confirm: "Undo", cancel: "Keep it", danger: false });
  if (!confirmed) { button.focus(); return; }
  await busy(button, async () => {
    let updated;
    try {
      updated = await api(`/admissions/${encodeURIComponent(a.id)}/reopen`, { method: "POST" });
    } catch (error) {
      if (error instanceof SessionEnded) return;
      announce($("#admission-status"), `Could not undo: ${problemText(error)}`, "error");
      return;
    }
    replaceInList(updated);
    renderDetail(updated);
    announce($("#admission-status"), `${a.case_number}: “${status}” was undone; it is ${back} again.`, "good");
    $("#admission-title").focus();
  });
}

function replaceInList(updated) {
  const index = list.items.findIndex((i) => i.id === updated.id);
  if (index >= 0) list.items[index] = updated;
  if (list.loaded) renderList();
}

function decisionPanel(a) {
  const status = ADMISSION_STATUS[a.status]?.label ?? a.status;
  if (a.status !== "pending" && a.status !== "accepted") {
    const reason = a.decision_reason ? REASON_LABELS[a.decision_reason] ?? a.decision_reason : null;
    return el("div", { class: "card decision decided" },
      el("h3", { text: "Decision" }),
      el("p", {}, statusBadge(a.status), reason ? ` Reason: ${reason}.` : "",
         a.decided_at ? ` Decided ${dateTime(a.decided_at)}.` : ""),
      undoRow(a) ?? el("p", { class: "muted", text: `${status} is final.` }));
  }
  if (!canDecide()) {
    return el("div", { class: "card decision" }, el("h3", { text: "Decision" }),
      el("p", {}, statusBadge(a.status), " Coordinators, admins and owners record decisions."));
  }
  const pending = a.status === "pending";
  const form = el("form", { class: "card decision", id: "decision-form", novalidate: true,
                            "aria-labelledby": "decision-title" },
    el("h3", { id: "decision-title", text: pending ? "Decide this referral" : "Did the patient arrive?" }),
    el("p", { class: "card-intro", text: pending
      ? `The recommendation is ${a.recommendation}. Accept it, or decline it with a reason.`
      : "Accepted. Record whether the patient was admitted." }),
    el("div", { class: "problem", "data-problem": true, role: "alert", tabindex: "-1", hidden: true }),
    el("div", { class: "decision-row" },
      el("button", { type: "button", class: "button primary", dataset: { decision: pending ? "accepted" : "admitted", busyLabel: "Saving…" } },
         pending ? "Accept" : "Admitted"),
      el("span", { class: "decision-or", text: "or" }),
      reasonField(pending ? "decision-decline-reason" : "decision-not-admitted-reason",
                  pending ? DECLINE_REASONS : NOT_ADMITTED_REASONS),
      el("button", { type: "button", class: "button danger-quiet", dataset: { decision: pending ? "declined" : "not_admitted", busyLabel: "Saving…" } },
         pending ? "Decline" : "Not admitted")),
    undoRow(a));
  form.addEventListener("submit", (event) => event.preventDefault());
  for (const button of $$("button[data-decision]", form)) {
    button.addEventListener("click", () => decide(form, button, button.dataset.decision));
  }
  return form;
}

async function decide(form, button, decision) {
  await runForm(form, button, () => {
    const body = { decision };
    if (decision === "declined" || decision === "not_admitted") {
      const reason = form.elements.namedItem("reason_code").value;
      if (!reason) {
        throw clientProblem(decision === "declined" ? "A decline needs a reason." : "Say why the patient was not admitted.",
                            { reason_code: "Choose a reason." });
      }
      body.reason_code = reason;
    }
    return body;
  }, async (body) => {
    if (body.reason_code) {
      // A decline (or a patient who did not come) closes the case: asked once more.
      const declined = decision === "declined";
      const confirmed = await confirmDialog({
        title: declined ? "Decline this referral?" : "Record not admitted?",
        text: `${current.case_number}: ${declined ? "declined" : "not admitted"}, reason: ${REASON_LABELS[body.reason_code] ?? body.reason_code}. An admin can undo it within 24 hours.`,
        confirm: declined ? "Decline" : "Not admitted", cancel: "Go back" });
      if (!confirmed) return;
    }
    const updated = await api(`/admissions/${encodeURIComponent(current.id)}/decision`, { method: "POST", body });
    replaceInList(updated);
    renderDetail(updated);
    announce($("#admission-status"), `${current.case_number}: ${ADMISSION_STATUS[updated.status]?.label ?? updated.status}.`, "good");
    $("#admission-title").focus();
  });
}

function renderDetail(a) {
  current = a;
  const box = $("#admission-detail-body");
  box.replaceChildren(
    el("div", { class: "detail-head" },
      el("div", {},
        el("p", { class: "eyebrow", text: "Case" }),
        el("h2", { id: "admission-title", tabindex: "-1", text: a.case_number })),
      el("div", { class: "detail-badges" }, statusBadge(a.status), recommendationBadge(a.recommendation),
         el("span", { class: "muted", text: `score ${pctFormat.format(num(a.score))}` }))),
    el("div", { class: "detail-grid" },
      el("section", { class: "card", "aria-labelledby": "referral-title" },
        el("h3", { id: "referral-title", text: "Referral" }), referralFacts(a)),
      decisionPanel(a)),
    el("h3", { class: "stored-title", text: "Stored evaluation" }),
    el("p", { class: "muted section-intro", text: "As evaluated when the case was saved; later changes to rates or costs do not change it." }),
    renderEvaluation(a.evaluation));
  document.title = `${a.case_number} · Admissions · ${state.me?.organization?.name ?? ""} · SNF Admissions`;
}

async function showDetail(id, { focus }) {
  $("#admissions-list-view").hidden = true;
  $("#admission-detail-view").hidden = false;
  const status = $("#admission-status");
  if (current?.id !== id) {
    announce(status, "");
    $("#admission-detail-body").replaceChildren(el("p", { class: "muted", text: "Loading the admission…" }));
  }
  try {
    const admission = await api(`/admissions/${encodeURIComponent(id)}`);
    if (current?.id !== id) announce(status, "");
    renderDetail(admission);
    if (focus) $("#admission-title").focus();
  } catch (error) {
    if (error instanceof SessionEnded) return;
    current = null;
    $("#admission-detail-body").replaceChildren();
    announce(status, error.status === 404 || error.status === 422 ? "There is no such admission in this organization."
                                          : `Could not load the admission: ${problemText(error)}`, "error");
    if (focus) status.focus();
  }
}

// ---------------------------------------------------------------------------------------------

/** The Admissions tab: the list, or one admission when `id` is given. */
export async function showAdmissions(id, { focus = false } = {}) {
  try {
    await Promise.all([loadReference(), loadLookups()]);
  } catch (error) {
    if (error instanceof SessionEnded) return;
    announce($("#admissions-status"), `Could not load the choices: ${problemText(error)}`, "error");
  }
  if (state.facilities && list.filtersBuilt !== state.facilities) buildFilters();
  if (id) { await showDetail(id, { focus }); return; }
  $("#admission-detail-view").hidden = true;
  $("#admissions-list-view").hidden = false;
  if (!list.loaded) await loadList({ reset: true });
  if (focus) $("#admissions-title").focus();
  // Back from an admission: keep the reader at its row.
  if (current) {
    const link = $(`#admissions-body tr[data-id="${CSS.escape(current.id)}"] a`);
    if (link) link.focus();
  }
}

export function resetAdmissions() {
  Object.assign(list, { items: [], cursor: null, loaded: false, filtersBuilt: null });
  current = null;
  $("#admissions-filters").reset();
  $("#admissions-body").replaceChildren();
  $("#admission-detail-body").replaceChildren();
}

export function initAdmissions() {
  $("#admissions-export").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const params = filters();
    params.delete("limit");  // the export holds every row the filters match
    try {
      await downloadCsv(`/admissions/export?${params}`, "admissions.csv");
    } catch (error) {
      if (!(error instanceof SessionEnded)) announce($("#admissions-status"), `Could not export: ${problemText(error)}`, "error");
    }
  }));
  const form = $("#admissions-filters");
  form.addEventListener("submit", (event) => { event.preventDefault(); loadList({ reset: true }); });
  form.addEventListener("change", () => loadList({ reset: true }));
  $("#af-clear").addEventListener("click", () => {
    form.reset();
    loadList({ reset: true });
  });
  $("#admissions-more").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const before = list.items.length;
    const page = await loadList();
    if (page) {
      announce($("#admissions-status"), `Loaded ${page.items.length} more.`);
      $$("#admissions-body tr")[before]?.querySelector("a")?.focus();
    }
  }));
  // A saved evaluation: the list is out of date.
  document.addEventListener("admissions:changed", () => { list.loaded = false; list.items = []; });
}

