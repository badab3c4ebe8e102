// Two-factor sign-in on the Settings screen: set it up (QR code and the key as text, confirmed by
// a first code), the recovery codes shown once (copy, download), new recovery codes, turning it
// off; for owners, requiring it of everyone. The sign-in screen's code and enrollment steps are
// in auth.js and use the views below.

import { api, SessionEnded, saveBlob } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, dateTime, el } from "./dom.js";
import { announce, busy, clearProblems, handleSubmit, problemText, text } from "./forms.js";
import { isClosed, state } from "./state.js";

const isOwner = () => state.me?.user?.role === "owner";
let status2fa = null;  // GET /me/two-factor

function status(message, tone = "info") {
  announce($("#settings-status"), message, tone);
}

/** The QR code (an SVG from the API, as an image: the page's CSP allows data: images and runs
 *  nothing inside one) and the key as text, in groups of four, for typing into the app. */
export function setupView(setup) {
  const svg = new TextEncoder().encode(setup.qr_svg);
  const base64 = btoa(String.fromCharCode(...svg));
  const key = setup.secret.match(/.{1,4}/g).join(" ");
  return el("div", { class: "totp-setup" },
    el("img", { class: "totp-qr", src: `data:image/svg+xml;base64,${base64}`, width: 180, height: 180,
                alt: "QR code to scan with your authenticator app" }),
    el("div", {},
      el("p", { text: "Scan the QR code with an authenticator app (Microsoft Authenticator, Google Authenticator, 1Password…), or type this key:" }),
      el("p", {}, el("code", { class: "totp-secret", "data-totp-secret": true, text: key })),
      el("p", { class: "hint", text: "Then enter the 6-digit code the app shows." })));
}

/** The recovery codes, shown once, with Copy and Download. */
export function recoveryCodesView(codes) {
  const note = el("p", { class: "hint", role: "status", "aria-live": "polite" });
  const copy = el("button", { type: "button", class: "button small secondary" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      note.textContent = "Copied.";
    } catch {
      note.textContent = "Could not copy: select the codes and copy them, or download them.";
    }
  });
  const download = el("button", { type: "button", class: "button small secondary" }, "Download");
  download.addEventListener("click", () => {
    const subdomain = state.me?.organization?.subdomain ?? "snf-admissions";
    saveBlob(new Blob([`SNF Admissions recovery codes (${subdomain})\nEach works once.\n\n${codes.join("\n")}\n`],
                      { type: "text/plain" }), `recovery-codes-${subdomain}.txt`);
  });
  return el("div", { class: "recovery-codes" },
    el("p", { text: "Keep these recovery codes somewhere safe. Each signs you in once if you lose your phone. They are shown only now." }),
    el("ol", { class: "recovery-list", "data-recovery-codes": true }, codes.map((code) => el("li", {}, el("code", { text: code })))),
    el("div", { class: "actions" }, copy, download), note);
}

// ---------------------------------------------------------------------------------------------
// Settings: your own two-factor sign-in

function render() {
  const on = status2fa?.enabled;
  $("#twofactor-state").textContent = on
    ? `On since ${dateTime(status2fa.confirmed_at)}. ${status2fa.recovery_codes_left} of 10 recovery codes left.`
    : "Off. With it on, signing in asks for a code from an app on your phone as well as your password.";
  $("#twofactor-off").hidden = Boolean(on);
  $("#twofactor-on").hidden = !on;
  $("#twofactor-disable-form").hidden = Boolean(status2fa?.required_by_organization);
  // Closed: turning it on or off waits for a reopening (409); new recovery codes do not.
  $("#twofactor-start").disabled = isClosed();
  for (const control of $("#twofactor-disable-form").elements) control.disabled = isClosed();
  $("#twofactor-required-note").hidden = !status2fa?.required_by_organization;
}

async function loadStatus() {
  try {
    status2fa = await api("/me/two-factor");
    render();
  } catch (error) {
    if (!(error instanceof SessionEnded)) status(`Could not load two-factor sign-in: ${problemText(error)}`, "error");
  }
}

function showCodes(codes) {
  $("#twofactor-codes").replaceChildren(recoveryCodesView(codes));
  $("#twofactor-codes").hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Settings: the owner's requirement

async function renderRequirement() {
  $("#require-card").hidden = !isOwner();
  if (!isOwner()) return;
  $("#require-2fa").checked = Boolean(state.organization?.require_two_factor);
  $("#require-2fa").disabled = isClosed();
}

function showRequirement(answer) {
  if (state.organization) state.organization.require_two_factor = answer.required;
  $("#require-2fa").checked = answer.required;
  announce($("#require-note"), answer.required
    ? `Required. ${answer.users_without} ${answer.users_without === 1 ? "person has" : "people have"} yet to set it up, at their next sign-in.`
    : "No longer required.", "good");
}

function hideLiftForm() {
  $("#require-lift-form").reset();
  clearProblems($("#require-lift-form"));
  $("#require-lift-form").hidden = true;
}

async function changeRequirement(event) {
  const box = event.currentTarget;
  const required = box.checked;
  if (!required) {
    // Lifting it takes the password and a code: the box stays ticked until they are right.
    box.checked = true;
    $("#require-lift-form").hidden = false;
    $("#lift-password").focus();
    return;
  }
  const ok = await confirmDialog({ title: "Require two-factor sign-in?",
    text: "Everyone signs in with a code from then on. People who have not set it up are signed out now and set it up at their next sign-in.",
    confirm: "Require it", cancel: "Not now", danger: false });
  if (!ok) { box.checked = false; return; }
  box.disabled = true;
  try {
    showRequirement(await api("/organization/two-factor", { method: "PUT", body: { required } }));
    await loadStatus();
  } catch (error) {
    box.checked = !required;
    if (!(error instanceof SessionEnded)) announce($("#require-note"), problemText(error), "error");
  } finally {
    box.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------

export async function showTwoFactor() {
  await Promise.all([loadStatus(), renderRequirement()]);
}

export function resetTwoFactor() {
  status2fa = null;
  for (const id of ["#twofactor-confirm-form", "#twofactor-regenerate-form", "#twofactor-disable-form"]) {
    $(id).reset();
    clearProblems($(id));
  }
  $("#twofactor-confirm-form").hidden = true;
  $("#twofactor-start").hidden = false;
  $("#twofactor-setup").replaceChildren();
  $("#twofactor-codes").replaceChildren();
  $("#twofactor-codes").hidden = true;
  announce($("#require-note"), "");
  hideLiftForm();
}

export function initTwoFactor() {
  $("#twofactor-start").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      const setup = await api("/me/two-factor", { method: "POST" });
      $("#twofactor-setup").replaceChildren(setupView(setup));
      $("#twofactor-confirm-form").hidden = false;
      $("#twofactor-start").hidden = true;
      $("#twofactor-code").focus();
    } catch (error) {
      if (!(error instanceof SessionEnded)) status(`Could not start: ${problemText(error)}`, "error");
    }
  }));

  handleSubmit($("#twofactor-confirm-form"), (form) => ({ code: text(form, "code").trim() }), async (body) => {
    const { recovery_codes: codes } = await api("/me/two-factor/confirm", { method: "POST", body });
    $("#twofactor-confirm-form").reset();
    $("#twofactor-confirm-form").hidden = true;
    $("#twofactor-start").hidden = false;
    $("#twofactor-setup").replaceChildren();
    showCodes(codes);
    status("Two-factor sign-in is on. Save your recovery codes now.", "good");
    await loadStatus();
  });

  handleSubmit($("#twofactor-regenerate-form"), (form) => ({
    password: text(form, "password"), code: text(form, "code").trim(),
  }), async (body) => {
    const { recovery_codes: codes } = await api("/me/two-factor/recovery-codes", { method: "POST", body });
    $("#twofactor-regenerate-form").reset();
    showCodes(codes);
    status("New recovery codes: the old ones no longer work.", "good");
    await loadStatus();
  });

  handleSubmit($("#twofactor-disable-form"), (form) => ({
    password: text(form, "password"), code: text(form, "code").trim(),
  }), async (body) => {
    await api("/me/two-factor/disable", { method: "POST", body });
    $("#twofactor-disable-form").reset();
    $("#twofactor-codes").hidden = true;
    status("Two-factor sign-in is off.", "good");
    await loadStatus();
  });

  $("#require-2fa").addEventListener("change", changeRequirement);
  $("#require-lift-cancel").addEventListener("click", hideLiftForm);
  handleSubmit($("#require-lift-form"), (form) => ({
    required: false, password: text(form, "password"), code: text(form, "code").trim(),
  }), async (body) => {
    const answer = await api("/organization/two-factor", { method: "PUT", body });
    hideLiftForm();
    showRequirement(answer);
    await loadStatus();
  });
}
