// Settings: the organization's name, primary color and logo (owners and admins), your own
// password and sessions (everyone), the data export and closing (owners, in account.js); and
// the organization's color applied to the page's accent.

import { initAccount, resetAccount, showAccount } from "./account.js";
import { initTwoFactor, resetTwoFactor, showTwoFactor } from "./twofactor.js";
import { api, SessionEnded } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, el } from "./dom.js";
import { announce, busy, clearProblems, clientProblem, handleSubmit, problemText, runForm,
         showProblem, text } from "./forms.js";
import { canAdminister, isClosed, state } from "./state.js";

const DEFAULT_ACCENT = "#1f5d8c";
const LOGO_TYPES = ["image/png", "image/jpeg", "image/svg+xml"];
const LOGO_MAX = 200 * 1024;

// ---------------------------------------------------------------------------------------------
// The accent: the organization's color, darkened until white text on it stays readable (WCAG AA)

const hexToRgb = (hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
const rgbToHex = (rgb) => `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;
const mix = (rgb, toward, amount) => rgb.map((v, i) => v + (toward[i] - v) * amount);

function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const contrastWithWhite = (rgb) => 1.05 / (luminance(rgb) + 0.05);

/** The accent colors for an organization's color (null: the product's own). */
export function accentFrom(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color ?? "")) return null;
  let rgb = hexToRgb(color.toLowerCase());
  let steps = 0;
  while (contrastWithWhite(rgb) < 4.8 && steps < 40) {
    rgb = mix(rgb, [0, 0, 0], 0.06);
    steps++;
  }
  return {
    accent: rgbToHex(rgb),
    hover: rgbToHex(mix(rgb, [0, 0, 0], 0.2)),
    soft: rgbToHex(mix(rgb, [255, 255, 255], 0.9)),
    border: rgbToHex(mix(rgb, [255, 255, 255], 0.7)),
    adjusted: steps > 0,
  };
}

export function applyAccent(color) {
  const root = document.documentElement.style;
  const accent = accentFrom(color);
  if (!accent) {
    for (const name of ["--accent", "--accent-hover", "--accent-soft", "--accent-border"]) root.removeProperty(name);
    return;
  }
  root.setProperty("--accent", accent.accent);
  root.setProperty("--accent-hover", accent.hover);
  root.setProperty("--accent-soft", accent.soft);
  root.setProperty("--accent-border", accent.border);
}

/** The logo's address on this site: the API gives an absolute URL built from its configured
 *  public address, which may not be where this page is served (and the page's CSP admits only
 *  images from itself). */
export function logoSrc(profile) {
  if (!profile?.logo_url) return null;
  try {
    const url = new URL(profile.logo_url, location.href);
    return url.pathname.startsWith("/api/branding/") ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

/** The organization's look on every signed-in screen: accent and the logo in the header. */
export function applyBranding(profile) {
  applyAccent(profile?.primary_color ?? null);
  const logo = $("#org-logo");
  const src = logoSrc(profile);
  logo.hidden = !src;
  if (src) {
    logo.src = src;
    logo.alt = `${profile.name} logo`;
  } else logo.removeAttribute("src");
}

// ---------------------------------------------------------------------------------------------
// The organization form

function syncColorFields(from) {
  const picker = $("#org-color-picker");
  const field = $("#org-color");
  if (from === "picker") field.value = picker.value;
  else if (/^#[0-9a-f]{6}$/i.test(field.value.trim())) picker.value = field.value.trim().toLowerCase();
  preview();
}

function preview() {
  const value = $("#org-color").value.trim();
  const accent = accentFrom(value) ?? accentFrom(DEFAULT_ACCENT);
  const sample = $("#color-sample");
  sample.style.setProperty("background", accent.accent);
  sample.style.setProperty("border-color", accent.accent);
  $("#color-sample-soft").style.setProperty("background", accent.soft);
  $("#color-sample-soft").style.setProperty("color", accent.hover);
  $("#color-sample-soft").style.setProperty("border-color", accent.border);
  const note = $("#color-note");
  note.textContent = !value ? "No color set: the product's blue is used."
    : !accentFrom(value) ? ""
    : accentFrom(value).adjusted
      ? `Too light for white text: buttons and links use ${accentFrom(value).accent}, a darker shade of it.`
      : "Readable with white text as it is.";
}

function fillOrganization(profile) {
  const form = $("#org-form");
  form.elements.name.value = profile.name;
  $("#org-color").value = profile.primary_color ?? "";
  $("#org-color-picker").value = profile.primary_color ?? DEFAULT_ACCENT;
  preview();
  const src = logoSrc(profile);
  const box = $("#logo-current");
  box.replaceChildren(src
    ? el("img", { src, alt: `Current logo of ${profile.name}`, class: "logo-preview" })
    : el("p", { class: "muted", text: "No logo yet." }));
  $("#logo-remove").hidden = !src || !canAdminister();
}

function profileChanged(profile) {
  state.organization = profile;
  if (state.me) state.me.organization = { ...state.me.organization, name: profile.name };
  applyBranding(profile);
  fillOrganization(profile);
  document.dispatchEvent(new CustomEvent("organization:changed", { detail: profile }));
}

// ---------------------------------------------------------------------------------------------

/** What the role and the organization's standing let this user change. */
function renderEditable() {
  const admin = canAdminister();
  const editable = admin && !isClosed();  // a closed organization's changes answer 409
  $("#org-fieldset").disabled = !editable;
  $("#logo-fieldset").disabled = !editable;
  $("#logo-fieldset").hidden = !admin;
  $("#org-actions").hidden = !editable;
  $("#logo-actions").hidden = !editable;
  $("#settings-read-only").hidden = admin;
  $("#settings-closed").hidden = !isClosed();
}

export async function showSettings({ focus = false } = {}) {
  renderEditable();
  try {
    state.organization = await api("/organization");
    fillOrganization(state.organization);
  } catch (error) {
    if (!(error instanceof SessionEnded)) {
      announce($("#settings-status"), `Could not load the organization: ${problemText(error)}`, "error");
    }
  }
  await Promise.all([showAccount(), showTwoFactor()]);
  if (focus) $("#settings-title").focus();
}

export function resetSettings() {
  for (const id of ["#org-form", "#logo-form", "#password-form"]) {
    $(id).reset();
    clearProblems($(id));
  }
  announce($("#settings-status"), "");
  resetAccount();
  resetTwoFactor();
}

export function initSettings() {
  initAccount();
  initTwoFactor();
  document.addEventListener("standing:changed", () => { if (state.me) renderEditable(); });
  const orgForm = $("#org-form");
  handleSubmit(orgForm, (form) => {
    const color = text(form, "primary_color").trim();
    return { name: text(form, "name"), primary_color: color ? color.toLowerCase() : null };
  }, async (body) => {
    const profile = await api("/organization", { method: "PATCH", body });
    profileChanged(profile);
    announce($("#settings-status"), "The organization was saved.", "good");
    $("#settings-status").focus();
  });
  $("#org-color-picker").addEventListener("input", () => syncColorFields("picker"));
  $("#org-color").addEventListener("input", () => syncColorFields("text"));
  $("#org-color-default").addEventListener("click", () => {
    $("#org-color").value = "";
    $("#org-color-picker").value = DEFAULT_ACCENT;
    preview();
  });

  const logoForm = $("#logo-form");
  const file = $("#logo-file");
  logoForm.addEventListener("submit", (event) => {
    event.preventDefault();
    runForm(logoForm, $("#logo-upload"), () => {
      const chosen = file.files?.[0];
      if (!chosen) throw clientProblem("Choose an image first.", { logo: "Choose a PNG, JPEG or SVG file." });
      if (chosen.type && !LOGO_TYPES.includes(chosen.type)) {
        throw clientProblem("This file cannot be a logo.", { logo: "Use a PNG, JPEG or SVG file." });
      }
      if (chosen.size > LOGO_MAX) {
        throw clientProblem("This file is too large.", { logo: `It is ${Math.ceil(chosen.size / 1024)} KB; the limit is 200 KB.` });
      }
      return chosen;
    }, async (chosen) => {
      const profile = await api("/organization/logo", { method: "PUT", raw: chosen, contentType: chosen.type });
      logoForm.reset();
      profileChanged(profile);
      announce($("#settings-status"), "The logo was uploaded.", "good");
      $("#settings-status").focus();
    });
  });
  $("#logo-remove").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const ok = await confirmDialog({ title: "Remove the logo?",
      text: "The sign-in page and e-mails show the organization's name instead.", confirm: "Remove", cancel: "Keep it" });
    if (!ok) return;
    await busy(button, async () => {
      try {
        await api("/organization/logo", { method: "DELETE" });
        profileChanged({ ...state.organization, logo_url: null });
        announce($("#settings-status"), "The logo was removed.", "good");
      } catch (error) {
        if (error instanceof SessionEnded) return;
        showProblem(logoForm, error);
      }
    });
  });

  const passwordForm = $("#password-form");
  handleSubmit(passwordForm, (form) => {
    if (text(form, "new_password") !== text(form, "new_password_again")) {
      throw clientProblem("The two new passwords differ.", { new_password_again: "Enter the same password twice." });
    }
    return { current_password: text(form, "current_password"), new_password: text(form, "new_password") };
  }, async (body) => {
    await api("/me/password", { method: "POST", body });
    passwordForm.reset();
    announce($("#settings-status"), "Your password was changed. Your other sessions were signed out.", "good");
    $("#settings-status").focus();
  });
}
