// Signed out: sign in, sign up (with the subdomain checked as it is typed), forgot password,
// and the pages e-mailed links open: accept an invitation, reset a password.

import { api, create, Problem, saveSession, session } from "./api.js";
import { $, $$ } from "./dom.js";
import { announce, clearProblems, clientProblem, handleSubmit, text } from "./forms.js";

const SUBDOMAIN_KEY = "snf.lastSubdomain";  // localStorage: a convenience, not a secret
const CHECK_DELAY_MS = 350;

const PAGES = ["home", "forgot", "accept", "reset"];
let linkToken = null;  // the token of the e-mailed link being shown
let hooks = { signedIn: async () => {}, signedOut: () => {}, leave: () => {} };

export function lastSubdomain() {
  return localStorage.getItem(SUBDOMAIN_KEY);
}

function remember(result) {
  localStorage.setItem(SUBDOMAIN_KEY, result.organization.subdomain);
  saveSession({ token: result.token, expires_at: result.expires_at });
}

/** Show one signed-out page: home (sign in, sign up), forgot, accept, reset. */
export function showAuthPage(page, { token = null, notice = "", tone = "info", focus = true } = {}) {
  linkToken = token;
  for (const name of PAGES) $(`#auth-${name}`).hidden = name !== page;
  const target = $(`#auth-${page}`);
  for (const form of $$("form", target)) clearProblems(form);
  const noticeBox = $("[data-notice]", target);
  if (noticeBox) announce(noticeBox, notice, tone);

  if (page === "home") {
    const login = $("#login-form");
    const subdomain = lastSubdomain();
    if (subdomain && !login.elements.subdomain.value) login.elements.subdomain.value = subdomain;
    document.title = "Sign in · SNF Admissions";
  } else if (page === "forgot") {
    const login = $("#login-form");
    const form = $("#forgot-form");
    form.elements.subdomain.value ||= login.elements.subdomain.value || lastSubdomain() || "";
    form.elements.email.value ||= login.elements.email.value;
    document.title = "Forgot password · SNF Admissions";
  } else if (page === "accept") {
    $("#accept-form").reset();
    $("#accept-signed-in").hidden = !session;
    document.title = "Join your organization · SNF Admissions";
    previewInvitation(token, target);
  } else if (page === "reset") {
    $("#reset-form").reset();
    document.title = "Choose a new password · SNF Admissions";
  }
  if (focus) $("h1", target)?.focus();
}

const ROLE_NAMES = { owner: "an owner", admin: "an admin", coordinator: "a coordinator",
                     viewer: "a viewer" };

/** Name the organization, the address and the role an invitation is for, before it is
 *  accepted (and tell a dead link at once, not after a password was chosen). */
async function previewInvitation(token, target) {
  const form = $("#accept-form");
  const title = $("#accept-title");
  const intro = $(".card-intro", form);
  if (!token || token.length < 20) return;
  try {
    const invitation = await api("/invitations/preview", { method: "POST", body: { token },
                                                            auth: false });
    if (token !== linkToken) return;  // another link was opened meanwhile
    title.textContent = `Join ${invitation.organization.name}`;
    document.title = `Join ${invitation.organization.name} · SNF Admissions`;
    intro.textContent = `You were invited as ${ROLE_NAMES[invitation.role] || invitation.role} ` +
      `with ${invitation.email}. Choose a password; you are signed in right after.`;
    form.elements.username.value = invitation.email;  // for password managers
  } catch (problem) {
    if (token !== linkToken) return;
    const notice = $("[data-notice]", target);
    if (notice && problem instanceof Problem) announce(notice, problem.detail, "error");
  }
}

/** Leave an e-mailed link's page: the token goes from the address bar and history entry. */
function leaveLink() {
  linkToken = null;
  history.replaceState(null, "", location.pathname + location.search);
}

const BROKEN_LINK = "This link is incomplete. Open it from the e-mail again, or ask for a new one.";

function linkTokenOrThrow() {
  if (!linkToken || linkToken.length < 20) throw clientProblem(BROKEN_LINK);
  return linkToken;
}

function passwordsAgree(form, first, second) {
  if (text(form, first) !== text(form, second)) {
    throw clientProblem("The two passwords differ.", { [second]: "Enter the same password twice." });
  }
}

// ---------------------------------------------------------------------------------------------
// Signup: is the subdomain free? Asked as the user types, debounced, latest answer wins.

function wireSubdomainCheck() {
  const input = $("#signup-subdomain");
  const status = $("#signup-subdomain-status");
  let timer = null;
  let asked = 0;

  const check = async () => {
    const value = input.value.trim().toLowerCase();
    const ticket = ++asked;
    if (!value) { announce(status, ""); return; }
    announce(status, `Checking ${value}…`, "info");
    try {
      const answer = await api(`/signup/subdomains/${encodeURIComponent(value)}`, { auth: false });
      if (ticket !== asked) return;
      if (answer.available) announce(status, `${answer.subdomain} is available.`, "good");
      else announce(status, `${answer.subdomain}: ${answer.reason ?? "not available"}.`, "error");
    } catch (error) {
      if (ticket !== asked) return;
      // A 404/422 for an impossible value says why as well as a refusal would.
      const reason = error instanceof Problem && error.errors?.[0]?.message;
      announce(status, reason ? `${value}: ${reason}` : "Could not check the subdomain just now.",
               reason ? "error" : "info");
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    asked++;  // any answer still on its way is out of date
    if (!input.value.trim()) { announce(status, ""); return; }
    timer = setTimeout(check, CHECK_DELAY_MS);
  });
  $("#signup-form").addEventListener("reset", () => { clearTimeout(timer); asked++; announce(status, ""); });
}

// ---------------------------------------------------------------------------------------------

/**
 * onSignedIn(result, {welcome}): a session was opened; onSignedOut(notice): this tab's session is
 * over (a password reset); onLeave(): the user left an e-mailed link's page.
 */
export function initAuth({ onSignedIn, onSignedOut, onLeave }) {
  hooks = { signedIn: onSignedIn, signedOut: onSignedOut, leave: onLeave };

  handleSubmit($("#login-form"), (form) => ({
    subdomain: text(form, "subdomain"),
    email: text(form, "email"),
    password: text(form, "password"),
  }), async (body) => {
    const result = await api("/auth/login", { method: "POST", body, auth: false });
    remember(result);
    $("#login-form").elements.password.value = "";
    announce($("#signed-out-notice"), "");
    await hooks.signedIn(result);
  });

  handleSubmit($("#signup-form"), (form) => ({
    organization_name: text(form, "organization_name"),
    subdomain: text(form, "subdomain"),
    email: text(form, "email"),
    password: text(form, "password"),
  }), async (body) => {
    const result = await create("/signup", body, { auth: false });
    remember(result);
    $("#signup-form").reset();
    await hooks.signedIn(result, { welcome: `Welcome. ${result.organization.name} is set up and you are its owner.` });
  });
  wireSubdomainCheck();

  handleSubmit($("#forgot-form"), (form) => ({
    subdomain: text(form, "subdomain"),
    email: text(form, "email"),
  }), async (body) => {
    await api("/auth/password-reset", { method: "POST", body, auth: false });
    announce($("#forgot-notice"),
             `If ${body.email} has an account at ${body.subdomain.toLowerCase()}, an e-mail with a `
             + "reset link is on its way. The link works once, for an hour.", "good");
    $("#forgot-notice").focus();
  });

  handleSubmit($("#accept-form"), (form) => {
    const token = linkTokenOrThrow();
    passwordsAgree(form, "password", "password_again");
    return { token, password: text(form, "password") };
  }, async (body) => {
    const previous = session;
    const result = await create("/invitations/accept", body, { auth: false });
    if (previous) {
      // Someone else was signed in in this tab: that session ends here.
      fetch("/api/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${previous.token}` } })
        .catch(() => {});
    }
    remember(result);
    leaveLink();
    $("#accept-form").reset();
    await hooks.signedIn(result, { welcome: `Welcome to ${result.organization.name}. You joined as ${result.user.role}.` });
  });

  handleSubmit($("#reset-form"), (form) => {
    const token = linkTokenOrThrow();
    passwordsAgree(form, "new_password", "new_password_again");
    return { token, new_password: text(form, "new_password") };
  }, async (body) => {
    await api("/auth/password-reset/confirm", { method: "POST", body, auth: false });
    leaveLink();
    hooks.signedOut("Your password was changed and every session of your account was signed out. "
                    + "Sign in with the new password.");
  });

  for (const link of $$("[data-auth-home]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      leaveLink();
      hooks.leave();
    });
  }
}
