// Evaluate a referral: the form, the evaluation (nothing saved), saving it as an admission, and
// comparing every facility for the same referral.

import { allPages, api, create } from "./api.js";
import { $, $$, el, FACTOR_LABELS, intFormat, localInputValue, money, pct, pctFormat,
         recommendationBadge, num } from "./dom.js";
import { renderEvaluation } from "./evaluation.js";
import { announce, clearProblems, intOrRaw, problemText, runForm, text } from "./forms.js";
import { loadLookups, loadReference, payerOf, payerTypeLabel, state } from "./state.js";
import { hardStopSentence } from "./words.js";

const NOTE_MAX = 280;
// Where the form waits, between a session that ended and signing in again (sessionStorage:
// this tab only, gone with it; never localStorage).
const DRAFT_KEY = "snf.evaluate-draft";
const view = { built: false, lookups: null, rates: null, evaluated: null, stale: false, draft: null };

// ---------------------------------------------------------------------------------------------
// Building the form from the reference data and the organization's facilities and payers

function fillSelect(select, options, placeholder) {
  const keep = select.value;
  select.replaceChildren(new Option(placeholder, ""), ...options.map(([value, label]) => new Option(label, value)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

function payerLabel(payer) {
  const type = payerTypeLabel(payer.payer_type);
  return payer.name.toLowerCase().includes(type.toLowerCase()) ? payer.name : `${payer.name} — ${type}`;
}

function buildChoices() {
  const { facilities, payers } = view.lookups;
  const active = facilities.filter((f) => f.is_active);
  const facility = $("#ev-facility");
  fillSelect(facility, active.map((f) => [f.id, f.name]), "Choose a facility");
  // One facility: nothing to choose (as the Setup forms do).
  if (active.length === 1 && !facility.value) facility.value = active[0].id;
  fillSelect($("#ev-payer"), payers.filter((p) => p.is_active).map((p) => [p.id, payerLabel(p)]),
             "Choose a payer");
  fillThenPayers();
}

/** The rates that say how a payer pays at a facility (any facility when none is chosen). */
function ratesOf(payerId, facilityId) {
  return (view.rates ?? []).filter((r) => r.payer_id === payerId && (!facilityId || r.facility_id === facilityId));
}

/** Who may pay after Medicare: the payers with a per diem or acuity rate there. */
function fillThenPayers() {
  if (!view.lookups) return;
  const facilityId = $("#ev-facility").value;
  const payerId = $("#ev-payer").value;
  const choices = view.lookups.payers.filter((p) => p.is_active && p.id !== payerId
    && (view.rates ? ratesOf(p.id, facilityId).some((r) => r.method !== "pdpm")
                   : p.payer_type !== "medicare_a"));
  fillSelect($("#ev-then-payer"), choices.map((p) => [p.id, payerLabel(p)]), "Nobody (not known)");
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

/** Priced by PDPM: the payer's rates (at the chosen facility, else anywhere) say so; without
 *  them, a Medicare Part A payer is. The PDPM groups and the Medicare details matter then only. */
function pricedByPdpm() {
  const payerId = $("#ev-payer").value;
  if (!payerId) return false;
  const rates = ratesOf(payerId, $("#ev-facility").value);
  if (view.rates && rates.length) return rates.some((r) => r.method === "pdpm");
  return payerOf(payerId)?.payer_type === "medicare_a";
}

function syncPdpm() {
  const show = pricedByPdpm();
  $("#ev-pdpm").hidden = !show;
  const mode = $("#evaluate-form").elements.namedItem("pdpm_mode").value;
  $("#ev-pdpm-hipps").hidden = mode !== "hipps";
  $("#ev-pdpm-groups").hidden = mode !== "groups";
  $("#ev-medicare-details").hidden = !show;
  $("#ev-medicare-details-note").hidden = show;
  syncDetailsCount();
}

const DETAIL_FIELDS = ["expected_admission_date", "benefit_days_used", "skilled_days", "then_payer_id",
                       "prior_case_number", "hiv_aids"];

/** The closed disclosure says how many of its details are given (and would be sent). */
function syncDetailsCount() {
  const form = $("#evaluate-form");
  const given = DETAIL_FIELDS.filter((name) => {
    const control = form.elements.namedItem(name);
    if (control.closest("[hidden]")) return false;
    return control.type === "checkbox" ? control.checked : control.value.trim() !== "";
  }).length;
  $("#ev-details-count").textContent = given ? `· ${given} given` : "";
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
  if (pricedByPdpm()) {
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
  const admission = text(form, "expected_admission_date").trim();
  if (admission) body.expected_admission_date = admission;
  if (pricedByPdpm()) {
    for (const name of ["benefit_days_used", "skilled_days"]) {
      const days = text(form, name).trim();
      if (days) body[name] = intOrRaw(days);
    }
    if (text(form, "then_payer_id")) body.then_payer_id = text(form, "then_payer_id");
    const prior = text(form, "prior_case_number").trim().toUpperCase();
    if (prior) body.prior_case_number = prior;
    if (form.elements.namedItem("hiv_aids").checked) body.hiv_aids = true;
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

/** Open "Details that change the numbers" and put the focus on its first field. */
function openDetails() {
  const details = $("#ev-details");
  details.open = true;
  details.scrollIntoView({ block: "start" });
  $("#ev-admission").focus();
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
                           renderEvaluation(evaluation, { correct: openDetails }));
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

/** Gross and net revenue, cost and margin over the stay, so that net − cost = margin. */
function placementFigures(e) {
  const figure = (term, value, extra = "") => el("div", {}, el("dt", { text: term }),
    el("dd", {}, money(value), extra ? el("span", { class: "muted", text: ` ${extra}` }) : null));
  return el("dl", { class: "placement-figures" },
    figure("Revenue at the payer's rate", e.revenue.total),
    figure("Net revenue", e.revenue.net_total),
    figure("Cost", e.cost.total),
    figure("Margin", e.margin, `(${pct(e.margin_pct)})`));
}

const SETUP_LINK = () => el("a", { href: "#setup" }, "Setup");

/** What would turn this placement's decline around, naming the setting that decides it. */
function declineHint(e, weights) {
  if (e.recommendation !== "decline") return null;
  const codes = new Set(e.hard_stops.map((s) => s.code));
  const hints = [];
  if (codes.has("service_not_provided")) hints.push(["the services of its cost model (", SETUP_LINK(), ")"]);
  if (codes.has("margin_below_floor")) {
    hints.push(["the margin floor", weights ? `, ${pct(weights.margin_floor_pct)}` : "", " (", SETUP_LINK(),
                "), or a better rate or a lower cost"]);
  }
  if (codes.has("no_bed")) hints.push(["a free bed (", el("a", { href: "#facilities" }, "Facilities"), ")"]);
  if (!e.hard_stops.length) {
    // Points a factor could have given (its share of the weights) less what it gave.
    const weightTotal = e.factors.reduce((t, f) => t + num(f.weight), 0) || 1;
    const lostOn = (f) => (num(f.weight) / weightTotal) * 100 - num(f.contribution);
    const lost = [...e.factors].sort((a, b) => lostOn(b) - lostOn(a))[0];
    hints.push(["the review threshold", weights ? `, ${pctFormat.format(num(weights.review_threshold))}` : "",
                " (", SETUP_LINK(), ")",
                lost ? `; most points were lost on ${(FACTOR_LABELS[lost.name] ?? lost.name).toLowerCase()}: ${lost.detail}` : ""]);
  }
  return el("p", { class: "placement-hint" }, el("strong", { text: "Would change with: " }),
    hints.map((hint, i) => [i ? "; " : "", ...hint]), ".");
}

function placementRow(placement, weights) {
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
      // Why it is declined first, then the figures.
      e.hard_stops.length
        ? el("ul", { class: "placement-stops" }, e.hard_stops.map((s) => el("li", { text: hardStopSentence(s) })))
        : null,
      placementFigures(e),
      declineHint(e, weights)),
    el("button", { type: "button", class: "button secondary small",
                   "aria-label": `Evaluate at ${placement.facility.name}`,
                   onclick: () => {
                     const form = $("#evaluate-form");
                     form.elements.namedItem("facility_id").value = placement.facility.id;
                     fillThenPayers();  // as a chosen facility does: its payers, its fields
                     syncPdpm();
                     form.requestSubmit();
                   } }, "Evaluate here"));
}

/** Every placement declines: what decides it across them, and where it is set. */
function allDeclined(placements, weights) {
  const evaluated = placements.filter((p) => p.evaluation);
  if (!evaluated.length || evaluated.some((p) => p.evaluation.recommendation !== "decline")) return null;
  const count = (code) => evaluated.filter((p) => p.evaluation.hard_stops.some((s) => s.code === code)).length;
  const of = (n) => (n === evaluated.length ? (n === 1 ? "The facility" : `All ${n}`) : `${n} of ${evaluated.length}`);
  const best = (key) => Math.max(...evaluated.map((p) => num(p.evaluation[key])));
  const items = [];
  const floor = count("margin_below_floor");
  if (floor) {
    items.push([`${of(floor)} under the margin floor`, weights ? ` of ${pct(weights.margin_floor_pct)}` : "",
                ` (the best margin is ${pct(best("margin_pct"))}): the floor is set in `, SETUP_LINK(), ", Scoring."]);
  }
  const service = count("service_not_provided");
  if (service) items.push([`${of(service)} without a required service: services are set per facility in `, SETUP_LINK(), ", Cost models."]);
  const bed = count("no_bed");
  if (bed) items.push([`${of(bed)} without a free bed (`, el("a", { href: "#facilities" }, "Facilities"), ")."]);
  const scored = evaluated.filter((p) => !p.evaluation.hard_stops.length).length;
  if (scored) {
    items.push([`${of(scored)} scored under the review threshold`,
                weights ? ` of ${pctFormat.format(num(weights.review_threshold))}` : "",
                ` (the best score is ${pctFormat.format(best("score"))}): thresholds and weights are in `, SETUP_LINK(), ", Scoring."]);
  }
  return el("div", { class: "callout warn", "data-testid": "all-declined" },
    el("h3", { text: "Every facility declines this referral" }),
    el("ul", {}, items.map((item) => el("li", {}, ...item))));
}

function showComparison(comparison, body, weights) {
  view.evaluated = null;
  const ranked = comparison.placements.filter((p) => p.evaluation);
  const payer = payerOf(body.payer_id);
  output().replaceChildren(
    el("div", { class: "result-bar" },
      el("div", {},
        el("h3", { id: "ev-result-title", tabindex: "-1", text: "Placements, best first" }),
        el("p", { class: "muted", text: `${payer?.name ?? "Payer"} · ${intFormat.format(body.length_of_stay_days)} days · `
                  + `${ranked.length} of ${comparison.placements.length} facilities could evaluate it.` }))),
    // replaceChildren writes a null as the text "null": only a summary that exists goes in.
    ...[allDeclined(comparison.placements, weights)].filter(Boolean),
    comparison.placements.length
      ? el("ol", { class: "placements" }, comparison.placements.map((p) => placementRow(p, weights)))
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
    // The rates say which payers are priced by PDPM (and who may pay after Medicare): read
    // each time the screen is shown, as Setup may have changed them.
    const [lookups, rates] = await Promise.all([loadLookups(), allPages("/rates")]);
    view.rates = rates;
    if (!view.built) {
      buildReference();
      view.built = true;
      showIntro();
    }
    if (view.lookups?.facilities !== lookups.facilities || view.lookups?.payers !== lookups.payers) {
      view.lookups = lookups;
      buildChoices();
    }
    fillThenPayers();
    const received = $("#ev-received");
    if (!received.value) received.value = localInputValue();
    syncPdpm();
    announce(status, "");
    if (view.draft) {
      restoreDraft(view.draft);
      view.draft = null;
      announce(status, "Your session had ended: the referral you were typing is back. Evaluate it again when ready.");
    }
  } catch (error) {
    announce(status, `Could not load the form's choices: ${problemText(error)}`, "error");
  }
}

export function resetEvaluate() {
  Object.assign(view, { built: false, lookups: null, rates: null, evaluated: null, stale: false });
  $("#evaluate-form").reset();
  $("#ev-details").open = false;
  clearProblems($("#evaluate-form"));
  output().replaceChildren();
}

// ---------------------------------------------------------------------------------------------
// A session that ends mid-referral: the form waits in sessionStorage for the same person to
// sign in again, then in memory until the screen shows it; never longer.

function formValues(form) {
  const values = {};
  for (const control of form.elements) {
    if (!control.id || !control.name) continue;
    if (control.type === "checkbox" || control.type === "radio") values[control.id] = control.checked;
    else values[control.id] = control.value;
  }
  return values;
}

/** Anything typed or chosen (the received time and the PDPM mode fill themselves). */
function somethingTyped(form) {
  return [...form.elements].some((control) => {
    if (!control.name || ["referral_received_at", "pdpm_mode"].includes(control.name)) return false;
    return control.type === "checkbox" || control.type === "radio" ? control.checked : control.value !== "";
  });
}

/** Keep the form for `owner` (organization/user) while the sign-in page shows. */
export function keepDraft(owner) {
  const form = $("#evaluate-form");
  if (!owner || !somethingTyped(form)) return false;
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ owner, open: $("#ev-details").open, values: formValues(form) }));
  return true;
}

/** Forget a kept form (signing out on purpose). */
export function dropDraft() {
  sessionStorage.removeItem(DRAFT_KEY);
  view.draft = null;
}

/** After signing in: the kept form, if it is this person's, waits in memory for the screen;
 *  anyone else's is dropped. Either way it leaves sessionStorage. */
export function adoptDraft(owner) {
  let draft = null;
  try { draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? "null"); } catch { /* dropped */ }
  sessionStorage.removeItem(DRAFT_KEY);
  view.draft = draft && draft.owner === owner ? draft : null;
}

function restoreDraft({ values, open }) {
  const form = $("#evaluate-form");
  // The choices first: which fields show (and which then-payers are offered) depends on them.
  for (const id of ["ev-facility", "ev-payer"]) if (id in values) $(`#${id}`).value = values[id];
  fillThenPayers();
  for (const [id, value] of Object.entries(values)) {
    const control = form.querySelector(`#${CSS.escape(id)}`);
    if (!control) continue;
    if (control.type === "checkbox" || control.type === "radio") control.checked = Boolean(value);
    else control.value = value;
  }
  $("#ev-details").open = Boolean(open);
  syncPdpm();
  syncNoteCount();
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
      // The thresholds name the setting behind a decline; the comparison stands without them.
      const [comparison, weights] = await Promise.all([
        api("/admissions/compare", { method: "POST", body }),
        api("/business-weights").catch(() => null)]);
      showComparison(comparison, body, weights);
    });
  });
  form.addEventListener("input", () => {
    markStale();
    syncDetailsCount();
  });
  form.addEventListener("change", (event) => {
    markStale();
    if (event.target.name === "payer_id" || event.target.name === "facility_id") fillThenPayers();
    if (["payer_id", "facility_id", "pdpm_mode"].includes(event.target.name)) syncPdpm();
    else syncDetailsCount();
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

