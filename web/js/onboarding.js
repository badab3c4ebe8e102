// Getting started: until the organization can evaluate, every signed-in screen shows a short
// checklist (facility, payer, rate, cost model, a first saved evaluation), each step linking to
// its screen, and for owners and admins the offer to start a facility from sensible defaults
// (POST /api/onboarding/defaults). It disappears once every step is done.

import { api, create, SessionEnded } from "./api.js";
import { $, el } from "./dom.js";
import { announce, busy, problemText } from "./forms.js";
import { canAdminister, invalidateLookups, isClosed } from "./state.js";

const STEPS = [
  ["facility", "Add your facility, with its census", "#facilities"],
  ["payer", "Add the payers your referrals come with", "#setup"],
  ["rate", "Enter what each payer pays (rates)", "#setup"],
  ["cost_model", "Describe what a day of care costs (cost model)", "#setup"],
  ["evaluation", "Evaluate a referral and save it", "#evaluate"],
];

const view = { done: false, facilities: [] };

async function any(path) {
  const page = await api(`${path}${path.includes("?") ? "&" : "?"}limit=1`);
  return page.items;
}

async function progress() {
  const [facilities, payers, rates, costModels, admissions] = await Promise.all([
    api("/facilities?limit=200"), any("/payers"), any("/rates"), any("/cost-models"), any("/admissions")]);
  view.facilities = facilities.items;
  return { facility: facilities.items.length > 0, payer: payers.length > 0, rate: rates.length > 0,
           cost_model: costModels.length > 0, evaluation: admissions.length > 0 };
}

function render(done) {
  const box = $("#onboarding");
  const next = STEPS.find(([key]) => !done[key]);
  const items = STEPS.map(([key, label, href]) => el("li", { dataset: { done: String(done[key]) } },
    el("span", { class: "step-mark", "aria-hidden": "true" }, done[key] ? "✓" : ""),
    done[key] ? el("span", {}, label, el("span", { class: "visually-hidden" }, " (done)"))
              : el("a", { href, "aria-current": key === next?.[0] ? "step" : null }, label)));
  const offer = canAdminister() && done.facility && !(done.rate && done.cost_model)
    ? el("div", { class: "onboarding-offer" },
        el("p", {}, "Or start from sensible defaults: a Medicare Part A payer with this year's PDPM rates at ",
           view.facilities.length === 1 ? `${view.facilities[0].name}'s` : "the facility's",
           " locality and wage index, a cost model template by acuity, and the default scoring. All of it stays editable."),
        view.facilities.length > 1
          ? el("label", { for: "onboarding-facility" }, "Facility ",
               el("select", { id: "onboarding-facility" },
                  view.facilities.map((f) => el("option", { value: f.id }, f.name))))
          : null,
        el("button", { type: "button", class: "button primary", id: "onboarding-defaults",
                       "data-busy-label": "Setting up…", onclick: startFromDefaults },
           "Start from sensible defaults"))
    : canAdminister() ? null
    : el("p", {}, "An owner or admin of your organization completes these steps.");
  box.replaceChildren(...[
    el("h2", { id: "onboarding-title" }, "Getting started"),
    el("p", { class: "card-intro" }, "A few steps before your first evaluation."),
    el("ol", { class: "checklist" }, items), offer,
    el("p", { id: "onboarding-status", class: "notice", role: "status", "aria-live": "polite" }),
  ].filter(Boolean));
  box.hidden = false;
}

async function startFromDefaults(event) {
  const facilityId = $("#onboarding-facility")?.value ?? view.facilities[0]?.id;
  await busy(event.currentTarget, async () => {
    let result;
    try {
      result = await create("/onboarding/defaults", { facility_id: facilityId });
    } catch (error) {
      if (error instanceof SessionEnded) return;
      announce($("#onboarding-status"), `Could not set up the defaults: ${problemText(error)}`, "error");
      return;
    }
    invalidateLookups();
    // The screen on show lists the new payer at once (Evaluate's choices above all).
    document.dispatchEvent(new CustomEvent("lookups:changed"));
    await refreshOnboarding();
    const kept = result.kept.length ? ` Kept as it was: ${result.kept.join(" ")}` : "";
    announce($("#onboarding-status"), `Done: ${result.payer.name}, its PDPM rate, a cost model and the scoring are set up; change them under Setup.${kept}`, "good");
  });
}

/** Show the checklist while something is left to do; once all is done it stays away. */
export async function refreshOnboarding() {
  const box = $("#onboarding");
  // Closed: read-only, nothing to set up (the steps would answer 409).
  if (view.done || isClosed()) { box.hidden = true; return; }
  try {
    const done = await progress();
    view.done = Object.values(done).every(Boolean);
    if (view.done) box.hidden = true;
    else render(done);
  } catch (error) {
    if (!(error instanceof SessionEnded)) box.hidden = true;  // a nicety: the screens still work
  }
}

export function resetOnboarding() {
  Object.assign(view, { done: false, facilities: [] });
  $("#onboarding").hidden = true;
}
