// How referrals are scored (GET/PUT /api/business-weights), on the Setup screen: each weight
// with what it does, and a sample referral's score computed as the engine does
// (shared/engine/evaluation.py: each factor 0-100, averaged by weight), updated as they change.

import { api } from "./api.js";
import { $, $$, el, pctFormat } from "./dom.js";
import { announce, handleSubmit } from "./forms.js";
import { canAdminister, state } from "./state.js";

const FIELDS = [
  ["factor_weights.margin", "Margin weight", "How much the margin counts: a margin at the target or above scores 100."],
  ["factor_weights.census", "Census weight", "How much filling empty beds counts: below the target occupancy a referral scores higher."],
  ["factor_weights.payer", "Payer weight", "How much the payer counts, by your preference for its type."],
  ["factor_weights.clinical", "Clinical fit weight", "How much providing every service the patient needs counts."],
  ["factor_weights.risk", "Cost risk weight", "How much a low medication cost, as a share of the revenue, counts."],
  ["target_margin_pct", "Target margin (%)", "The margin that scores 100."],
  ["margin_floor_pct", "Margin floor (%)", "Below it, decline whatever the score."],
  ["accept_threshold", "Accept from (score)", "A score at least this recommends accepting."],
  ["review_threshold", "Review from (score)", "A score at least this, under the accept one, asks for review; under it, decline."],
];
// The sample referral (the aside in index.html says it in words).
const SAMPLE = { margin_pct: 12, occupancy_pct: 85, payer_type: "medicare_a", medication_share: 0.04 };

const view = { weights: null };

/** The facility the sample is at (its target occupancy is the one the census factor uses),
 *  or null when there is none. */
function sampleFacility() {
  const id = $("#weights-sample-facility").value;
  return (state.facilities ?? []).find((f) => f.id === id) ?? null;
}

/** The target the census factor scores against: the facility's own. The organization's only
 *  seeds new facilities. */
function targetInUse() {
  const facility = sampleFacility();
  return Number(facility ? facility.target_occupancy_pct : view.weights.target_occupancy_pct);
}
const clamp = (n) => Math.max(0, Math.min(100, n));

function read(form) {
  const value = (name) => Number(form.elements.namedItem(name).value);
  return Object.fromEntries(FIELDS.map(([name]) => [name, value(name)]));
}

/** The sample's score and recommendation under the weights on the form. */
export function sampleScore(values, weights, targetOccupancyPct) {
  const factors = {
    margin: clamp((SAMPLE.margin_pct / values.target_margin_pct) * 100),
    census: clamp(50 + 5 * (targetOccupancyPct - SAMPLE.occupancy_pct)),
    payer: clamp(Number(weights.payer_preferences?.[SAMPLE.payer_type] ?? 50)),
    clinical: 100,
    risk: clamp(100 - 200 * SAMPLE.medication_share),
  };
  let total = 0;
  let sum = 0;
  for (const [name, factor] of Object.entries(factors)) {
    const weight = values[`factor_weights.${name}`];
    total += weight;
    sum += weight * factor;
  }
  const score = total > 0 ? sum / total : 0;
  const verdict = SAMPLE.margin_pct < values.margin_floor_pct ? "Decline: the margin is under the floor"
    : score >= values.accept_threshold ? "Accept"
    : score >= values.review_threshold ? "Review" : "Decline";
  return { score, verdict };
}

function updateSample() {
  const values = read($("#weights-form"));
  if (Object.values(values).some((n) => !Number.isFinite(n))) {
    $("#weights-sample-score").textContent = "—";
    $("#weights-sample-verdict").textContent = "Enter a number in every field to see the score.";
    return;
  }
  const target = targetInUse();
  $("#weights-sample-target").textContent = sampleFacility()
    ? `its target of ${pctFormat.format(target)}%` : `a target of ${pctFormat.format(target)}%`;
  const { score, verdict } = sampleScore(values, view.weights, target);
  $("#weights-sample-score").textContent = pctFormat.format(score);
  $("#weights-sample-verdict").textContent = `Recommendation: ${verdict}.`;
}

function build() {
  const box = $("#weights-fields");
  if (box.childElementCount) return;
  box.append(...FIELDS.map(([name, label, what]) => {
    const id = `weights-${name.replace(/\W/g, "-")}`;
    return el("div", { class: "field" },
      el("label", { for: id }, label),
      el("input", { id, name, type: "text", inputmode: "decimal", autocomplete: "off",
                    "aria-describedby": `${id}-hint ${id}-error`, oninput: updateSample }),
      el("p", { class: "hint", id: `${id}-hint` }, what),
      el("p", { class: "field-error", id: `${id}-error`, "data-error-for": name }));
  }));
}

function fill(weights) {
  const form = $("#weights-form");
  for (const [name] of FIELDS) {
    const [group, key] = name.split(".");
    form.elements.namedItem(name).value = String(key ? weights[group][key] : weights[group]);
  }
  for (const input of $$("input", form)) input.readOnly = !canAdminister();
  $('#weights-form button[type="submit"]').hidden = !canAdminister();
  updateSample();
}

function body(form) {
  const raw = (name) => form.elements.namedItem(name).value.trim() || null;
  const weights = Object.fromEntries(["margin", "census", "payer", "clinical", "risk"]
    .map((factor) => [factor, raw(`factor_weights.${factor}`)]));
  return { factor_weights: weights, target_margin_pct: raw("target_margin_pct"),
           margin_floor_pct: raw("margin_floor_pct"),
           target_occupancy_pct: view.weights.target_occupancy_pct,
           payer_preferences: view.weights.payer_preferences,
           accept_threshold: raw("accept_threshold"), review_threshold: raw("review_threshold") };
}

/** Each active facility's target occupancy, and what the organization's does (seeds new ones). */
function showTargets() {
  const facilities = (state.facilities ?? []).filter((f) => f.is_active);
  const select = $("#weights-sample-facility");
  const keep = select.value;
  select.replaceChildren(...facilities.map((f) => new Option(f.name, f.id)));
  if (facilities.some((f) => f.id === keep)) select.value = keep;
  select.closest(".field").hidden = facilities.length === 0;
  $("#weights-targets-list").replaceChildren(...facilities.map((f) => el("li", {},
    el("span", { text: f.name }), el("strong", { text: `${pctFormat.format(Number(f.target_occupancy_pct))}%` }))));
  const seed = `${pctFormat.format(Number(view.weights.target_occupancy_pct))}%`;
  $("#weights-targets-hint").replaceChildren(
    "The census factor scores a referral against its facility's own target, set on ",
    el("a", { href: "#facilities" }, "Facilities"),
    `. A new facility saved without one starts at ${seed}.`);
}

export async function showWeights() {
  build();
  view.weights = await api("/business-weights");
  showTargets();
  fill(view.weights);
}

export function initWeights() {
  $("#weights-sample-facility").addEventListener("change", updateSample);
  handleSubmit($("#weights-form"), body, async (sent) => {
    view.weights = await api("/business-weights", { method: "PUT", body: sent });
    showTargets();
    fill(view.weights);
    announce($("#setup-status"), "The scoring was saved: evaluations from now on use it.", "good");
  });
}
