// Facilities: the list (paged, inactive on request), adding one, editing one (census above
// all), deactivating one.

import { api, create, SessionEnded } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, $$, badge, intFormat, pctFormat } from "./dom.js";
import { busy, clearProblems, handleSubmit, problemText, text } from "./forms.js";
import { canAdminister, invalidateLookups } from "./state.js";

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

const facilities = { items: [], cursor: null, highlight: null, loaded: false };

function announce(message, tone = "info") {
  const status = $("#facilities-status");
  status.dataset.tone = tone;
  status.textContent = message;
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

/** The add-facility form is a disclosure: the list stays in view until it is wanted. */
function setFormOpen(open, { focus = false } = {}) {
  const form = $("#facility-form");
  const toggle = $("#add-toggle");
  form.hidden = !open || !canAdminister();
  toggle.setAttribute("aria-expanded", String(!form.hidden));
  toggle.classList.toggle("primary", form.hidden);
  toggle.classList.toggle("secondary", !form.hidden);
  if (form.hidden) clearProblems(form);
  else if (focus) $("#fac-name").focus();
}

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

function occupancyCell(facility) {
  const pctValue = occupancy(facility);
  const target = Number(facility.target_occupancy_pct);
  const wrap = document.createElement("div");
  wrap.className = "occupancy";
  const value = document.createElement("span");
  value.className = "occupancy-value";
  value.textContent = `${pctFormat.format(pctValue)}%`;
  const meter = document.createElement("span");
  meter.className = "meter";
  meter.setAttribute("aria-hidden", "true");
  const fill = document.createElement("span");
  fill.className = "meter-fill";
  fill.style.width = `${Math.min(100, pctValue)}%`;
  if (pctValue < target) fill.dataset.below = "true";
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
  if (canAdminister()) {
    const actions = cell("Actions", "", "col-actions");
    if (facility.is_active) {
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "button small secondary";
      edit.textContent = "Edit";
      edit.setAttribute("aria-label", `Edit ${facility.name}`);
      edit.addEventListener("click", () => startEditing(facility));
      actions.append(edit, " ");
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
    : canAdminister() ? "No active facilities yet. Facilities you add appear here."
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
    facilities.loaded = true;
    renderFacilities();
    return page;
  } catch (error) {
    if (error instanceof SessionEnded) return null;
    announce(`Could not load facilities: ${problemText(error)}`, "error");
    renderFacilities();
    return null;
  } finally {
    table.removeAttribute("aria-busy");
  }
}

/** The form edits `facility` (census above all: it moves the score), or adds one when null. */
function setEditing(facility) {
  const form = $("#facility-form");
  form.dataset.editing = facility?.id ?? "";
  $("#facility-form-title").textContent = facility ? `Edit ${facility.name}` : "Add a facility";
  $('button[type="submit"]', form).textContent = facility ? "Save changes" : "Add facility";
  $('button[type="submit"]', form).dataset.busyLabel = facility ? "Saving…" : "Adding…";
}

function startEditing(facility) {
  const form = $("#facility-form");
  form.reset();
  setEditing(facility);
  for (const name of ["name", "bed_count", "current_census", "wage_index", "target_occupancy_pct"]) {
    form.elements.namedItem(name).value = String(facility[name] ?? "");
  }
  form.elements.namedItem("state").value = facility.state ?? "";
  for (const radio of $$('input[name="locality"]', form)) radio.checked = radio.value === facility.locality;
  setFormOpen(true);
  $("#fac-current_census").focus();
  form.scrollIntoView?.({ block: "nearest" });
}

async function deactivate(facility, button) {
  const confirmed = await confirmDialog({
    title: "Deactivate facility?",
    text: `${facility.name} will leave lists and choices. Its history stays.`,
    confirm: "Deactivate", cancel: "Keep active",
  });
  if (!confirmed) { button.focus(); return; }

  await busy(button, async () => {
    try {
      await api(`/facilities/${encodeURIComponent(facility.id)}`, { method: "DELETE" });
    } catch (error) {
      if (error instanceof SessionEnded) return;
      announce(`Could not deactivate ${facility.name}: ${problemText(error)}`, "error");
      return;
    }
    invalidateLookups();
    facility.is_active = false;
    if (!$("#show-inactive").checked) {
      facilities.items = facilities.items.filter((f) => f.id !== facility.id);
    }
    renderFacilities();
    announce(`${facility.name} was deactivated.`, "good");
    $("#facilities-title").focus();
  });
}

/** When the Facilities tab opens: the list, and for a writer with none yet, the form. */
export async function showFacilities() {
  const writer = canAdminister();
  $("#add-toggle").hidden = !writer;
  $("#read-only-note").hidden = writer;
  $("#facilities-table").classList.toggle("no-actions", !writer);
  if (facilities.loaded) return;
  setFormOpen(false);
  const page = await loadFacilities({ reset: true });
  // Nothing to list yet: the form is what a writer needs first.
  if (page && page.items.length === 0 && writer) setFormOpen(true);
}

export function resetFacilities() {
  Object.assign(facilities, { items: [], cursor: null, highlight: null, loaded: false });
  $("#facilities-body").replaceChildren();
  $("#facility-form").reset();
  announce("");
}

export function initFacilities() {
  const select = $("#fac-state");
  for (const [code, name] of STATES) select.append(new Option(`${code} — ${name}`, code));

  const facilityForm = $("#facility-form");
  handleSubmit(facilityForm, facilityBody, async (body) => {
    const editing = facilityForm.dataset.editing;
    if (editing) {
      const saved = await api(`/facilities/${encodeURIComponent(editing)}`, { method: "PATCH", body });
      invalidateLookups();
      facilityForm.reset();
      setFormOpen(false);
      facilities.highlight = saved.id;
      await loadFacilities({ reset: true });
      announce(`${saved.name} was saved: census ${intFormat.format(saved.current_census)} of ${intFormat.format(saved.bed_count)} beds.`, "good");
      $("#facilities-title").focus();
      return;
    }
    const created = await create("/facilities", body);
    invalidateLookups();
    facilityForm.reset();
    facilities.highlight = created.id;
    await loadFacilities({ reset: true });
    const listed = facilities.items.some((f) => f.id === created.id);
    announce(listed ? `${created.name} was added.`
                    : `${created.name} was added. Use More to find it in the list.`, "good");
    $("#fac-name").focus();
  });
  facilityForm.addEventListener("reset", () => { clearProblems(facilityForm); setEditing(null); });
  $("#add-toggle").addEventListener("click", () => {
    if (facilityForm.dataset.editing) facilityForm.reset();
    setFormOpen(facilityForm.hidden || Boolean(facilityForm.dataset.editing), { focus: true });
  });
  $("#add-close").addEventListener("click", () => {
    facilityForm.reset();
    setFormOpen(false);
    $("#add-toggle").focus();
  });

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
}
