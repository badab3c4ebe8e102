// Forms: reading values, showing problems next to the form and beside each field, busy buttons.

import { Problem, SessionEnded } from "./api.js";
import { $, $$, el } from "./dom.js";
import { state } from "./state.js";
import { waitInWords } from "./words.js";

function controlsFor(form, field) {
  return $$(`[name="${CSS.escape(field)}"]`, form);
}

export function friendlyMessage(error, form = null) {
  // The API's messages are plain words already (shared/problems.py); the form says a few
  // things better, knowing its controls: a choice to make, a pattern's example.
  const field = String(error.field ?? "").replace(/^body\./, "");
  const controls = form && field ? controlsFor(form, field) : [];
  const choice = controls.length > 0
    && (controls[0].tagName === "SELECT" || controls[0].type === "radio");
  const slot = form && field ? $(`[data-error-for="${CSS.escape(field)}"]`, form) : null;
  if (choice && ["missing", "uuid_parsing", "uuid_type", "literal_error", "enum"].includes(error.type)) {
    return "Choose one.";
  }
  if (error.type === "string_pattern_mismatch" && slot?.dataset.patternMessage) {
    return slot.dataset.patternMessage;
  }
  let message = String(error.message ?? "Invalid value.").trim();
  // The API's messages are predicates ("is in the future"): give them their subject.
  if (field && /^(is|are|must|may|looks|needs|cannot|has|should|not)\b/.test(message)) {
    message = `${fieldName(form, field)} ${message}`;
  }
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

export function clearProblems(form) {
  const box = $("[data-problem]", form);
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
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

/** A field as people read it: its label on the form, else its name in words
 *  ("pdpm_groups.pt_ot" -> "pdpm groups pt ot"). */
function fieldName(form, field) {
  const slot = form && $(`[data-error-for="${CSS.escape(field)}"]`, form);
  const label = slot?.closest(".field")?.querySelector("label, legend")?.textContent.trim();
  return label || field.replace(/[._]+/g, " ").trim();
}

/** The slot for an error's field: "required_services.2" falls back to "required_services". */
function slotFor(form, field) {
  let name = field;
  while (name) {
    const slot = $(`[data-error-for="${CSS.escape(name)}"]`, form);
    if (slot) return { slot, name };
    const cut = name.lastIndexOf(".");
    if (cut < 0) break;
    name = name.slice(0, cut);
  }
  return { slot: null, name: field };
}

/** Show a Problem: the summary above the form, each field's error beside its field. */
export function showProblem(form, problem, { focus = true } = {}) {
  clearProblems(form);
  const box = $("[data-problem]", form);
  const unplaced = [];
  let firstInvalid = null;

  for (const error of problem.errors ?? []) {
    const field = String(error.field ?? "").replace(/^body\./, "");
    const { slot, name } = slotFor(form, field);
    if (!slot || slot.closest("[hidden]")) { unplaced.push(error); continue; }
    const message = withLabels(form, friendlyMessage({ ...error, field: name }, form));
    // A field in a closed disclosure ("Details that change the numbers"): open it to show it.
    const disclosure = slot.closest("details");
    if (disclosure) disclosure.open = true;
    if (!slot.textContent.includes(message)) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    }
    slot.closest(".field")?.classList.add("has-error");
    for (const input of controlsFor(form, name)) {
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
      const field = String(error.field ?? "").replace(/^body\.?/, "");
      li.textContent = `${field ? `${fieldName(form, field)}: ` : ""}${withLabels(form, friendlyMessage(error, form))}`;
      list.append(li);
    }
    box.append(list);
  }
  // The signed-out pages (accepting an invitation) may sit beside a session of another
  // organization: its plan is not the one that is full.
  const action = paymentAction(problem, { signedOut: Boolean(form.closest("#signed-out")) });
  if (action) box.append(action);
  if (problem.status === 429 && problem.retry_after) {
    const p = document.createElement("p");
    p.textContent = `Try again in ${waitInWords(problem.retry_after)}.`;
    box.append(p);
  }
  if (problem.request_id) {
    const p = document.createElement("p");
    p.className = "problem-ref";
    p.textContent = `Reference ${problem.request_id}${problem.status ? ` · HTTP ${problem.status}` : ""}`;
    box.append(p);
  }
  box.hidden = false;
  if (focus) (firstInvalid ?? box).focus();
}

/**
 * What to do about a 402 (over the plan's limit, or read-only), to show beside its detail: the
 * way to the plan page for an owner; for anyone else, who can act, and the page to look at.
 * Null for any other problem, and for a suspension (the detail says to contact support).
 */
export function paymentAction(problem, { signedOut = false } = {}) {
  if (!(problem instanceof Problem) || !problem.paymentRequired) return null;
  const { reason, resource, tier } = problem.extensions ?? {};
  if (reason === "suspended") return null;
  if (signedOut || !state.me) {
    // Signed out (accepting an invitation): the inviter's organization has no room.
    return el("p", { class: "problem-action",
                     text: "Ask the person who invited you to make room or to upgrade the plan." });
  }
  const upgrade = resource && tier !== "enterprise";
  if (state.me.user?.role === "owner") {
    return el("p", { class: "problem-action" },
      el("a", { href: "#billing", class: "button small primary", "data-payment-action": true },
         upgrade ? "Upgrade the plan" : "See plans"));
  }
  return el("p", { class: "problem-action" },
    el("span", { text: `Only an owner can ${upgrade ? "upgrade the plan" : "choose a plan"}: ask one of your organization's owners. ` }),
    el("a", { href: "#billing", "data-payment-action": true }, "See plans"));
}

/** A Problem made in the page, for checks the API cannot make (two password fields agree). */
export function clientProblem(detail, fields = {}) {
  return new Problem({
    title: "Check the form", detail,
    errors: Object.entries(fields).map(([field, message]) => ({ field, message, type: "client" })),
  });
}

/** Run an async action for a form or button: busy state, one at a time. */
export async function busy(button, action) {
  if (!button) return action();
  if (button.getAttribute("aria-disabled") === "true") return undefined;
  const label = button.textContent;
  button.setAttribute("aria-disabled", "true");
  button.disabled = true;
  button.textContent = button.dataset.busyLabel ?? label;
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    // Unless the action renamed the button (a form now editing, or adding, something else).
    if (button.textContent === (button.dataset.busyLabel ?? label)) button.textContent = label;
  }
}

/** Run `send(build(form))` for a form from `button`: busy, problems shown in the form. */
export async function runForm(form, button, build, send) {
  return busy(button, async () => {
    try {
      const result = await send(build(form));
      clearProblems(form);
      return result;
    } catch (error) {
      if (error instanceof SessionEnded) return undefined;
      if (error instanceof Problem) showProblem(form, error);
      else {
        console.error(error);
        showProblem(form, new Problem({ title: "Something went wrong", detail: String(error) }));
      }
      return undefined;
    }
  });
}

export function handleSubmit(form, build, send) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runForm(form, $('button[type="submit"]', form), build, send);
  });
}

export function text(form, name) {
  return form.elements.namedItem(name).value;
}

/** A whole number as a JSON number; anything else as typed, so the API names the problem. */
export function intOrRaw(raw) {
  const value = String(raw).trim();
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** A status line (role="status"): a message and a tone (info, good, error). */
export function announce(target, message, tone = "info") {
  target.dataset.tone = tone;
  target.textContent = message;
}

/** A status line saying an error not tied to a form (`prefix` then its detail), with the way to
 *  the plan page when it is a 402. */
export function announceProblem(target, prefix, error) {
  announce(target, `${prefix}${problemText(error)}`, "error");
  const action = paymentAction(error);
  if (action) target.append(" ", ...action.childNodes);
}

/** An error not tied to a form: its detail and reference, for a status line. */
export function problemText(error) {
  if (!(error instanceof Problem)) return String(error?.message ?? error);
  const ref = error.request_id ? ` (reference ${error.request_id})` : "";
  return `${error.detail || error.title}${ref}`;
}
