// Plain words for what the API says in codes and numbers: hard stops as sentences, waits in
// minutes. The API keeps its codes (integrations read them); people read these.

/** A wait in seconds as people say it: "15 minutes", "1 minute", "40 seconds". */
export function waitInWords(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return "a moment";
  if (s < 60) return `${Math.ceil(s)} seconds`;
  const minutes = Math.ceil(s / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** A hard stop (code and the engine's note) as a sentence about this facility. */
export function hardStopSentence(stop) {
  const message = String(stop.message ?? "");
  switch (stop.code) {
    case "service_not_provided": {
      const services = message.replace(/^cannot provide:\s*/i, "");
      return `This facility does not provide ${services}.`;
    }
    case "margin_below_floor": {
      const [margin, floor] = message.match(/-?\d+(\.\d+)?%/g) ?? [];
      return margin && floor ? `The margin, ${margin}, is under your floor of ${floor}.`
                             : `${capital(message)}.`;
    }
    case "no_bed":
      return "This facility has no free bed: its census is at its bed count.";
    default:
      return /[.!?]$/.test(message) ? capital(message) : `${capital(message)}.`;
  }
}
