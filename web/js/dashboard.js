// The dashboard: this month's referrals, acceptance, projected margin and turnaround, the payer
// mix, the last thirteen months, over all facilities or one.

import { api, SessionEnded } from "./api.js";
import { $, duration, el, intFormat, monthLabel, num, pct, pctFormat } from "./dom.js";
import { announce, problemText } from "./forms.js";
import { loadReference, payerTypeLabel } from "./state.js";

const view = { data: null, scope: "" };

function kpi(label, value, sub, { tone = "" } = {}) {
  return el("div", { class: "kpi card" },
    el("p", { class: "kpi-label", text: label }),
    el("p", { class: `kpi-value${tone ? ` ${tone}` : ""}`, text: value }),
    el("p", { class: "kpi-sub", text: sub }));
}

function kpis(months) {
  const now = months.at(-1);
  const before = months.at(-2);
  const margin = num(now.average_margin_pct);
  return el("div", { class: "kpis" },
    kpi("Referrals", intFormat.format(now.referrals),
        before ? `${monthLabel(now.month, { long: true })} so far · ${intFormat.format(before.referrals)} in ${monthLabel(before.month)}`
               : monthLabel(now.month, { long: true })),
    kpi("Acceptance rate", pct(now.acceptance_rate_pct),
        now.decided ? `${intFormat.format(now.accepted)} accepted of ${intFormat.format(now.decided)} decided` : "Nothing decided yet"),
    kpi("Average projected margin", pct(now.average_margin_pct),
        now.referrals ? `Over ${intFormat.format(now.referrals)} referral${now.referrals === 1 ? "" : "s"} this month` : "No referrals yet",
        { tone: Number.isFinite(margin) && margin < 0 ? "negative" : "" }),
    kpi("Median turnaround", duration(now.median_turnaround_minutes), "From referral to decision"));
}

function payerMix(month) {
  const entries = Object.entries(month.payer_mix ?? {}).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((t, [, n]) => t + n, 0);
  const most = Math.max(1, ...entries.map(([, n]) => n));
  const body = entries.length
    ? el("ul", { class: "hbars" }, entries.map(([type, n]) => el("li", {},
        el("span", { class: "hbar-label", text: payerTypeLabel(type) }),
        el("span", { class: "hbar-track", "aria-hidden": "true" },
          el("span", { class: "hbar-fill", style: { width: `${(n / most) * 100}%` } })),
        el("span", { class: "hbar-value", text: `${intFormat.format(n)} · ${pctFormat.format(total ? (n / total) * 100 : 0)}%` }))))
    : el("p", { class: "muted", text: "No referrals this month yet." });
  return el("section", { class: "card", "aria-labelledby": "mix-title" },
    el("h3", { id: "mix-title", text: `Payer mix, ${monthLabel(month.month, { long: true })}` }), body);
}

function monthChart(months) {
  const max = Math.max(1, ...months.map((m) => m.referrals));
  return el("section", { class: "card", "aria-labelledby": "trend-title" },
    el("h3", { id: "trend-title", text: "Referrals by month" }),
    el("p", { class: "chart-legend", "aria-hidden": "true" },
      el("span", { class: "swatch accepted" }), "Accepted ", el("span", { class: "swatch declined" }), "Declined ",
      el("span", { class: "swatch open" }), "Not decided"),
    el("div", { class: "columns", "aria-hidden": "true" }, months.map((m) => {
      const open = Math.max(0, m.referrals - m.accepted - m.declined);
      const h = (n) => `${(n / max) * 100}%`;
      return el("div", { class: "column", title: `${monthLabel(m.month)}: ${m.referrals} referrals, ${m.accepted} accepted, ${m.declined} declined` },
        el("span", { class: "column-value", text: m.referrals ? String(m.referrals) : "" }),
        el("span", { class: "column-stack" },
          el("span", { class: "seg open", style: { height: h(open) } }),
          el("span", { class: "seg declined", style: { height: h(m.declined) } }),
          el("span", { class: "seg accepted", style: { height: h(m.accepted) } })),
        el("span", { class: "column-label", text: monthLabel(m.month).split(" ")[0] }));
    })),
    el("p", { class: "visually-hidden", text: "The table below lists the same figures." }));
}

// On a phone each row becomes a card of labelled figures (styles.css, .dash-table): nothing
// waits behind a sideways scroll. The explicit roles keep the table's semantics when it does.
function dashTable(caption, heads, rows) {
  return el("div", { class: "table-wrap" }, el("table", { class: "data-table mini dash-table", role: "table" },
    el("caption", { class: "visually-hidden", text: caption }),
    el("thead", { role: "rowgroup" }, el("tr", { role: "row" }, heads.map((h, i) =>
      el("th", { scope: "col", role: "columnheader", class: i ? "num" : "", text: h })))),
    el("tbody", { role: "rowgroup" }, rows)));
}

function figure(label, text, className = "num") {
  return el("td", { role: "cell", class: className, "data-label": label, text });
}

const MONTH_HEADS = ["Month", "Referrals", "Decided", "Accepted", "Declined", "Acceptance", "Avg. margin", "Median turnaround"];

function monthTable(months) {
  const rows = [...months].reverse().map((m) => el("tr", { role: "row", dataset: m.referrals ? {} : { empty: "true" } },
    el("th", { scope: "row", role: "rowheader", text: monthLabel(m.month) }),
    figure(MONTH_HEADS[1], intFormat.format(m.referrals)),
    figure(MONTH_HEADS[2], intFormat.format(m.decided)),
    figure(MONTH_HEADS[3], intFormat.format(m.accepted)),
    figure(MONTH_HEADS[4], intFormat.format(m.declined)),
    figure(MONTH_HEADS[5], pct(m.acceptance_rate_pct)),
    figure(MONTH_HEADS[6], pct(m.average_margin_pct), `num${num(m.average_margin_pct) < 0 ? " negative" : ""}`),
    figure(MONTH_HEADS[7], duration(m.median_turnaround_minutes))));
  return el("section", { "aria-labelledby": "months-title" },
    el("h3", { id: "months-title", class: "block-title", text: "Month by month" }),
    dashTable("Month by month", MONTH_HEADS, rows));
}

const FACILITY_HEADS = ["Facility", "Referrals", "Acceptance", "Avg. margin", "Median turnaround"];

function facilityTable(data) {
  const rows = data.facilities.map((f) => {
    const m = f.months.at(-1);
    return el("tr", { role: "row" },
      el("th", { scope: "row", role: "rowheader" }, el("button", { type: "button", class: "link-button", text: f.facility.name,
        "aria-label": `Show the dashboard of ${f.facility.name}`,
        onclick: () => { $("#dash-scope").value = f.facility.id; render(); $("#dashboard-title").focus(); } })),
      figure(FACILITY_HEADS[1], intFormat.format(m.referrals)),
      figure(FACILITY_HEADS[2], pct(m.acceptance_rate_pct)),
      figure(FACILITY_HEADS[3], pct(m.average_margin_pct), `num${num(m.average_margin_pct) < 0 ? " negative" : ""}`),
      figure(FACILITY_HEADS[4], duration(m.median_turnaround_minutes)));
  });
  return el("section", { "aria-labelledby": "by-facility-title" },
    el("h3", { id: "by-facility-title", class: "block-title", text: "By facility, this month" }),
    rows.length ? dashTable("By facility, this month", FACILITY_HEADS, rows)
                : el("p", { class: "empty", text: "No facilities yet." }));
}

function render() {
  const data = view.data;
  if (!data) return;
  const scope = $("#dash-scope").value;
  const chosen = scope ? data.facilities.find((f) => f.facility.id === scope) : null;
  const months = chosen ? chosen.months : data.months;
  $("#dashboard-scope-note").textContent = chosen ? `Showing ${chosen.facility.name}.` : "Showing all facilities.";
  $("#dashboard-body").replaceChildren(
    kpis(months),
    el("div", { class: "dash-columns" }, monthChart(months), payerMix(months.at(-1))),
    monthTable(months),
    chosen ? null : facilityTable(data));
}

export async function showDashboard({ focus = false } = {}) {
  const status = $("#dashboard-status");
  if (!view.data) $("#dashboard-body").replaceChildren(el("p", { class: "muted", text: "Loading the dashboard…" }));
  try {
    await loadReference();
    view.data = await api("/dashboard");
    const select = $("#dash-scope");
    const keep = select.value;
    select.replaceChildren(new Option("All facilities", ""),
      ...view.data.facilities.map((f) => new Option(f.facility.name, f.facility.id)));
    if (view.data.facilities.some((f) => f.facility.id === keep)) select.value = keep;
    announce(status, "");
    render();
  } catch (error) {
    if (error instanceof SessionEnded) return;
    announce(status, `Could not load the dashboard: ${problemText(error)}`, "error");
  }
  if (focus) $("#dashboard-title").focus();
}

export function resetDashboard() {
  view.data = null;
  $("#dash-scope").replaceChildren(new Option("All facilities", ""));
  $("#dashboard-body").replaceChildren();
}

export function initDashboard() {
  $("#dash-scope").addEventListener("change", render);
}
