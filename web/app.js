// SNF Admissions: the static frontend. Plain ES modules, no build step, same-origin API under
// /api. Every value from the API reaches the page through textContent, never as HTML.
//
// Addresses (the fragment; nothing of it reaches a server):
//   #evaluate #admissions #admissions/<id> #dashboard #facilities #setup #team #settings #audit
//   #billing
//   #billing?checkout=success|canceled (where Stripe Checkout sends the browser back)
//   #accept-invitation=<token> #reset-password=<token> (e-mailed links) #forgot-password

import { api, saveSession, session, SessionEnded, whenSessionEnds } from "./js/api.js";
import { initAdmissions, resetAdmissions, showAdmissions } from "./js/admissions.js";
import { initAudit, resetAudit, showAudit } from "./js/audit.js";
import { initAuth, secondStepPending, showAuthPage, stayOnSecondStep } from "./js/auth.js";
import { refreshStanding, renderBanner, resetBilling, showBilling } from "./js/billing.js";
import { initDashboard, resetDashboard, showDashboard } from "./js/dashboard.js";
import { $, $$, dateFormat, ORG_STATUS_LABELS, ROLE_LABELS, TIER_LABELS } from "./js/dom.js";
import { adoptDraft, dropDraft, initEvaluate, keepDraft, resetEvaluate, showEvaluate } from "./js/evaluate.js";
import { initFacilities, resetFacilities, showFacilities } from "./js/facilities.js";
import { announce, busy, problemText } from "./js/forms.js";
import { applyAccent, applyBranding, initSettings, resetSettings, showSettings } from "./js/settings.js";
import { refreshOnboarding, resetOnboarding } from "./js/onboarding.js";
import { initSetup, resetSetup, showSetup } from "./js/setup.js";
import { canAdminister, canDecide, resetState, state } from "./js/state.js";
import { initTeam, resetTeam, showTeam } from "./js/team.js";

const HEALTH_EVERY_MS = 60_000;

const TABS = {
  evaluate: { title: "Evaluate", allowed: canDecide, show: (_, opts) => showEvaluate(opts) },
  admissions: { title: "Admissions", allowed: () => true, show: (id, opts) => showAdmissions(id, opts) },
  dashboard: { title: "Dashboard", allowed: () => true, show: (_, opts) => showDashboard(opts) },
  facilities: { title: "Facilities", allowed: () => true, show: () => showFacilities() },
  setup: { title: "Setup", allowed: () => true, show: () => showSetup() },
  team: { title: "Team", allowed: canAdminister, show: (_, opts) => showTeam(opts) },
  settings: { title: "Settings", allowed: () => true, show: (_, opts) => showSettings(opts) },
  audit: { title: "Audit log", allowed: canAdminister, show: () => showAudit() },
  billing: { title: "Plan & usage", allowed: () => true, show: (_, opts) => showBilling(opts) },
};
// Screens that place the focus themselves (a row, a confirmation) rather than on their heading.
const OWN_FOCUS = new Set(["admissions", "billing"]);

const defaultTab = () => (canDecide() ? "evaluate" : "dashboard");

// ---------------------------------------------------------------------------------------------
// Health

async function checkHealth() {
  const box = $("#health");
  const label = $("#health-text");
  try {
    const health = await api("/health", { auth: false });
    box.dataset.state = health?.status === "ok" && health?.database === "ok" ? "ok" : "warn";
    label.textContent = box.dataset.state === "ok" ? "Service operational" : "Service degraded";
    box.title = `API ${health?.status ?? "?"}, database ${health?.database ?? "?"}`;
  } catch (problem) {
    box.dataset.state = "down";
    label.textContent = problem.status ? "Service unavailable" : "Service unreachable";
    box.title = problem.detail ?? "";
  }
}

// ---------------------------------------------------------------------------------------------
// Views

function showView(name) {
  $("#boot").hidden = true;
  $("#signed-out").hidden = name !== "signed-out";
  $("#signed-in").hidden = name !== "signed-in";
}

function resetAll() {
  resetEvaluate();
  resetAdmissions();
  resetDashboard();
  resetFacilities();
  resetSetup();
  resetOnboarding();
  resetAudit();
  resetTeam();
  resetSettings();
  resetBilling();
  resetState();
  applyAccent(null);
  announce($("#app-notice"), "");
}

/** Whose referral a kept Evaluate form is: only they get it back. */
const draftOwner = () => (state.me ? `${state.me.organization.id}/${state.me.user.id}` : null);

/** Back to sign-in. `keep`: the session ended under the user (expired, revoked), so what they
 *  were typing on Evaluate waits for them to sign in again; signing out forgets it. */
function endSession(notice, tone = "info", { keep = false } = {}) {
  const kept = keep && keepDraft(draftOwner());
  if (!keep) dropDraft();
  saveSession(null);
  resetAll();
  showView("signed-out");
  const said = notice || "Your session ended. Sign in again.";
  showAuthPage("home", { notice: kept ? `${said} The referral you were typing is kept until you do.` : said,
                         tone, focus: false });
  $("#signed-out-notice").focus();
}

function renderAccount() {
  const { organization, user } = state.me;
  // The standing (GET /api/me, refreshed after a 402 or Checkout) is the freshest word on the plan.
  const standing = state.me.standing;
  const tier = standing?.tier ?? organization.tier;
  const orgStatus = standing?.state ?? organization.status;
  $("#org-name").textContent = organization.name;
  $("#org-subdomain").textContent = organization.subdomain;
  // One badge: the plan, with the state only when it asks for attention (a trial says so by
  // its name; "Active" says nothing).
  const plan = standing?.plan ?? TIER_LABELS[tier] ?? tier;
  const attention = orgStatus === "past_due" || orgStatus === "read_only";
  const badge = $("#org-tier");
  badge.textContent = attention ? `${plan} · ${ORG_STATUS_LABELS[orgStatus] ?? orgStatus}` : plan;
  badge.dataset.tone = attention ? "warn" : orgStatus === "trialing" ? "info" : "good";

  const trialRow = $("#org-trial-row");
  trialRow.hidden = !organization.trial_ends_at || orgStatus !== "trialing";
  if (!trialRow.hidden) {
    const ends = new Date(organization.trial_ends_at);
    const days = Math.ceil((ends.getTime() - Date.now()) / 86_400_000);
    const left = days > 1 ? `${days} days left` : days === 1 ? "1 day left" : "ended";
    $("#org-trial").textContent = `${dateFormat.format(ends)} (${left})`;
  }
  $("#user-email").textContent = user.email;
  $("#user-role").textContent = ROLE_LABELS[user.role] ?? user.role;
  $("#password-username").value = user.email;

  for (const item of $$(".tabs li")) item.hidden = !TABS[item.dataset.tab].allowed();
  renderBanner();
}

async function enterApp({ welcome = "", focus = true } = {}) {
  const [me, organization] = await Promise.all([api("/me"), api("/organization").catch((error) => {
    if (error instanceof SessionEnded) throw error;
    return null;  // the accent is a nicety: the app works without it
  })]);
  state.me = me;
  state.organization = organization;
  adoptDraft(draftOwner());
  current = { tab: null, param: null };
  showView("signed-in");
  renderAccount();
  applyBranding(organization);
  announce($("#app-notice"), welcome, "good");
  await route({ focus: focus && !welcome });
  if (focus && welcome) $("#app-notice").focus();
}

// A 402 may mean the standing changed since it was read (a trial ends the second its end passes).
document.addEventListener("api:payment-required", () => {
  if (state.me) refreshStanding().catch(() => { /* the banner is a nicety */ });
});
document.addEventListener("standing:changed", () => {
  if (!state.me) return;
  renderAccount();
  refreshOnboarding();  // closed: the checklist goes; reopened: it may come back
});

document.addEventListener("lookups:changed", () => {
  if (state.me && current.tab) TABS[current.tab].show(current.param, { focus: false });
});

document.addEventListener("organization:changed", (event) => {
  if (!state.me) return;
  state.me.organization.name = event.detail.name;
  renderAccount();
});

// ---------------------------------------------------------------------------------------------
// The router: the fragment says which screen

function parseHash() {
  let hash = location.hash.replace(/^#/, "");
  try { hash = decodeURIComponent(hash); } catch { /* as it is */ }
  const link = /^(accept-invitation|reset-password)=(.*)$/.exec(hash);
  if (link) return { link: link[1], token: link[2].trim() };
  // A screen's address may carry a query: #billing?checkout=success
  const cut = hash.indexOf("?");
  const query = new URLSearchParams(cut >= 0 ? hash.slice(cut + 1) : "");
  const [tab, param] = (cut >= 0 ? hash.slice(0, cut) : hash).split("/");
  return { tab, param: param || null, query };
}

let current = { tab: null, param: null };

async function showTab(name, param, { focus, query = null }) {
  const tab = TABS[name];
  for (const [key] of Object.entries(TABS)) $(`#tab-${key}`).hidden = key !== name;
  for (const item of $$(".tabs li")) {
    const link = $("a", item);
    if (item.dataset.tab === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (current.tab && current.tab !== name) announce($("#app-notice"), "");  // a welcome stays on the first
  current = { tab: name, param };
  document.title = `${tab.title} · ${state.me.organization.name} · SNF Admissions`;
  renderBanner({ onBillingPage: name === "billing" });
  await tab.show(param, { focus, query });
  refreshOnboarding();  // not awaited: the checklist follows the screen, never delays it
  if (focus && !OWN_FOCUS.has(name)) $(`#tab-${name} h2`)?.focus();
}

async function route({ focus = true } = {}) {
  const { link, token, tab, param, query } = parseHash();
  if (!state.me && !session && secondStepPending()) {
    stayOnSecondStep();
    return;
  }
  if (link) {
    showView("signed-out");
    showAuthPage(link === "accept-invitation" ? "accept" : "reset", { token, focus });
    return;
  }
  if (tab === "main") return;  // the skip link
  if (!state.me) {
    if (session) { await enterOnce({ focus }); return; }  // enterApp routes when ready
    showView("signed-out");
    showAuthPage(tab === "forgot-password" ? "forgot" : "home", { focus: focus && tab === "forgot-password" });
    return;
  }
  showView("signed-in");
  const name = Object.hasOwn(TABS, tab) && TABS[tab].allowed() ? tab : defaultTab();
  if (name !== tab) {
    // An unknown or forbidden tab (or none): show the default one, with its address.
    history.replaceState(null, "", `#${name}`);
  }
  try {
    await showTab(name, name === tab ? param : null, { focus, query: name === tab ? query : null });
  } catch (error) {
    if (error instanceof SessionEnded) return;
    announce($("#app-notice"), `Could not show ${TABS[name].title}: ${problemText(error)}`, "error");
  }
}

// ---------------------------------------------------------------------------------------------

function wire() {
  whenSessionEnds((notice) => endSession(notice, "info", { keep: true }));
  initAuth({
    onSignedIn: async (_result, { welcome = "" } = {}) => {
      resetAll();
      await enterApp({ welcome });
    },
    onSignedOut: (notice) => endSession(notice, "good"),
    onLeave: () => route({ focus: true }),
  });
  initFacilities();
  initSetup();
  initAudit();
  initEvaluate();
  initAdmissions();
  initDashboard();
  initTeam();
  initSettings();

  $("#sign-out").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      await api("/auth/logout", { method: "POST" });
    } catch { /* signed out here either way */ }
    if (session) endSession("You have signed out.");
    history.replaceState(null, "", location.pathname + location.search);
  }));

  // The skip link moves focus without changing the address (the fragment names screens).
  $("#skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    $("#main").focus();
  });

  window.addEventListener("hashchange", () => route({ focus: true }));

  checkHealth();
  setInterval(() => { if (!document.hidden) checkHealth(); }, HEALTH_EVERY_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) checkHealth(); });
}

let entering = null;

/** Load the signed-in user once, however many routes ask for it meanwhile. */
function enterOnce({ focus }) {
  entering ??= enterApp({ focus }).catch((error) => {
    if (error instanceof SessionEnded) return;
    // The service may be down: keep the session, say so, and offer sign-in.
    showView("signed-out");
    showAuthPage("home", { notice: `Could not load your account: ${problemText(error)}`, tone: "error", focus: false });
  }).finally(() => { entering = null; });
  return entering;
}

async function start() {
  wire();
  await route({ focus: false });
}

start();
