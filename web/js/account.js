// Your account and the organization's data, on the Settings screen: your sessions (everyone),
// the data export and closing or reopening the organization (owners).

import { api, downloadFile, SessionEnded } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, badge, dateTime, el } from "./dom.js";
import { announce, busy, clearProblems, handleSubmit, problemText, text } from "./forms.js";
import { state } from "./state.js";

const isOwner = () => state.me?.user?.role === "owner";
const EXPORT_STATES = { requested: ["Being prepared", "info"], ready: ["Ready", "good"],
                        failed: ["Failed", "warn"], expired: ["Expired", "muted"] };

function status(message, tone = "info") {
  announce($("#settings-status"), message, tone);
}

function failed(prefix, error) {
  if (!(error instanceof SessionEnded)) status(`${prefix}: ${problemText(error)}`, "error");
}

// ---------------------------------------------------------------------------------------------
// Sessions

function sessionRow(session) {
  const end = el("button", { type: "button", class: "button small danger-quiet", "data-busy-label": "Ending…",
                             "aria-label": session.current ? "Sign out of this session" : `End the session of ${session.browser}` },
                 session.current ? "Sign out" : "End");
  end.addEventListener("click", async () => {
    if (!session.current) {
      const ok = await confirmDialog({ title: "End this session?",
        text: `${session.browser}, signed in ${dateTime(session.created_at)}, is signed out at once.`,
        confirm: "End session", cancel: "Keep it" });
      if (!ok) return;
    }
    await busy(end, async () => {
      try {
        await api(`/me/sessions/${encodeURIComponent(session.id)}`, { method: "DELETE" });
        if (session.current) {
          await api("/me");  // answers 401: the page goes back to sign-in
          return;
        }
        status(`The session of ${session.browser} was ended.`, "good");
        await loadSessions();
      } catch (error) {
        failed("Could not end the session", error);
      }
    });
  });
  return el("tr", {},
    el("th", { scope: "row", dataset: { label: "Browser" } }, session.browser,
       session.current ? el("span", { class: "muted", text: " (this one)" }) : null),
    el("td", { dataset: { label: "Signed in" }, text: dateTime(session.created_at) }),
    el("td", { dataset: { label: "Last used" }, text: dateTime(session.last_used_at) }),
    el("td", { dataset: { label: "From network" }, text: session.source_network ?? "Unknown" }),
    el("td", { class: "col-actions", dataset: { label: "Actions" } }, end));
}

async function loadSessions() {
  try {
    const { items } = await api("/me/sessions");
    $("#sessions-body").replaceChildren(...items.map(sessionRow));
  } catch (error) {
    failed("Could not load your sessions", error);
  }
}

// ---------------------------------------------------------------------------------------------
// The data export

const EXPORT_POLL_MS = 5000;  // while one is being prepared, its progress is refreshed
let exportPoll = null;
const count = (n) => n.toLocaleString("en-US");

// "Preparing admissions.csv: 8,000 of 20,000 rows (file 3 of 19)", or where it stands before
// the first chunk and while the zip is put together.
function progressText(progress) {
  if (!progress) return "Waiting to start (within a minute)";
  if (!progress.file) return "Putting the zip together";
  const rows = progress.file_total == null ? `${count(progress.file_rows)} rows`
    : `${count(progress.file_rows)} of ${count(progress.file_total)} rows`;
  return `Preparing ${progress.file}: ${rows} (file ${progress.files_done + 1} of ${progress.files_total})`;
}

function exportItem(item) {
  const [label, tone] = EXPORT_STATES[item.status] ?? [item.status, "info"];
  const parts = [badge(label, tone), ` asked ${dateTime(item.requested_at)}`];
  if (item.status === "requested") {
    parts.push(el("span", { class: "export-progress muted", role: "status", text: ` · ${progressText(item.progress)}` }));
  }
  if (item.status === "ready") {
    const download = el("button", { type: "button", class: "button small secondary", "data-busy-label": "Downloading…",
                                    "aria-label": `Download the export of ${dateTime(item.requested_at)}` }, "Download");
    download.addEventListener("click", () => busy(download, async () => {
      try {
        await downloadFile(`/organization/exports/${encodeURIComponent(item.id)}/download`,
                           `export-${item.requested_at.slice(0, 10)}.zip`, "application/zip");
      } catch (error) {
        failed("Could not download the export", error);
        await loadExports();
      }
    }));
    parts.push(el("span", { class: "muted", text: ` · until ${dateTime(item.expires_at)} ` }), download);
  }
  return el("li", {}, ...parts);
}

async function loadExports() {
  clearTimeout(exportPoll);
  try {
    const { items } = await api("/organization/exports");
    $("#export-list").replaceChildren(...(items.length ? items.map(exportItem)
      : [el("li", { class: "muted", text: "No exports yet." })]));
    // Refreshed while one is being prepared and Settings is on screen.
    if (items.some((item) => item.status === "requested") && !$("#export-card").closest("[hidden]")) {
      exportPoll = setTimeout(loadExports, EXPORT_POLL_MS);
    }
  } catch (error) {
    failed("Could not load the exports", error);
  }
}

// ---------------------------------------------------------------------------------------------
// Closing and reopening

function standingChanged(standing) {
  state.me.standing = standing;
  document.dispatchEvent(new CustomEvent("standing:changed", { detail: standing }));
  renderClosing();
}

function renderClosing() {
  const closed = state.me?.standing?.reason === "closed";
  $("#close-open").hidden = closed;
  $("#close-closed").hidden = !closed;
  if (closed) {
    $("#close-when").textContent = `Closed: read-only, and all of its data is deleted on ${dateTime(state.me.standing.deletes_at)}. `
      + "Export it first if you need it.";
  }
}

// ---------------------------------------------------------------------------------------------

export async function showAccount() {
  $("#export-card").hidden = !isOwner();
  $("#close-card").hidden = !isOwner();
  const loads = [loadSessions()];
  if (isOwner()) {
    renderClosing();
    loads.push(loadExports());
  }
  await Promise.all(loads);
}

export function resetAccount() {
  clearTimeout(exportPoll);
  $("#close-form").reset();
  clearProblems($("#close-form"));
  $("#sessions-body").replaceChildren();
  $("#export-list").replaceChildren();
}

export function initAccount() {
  $("#export-request").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      await api("/organization/exports", { method: "POST" });
      status("The export is being prepared. You get an e-mail when it is ready, usually within minutes.", "good");
      await loadExports();
    } catch (error) {
      failed("Could not ask for the export", error);
    }
  }));

  const closeForm = $("#close-form");
  handleSubmit(closeForm, (form) => {
    const code = text(form, "code").trim();
    return code ? { password: text(form, "password"), code } : { password: text(form, "password") };
  }, async (body) => {
    const ok = await confirmDialog({ title: `Close ${state.me.organization.name}?`,
      text: "Everyone loses the ability to change anything at once, the subscription is canceled, and all data is deleted after 30 days unless an owner reopens it.",
      confirm: "Close the organization", cancel: "Keep it open" });
    if (!ok) return;
    const standing = await api("/organization/close", { method: "POST", body });
    closeForm.reset();
    standingChanged(standing);
    status(`The organization was closed. Its data is deleted on ${dateTime(standing.deletes_at)} unless it is reopened.`, "good");
    $("#settings-status").focus();
  });

  $("#reopen").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    try {
      standingChanged(await api("/organization/reopen", { method: "POST" }));
      status("The organization was reopened and will not be deleted.", "good");
    } catch (error) {
      failed("Could not reopen it", error);
    }
  }));
}
