// One evaluation (POST /api/admissions/evaluate, or the one stored with an admission) as the
// coordinator reads it: the verdict first, then why, then the arithmetic.

import { el, FACTOR_LABELS, money, num, pct, pctFormat, RATE_METHODS, recommendationBadge,
         day, intFormat, signedMoney } from "./dom.js";
import { payerTypeLabel, serviceLabel, state } from "./state.js";
import { hardStopSentence } from "./words.js";

const COMPONENTS = [["PT", "Physical therapy (PT)"], ["OT", "Occupational therapy (OT)"],
                    ["SLP", "Speech-language pathology (SLP)"], ["NURSING", "Nursing"],
                    ["NTA", "Non-therapy ancillaries (NTA)"], ["NON_CASE_MIX", "Non-case-mix"]];
const GROUP_LABELS = [["pt_ot", "PT/OT"], ["slp", "SLP"], ["nursing", "Nursing"], ["nta", "NTA"]];

function fact(term, ...value) {
  return el("div", {}, el("dt", { text: term }), el("dd", {}, ...value));
}

function section(title, ...children) {
  return el("section", { class: "eval-section" }, el("h3", { text: title }), ...children);
}

function table(caption, head, rows, { foot = null, className = "" } = {}) {
  return el("div", { class: "table-wrap compact" },
    el("table", { class: `data-table mini ${className}`.trim() },
      caption ? el("caption", { class: "visually-hidden", text: caption }) : null,
      el("thead", {}, el("tr", {}, head.map(([label, cls]) => el("th", { scope: "col", class: cls, text: label })))),
      el("tbody", {}, rows),
      foot ? el("tfoot", {}, foot) : null));
}

/** The score as a meter the eye reads and a number assistive technology reads. */
export function scoreMeter(score, recommendation) {
  const value = Math.max(0, Math.min(100, num(score)));
  return el("div", { class: "score" },
    el("p", { class: "score-value" }, el("strong", { text: pctFormat.format(value) }),
       el("span", { text: " / 100" })),
    el("span", { class: "score-track", "aria-hidden": "true" },
      el("span", { class: "score-fill", dataset: { tone: recommendation }, style: { width: `${value}%` } })));
}

// Medicare's payment adjustments, as a line of arithmetic names them; the API's label, which
// says how each is reckoned, goes beneath.
const ADJUSTMENT_NAMES = {
  hiv_aids_adjustment: "HIV/AIDS adjustment",
  qrp_reduction: "Quality reporting (QRP) not met",
  sequestration: "Sequestration",
  uncollected_coinsurance: "Coinsurance not collected",
  bad_debt_reimbursement: "Bad debt reimbursed",
};

const adjusted = (revenue) => (revenue.adjustments ?? []).length > 0;

function verdict(evaluation) {
  const { revenue, cost } = evaluation;
  const negative = num(evaluation.margin) < 0;
  // The margin is on the revenue after Medicare's adjustments: the figures say which revenue.
  const base = adjusted(revenue) ? "Net revenue" : "Revenue";
  return el("div", { class: "eval-summary card" },
    el("div", { class: "eval-verdict" },
      el("p", { class: "eyebrow", text: "Recommendation" }),
      recommendationBadge(evaluation.recommendation, { large: true }),
      el("p", { class: "eyebrow score-label", text: "Score" }),
      scoreMeter(evaluation.score, evaluation.recommendation)),
    el("div", { class: "eval-money" },
      el("dl", { class: "eval-figures" },
        fact(base, el("span", { class: "figure", "data-testid": "net-revenue", text: money(revenue.net_total ?? revenue.total) }),
             el("span", { class: "figure-sub", "data-testid": "revenue-per-day" },
                `${money(adjusted(revenue) ? num(revenue.net_total) / evaluation.length_of_stay_days : revenue.per_day_average)} per day`)),
        fact("Cost", el("span", { class: "figure", text: money(cost.total) }),
             el("span", { class: "figure-sub" }, `${money(cost.per_day)} per day`)),
        fact("Margin", el("span", { class: `figure${negative ? " negative" : ""}`, text: money(evaluation.margin) }),
             el("span", { class: "figure-sub" }, `${pct(evaluation.margin_pct)} of ${base.toLowerCase()}`))),
      ledger(evaluation)));
}

/** From the payer's rate to the margin, line by line, every amount on screen: it adds up. */
function ledger(evaluation) {
  const { revenue, cost } = evaluation;
  const days = `${intFormat.format(evaluation.length_of_stay_days)} days`;
  const line = (cls, label, amount, { detail = null, code = null } = {}) => el("tr", { class: cls, dataset: code ? { code } : {} },
    el("th", { scope: "row" }, label, detail ? el("span", { class: "ledger-detail", text: detail }) : null),
    el("td", { class: "num", text: amount }));
  const rows = [line("ledger-gross", `Revenue at the payer's rate (${days})`, money(revenue.total))];
  if (adjusted(revenue)) {
    for (const a of revenue.adjustments) {
      // "Sequestration: 2% of ..." beneath "Sequestration": how, without the name again.
      const how = String(a.label ?? "").replace(/^[^:]{1,40}:\s*/, "");
      rows.push(line("ledger-adjustment", ADJUSTMENT_NAMES[a.code] ?? a.label, signedMoney(a.amount),
                     { detail: ADJUSTMENT_NAMES[a.code] ? how.charAt(0).toUpperCase() + how.slice(1) : null,
                       code: a.code }));
    }
    rows.push(line("ledger-net", "Net revenue", money(revenue.net_total)));
  }
  rows.push(line("ledger-cost", `Cost (${days})`, signedMoney(-num(cost.total))));
  rows.push(line("ledger-margin", `Margin (${adjusted(revenue) ? "net revenue" : "revenue"} − cost)`, money(evaluation.margin)));
  return el("table", { class: "ledger", "data-testid": "ledger" },
    el("caption", { class: "visually-hidden", text: "From the payer's rate to the margin" }),
    el("tbody", {}, rows));
}

function payerWithType(payer) {
  const type = payerTypeLabel(payer.payer_type);
  return payer.name.toLowerCase().includes(type.toLowerCase()) ? payer.name : `${payer.name} (${type})`;
}

/** The engine's details name payer types by code ("preference for medicare_a"): say them. */
function readable(detail) {
  const types = state.reference?.payer_types ?? [];
  return types.reduce((text, t) => text.replace(new RegExp(`\\b${t.code}\\b`, "g"), t.label), detail);
}

function context(evaluation) {
  const { facility, payer, rate } = evaluation;
  const span = rate.effective_to ? `${day(rate.effective_from)} to ${day(rate.effective_to)}`
                                 : `from ${day(rate.effective_from)}`;
  return el("p", { class: "eval-context" },
    el("strong", { text: facility.name }), " · ",
    payerWithType(payer), " · ",
    `${intFormat.format(evaluation.length_of_stay_days)} days`, " · ",
    `rate: ${RATE_METHODS[rate.method] ?? rate.method}, ${span}`);
}

function hardStops(stops) {
  if (!stops.length) return null;
  return el("div", { class: "callout danger" },
    el("h3", { text: stops.length === 1 ? "Hard stop" : `${stops.length} hard stops` }),
    el("p", { class: "callout-intro", text: "Whatever the score, these decline the referral:" }),
    el("ul", {}, stops.map((s) => el("li", { text: hardStopSentence(s), dataset: { code: s.code } }))));
}

function assumptions(list, correct) {
  if (!list.length) return null;
  return el("div", { class: "callout info" },
    el("h3", { text: "Assumptions" }),
    el("ul", {}, list.map((a) => el("li", { text: a }))),
    correct ? el("p", { class: "callout-action" },
      el("button", { type: "button", class: "link-button", onclick: correct }, "Correct the details that change the numbers"))
      : null);
}

function factors(evaluation) {
  const maxWeight = Math.max(1, ...evaluation.factors.map((f) => num(f.weight)));
  const rows = evaluation.factors.map((f) => {
    const weight = num(f.weight);
    const contribution = num(f.contribution);
    const label = FACTOR_LABELS[f.name] ?? f.name;
    return el("tr", {},
      el("th", { scope: "row" }, el("span", { class: "factor-name", text: label }),
         el("span", { class: "factor-detail", text: readable(f.detail) })),
      el("td", { class: "num col-rating", text: pctFormat.format(num(f.value)) }),
      el("td", { class: "num col-weight", text: pctFormat.format(weight) }),
      el("td", { class: "factor-cell" },
        el("span", { class: "factor-bar", "aria-hidden": "true", style: { width: `${(weight / maxWeight) * 100}%` } },
          el("span", { class: "factor-fill", style: { width: `${weight > 0 ? Math.min(100, (contribution / weight) * 100) : 0}%` } })),
        el("span", { class: "factor-points" }, `${pctFormat.format(contribution)} of ${pctFormat.format(weight)}`,
           el("span", { class: "factor-rated", text: ` · rated ${pctFormat.format(num(f.value))}` }))));
  });
  const foot = el("tr", {},
    el("th", { scope: "row", text: "Score" }), el("td", { class: "col-rating" }), el("td", { class: "col-weight" }),
    el("td", { class: "factor-cell" }, el("strong", { text: `${pctFormat.format(num(evaluation.score))} of 100` })));
  return section("How the score was reached",
    el("p", { class: "section-intro", text: "Each factor is rated 0–100 and weighted; the bar is the factor's weight, filled by the points it earned." }),
    table("Score factors", [["Factor"], ["Rating", "num col-rating"], ["Weight", "num col-weight"], ["Points", "factor-col"]], rows,
          { foot, className: "factors-table" }));
}

/** Consecutive days with the same amounts and the same payer, as one row. */
function dayRuns(days) {
  const runs = [];
  for (const d of days) {
    const last = runs.at(-1);
    const paidBy = d.paid_by === undefined ? "payer" : d.paid_by;
    if (last && last.amount === d.amount && last.patient_pays === d.patient_pays
        && last.paid_by === paidBy && last.to === d.day - 1) last.to = d.day;
    else runs.push({ from: d.day, to: d.day, amount: d.amount, patient_pays: d.patient_pays, paid_by: paidBy });
  }
  return runs;
}

/** The fiscal years a PDPM stay's days fall in, each with its days ("days 1–11") and whose
 *  tables priced them: the rate's own fiscal year (`fiscal_year`) is not the days' when the
 *  stay runs past 30 September or the rate was set up for an earlier year. */
function pdpmYears(p, days) {
  const years = p.fiscal_years?.length ? p.fiscal_years
    : [{ fiscal_year: p.fiscal_year, priced_with: p.fiscal_year, component_rates: p.component_rates }];
  return years.map((y) => {
    const numbers = days.filter((d) => d.fiscal_year === y.fiscal_year).map((d) => d.day);
    const span = numbers.length === 0 ? ""
      : numbers.length === 1 ? `day ${numbers[0]}` : `days ${numbers[0]}–${numbers.at(-1)}`;
    const priced = y.priced_with !== undefined && y.priced_with !== y.fiscal_year
      ? `, priced with FY${y.priced_with}'s tables` : "";
    const proposed = y.status === "proposed" ? " (proposed)" : "";
    return { ...y, span, label: `FY${y.fiscal_year}${proposed}${priced}` };
  });
}

function revenue(evaluation) {
  const { revenue: r } = evaluation;
  const sum = (key) => r.days.reduce((total, d) => total + num(d[key]), 0);
  const patientTotal = sum("patient_pays");
  const split = patientTotal > 0;
  const parts = [];
  const thenPayer = r.pdpm?.then_payer?.name;
  // Who pays a run of days of a Medicare stay: Medicare, the then-payer, or nobody.
  const payerOfRun = (run) => (!r.pdpm ? null : run.paid_by === "then_payer" ? thenPayer ?? "Then-payer"
    : run.paid_by === null ? "nobody" : null);

  parts.push(el("dl", { class: "facts-grid" },
    fact("Method", RATE_METHODS[r.method] ?? r.method),
    fact("At the payer's rate", money(r.total)),
    adjusted(r) ? fact("Net, after adjustments", money(r.net_total)) : null,
    fact("Average per day", el("strong", { text: money(r.per_day_average) })),
    split ? fact("Payer's share", money(num(r.total) - patientTotal)) : null,
    split ? fact("Patient or secondary payer", money(patientTotal)) : null));

  const p = r.pdpm;
  if (p) {
    const years = pdpmYears(p, r.days);
    parts.push(el("h4", { text: "PDPM classification" }));
    parts.push(el("dl", { class: "facts-grid" },
      fact("Groups", el("span", { class: "groups" },
        GROUP_LABELS.map(([key, label]) => el("span", { class: "group-chip" },
          el("span", { class: "group-key", text: label }), " ", el("strong", { text: p.groups[key] ?? "—" })))),
        p.assumed_groups ? el("span", { class: "badge", dataset: { tone: "warn" }, text: "assumed" }) : null),
      fact("HIPPS", el("code", { text: p.hipps })),
      fact(years.length > 1 ? "Fiscal years" : "Fiscal year",
           `${years.map((y) => (years.length > 1 ? `${y.label} ${y.span}` : y.label)).join("; ")}, ${p.area}`),
      years.some((y) => (y.rate_fiscal_year ?? p.fiscal_year) !== y.fiscal_year)
        ? fact("Rate set up for", `FY${p.fiscal_year}; each day priced with the tables of the fiscal year it falls in`) : null,
      fact("Wage index", `${p.wage_index} (labor share ${pct(num(p.labor_related_share) * 100)})`),
      fact("VBP multiplier", String(p.vbp_multiplier)),
      p.admission_date ? fact("Admission", day(p.admission_date)) : null,
      p.benefit_days_used_known !== undefined
        ? fact("Benefit days used before", `${p.benefit_days_used}${p.benefit_days_used_known ? "" : " (assumed)"}`) : null,
      fact("Covered days", `${p.covered_days} of ${p.covered_days + p.uncovered_days}`
                           + (p.uncovered_days ? ` (${p.uncovered_days} not covered by Medicare)` : "")),
      thenPayer ? fact("Then paid by", `${thenPayer}, ${money(p.then_payer.per_day)} a day × ${p.then_payer.days} days`) : null,
      fact("Coinsurance from day 21",
           p.percent_of_pdpm != null && !p.coinsurance_days
             ? "none: the Medicare Advantage plan's own cost sharing applies (by contract, not modeled)"
             : p.coinsurance_known
             ? (p.coinsurance_days
                 ? `${money(p.coinsurance_per_day)} a day × ${p.coinsurance_days} days = ${money(p.coinsurance_total)}`
                 : `none: the stay ends by day 20 (${money(p.coinsurance_per_day)} a day after)`)
             : "not known for this year")));
    // A column of rates for each fiscal year the stay's days fall in: a stay past 30 September
    // is priced with the next year's rates from 1 October.
    const sum = (rates) => COMPONENTS.reduce((t, [key]) => t + num(rates[key] ?? 0), 0);
    // "1–11" kept on one line (word joiners around the dash).
    const unbroken = (span) => span.replace("–", "\u2060–\u2060");
    const columns = years.length > 1 ? years.map((y) => [`${y.label}, ${unbroken(y.span)}`, "num"])
      : [["Per day", "num"]];
    parts.push(table(years.length > 1 ? "PDPM component rates per day, by fiscal year"
                                      : "PDPM component rates per day",
      [["Component"], ...columns],
      COMPONENTS.filter(([key]) => key in years[0].component_rates).map(([key, label]) =>
        el("tr", {}, el("th", { scope: "row", text: label }),
           years.map((y) => el("td", { class: "num", text: money(y.component_rates[key]) })))),
      { foot: el("tr", {}, el("th", { scope: "row", text: "Sum, before daily adjustments" }),
                  years.map((y) => el("td", { class: "num", text: money(sum(y.component_rates)) }))),
        className: "component-rates" }));
  }

  // At the payer's rate: each run's days add up to the total above; the adjustments are the
  // lines under the figures.
  const runs = dayRuns(r.days);
  const head = [["Days"], ["Per day", "num"]];
  if (split) head.push(["Payer's share", "num"], ["Patient's share", "num"]);
  head.push(["Subtotal", "num"]);
  parts.push(el("h4", { text: "Day by day, at the payer's rate" }));
  parts.push(table("Revenue by day", head, runs.map((run) => {
    const n = run.to - run.from + 1;
    const who = payerOfRun(run);
    return el("tr", {},
      el("th", { scope: "row" }, n === 1 ? `Day ${run.from}` : `Days ${run.from}–${run.to}`,
         who ? el("span", { class: "cell-sub", text: ` ${who === "nobody" ? "not paid" : who}` }) : null),
      el("td", { class: "num", text: money(run.amount) }),
      split ? el("td", { class: "num", text: money(num(run.amount) - num(run.patient_pays)) }) : null,
      split ? el("td", { class: "num", text: money(run.patient_pays) }) : null,
      el("td", { class: "num", text: money(num(run.amount) * n) }));
  }), { foot: el("tr", {}, el("th", { scope: "row", text: "Total" }),
                 el("td", { class: "num", colspan: split ? 4 : 2, text: money(r.total) })) }));
  return section("Revenue", ...parts);
}

function cost(evaluation) {
  const { cost: c } = evaluation;
  const b = c.breakdown;
  const rows = [["Fixed", b.fixed], ["Nursing", b.nursing], ["Therapy", b.therapy]];
  const t = b.therapy_by_discipline;
  if (t) rows.push(["  PT (by PDPM group)", t.pt], ["  OT (by PDPM group)", t.ot], ["  SLP (by PDPM group)", t.slp]);
  for (const [code, amount] of Object.entries(b.services ?? {})) rows.push([serviceLabel(code), amount]);
  rows.push(["Medication", b.medication]);
  for (const [key, label] of [["labs", "Labs"], ["imaging", "Imaging"], ["supplies", "Supplies"]]) {
    if (b[key] != null) rows.push([label, b[key]]);
  }
  return section("Cost per day",
    table("Cost per day by item", [["Item"], ["Per day", "num"]],
      rows.map(([label, amount]) => el("tr", {}, el("th", { scope: "row", text: label }),
                                       el("td", { class: "num", text: money(amount) }))),
      { foot: [
        el("tr", {}, el("th", { scope: "row", text: "Total per day" }), el("td", { class: "num", text: money(c.per_day) })),
        ...(b.transport_per_stay != null
          ? [el("tr", {}, el("th", { scope: "row", text: "Transport (once a stay)" }),
                el("td", { class: "num", text: money(b.transport_per_stay) }))]
          : []),
        el("tr", {}, el("th", { scope: "row", text: `Stay (${evaluation.length_of_stay_days} days)` }),
           el("td", { class: "num", text: money(c.total) })),
      ] }));
}

/** `correct`: where the referral's form is at hand, what opens its details to correct the
 *  assumptions. */
export function renderEvaluation(evaluation, { correct = null } = {}) {
  return el("div", { class: "evaluation" },
    context(evaluation),
    verdict(evaluation),
    hardStops(evaluation.hard_stops),
    assumptions(evaluation.assumptions, correct),
    el("div", { class: "eval-columns" }, factors(evaluation), cost(evaluation)),
    revenue(evaluation));
}
