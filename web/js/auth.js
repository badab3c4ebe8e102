// Signed out: sign in, sign up (with the subdomain checked as it is typed), forgot password,
// and the pages e-mailed links open: accept an invitation, reset a password.

import { api, create, Problem, saveSession, session } from "./api.js";
import { $, $$ } from "./dom.js";
import { announce, clearProblems, clientProblem, handleSubmit, text } from "./forms.js";
import { recoveryCodesView, setupView } from "./twofactor.js";

const SUBDOMAIN_KEY = "snf.lastSubdomain";  // localStorage: a convenience, not a secret
const CHECK_DELAY_MS = 350;

const PAGES = ["home", "forgot", "accept", "reset", "code", "enroll"];
let linkToken = null;  // the token of the e-mailed link being shown
let challenge = null;  // between the password and the second step of a sign-in (memory only)
let challengeTimer = null;  // shows "Sign in again" when the challenge expires
const EXPIRED = "This sign-in has expired. Sign in again.";
let hooks = { signedIn: async () => {}, signedOut: () => {}, leave: () => {} };

export function lastSubdomain() {
  return localStorage.getItem(SUBDOMAIN_KEY);
}

function remember(result) {
  localStorage.setItem(SUBDOMAIN_KEY, result.organization.subdomain);
  saveSession({ token: result.token, expires_at: result.expires_at });
}

/** Show one signed-out page: home (sign in, sign up), forgot, accept, reset, and the second step
 *  of a sign-in: code, enroll. */
export function showAuthPage(page, { token = null, notice = "", tone = "info", focus = true } = {}) {
  linkToken = token;
  if (page !== "code" && page !== "enroll") forgetChallenge();
  offerSignInAgain(false);
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
  } else if (page === "code") {
    $("#code-form").reset();
    useRecoveryCode(false);
    document.title = "Enter your code · SNF Admissions";
  } else if (page === "enroll") {
    $("#enroll-form").reset();
    $("#enroll-form").hidden = false;
    $("#enroll-done").hidden = true;
    document.title = "Set up two-factor sign-in · SNF Admissions";
    startEnrolling(target);
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
// Two-factor sign-in: the password step answered with a second step instead of a session.

/** A sign-in's answer: a session (signed in), or the second step to take. */
async function signedInOrSecondStep(result, options) {
  if (!result.second_step) {
    remember(result);
    await hooks.signedIn(result, options);
    return;
  }
  challenge = result.second_step.challenge;
  showAuthPage(result.second_step.next === "enroll" ? "enroll" : "code");
  const left = Date.parse(result.second_step.expires_at) - Date.now();
  challengeTimer = setTimeout(expired, Math.max(left, 0));
}

function forgetChallenge() {
  challenge = null;
  clearTimeout(challengeTimer);
}

/** The second step's page on show ("code" or "enroll"), or null. */
function secondStepPage() {
  return ["code", "enroll"].find((name) => !$(`#auth-${name}`).hidden) ?? null;
}

/** Where the challenge is gone: the form's own buttons give way to "Sign in again". */
function offerSignInAgain(on) {
  for (const name of ["code", "enroll"]) {
    const form = $(`#${name}-form`);
    $("[data-sign-in-again]", form).hidden = !on;
    $("button[type=submit]", form).hidden = on;
  }
  $("#code-recovery").hidden = on;
}

function expired() {
  forgetChallenge();
  const page = secondStepPage();
  if (!page) return;
  offerSignInAgain(true);
  announce($("[data-notice]", $(`#auth-${page}`)), EXPIRED, "error");
}

/** A second step is under way: a Back or a link while it is shown leaves it in place (after an
 *  invitation, the enrollment is the only way in; losing it lost the way). */
export function secondStepPending() {
  return Boolean(challenge) && secondStepPage() !== null;
}

export function stayOnSecondStep() {
  const page = secondStepPage();
  announce($("[data-notice]", $(`#auth-${page}`)), page === "enroll"
    ? "Finish setting up two-factor sign-in to continue, or choose Cancel to leave."
    : "Enter your code to continue, or choose Cancel to leave.", "info");
}

function useRecoveryCode(on) {
  const input = $("#code-input");
  $("#code-recovery").setAttribute("aria-pressed", String(on));
  $("#code-recovery").textContent = on ? "Use the app's code" : "Use a recovery code";
  $("#code-label").textContent = on ? "Recovery code" : "Code";
  $("#code-intro").textContent = on
    ? "Enter one of the recovery codes you saved when you set up two-factor sign-in. Each works once."
    : "Open your authenticator app and enter the 6-digit code it shows.";
  input.inputMode = on ? "text" : "numeric";
  input.value = "";
  clearProblems($("#code-form"));  // the other kind of code's error no longer applies
}

async function startEnrolling(target) {
  const mine = challenge;
  $("#enroll-setup").replaceChildren();
  try {
    const setup = await api("/auth/login/enroll", { method: "POST", body: { challenge }, auth: false });
    if (mine !== challenge) return;
    $("#enroll-setup").replaceChildren(setupView(setup));
  } catch (problem) {
    const notice = $("[data-notice]", target);
    if (problem instanceof Problem) announce(notice, `${problem.detail} `, "error");
  }
}

function challengeOrThrow() {
  if (!challenge) {
    offerSignInAgain(true);
    throw clientProblem(EXPIRED);
  }
  return challenge;
}

/** A second step's request; a 401 once the challenge is gone offers "Sign in again". */
async function secondStep(path, body) {
  try {
    return await api(path, { method: "POST", body, auth: false });
  } catch (problem) {
    if (problem instanceof Problem && problem.status === 401
        && problem.detail?.startsWith("This sign-in has expired")) {
      forgetChallenge();
      offerSignInAgain(true);
    }
    throw problem;
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
    $("#login-form").elements.password.value = "";
    announce($("#signed-out-notice"), "");
    await signedInOrSecondStep(result);
  });

  handleSubmit($("#code-form"), (form) => ({ challenge: challengeOrThrow(), code: text(form, "code").trim() }),
    async (body) => {
      const result = await secondStep("/auth/login/code", body);
      forgetChallenge();
      $("#code-form").reset();
      await signedInOrSecondStep(result);
    });
  $("#code-recovery").addEventListener("click", (event) => {
    useRecoveryCode(event.currentTarget.getAttribute("aria-pressed") !== "true");
    $("#code-input").focus();
  });

  let enrolled = null;
  handleSubmit($("#enroll-form"), (form) => ({ challenge: challengeOrThrow(), code: text(form, "code").trim() }),
    async (body) => {
      enrolled = await secondStep("/auth/login/enroll/confirm", body);
      forgetChallenge();
      remember(enrolled);
      $("#enroll-form").hidden = true;
      $("#enroll-codes").replaceChildren(recoveryCodesView(enrolled.recovery_codes));
      $("#enroll-done").hidden = false;
      $("#enroll-done-title").focus();
    });
  $("#enroll-continue").addEventListener("click", async () => {
    const result = enrolled;
    enrolled = null;
    $("#enroll-codes").replaceChildren();
    if (result) await hooks.signedIn(result, { welcome: "Two-factor sign-in is on." });
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
    leaveLink();
    // "Sign in again" after an abandoned enrollment finds the e-mail filled in.
    if (result.second_step) $("#login-form").elements.email.value = $("#accept-form").elements.username.value;
    $("#accept-form").reset();
    // An organization that requires two-factor sign-in has the newcomer set it up first.
    await signedInOrSecondStep(result, result.second_step ? undefined
      : { welcome: `Welcome to ${result.organization.name}. You joined as ${result.user.role}.` });
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
      forgetChallenge();
      hooks.leave();
    });
  }
  // Back to the password step, the subdomain and e-mail kept (only the password was cleared).
  for (const button of $$("[data-sign-in-again]")) {
    button.addEventListener("click", () => {
      forgetChallenge();
      showAuthPage("home", { focus: false });
      $("#login-form").elements.password.focus();
    });
  }
}
