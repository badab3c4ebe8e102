// What the signed-in screens share: who is signed in, the reference data, the organization's
// facilities and payers (names for lists; choices for forms).

import { allPages, api } from "./api.js";

const ORDER = ["owner", "admin", "coordinator", "viewer"];

export const state = {
  me: null,            // GET /api/me
  organization: null,  // GET /api/organization (profile: color, logo)
  reference: null,     // GET /api/reference
  facilities: null,    // every facility, inactive too
  payers: null,        // every payer, inactive too
};

export function roleAtLeast(role) {
  const mine = ORDER.indexOf(state.me?.user?.role);
  return mine >= 0 && mine <= ORDER.indexOf(role);
}

/** Owners and admins: configuration, team, organization settings. */
export const canAdminister = () => roleAtLeast("admin");
/** A closed organization is read-only until it is reopened (writes answer 409). */
export const isClosed = () => state.me?.standing?.reason === "closed";
/** Coordinators and above: evaluate, save and decide referrals. */
export const canDecide = () => roleAtLeast("coordinator");

export function resetState() {
  for (const key of Object.keys(state)) state[key] = null;
}

export async function loadReference() {
  state.reference ??= await api("/reference");
  return state.reference;
}

/** Facilities and payers, loaded once per sign-in; `force` after they change. */
export async function loadLookups({ force = false } = {}) {
  if (force || !state.facilities || !state.payers) {
    const [facilities, payers] = await Promise.all([
      allPages("/facilities", { include_inactive: "true" }),
      allPages("/payers", { include_inactive: "true" }),
    ]);
    state.facilities = facilities.sort((a, b) => a.name.localeCompare(b.name));
    state.payers = payers.sort((a, b) => a.name.localeCompare(b.name));
  }
  return { facilities: state.facilities, payers: state.payers };
}

export function invalidateLookups() {
  state.facilities = null;
  state.payers = null;
}

export const facilityName = (id) => state.facilities?.find((f) => f.id === id)?.name ?? "Unknown facility";
export const payerOf = (id) => state.payers?.find((p) => p.id === id) ?? null;
export const payerName = (id) => payerOf(id)?.name ?? "Unknown payer";

export function optionLabel(list, code) {
  return state.reference?.[list]?.find((o) => o.code === code)?.label ?? code;
}
export const payerTypeLabel = (code) => optionLabel("payer_types", code);
export const serviceLabel = (code) => optionLabel("services", code);
/** "Low: stable, mostly ..." -> "Low" */
export const acuityName = (code) => optionLabel("acuity_levels", code).split(":")[0];
