// Setup (#setup): what an evaluation needs besides a facility. Payers; rates of each method
// (a PDPM rate's locality and wage index come from the facility); cost models, one a facility,
// with the services it provides; how referrals are scored (weights.js). Owners and admins
// write; every role reads.

import { allPages, api, create, SessionEnded } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, $$, el, money, RATE_METHODS } from "./dom.js";
import { announce, busy, handleSubmit, problemText, runForm } from "./forms.js";
import { acuityName, canAdminister, invalidateLookups, loadLookups, loadReference, payerTypeLabel,
         state } from "./state.js";
import { initWeights, showWeights } from "./weights.js";

const ACUITY = ["low", "moderate", "high", "complex"];
const setup = { rates: [], costModels: [] };

const activeFacilities = () => state.facilities.filter((f) => f.is_active);
const activePayers = () => state.payers.filter((p) => p.is_active);
const today = () => new Date().toISOString().slice(0, 10);

function options(select, items, { placeholder, label = (item) => item.name } = {}) {
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, placeholder), ...items.map(
    (item) => el("option", { value: item.id }, label(item))));
  if (items.some((item) => item.id === chosen)) select.value = chosen;
  else if (items.length === 1) select.value = items[0].id;
}

/** Decimals stay strings (exact, and the API takes them); blanks are left out. */
function decimal(form, name) {
  const value = form.elements.namedItem(name)?.value.trim() ?? "";
  return value === "" ? undefined : value.replace(/^\$/, "");
}

// --- payers -----------------------------------------------------------------------------------

function renderPayers() {
  const payers = activePayers();
  $("#payers-list").replaceChildren(...payers.map(payerRow));
  $("#payers-empty").hidden = payers.length > 0;
}

function payerRow(payer) {
  const row = el("li", { class: "payer-row", dataset: { id: payer.id } },
    el("strong", {}, payer.name), " ", el("span", { class: "muted" }, payerTypeLabel(payer.payer_type)));
  if (!canAdminister()) return row;
  const edit = el("button", { type: "button", class: "button small secondary",
                              "aria-label": `Edit ${payer.name}` }, "Edit");
  const deactivate = el("button", { type: "button", class: "button small danger-quiet",
                                    "aria-label": `Deactivate ${payer.name}`, "data-busy-label": "Deactivating…" },
                        "Deactivate");
  edit.addEventListener("click", () => row.replaceChildren(payerEditForm(payer, row)));
  deactivate.addEventListener("click", () => deactivatePayer(payer, deactivate));
  row.append(" ", el("span", { class: "row-actions" }, edit, " ", deactivate));
  return row;
}

/** Rename in place: the payer type stays. */
function payerEditForm(payer, row) {
  const id = `payer-edit-${payer.id}`;
  const input = el("input", { id, name: "name", type: "text", maxlength: "120", autocomplete: "off",
                              value: payer.name, "aria-describedby": `${id}-error` });
  const save = el("button", { type: "submit", class: "button small primary", "data-busy-label": "Saving…" }, "Save");
  const cancel = el("button", { type: "button", class: "button small secondary" }, "Cancel");
  const form = el("form", { class: "inline-edit", novalidate: true, "aria-label": `Rename ${payer.name}` },
    el("div", { class: "problem", "data-problem": true, role: "alert", tabindex: "-1", hidden: true }),
    el("div", { class: "field" },
      el("label", { for: id }, "Name"), input,
      el("p", { class: "field-error", id: `${id}-error`, "data-error-for": "name" })),
    el("div", { class: "actions" }, save, " ", cancel));
  cancel.addEventListener("click", () => row.replaceWith(payerRow(payer)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runForm(form, save, () => ({ name: input.value }), async (body) => {
      if (body.name.trim() === payer.name) { row.replaceWith(payerRow(payer)); return; }
      const saved = await api(`/payers/${encodeURIComponent(payer.id)}`, { method: "PATCH", body });
      await reload(`The payer is now ${saved.name}.`);
    });
  });
  setTimeout(() => input.focus());
  return form;
}

async function deactivatePayer(payer, button) {
  const ok = await confirmDialog({
    title: `Deactivate ${payer.name}?`,
    text: "It leaves the payer choices for new rates and evaluations. Its past evaluations and rates stay.",
    confirm: "Deactivate" });
  if (!ok) return;
  await busy(button, async () => {
    try {
      await api(`/payers/${encodeURIComponent(payer.id)}`, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof SessionEnded)) announce($("#setup-status"), `Could not deactivate ${payer.name}: ${problemText(error)}`, "error");
      return;
    }
    await reload(`${payer.name} was deactivated.`);
  });
}

// --- rates ------------------------------------------------------------------------------------

function amounts(rate) {
  if (rate.method === "per_diem") return `${money(rate.per_diem)} a day`;
  if (rate.method === "acuity") {
    return ACUITY.map((level) => `${acuityName(level)} ${money(rate.acuity_rates?.[level])}`).join(", ");
  }
  // A Medicare Advantage contract's percentage and the QRP reduction change every day's amount.
  return `FY${rate.fiscal_year} PDPM, ${rate.locality}, wage index ${rate.wage_index}`
    + (rate.pdpm_percent != null ? `, ${Number(rate.pdpm_percent)}% of PDPM` : "")
    + (rate.qrp_reduced ? ", QRP not met (reduced rates)" : "");
}

function renderRates() {
  const name = (list, id) => list.find((item) => item.id === id)?.name ?? "—";
  const rows = setup.rates.map((rate) => el("tr", { dataset: { id: rate.id } },
    el("td", { dataset: { label: "Facility" } }, name(state.facilities, rate.facility_id)),
    el("td", { dataset: { label: "Payer" } }, name(state.payers, rate.payer_id)),
    el("td", { dataset: { label: "Method" } }, RATE_METHODS[rate.method] ?? rate.method),
    el("td", { dataset: { label: "Period" } },
       `${rate.effective_from} to ${rate.effective_to ?? "until replaced"}`),
    el("td", { dataset: { label: "Amounts" } }, amounts(rate)),
    canAdminister() ? el("td", { dataset: { label: "End" }, class: "rate-end" }, endControl(rate), " ", rateEditButton(rate)) : null));
  $("#rates-body").replaceChildren(...rows);
  $("#rates-table").hidden = rows.length === 0;
  $("#rates-empty").hidden = rows.length > 0;
}

/** A rate ends on a day (the last it applies), so a new one can follow it without overlap. */
function endControl(rate) {
  const label = `Last day of the ${rate.method === "pdpm" ? "PDPM " : ""}rate from ${rate.effective_from}`;
  const input = el("input", { type: "date", value: rate.effective_to ?? "", "aria-label": label });
  const button = el("button", { type: "button", class: "button small secondary",
                                "data-busy-label": "Saving…" }, "End");
  button.addEventListener("click", () => busy(button, async () => {
    try {
      await api(`/rates/${encodeURIComponent(rate.id)}`, { method: "PATCH",
                                                          body: { effective_to: input.value || null } });
    } catch (error) {
      if (!(error instanceof SessionEnded)) announce($("#setup-status"), `Could not end the rate: ${problemText(error)}`, "error");
      return;
    }
    await reload(input.value ? `The rate now ends on ${input.value}.` : "The rate has no end now.");
  }));
  return el("span", { class: "end-control" }, input, button);
}

function rateEditButton(rate) {
  const button = el("button", { type: "button", class: "button small secondary",
                                "aria-label": `Edit the rate from ${rate.effective_from}` }, "Edit");
  button.addEventListener("click", () => {
    for (const open of $$("#rates-body tr.rate-edit-row")) open.remove();
    const row = button.closest("tr");
    row.after(el("tr", { class: "rate-edit-row" }, el("td", { colspan: "6" }, rateEditForm(rate))));
  });
  return button;
}

/** The amounts of the rate's method and its last day; only what changed is sent. */
function rateEditForm(rate) {
  const fields = [];
  const field = (name, label, value, type = "text") => {
    const id = `rate-edit-${name.replace(/\W/g, "-")}`;
    fields.push(el("div", { class: "field" },
      el("label", { for: id }, label),
      el("input", { id, name, type, autocomplete: "off", value: value ?? "",
                    inputmode: type === "text" ? "decimal" : null, "aria-describedby": `${id}-error` }),
      el("p", { class: "field-error", id: `${id}-error`, "data-error-for": name })));
  };
  if (rate.method === "per_diem") field("per_diem", "Per diem ($ a day)", rate.per_diem);
  if (rate.method === "acuity") {
    for (const level of ACUITY) field(`acuity_rates.${level}`, `${acuityName(level)} ($ a day)`, rate.acuity_rates?.[level]);
  }
  if (rate.method === "pdpm") {
    field("wage_index", "Wage index", rate.wage_index);
    field("vbp_multiplier", "VBP multiplier", rate.vbp_multiplier);
    field("pdpm_percent", "Percent of PDPM (blank: Original Medicare)", rate.pdpm_percent);
    fields.push(el("div", { class: "field" },
      el("label", { class: "check", for: "rate-edit-qrp_reduced" },
        el("input", { id: "rate-edit-qrp_reduced", name: "qrp_reduced", type: "checkbox",
                      checked: Boolean(rate.qrp_reduced), "aria-describedby": "rate-edit-qrp_reduced-error" }),
        " Did not meet the SNF QRP"),
      el("p", { class: "field-error", id: "rate-edit-qrp_reduced-error", "data-error-for": "qrp_reduced" })));
  }
  field("effective_to", "Last day", rate.effective_to, "date");
  const save = el("button", { type: "submit", class: "button small primary", "data-busy-label": "Saving…" }, "Save rate");
  const cancel = el("button", { type: "button", class: "button small secondary" }, "Cancel");
  const form = el("form", { class: "inline-edit", novalidate: true, "aria-label": `Edit the rate from ${rate.effective_from}` },
    el("div", { class: "problem", "data-problem": true, role: "alert", tabindex: "-1", hidden: true }),
    el("div", { class: "form-grid" }, fields),
    el("div", { class: "actions" }, save, " ", cancel));
  cancel.addEventListener("click", () => form.closest("tr").remove());
  const same = (a, b) => (a ?? "") === (b ?? "") || (a != null && b != null && a !== "" && b !== ""
                                                     && Number(a) === Number(b));
  const build = () => {
    const body = {};
    if (rate.method === "per_diem") {
      const value = decimal(form, "per_diem") ?? null;
      if (!same(value, rate.per_diem)) body.per_diem = value;
    }
    if (rate.method === "acuity") {
      const levels = Object.fromEntries(ACUITY.map((level) => [level, decimal(form, `acuity_rates.${level}`) ?? null]));
      if (ACUITY.some((level) => !same(levels[level], rate.acuity_rates?.[level]))) body.acuity_rates = levels;
    }
    if (rate.method === "pdpm") {
      for (const name of ["wage_index", "vbp_multiplier", "pdpm_percent"]) {
        const value = decimal(form, name) ?? null;
        if (!same(value, rate[name])) body[name] = value;
      }
      const qrp = form.elements.namedItem("qrp_reduced").checked;
      if (qrp !== Boolean(rate.qrp_reduced)) body.qrp_reduced = qrp;
    }
    const until = form.elements.namedItem("effective_to").value || null;
    if (until !== (rate.effective_to ?? null)) body.effective_to = until;
    return body;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runForm(form, save, build, async (body) => {
      if (Object.keys(body).length === 0) {
        form.closest("tr").remove();
        announce($("#setup-status"), "Nothing changed.");
        return;
      }
      await api(`/rates/${encodeURIComponent(rate.id)}`, { method: "PATCH", body });
      await reload("The rate was saved.");
    });
  });
  return form;
}

function showMethod(method) {
  for (const group of $$("#rate-form [data-method]")) group.hidden = group.dataset.method !== method;
}

/** A PDPM rate is the facility's: its locality and wage index, as the facility has them. */
function prefillFromFacility() {
  // Also runs after a reset, which signing out or in does while nothing is loaded.
  const facility = state.facilities?.find((f) => f.id === $("#rate-facility").value);
  if (!facility) return;
  $("#rate-locality").value = facility.locality;
  $("#rate-wage").value = facility.wage_index;
  $("#rate-locality-hint").textContent = `From ${facility.name}`;
  $("#rate-wage-hint").textContent = `From ${facility.name}`;
}

function rateBody(form) {
  const method = form.elements.namedItem("method").value;
  const body = { facility_id: form.elements.namedItem("facility_id").value || null,
                 payer_id: form.elements.namedItem("payer_id").value || null, method,
                 effective_from: form.elements.namedItem("effective_from").value || null };
  const until = form.elements.namedItem("effective_to").value;
  if (until) body.effective_to = until;
  if (method === "per_diem") body.per_diem = decimal(form, "per_diem") ?? null;
  if (method === "acuity") {
    body.acuity_rates = Object.fromEntries(ACUITY.map((level) => [level, decimal(form, `acuity_rates.${level}`) ?? null]));
  }
  if (method === "pdpm") {
    const year = form.elements.namedItem("fiscal_year").value.trim();
    Object.assign(body, { fiscal_year: /^\d+$/.test(year) ? Number(year) : year || null,
                          locality: form.elements.namedItem("locality").value,
                          wage_index: decimal(form, "wage_index") ?? null,
                          vbp_multiplier: decimal(form, "vbp_multiplier") ?? "1",
                          qrp_reduced: form.elements.namedItem("qrp_reduced").checked });
    const percent = decimal(form, "pdpm_percent");
    if (percent !== undefined) body.pdpm_percent = percent;
  }
  return body;
}

function moneyField(prefix, name, label) {
  const id = `${prefix}-${name.replace(/\W/g, "-")}`;
  return el("div", { class: "field" },
    el("label", { for: id }, label),
    el("input", { id, name, type: "text", inputmode: "decimal", autocomplete: "off",
                  "aria-describedby": `${id}-error` }),
    el("p", { class: "field-error", id: `${id}-error`, "data-error-for": name }));
}

// --- cost models ------------------------------------------------------------------------------

// Optional lines: left blank, a line is not in the cost model (counted as 0, and said so).
const COST_LINES = [
  ["pt_cost_per_day_at_cmi_1", "Physical therapy at a PT CMI of 1.0 ($ a day)"],
  ["ot_cost_per_day_at_cmi_1", "Occupational therapy at an OT CMI of 1.0 ($ a day)"],
  ["slp_cost_per_day_at_cmi_1", "Speech-language pathology at an SLP CMI of 1.0 ($ a day)"],
  ["labs_cost_per_day", "Labs ($ a day)"],
  ["imaging_cost_per_day", "Imaging ($ a day)"],
  ["supplies_cost_per_day", "Supplies ($ a day)"],
  ["transport_cost_per_stay", "Transport ($ a stay)"],
];

function costModelOf(facilityId) {
  return setup.costModels.find((m) => m.facility_id === facilityId && m.is_active) ?? null;
}

/** The form shows the chosen facility's cost model, to edit, or a blank one to add. */
function fillCostForm() {
  const form = $("#cost-form");
  const facilityId = $("#cost-facility").value;
  const model = costModelOf(facilityId);
  const set = (name, value) => { form.elements.namedItem(name).value = value ?? ""; };
  set("fixed_daily_cost", model?.fixed_daily_cost);
  set("nursing_wage_hourly", model?.nursing_wage_hourly);
  set("therapy_cost_per_day", model?.therapy_cost_per_day);
  set("default_medication_cost_per_day", model?.default_medication_cost_per_day ?? "0");
  for (const [name] of COST_LINES) set(name, model?.[name]);
  for (const level of ACUITY) set(`nursing_hours_per_day.${level}`, model?.nursing_hours_per_day?.[level]);
  for (const box of $$('#cost-services-grid input[type="checkbox"]')) {
    box.checked = model?.supported_services.includes(box.value) ?? false;
    set(`service_costs.${box.value}`, model?.service_costs?.[box.value]);
  }
  $("#cost-facility-hint").textContent = !facilityId ? ""
    : model ? "This facility's cost model: change it and save." : "No cost model yet: fill it in and save.";
  $('#cost-form button[type="submit"]').textContent = model ? "Save cost model" : "Add cost model";
}

function costBody(form) {
  const hours = Object.fromEntries(ACUITY.map((level) => [level, decimal(form, `nursing_hours_per_day.${level}`) ?? null]));
  const supported = $$('#cost-services-grid input[type="checkbox"]:checked').map((box) => box.value);
  const costs = {};
  for (const code of supported) {
    const value = decimal(form, `service_costs.${code}`);
    if (value !== undefined) costs[code] = value;
  }
  const body = { fixed_daily_cost: decimal(form, "fixed_daily_cost") ?? null,
                 nursing_hours_per_day: hours,
                 nursing_wage_hourly: decimal(form, "nursing_wage_hourly") ?? null,
                 therapy_cost_per_day: decimal(form, "therapy_cost_per_day") ?? null,
                 default_medication_cost_per_day: decimal(form, "default_medication_cost_per_day") ?? "0",
                 supported_services: supported, service_costs: costs };
  for (const [name] of COST_LINES) body[name] = decimal(form, name) ?? null;
  const facilityId = form.elements.namedItem("facility_id").value;
  return costModelOf(facilityId) ? body : { facility_id: facilityId || null, ...body };
}

// --- the screen -------------------------------------------------------------------------------

function render() {
  renderPayers();
  renderRates();
  const facilities = activeFacilities();
  options($("#rate-facility"), facilities, { placeholder: "Choose a facility…" });
  options($("#rate-payer"), activePayers(), { placeholder: "Choose a payer…" });
  options($("#cost-facility"), facilities, { placeholder: "Choose a facility…" });
  prefillFromFacility();
  fillCostForm();
  const writer = canAdminister();
  for (const form of $$("#tab-setup form:not(#weights-form)")) form.hidden = !writer;
  $("#setup-read-only").hidden = writer;
  $("#rates-table .rate-end-head").hidden = !writer;
}

async function load() {
  const [rates, costModels] = await Promise.all([allPages("/rates"), allPages("/cost-models"),
                                                 loadLookups({ force: true }), loadReference()]);
  setup.rates = rates;
  setup.costModels = costModels;
}

function buildOnce(reference) {
  const grid = $("#cost-services-grid");
  if (grid.childElementCount) return;
  const type = $("#payer-type");
  for (const option of reference.payer_types) type.append(new Option(option.label, option.code));
  const acuityGroup = $('#rate-form [data-method="acuity"]');
  acuityGroup.prepend(...ACUITY.map((level) => moneyField("rate", `acuity_rates.${level}`, `${acuityName(level)} ($ a day)`)));
  $("#cost-lines-grid").append(...COST_LINES.map(([name, label]) => moneyField("cost", name, label)));
  $("#cost-hours-grid").append(...ACUITY.map((level) => {
    const id = `cost-hours-${level}`;
    return el("div", { class: "field" },
      el("label", { for: id }, acuityName(level)),
      el("input", { id, name: `nursing_hours_per_day.${level}`, type: "text", inputmode: "decimal", autocomplete: "off" }),
      el("p", { class: "field-error", "data-error-for": `nursing_hours_per_day.${level}` }));
  }));
  grid.append(...reference.services.map((service) => el("div", { class: "service-row" },
    el("label", { class: "check" },
       el("input", { type: "checkbox", name: "supported_services", value: service.code }), ` ${service.label}`),
    el("input", { name: `service_costs.${service.code}`, type: "text", inputmode: "decimal", autocomplete: "off",
                  "aria-label": `${service.label}: cost a day in dollars`, placeholder: "$ a day" }),
    el("p", { class: "field-error", "data-error-for": `service_costs.${service.code}` }))));
  $("#rate-fy").value = String(reference.pdpm_fiscal_year ?? "");
}

export async function showSetup() {
  try {
    await load();  // facilities and payers may have changed on other screens
    buildOnce(state.reference);
    render();
    await showWeights();
  } catch (error) {
    if (error instanceof SessionEnded) return;
    announce($("#setup-status"), `Could not load the setup: ${problemText(error)}`, "error");
  }
}

export function resetSetup() {
  Object.assign(setup, { rates: [], costModels: [] });
  for (const form of $$("#tab-setup form")) form.reset();
  announce($("#setup-status"), "");
}

async function reload(message) {
  invalidateLookups();
  await load();
  render();
  announce($("#setup-status"), message, "good");
}

export function initSetup() {
  initWeights();
  $("#rate-method").addEventListener("change", (event) => showMethod(event.target.value));
  $("#rate-facility").addEventListener("change", prefillFromFacility);
  $("#cost-facility").addEventListener("change", fillCostForm);
  $("#rate-from").value = today();
  $("#rate-form").addEventListener("reset", () => setTimeout(() => {
    showMethod($("#rate-method").value);
    $("#rate-from").value = today();
    $("#rate-fy").value = String(state.reference?.pdpm_fiscal_year ?? "");
    prefillFromFacility();
  }));

  handleSubmit($("#payer-form"), (form) => ({ name: form.elements.namedItem("name").value,
                                              payer_type: form.elements.namedItem("payer_type").value || null }),
    async (body) => {
      const payer = await create("/payers", body);
      $("#payer-form").reset();
      await reload(`${payer.name} was added. Add the rate it pays next.`);
    });

  handleSubmit($("#rate-form"), rateBody, async (body) => {
    await create("/rates", body);
    await reload("The rate was added.");
  });

  handleSubmit($("#cost-form"), costBody, async (body) => {
    const facilityId = $("#cost-facility").value;
    const model = costModelOf(facilityId);
    if (model) await api(`/cost-models/${encodeURIComponent(model.id)}`, { method: "PATCH", body });
    else await create("/cost-models", body);
    await reload("The cost model was saved.");
  });
}
