// Plan & usage (#billing): this month's usage against the plan's limits, the past months, the
// plans (upgrading through Stripe Checkout), the billing portal, renewal, payment state and
// invoices. Also the standing banner every signed-in page shows when the organization is
// trialing, past due or read-only, and the confirmation after Checkout sends the browser back
// (#billing?checkout=success).
//
// Every role reads this page; only owners pay (the API refuses anyone else), so only owners see
// the buttons.

import { api, create, SessionEnded } from "./api.js";
import { $, badge, el, intFormat, ORG_STATUS_LABELS, pctFormat, TIER_LABELS } from "./dom.js";
import { announce, busy, problemText, showProblem } from "./forms.js";
import { state } from "./state.js";

const CHECKOUT_KEY = "snf.checkout";  // sessionStorage: the tier Checkout was opened for
const CONFIRM_TRIES = 8;              // /api/me polls after Checkout, a second apart
const LIVE_SUBSCRIPTION = new Set(["active", "trialing", "past_due", "unpaid", "incomplete"]);

const view = { usage: null, billing: null, billingError: null, onBillingPage: false };

const isOwner = () => state.me?.user?.role === "owner";

const utcDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const utcMonth = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
const utcDay = new Intl.DateTimeFormat(undefined, { month: "long", day: "numeric", timeZone: "UTC" });
const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "2026-11-01" as a Date at UTC midnight (a date-only value is a UTC calendar day). */
const day = (value) => new Date(`${String(value).slice(0, 10)}T00:00:00Z`);

function price(cents, currency = "usd") {
  const amount = cents / 100;
  return new Intl.NumberFormat(undefined, {
    style: "currency", currency: currency.toUpperCase(),
    maximumFractionDigits: Number.isInteger(amount) ? 0 : 2,
  }).format(amount);
}

function count(n, one, many) {
  return `${intFormat.format(n)} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// The standing: the banner on every signed-in page, kept fresh

const BANNER_TONES = { trialing: "info", past_due: "warn", read_only: "danger" };

function fallbackMessage(standing) {
  if (standing.state === "trialing") {
    const n = standing.days_left ?? 0;
    return `Trial: ${n} day${n === 1 ? "" : "s"} left.`;
  }
  if (standing.state === "past_due") return "A payment failed. Update the card or pay the invoice in billing.";
  return "The organization is read-only. Your data is kept.";
}

function bannerAction(standing) {
  if (standing.reason === "suspended") return null;  // the message says to contact support
  if (standing.reason === "closed") {  // a plan would not reopen it: Settings does
    return isOwner() ? el("a", { href: "#settings", class: "button small primary" }, "Reopen in Settings")
      : el("p", { class: "standing-ask" }, "Only an owner can reopen it.");
  }
  if (isOwner()) {
    if (view.onBillingPage) return null;  // the page itself is the action
    const label = standing.state === "past_due" ? "Update billing" : "Choose a plan";
    return el("a", { href: "#billing", class: "button small primary" }, label);
  }
  const who = standing.state === "past_due"
    ? "Ask an owner of your organization to update the billing."
    : "Ask an owner of your organization to choose a plan.";
  return el("p", { class: "standing-ask" }, who,
    view.onBillingPage ? null : [" ", el("a", { href: "#billing" }, "See plans")]);
}

/** The banner for the signed-in organization's standing: hidden while it is active. */
export function renderBanner({ onBillingPage = view.onBillingPage } = {}) {
  view.onBillingPage = onBillingPage;
  const banner = $("#standing-banner");
  const standing = state.me?.standing;
  if (!standing || !BANNER_TONES[standing.state]) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.dataset.tone = BANNER_TONES[standing.state];
  const action = bannerAction(standing);
  banner.replaceChildren(
    el("p", { class: "standing-message", text: standing.message || fallbackMessage(standing) }),
    ...(action ? [action] : []));
  banner.hidden = false;
}

/** Ask the service for the standing again (GET /api/me); the page re-renders the account. */
export async function refreshStanding() {
  const me = await api("/me");
  if (!state.me) return null;  // signed out meanwhile
  state.me = me;
  document.dispatchEvent(new CustomEvent("standing:changed", { detail: me.standing }));
  return me.standing;
}

// ---------------------------------------------------------------------------------------------
// Usage: this month against the limits, and the past months

const METERS = [
  ["admissions", "Admissions this month"],
  ["facilities", "Active facilities"],
  ["users", "Active users"],
];

function fullNote(resource, periodEnd) {
  const who = isOwner() ? "upgrade the plan" : "ask an owner to upgrade the plan";
  if (resource === "admissions") {
    const next = new Date(day(periodEnd).getTime() + 86_400_000);
    return `Limit reached: no more admissions can be saved until ${utcDay.format(next)}. For more now, ${who}.`;
  }
  if (resource === "facilities") return `All in use: to add a facility, deactivate one or ${who}.`;
  return `All in use: to add someone, deactivate a user, withdraw an invitation or ${who}.`;
}

function meterRow(resource, label, meter, { extra = null, periodEnd } = {}) {
  const labelId = `usage-${resource}-label`;
  const { used, limit } = meter;
  const children = [
    el("div", { class: "usage-head" },
      el("span", { id: labelId, class: "usage-label", text: label }),
      el("span", { class: "usage-figure" },
        limit === null ? [el("strong", { text: intFormat.format(used) }), " · no limit"]
                       : [el("strong", { text: intFormat.format(used) }), ` of ${intFormat.format(limit)}`])),
  ];
  if (limit === null) {
    children.push(el("p", { class: "usage-sub", text: "No limit on this plan." }));
  } else {
    const percent = limit > 0 ? Math.min(100, (used / limit) * 100) : 100;
    // Saving is refused at the admissions limit (red); at the others, adding is (amber).
    const full = used >= limit;
    const tone = full ? (resource === "admissions" ? "full" : "high") : percent >= 80 ? "high" : "ok";
    children.push(
      el("div", { class: "usage-track", role: "meter", "aria-labelledby": labelId,
                  "aria-valuemin": "0", "aria-valuemax": String(limit), "aria-valuenow": String(Math.min(used, limit)),
                  "aria-valuetext": `${intFormat.format(used)} of ${intFormat.format(limit)}` },
        el("span", { class: "usage-fill", dataset: { tone }, style: { width: `${percent}%` } })),
      el("p", { class: `usage-sub${full ? ` usage-${tone}` : ""}`,
                text: full ? fullNote(resource, periodEnd)
                           : `${pctFormat.format(meter.percent ?? percent)}% used · ${intFormat.format(limit - used)} left` }));
  }
  if (extra) children.push(el("p", { class: "usage-sub", text: extra }));
  return el("li", { class: "usage-row", dataset: { resource } }, children);
}

function usageCard(usage) {
  const { current } = usage;
  const start = day(current.period_start);
  const end = day(current.period_end);
  const invitations = current.open_invitations
    ? `Plus ${count(current.open_invitations, "open invitation", "open invitations")}, each holding a place until it is accepted, withdrawn or expires.`
    : null;
  return el("section", { class: "card usage-card", "aria-labelledby": "usage-title" },
    el("h3", { id: "usage-title", text: `This month: ${utcMonth.format(start)}` }),
    el("p", { class: "card-intro", text: `Admissions count from ${utcDay.format(start)} to ${utcDay.format(end)} (UTC); facilities and users count while they are active.` }),
    el("ul", { class: "usage-meters" }, METERS.map(([resource, label]) =>
      meterRow(resource, label, current[resource],
               { extra: resource === "users" ? invitations : null, periodEnd: current.period_end }))));
}

function historyCard(history) {
  const body = history.length
    ? (() => {
        const most = Math.max(1, ...history.map((p) => p.admissions));
        return el("div", { class: "table-wrap compact" },
          el("table", { class: "data-table mini history-table" },
            el("caption", { class: "visually-hidden", text: "Usage in past months, newest first" }),
            el("thead", {}, el("tr", {},
              el("th", { scope: "col", text: "Month" }),
              el("th", { scope: "col", text: "Admissions" }),
              el("th", { scope: "col", class: "num", text: "Facilities" }),
              el("th", { scope: "col", class: "num", text: "Users" }))),
            el("tbody", {}, history.map((p) => el("tr", {},
              el("th", { scope: "row", text: utcMonth.format(day(p.period_start)) }),
              el("td", {},
                el("span", { class: "history-bar-cell" },
                  el("span", { class: "history-bar", "aria-hidden": "true" },
                    el("span", { class: "history-fill", style: { width: `${(p.admissions / most) * 100}%` } })),
                  el("span", { class: "history-value", text: intFormat.format(p.admissions) }))),
              el("td", { class: "num", text: p.active_facilities ?? "—" }),
              el("td", { class: "num", text: p.active_users ?? "—" }))))));
      })()
    : el("p", { class: "muted", text: "No past months yet: this is the organization's first month." });
  return el("section", { class: "card history-card", "aria-labelledby": "history-title" },
    el("h3", { id: "history-title", text: "Past months" }),
    history.length ? el("p", { class: "card-intro", text: "Admissions saved in each month; facilities and users active when it closed." }) : null,
    body);
}

// ---------------------------------------------------------------------------------------------
// The plan, the plans, and paying

function liveSubscription(billing) {
  return LIVE_SUBSCRIPTION.has(billing?.subscription_status ?? "");
}

const PAYMENT_STATES = {
  none: ["No payment yet", "muted"],
  paid: ["Paid", "good"],
  past_due: ["Past due", "warn"],
  canceled: ["Canceled", "muted"],
};

function fact(term, ...value) {
  return el("div", {}, el("dt", { text: term }), el("dd", {}, ...value));
}

function problemBox() {
  return $("#billing-problem");
}

function showBillingProblem(error, { offerPortal = false } = {}) {
  if (error instanceof SessionEnded) return;
  const form = $("#billing-problem-holder");
  showProblem(form, error);
  if (offerPortal) {
    problemBox().append(el("p", { class: "problem-action" },
      portalButton({ label: "Open Manage billing" })));
  }
}

function clearBillingProblem() {
  const box = problemBox();
  box.hidden = true;
  box.replaceChildren();
}

async function go(button, path, body) {
  clearBillingProblem();
  await busy(button, async () => {
    try {
      const { url } = path === "/billing/checkout" ? await create(path, body)
        : await api(path, { method: "POST", body });
      window.location.assign(url);
    } catch (error) {
      if (path === "/billing/checkout") sessionStorage.removeItem(CHECKOUT_KEY);
      // 409: already on that plan, or a subscription exists: the portal changes it.
      showBillingProblem(error, { offerPortal: error.status === 409 && view.billing?.has_customer
                                               && path !== "/billing/portal" });
    }
  });
}

function portalButton({ label = "Manage billing" } = {}) {
  return el("button", { type: "button", class: "button secondary", "data-busy-label": "Opening…",
                        onclick: (event) => go(event.currentTarget, "/billing/portal") }, label);
}

function checkoutButton(plan, sameTier) {
  const label = sameTier ? `Choose ${plan.name} again` : `Upgrade to ${plan.name}`;
  return el("button", { type: "button", class: "button primary", "data-busy-label": "Opening checkout…",
                        dataset: { tier: plan.tier },
                        onclick: (event) => {
                          sessionStorage.setItem(CHECKOUT_KEY, plan.tier);
                          go(event.currentTarget, "/billing/checkout", { tier: plan.tier });
                        } }, label);
}

function summaryCard(standing, billing) {
  const facts = [];
  if (standing.state === "trialing" && standing.trial_ends_at) {
    const left = standing.days_left;
    facts.push(fact("Trial ends", `${when.format(new Date(standing.trial_ends_at))}`
      + (left !== null && left !== undefined ? ` (${left === 1 ? "1 day" : `${left} days`} left)` : "")));
  }
  if (standing.state === "past_due" && standing.grace_ends_at) {
    facts.push(fact("Read-only from", when.format(new Date(standing.grace_ends_at)),
                    " unless the invoice is paid"));
  }
  if (billing?.renews_at) {
    facts.push(fact(billing.cancel_at_period_end ? "Ends on" : "Renews on",
                    when.format(new Date(billing.renews_at))));
  }
  if (billing) {
    const [label, tone] = PAYMENT_STATES[billing.payment_state] ?? [billing.payment_state, "info"];
    facts.push(fact("Payment", badge(label, tone)));
  }

  const notes = [];
  const actions = [];
  if (billing && !billing.billing_configured) {
    notes.push(el("p", { class: "note billing-off", text: "Online billing is not set up on this service, so plans cannot be bought or managed here yet. Contact us to change the plan." }));
  } else if (billing && isOwner() && billing.has_customer) {
    actions.push(portalButton());
    notes.push(el("p", { class: "hint", text: "Manage billing opens Stripe's page: the card, invoices, changing or canceling the plan." }));
  }
  if (billing?.cancel_at_period_end && billing.renews_at) {
    notes.push(el("p", { class: "note", text: `The subscription is canceled: the plan stays until ${when.format(new Date(billing.renews_at))}, then the organization becomes read-only. Your data is kept.` }));
  }
  if (!isOwner()) {
    notes.push(el("p", { class: "note", text: "Owners choose the plan and manage billing." }));
  }

  return el("section", { class: "card plan-summary", "aria-labelledby": "plan-summary-title" },
    el("p", { class: "eyebrow", text: "Your plan" }),
    el("h3", { id: "plan-summary-title", class: "plan-name" },
      el("span", { "data-testid": "current-plan", text: standing.plan || TIER_LABELS[standing.tier] || standing.tier }), " ",
      badge(ORG_STATUS_LABELS[standing.state] ?? standing.state,
            { active: "good", trialing: "info", past_due: "warn", read_only: "danger" }[standing.state] ?? "info")),
    facts.length ? el("dl", { class: "facts plan-facts" }, facts) : null,
    actions.length ? el("div", { class: "actions" }, actions) : null,
    notes);
}

function limitText(n, one, many, noun) {
  return n === null || n === undefined ? `No limit on ${noun}` : count(n, one, many);
}

function planCard(plan, index, currentIndex, standing, billing) {
  const current = plan.tier === standing.tier;
  const live = liveSubscription(billing);
  let priceText;
  if (plan.monthly_price_cents === null || plan.monthly_price_cents === undefined) priceText = "By contract";
  else if (plan.monthly_price_cents === 0) priceText = plan.tier === "trial" ? "Free for 14 days" : "Free";
  else priceText = `${price(plan.monthly_price_cents)} a month`;

  // A self-serve plan above the current one; or the current one again when nothing pays for it
  // (a canceled subscription left the organization read-only on it).
  const above = index > currentIndex && standing.tier !== "enterprise";
  const again = current && !live && standing.state === "read_only" && standing.reason !== "suspended";
  let action = null;
  if (plan.self_serve && (above || again) && billing) {
    if (!billing.billing_configured) action = null;  // said once, in the plan summary
    else if (!isOwner()) action = el("p", { class: "plan-note", text: "An owner can choose this plan." });
    else if (live && !again) {
      action = el("p", { class: "plan-note", text: "You have a subscription: change it in Manage billing." });
    } else action = checkoutButton(plan, again);
  } else if (plan.tier === "enterprise" && !current) {
    action = el("p", { class: "plan-note", text: "Contact us for a contract with your own limits." });
  }

  const titleId = `plan-${plan.tier}-title`;
  return el("li", { class: `card plan-card${current ? " current" : ""}`, dataset: { tier: plan.tier } },
    el("div", { class: "plan-card-head" },
      el("h4", { id: titleId, text: plan.name }),
      current ? badge("Current plan", "good") : null),
    el("p", { class: "plan-price", text: priceText }),
    el("ul", { class: "plan-limits" },
      el("li", { text: limitText(plan.max_facilities, "facility", "facilities", "facilities") }),
      el("li", { text: limitText(plan.max_users, "user", "users", "users") }),
      el("li", { text: plan.max_admissions === null ? "No limit on admissions"
                                                    : `${count(plan.max_admissions, "admission", "admissions")} a month` })),
    action ? el("div", { class: "plan-action" }, action) : null);
}

function plansSection(standing, billing) {
  const plans = billing.plans;
  const currentIndex = plans.findIndex((p) => p.tier === standing.tier);
  return el("section", { class: "plans", "aria-labelledby": "plans-title" },
    el("h3", { id: "plans-title", text: "Plans" }),
    el("ul", { class: "plan-cards" },
      plans.map((plan, index) => planCard(plan, index, currentIndex, standing, billing))));
}

const INVOICE_TONES = { paid: "good", open: "warn", uncollectible: "danger", void: "muted", draft: "muted" };

function invoicesCard(billing) {
  const rows = billing.invoices.map((inv) => el("tr", {},
    el("th", { scope: "row" },
      inv.hosted_invoice_url
        ? el("a", { href: inv.hosted_invoice_url, target: "_blank", rel: "noopener noreferrer" },
             inv.number || inv.id, el("span", { class: "visually-hidden", text: " (opens a new tab)" }))
        : inv.number || inv.id),
    el("td", { class: "nowrap", text: when.format(new Date(inv.created_at)) }),
    el("td", { class: "num", text: price(inv.status === "paid" ? inv.amount_paid_cents : inv.amount_due_cents, inv.currency) }),
    el("td", {}, badge(inv.status ? inv.status.charAt(0).toUpperCase() + inv.status.slice(1) : "—",
                       INVOICE_TONES[inv.status] ?? "info")),
    el("td", {},
      inv.invoice_pdf
        ? el("a", { href: inv.invoice_pdf, target: "_blank", rel: "noopener noreferrer" },
             "PDF", el("span", { class: "visually-hidden", text: ` of invoice ${inv.number || inv.id} (opens a new tab)` }))
        : "—")));
  return el("section", { class: "card invoices-card", "aria-labelledby": "invoices-title" },
    el("h3", { id: "invoices-title", text: "Invoices" }),
    rows.length
      ? el("div", { class: "table-wrap compact" },
          el("table", { class: "data-table mini" },
            el("caption", { class: "visually-hidden", text: "Invoices, newest first" }),
            el("thead", {}, el("tr", {},
              el("th", { scope: "col", text: "Invoice" }), el("th", { scope: "col", text: "Date" }),
              el("th", { scope: "col", class: "num", text: "Amount" }), el("th", { scope: "col", text: "Status" }),
              el("th", { scope: "col", text: "Download" }))),
            el("tbody", {}, rows)))
      : el("p", { class: "muted", text: "No invoices yet." }));
}

function render() {
  const { usage, billing } = view;
  const standing = billing?.standing ?? usage?.standing ?? state.me?.standing;
  const parts = [];
  if (standing) parts.push(el("div", { class: "billing-top" },
    summaryCard(standing, billing), usage ? usageCard(usage) : null));
  if (view.billingError) {
    parts.push(el("p", { class: "notice", dataset: { tone: "error" },
                         text: `Could not load the plans and billing: ${problemText(view.billingError)}` }));
  }
  if (billing) parts.push(plansSection(standing, billing));
  const bottom = [];
  if (usage) bottom.push(historyCard(usage.history));
  if (billing) bottom.push(invoicesCard(billing));
  if (bottom.length) parts.push(el("div", { class: "billing-bottom" }, bottom));
  $("#billing-body").replaceChildren(...parts);
}

async function load() {
  const [usage, billing] = await Promise.allSettled([api("/usage"), api("/billing")]);
  for (const result of [usage, billing]) {
    if (result.status === "rejected" && result.reason instanceof SessionEnded) throw result.reason;
  }
  if (usage.status === "rejected" && billing.status === "rejected") throw usage.reason;
  view.usage = usage.status === "fulfilled" ? usage.value : null;
  view.billing = billing.status === "fulfilled" ? billing.value : null;
  view.billingError = billing.status === "rejected" ? billing.reason : null;
  // What these say is the freshest standing: the banner and the account follow it.
  const standing = view.billing?.standing ?? view.usage?.standing;
  if (standing && state.me && JSON.stringify(standing) !== JSON.stringify(state.me.standing)) {
    state.me.standing = standing;
    document.dispatchEvent(new CustomEvent("standing:changed", { detail: standing }));
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Back from Checkout

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Stripe sent the browser back: the plan changes when its webhook arrives (usually before). */
async function confirmCheckout(status) {
  const chosen = sessionStorage.getItem(CHECKOUT_KEY);
  sessionStorage.removeItem(CHECKOUT_KEY);
  announce(status, "Payment received. Confirming your plan…", "info");
  let standing = null;
  for (let attempt = 0; attempt < CONFIRM_TRIES; attempt += 1) {
    standing = await refreshStanding();
    if (!standing) return;
    const done = standing.state === "active" && (!chosen || standing.tier === chosen);
    if (done) {
      announce(status, `Thank you: payment received. ${state.me.organization.name} is on the `
                       + `${standing.plan} plan now, with its limits.`, "good");
      return;
    }
    await sleep(1000);
  }
  announce(status, "Payment received. Stripe is still confirming it: the plan changes here within "
                   + "a few minutes. Reload this page to check.", "info");
}

// ---------------------------------------------------------------------------------------------

export async function showBilling({ focus = false, query = null } = {}) {
  const status = $("#billing-status");
  const checkout = query?.get("checkout");
  clearBillingProblem();
  if (checkout) {
    // Said once: a reload of the address does not say it again.
    history.replaceState(null, "", "#billing");
    if (checkout === "success") await confirmCheckout(status);
    else {
      sessionStorage.removeItem(CHECKOUT_KEY);
      announce(status, "Checkout was canceled: nothing was charged and the plan is unchanged.", "info");
    }
  } else announce(status, "");
  $("#billing-body").setAttribute("aria-busy", "true");
  try {
    await load();
  } finally {
    $("#billing-body").removeAttribute("aria-busy");
  }
  if (checkout) status.focus();
  else if (focus) $("#billing-title").focus();
}

export function resetBilling() {
  Object.assign(view, { usage: null, billing: null, billingError: null, onBillingPage: false });
  $("#billing-body").replaceChildren();
  clearBillingProblem();
  announce($("#billing-status"), "");
  const banner = $("#standing-banner");
  banner.hidden = true;
  banner.replaceChildren();
}
