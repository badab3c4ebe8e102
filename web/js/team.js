// Team (owners and admins): the organization's users (role, deactivate, reactivate), inviting
// someone, and the open invitations (withdraw).

import { api, create, SessionEnded } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, badge, date, dateTime, el, intFormat, ROLE_LABELS } from "./dom.js";
import { announce, announceProblem, busy, clearProblems, handleSubmit, problemText, text } from "./forms.js";
import { state } from "./state.js";

const people = { items: [], cursor: null, loaded: false };
let invitations = [];

const isOwner = () => state.me?.user?.role === "owner";

function status(message, tone = "info") {
  announce($("#team-status"), message, tone);
}

/** The roles the signed-in user may give (only owners make owners). */
function grantable() {
  return Object.keys(ROLE_LABELS).filter((r) => r !== "owner" || isOwner());
}

function fillRoleSelect(select, selected) {
  select.replaceChildren(...grantable().map((r) => new Option(ROLE_LABELS[r], r)));
  select.value = selected;
}

// ---------------------------------------------------------------------------------------------
// People

function userRow(user) {
  const me = user.id === state.me.user.id;
  // Only an owner changes an owner; nobody changes themselves here.
  const locked = me || (user.role === "owner" && !isOwner());
  let roleCell;
  if (locked || !user.is_active) {
    roleCell = el("span", { class: "role-text", text: ROLE_LABELS[user.role] ?? user.role });
  } else {
    const id = `role-${user.id}`;
    const select = el("select", { id, class: "compact-select", "aria-label": `Role of ${user.email}` });
    fillRoleSelect(select, user.role);
    const save = el("button", { type: "button", class: "button small secondary", hidden: true,
                                "data-busy-label": "Saving…", "aria-label": `Save the role of ${user.email}` }, "Save");
    select.addEventListener("change", () => { save.hidden = select.value === user.role; });
    save.addEventListener("click", () => update(user, { role: select.value }, save,
      `${user.email} is now ${ROLE_LABELS[select.value].toLowerCase()}.`));
    roleCell = el("span", { class: "role-edit" }, select, save);
  }
  let action = null;
  if (!locked) {
    action = user.is_active
      ? el("button", { type: "button", class: "button small danger-quiet", "data-busy-label": "Deactivating…",
                       "aria-label": `Deactivate ${user.email}` }, "Deactivate")
      : el("button", { type: "button", class: "button small secondary", "data-busy-label": "Reactivating…",
                       "aria-label": `Reactivate ${user.email}` }, "Reactivate");
    action.addEventListener("click", async () => {
      if (user.is_active) {
        const ok = await confirmDialog({
          title: "Deactivate this user?",
          text: `${user.email} is signed out everywhere and can no longer sign in. You can reactivate them later.`,
          confirm: "Deactivate", cancel: "Keep active" });
        if (!ok) return;
      }
      await update(user, { is_active: !user.is_active }, action,
                   `${user.email} was ${user.is_active ? "deactivated" : "reactivated"}.`);
    });
  }
  // Ending every session of someone (a lost laptop, a leaver): owners and admins, as the API
  // allows (an owner's only by an owner); yours from Settings > Sessions instead.
  let endAll = null;
  if (!locked && user.is_active) {
    endAll = el("button", { type: "button", class: "button small secondary", "data-busy-label": "Ending…",
                            "aria-label": `End all sessions of ${user.email}` }, "End all sessions");
    endAll.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "End all sessions of this user?",
        text: `${user.email} is signed out on every device at once and can sign in again with their password.`,
        confirm: "End all sessions", cancel: "Cancel" });
      if (!ok) return;
      await busy(endAll, async () => {
        try {
          const ended = await api(`/users/${encodeURIComponent(user.id)}/sessions`, { method: "DELETE" });
          status(`${user.email} was signed out of ${ended.ended} ${ended.ended === 1 ? "session" : "sessions"}.`, "good");
        } catch (error) {
          if (!(error instanceof SessionEnded)) announceProblem($("#team-status"), `Could not end the sessions of ${user.email}: `, error);
        }
      });
      $("#team-status").focus();
    });
  }
  return el("tr", { class: user.is_active ? "" : "inactive", dataset: { id: user.id } },
    el("th", { scope: "row", dataset: { label: "E-mail" } }, user.email,
       me ? el("span", { class: "muted", text: " (you)" }) : null),
    el("td", { dataset: { label: "Role" } }, roleCell),
    el("td", { dataset: { label: "Status" } }, user.is_active ? badge("Active", "good") : badge("Inactive", "muted")),
    el("td", { dataset: { label: "Last sign-in" }, text: user.last_login_at ? dateTime(user.last_login_at) : "Never" }),
    el("td", { class: "col-actions", dataset: { label: "Actions" } }, endAll, action));
}

function renderPeople() {
  $("#users-body").replaceChildren(...people.items.map(userRow));
  const n = people.items.length;
  $("#users-count").textContent = `Showing ${intFormat.format(n)} ${n === 1 ? "person" : "people"}`
    + (people.cursor ? " · more available" : "");
  $("#users-more").hidden = !people.cursor;
}

async function loadPeople({ reset = false } = {}) {
  const params = new URLSearchParams({ limit: "50" });
  if ($("#users-inactive").checked) params.set("include_inactive", "true");
  if (!reset && people.cursor) params.set("cursor", people.cursor);
  try {
    const page = await api(`/users?${params}`);
    people.items = reset ? page.items : people.items.concat(page.items);
    people.cursor = page.next_cursor;
    people.loaded = true;
    renderPeople();
    return page;
  } catch (error) {
    if (!(error instanceof SessionEnded)) status(`Could not load the team: ${problemText(error)}`, "error");
    return null;
  }
}

async function update(user, changes, button, done) {
  await busy(button, async () => {
    try {
      const updated = await api(`/users/${encodeURIComponent(user.id)}`, { method: "PATCH", body: changes });
      people.items = people.items.map((u) => (u.id === updated.id ? updated : u))
        .filter((u) => u.is_active || $("#users-inactive").checked);
      renderPeople();
      status(done, "good");
    } catch (error) {
      if (error instanceof SessionEnded) return;
      // A reactivation may be over the plan's users: the way to the plan page goes with it.
      announceProblem($("#team-status"), `Could not change ${user.email}: `, error);
      renderPeople();
    }
  });
  $("#team-status").focus();
}

// ---------------------------------------------------------------------------------------------
// Invitations

function renderInvitations() {
  const none = invitations.length === 0;
  $("#invitations-table").hidden = none;
  $("#invitations-empty").hidden = !none;
  $("#invitations-body").replaceChildren(...invitations.map((inv) => {
    const withdraw = el("button", { type: "button", class: "button small danger-quiet",
                                    "data-busy-label": "Withdrawing…", "aria-label": `Withdraw the invitation of ${inv.email}` }, "Withdraw");
    withdraw.addEventListener("click", async () => {
      const ok = await confirmDialog({ title: "Withdraw this invitation?",
        text: `The link sent to ${inv.email} stops working. You can invite them again.`,
        confirm: "Withdraw", cancel: "Keep it" });
      if (!ok) return;
      await busy(withdraw, async () => {
        try {
          await api(`/invitations/${encodeURIComponent(inv.id)}`, { method: "DELETE" });
          invitations = invitations.filter((i) => i.id !== inv.id);
          renderInvitations();
          status(`The invitation of ${inv.email} was withdrawn.`, "good");
        } catch (error) {
          if (!(error instanceof SessionEnded)) status(`Could not withdraw it: ${problemText(error)}`, "error");
        }
      });
      $("#team-status").focus();
    });
    return el("tr", {},
      el("th", { scope: "row", dataset: { label: "E-mail" }, text: inv.email }),
      el("td", { dataset: { label: "Role" }, text: ROLE_LABELS[inv.role] ?? inv.role }),
      el("td", { dataset: { label: "Sent" }, text: date(inv.created_at) }),
      el("td", { dataset: { label: "Expires" }, text: dateTime(inv.expires_at) }),
      el("td", { class: "col-actions", dataset: { label: "Actions" } }, withdraw));
  }));
}

async function loadInvitations() {
  try {
    invitations = (await api("/invitations")).items;
    renderInvitations();
  } catch (error) {
    if (!(error instanceof SessionEnded)) status(`Could not load the invitations: ${problemText(error)}`, "error");
  }
}

// ---------------------------------------------------------------------------------------------

export async function showTeam({ focus = false } = {}) {
  const select = $("#invite-role");
  fillRoleSelect(select, grantable().includes(select.value) ? select.value : "coordinator");
  if (!people.loaded) await Promise.all([loadPeople({ reset: true }), loadInvitations()]);
  if (focus) $("#team-title").focus();
}

export function resetTeam() {
  Object.assign(people, { items: [], cursor: null, loaded: false });
  invitations = [];
  $("#users-body").replaceChildren();
  $("#invitations-body").replaceChildren();
  $("#invite-form").reset();
  status("");
}

export function initTeam() {
  const form = $("#invite-form");
  handleSubmit(form, (f) => ({ email: text(f, "email"), role: text(f, "role") }), async (body) => {
    const invitation = await create("/invitations", body);
    invitations = [invitation, ...invitations.filter((i) => i.id !== invitation.id)];
    renderInvitations();
    form.elements.email.value = "";
    status(`Invitation sent to ${invitation.email} as ${ROLE_LABELS[invitation.role].toLowerCase()}. `
           + `The link works once, until ${dateTime(invitation.expires_at)}.`, "good");
    form.elements.email.focus();
  });
  form.addEventListener("reset", () => clearProblems(form));
  $("#users-inactive").addEventListener("change", () => loadPeople({ reset: true }));
  $("#users-more").addEventListener("click", (event) => busy(event.currentTarget, () => loadPeople()));
}
