// Evaluate a referral: the form, the evaluation (nothing saved), saving it as an admission, and
// comparing every facility for the same referral.

import { api, create } from "./api.js";
import { $, $$, el, intFormat, localInputValue, money, pct, pctFormat, recommendationBadge,
         num } from "./dom.js";
import { renderEvaluation } from "./evaluation.js";
import { announce, clearProblems, intOrRaw, problemText, runForm, text } from "./forms.js";
import { loadLookups, loadReference, payerOf, payerTypeLabel, state } from "./state.js";
import { hardStopSentence } from "./words.js";

const NOTE_MAX = 280;
const view = { built: false, lookups: null, evaluated: null, stale: false };

// ---------------------------------------------------------------------------------------------
// Building the form from the reference data and the organization's facilities and payers

function fillSelect(select, options, placeholder) {
  const keep = select.value;
  select.replaceChildren(new Option(placeholder, ""), ...options.map(([value, label]) => new Option(label, value)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

function buildChoices() {
  const { facilities, payers } = view.lookups;
  fillSelect($("#ev-facility"), facilities.filter((f) => f.is_active).map((f) => [f.id, f.name]),
             "Choose a facility");
  fillSelect($("#ev-payer"), payers.filter((p) => p.is_active).map((p) => {
    const type = payerTypeLabel(p.payer_type);
    return [p.id, p.name.toLowerCase().includes(type.toLowerCase()) ? p.name : `${p.name} — ${type}`];
  }), "Choose a payer");
}

function buildReference() {
  const ref = state.reference;
  const acuity = $("#ev-acuity-options");
  acuity.replaceChildren(...ref.acuity_levels.map((level) => {
    const [name, ...rest] = level.label.split(":");
    const id = `ev-acuity-${level.code}`;
    return el("label", { class: "choice-card", for: id },
      el("input", { type: "radio", name: "acuity", id, value: level.code }),
      el("span", { class: "choice-text" }, el("strong", { text: name.trim() }),
         rest.length ? el("span", { class: "choice-hint", text: rest.join(":").trim() }) : null));
  }));

  const services = $("#ev-services-options");
  services.replaceChildren(...ref.services.map((service) => {
    const id = `ev-service-${service.code}`;
    return el("label", { class: "check", for: id },
      el("input", { type: "checkbox", name: "required_services", id, value: service.code }),
      service.label);
  }));

  const groups = (component) => ref.pdpm_groups.filter((g) => g.component === component);
  const ot = new Map(groups("OT").map((g) => [g.group, g.cmi]));
  fillSelect($("#ev-pdpm-pt_ot"), groups("PT").map((g) => [g.group, `${g.group} · PT ${g.cmi}, OT ${ot.get(g.group) ?? "—"}`]), "Choose");
  fillSelect($("#ev-pdpm-slp"), groups("SLP").map((g) => [g.group, `${g.group} · CMI ${g.cmi}`]), "Choose");
  fillSelect($("#ev-pdpm-nursing"), groups("NURSING").map((g) => [g.group, `${g.group} · CMI ${g.cmi}`]), "Choose");
  fillSelect($("#ev-pdpm-nta"), groups("NTA").map((g) => [g.group, `${g.group} · CMI ${g.cmi}`]), "Choose");
  $("#ev-pdpm-year").textContent = ref.pdpm_fiscal_year ? `FY${ref.pdpm_fiscal_year} groups` : "";
}

function isMedicareA() {
  return payerOf($("#ev-payer").value)?.payer_type === "medicare_a";
}

function syncPdpm() {
  const show = isMedicareA();
  $("#ev-pdpm").hidden = !show;
  const mode = $("#evaluate-form").elements.namedItem("pdpm_mode").value;
  $("#ev-pdpm-hipps").hidden = mode !== "hipps";
  $("#ev-pdpm-groups").hidden = mode !== "groups";
}

function syncNoteCount() {
  const n = $("#ev-note").value.length;
  const counter = $("#ev-note-count");
  counter.textContent = `${n} / ${NOTE_MAX}`;
  counter.dataset.tone = n > NOTE_MAX ? "error" : "";
}

// ---------------------------------------------------------------------------------------------
// The request body: types shaped for the API (which validates everything)

function referralBody(form, { facility = true } = {}) {
  const body = {};
  if (facility && text(form, "facility_id")) body.facility_id = text(form, "facility_id");
  if (text(form, "payer_id")) body.payer_id = text(form, "payer_id");
  const los = text(form, "length_of_stay_days").trim();
  if (los) body.length_of_stay_days = intOrRaw(los);
  const acuity = form.elements.namedItem("acuity")?.value;
  if (acuity) body.acuity = acuity;
  body.required_services = $$('input[name="required_services"]:checked', form).map((i) => i.value);
  const medication = text(form, "medication_cost_per_day").trim().replace(/^\$/, "").replace(/,/g, "");
  if (medication) body.medication_cost_per_day = medication;
  if (isMedicareA()) {
    const mode = form.elements.namedItem("pdpm_mode").value;
    if (mode === "hipps") body.hipps_code = text(form, "hipps_code").trim().toUpperCase();
    if (mode === "groups") {
      const groups = {};
      for (const key of ["pt_ot", "slp", "nursing", "nta"]) {
        const value = text(form, `pdpm_groups.${key}`);
        if (value) groups[key] = value;
      }
      body.pdpm_groups = groups;
    }
  }
  const received = text(form, "referral_received_at").trim();
  if (received) {
    const when = new Date(received);
    body.referral_received_at = Number.isNaN(when.getTime()) ? received : when.toISOString();
  }
  const note = text(form, "note").trim();
  if (note) body.note = note;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Output: one evaluation, a saved admission, a comparison

function output() {
  return $("#evaluate-result");
}

function markStale() {
  if (!view.evaluated || view.stale) return;
  view.stale = true;
  const save = $("#ev-save");
  if (save) {
    save.disabled = true;
    save.setAttribute("aria-describedby", "ev-stale");
  }
  $("#ev-stale")?.removeAttribute("hidden");
}

function showEvaluation(evaluation, body) {
  view.evaluated = { evaluation, body };
  view.stale = false;
  const bar = el("div", { class: "result-bar" },
    el("div", {},
      el("h3", { id: "ev-result-title", tabindex: "-1", text: "Evaluation" }),
      el("p", { class: "muted", text: "Nothing is saved until you save it as an admission." }),
      el("p", { id: "ev-stale", class: "stale-note", hidden: true,
                text: "The form changed since this evaluation. Evaluate again before saving." })),
    el("div", { class: "result-actions" },
      el("button", { type: "button", id: "ev-save", class: "button primary", "data-busy-label": "Saving…",
                     onclick: (event) => save(event.currentTarget) }, "Save as admission")));
  output().replaceChildren(bar, el("div", { id: "ev-saved", role: "status", "aria-live": "polite", tabindex: "-1" }),
                           renderEvaluation(evaluation));
  $("#ev-result-title").focus();
}

async function save(button) {
  if (!view.evaluated || view.stale) return;
  const form = $("#evaluate-form");
  await runForm(form, button, () => view.evaluated.body, async (body) => {
    const admission = await create("/admissions", body);
    button.remove();
    const status = $("#ev-saved");
    status.className = "saved-case";
    status.replaceChildren(
      el("p", {}, "Saved as case ", el("strong", { class: "case-number", text: admission.case_number }), "."),
      el("a", { href: `#admissions/${admission.id}`, class: "button secondary small" }, "Open in Admissions"));
    status.focus();
    document.dispatchEvent(new CustomEvent("admissions:changed"));
  });
}

function placementRow(placement) {
  const e = placement.evaluation;
  if (!e) {
    return el("li", { class: "placement unavailable" },
      el("span", { class: "placement-rank", "aria-hidden": "true", text: "—" }),
      el("div", { class: "placement-main" },
        el("p", { class: "placement-name" }, el("strong", { text: placement.facility.name }), " ",
           el("span", { class: "badge", dataset: { tone: "muted" }, text: "Unavailable" })),
        el("p", { class: "placement-why", text: placement.unavailable ?? "Could not be evaluated there." })));
  }
  return el("li", { class: "placement" },
    el("span", { class: "placement-rank", "aria-label": `Rank ${placement.rank}` }, String(placement.rank)),
    el("div", { class: "placement-main" },
      el("p", { class: "placement-name" }, el("strong", { text: placement.facility.name }), " ",
         recommendationBadge(e.recommendation), " ",
         el("span", { class: "muted", text: `score ${pctFormat.format(num(e.score))}` })),
      el("p", { class: "placement-figures" },
        `Margin ${money(e.margin)} (${pct(e.margin_pct)}) · revenue ${money(e.revenue.per_day_average)} a day · cost ${money(e.cost.per_day)} a day`),
      e.hard_stops.length
        ? el("ul", { class: "placement-stops" }, e.hard_stops.map((s) => el("li", { text: hardStopSentence(s) })))
        : null),
    el("button", { type: "button", class: "button secondary small",
                   "aria-label": `Evaluate at ${placement.facility.name}`,
                   onclick: () => {
                     const form = $("#evaluate-form");
                     form.elements.namedItem("facility_id").value = placement.facility.id;
                     form.requestSubmit();
                   } }, "Evaluate here"));
}

function showComparison(comparison, body) {
  view.evaluated = null;
  const ranked = comparison.placements.filter((p) => p.evaluation);
  const payer = payerOf(body.payer_id);
  output().replaceChildren(
    el("div", { class: "result-bar" },
      el("div", {},
        el("h3", { id: "ev-result-title", tabindex: "-1", text: "Placements, best first" }),
        el("p", { class: "muted", text: `${payer?.name ?? "Payer"} · ${intFormat.format(body.length_of_stay_days)} days · `
                  + `${ranked.length} of ${comparison.placements.length} facilities could evaluate it.` }))),
    comparison.placements.length
      ? el("ol", { class: "placements" }, comparison.placements.map((p) => placementRow(p)))
      : el("p", { class: "empty", text: "There are no active facilities to compare." }));
  $("#ev-result-title").focus();
}

function showIntro() {
  view.evaluated = null;
  output().replaceChildren(el("div", { class: "result-empty" },
    el("h3", { text: "The evaluation appears here" }),
    el("p", { text: "Fill in the referral and choose Evaluate: revenue, cost, margin, the score and a recommendation, with the reasons. Nothing is saved until you save it as an admission." }),
    el("p", { text: "Compare facilities evaluates the same referral at every facility, best placement first." })));
}

// ---------------------------------------------------------------------------------------------

export async function showEvaluate() {
  const status = $("#evaluate-status");
  try {
    await loadReference();
    const lookups = await loadLookups();
    if (!view.built) {
      buildReference();
      view.built = true;
      showIntro();
    }
    if (view.lookups?.facilities !== lookups.facilities || view.lookups?.payers !== lookups.payers) {
      view.lookups = lookups;
      buildChoices();
    }
    const received = $("#ev-received");
    if (!received.value) received.value = localInputValue();
    syncPdpm();
    announce(status, "");
  } catch (error) {
    announce(status, `Could not load the form's choices: ${problemText(error)}`, "error");
  }
}

export function resetEvaluate() {
  Object.assign(view, { built: false, lookups: null, evaluated: null, stale: false });
  $("#evaluate-form").reset();
  clearProblems($("#evaluate-form"));
  output().replaceChildren();
}

export function initEvaluate() {
  const form = $("#evaluate-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runForm(form, $("#ev-submit"), (f) => referralBody(f), async (body) => {
      const evaluation = await api("/admissions/evaluate", { method: "POST", body });
      showEvaluation(evaluation, body);
    });
  });
  $("#ev-compare").addEventListener("click", (event) => {
    runForm(form, event.currentTarget, (f) => referralBody(f, { facility: false }), async (body) => {
      const comparison = await api("/admissions/compare", { method: "POST", body });
      showComparison(comparison, body);
    });
  });
  form.addEventListener("input", markStale);
  form.addEventListener("change", (event) => {
    markStale();
    if (event.target.name === "payer_id" || event.target.name === "pdpm_mode") syncPdpm();
  });
  form.addEventListener("reset", () => {
    clearProblems(form);
    // After the browser has restored the defaults.
    setTimeout(() => {
      $("#ev-received").value = localInputValue();
      syncPdpm();
      syncNoteCount();
      markStale();
    });
  });
  $("#ev-note").addEventListener("input", syncNoteCount);
  $("#ev-received-now").addEventListener("click", () => {
    $("#ev-received").value = localInputValue();
    markStale();
  });
  syncNoteCount();
}

