// One confirmation dialog for the whole page (a native <dialog>: focus kept inside, Escape
// cancels, focus returns to the opener).

import { $ } from "./dom.js";

export function confirmDialog({ title, text, confirm = "Confirm", cancel = "Cancel", danger = true }) {
  const dialog = $("#confirm-dialog");
  const cancelButton = $('button[value="cancel"]', dialog);
  const confirmButton = $('button[value="confirm"]', dialog);
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  cancelButton.textContent = cancel;
  confirmButton.textContent = confirm;
  confirmButton.className = `button ${danger ? "danger" : "primary"}`;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const finish = (value) => {
      cancelButton.onclick = null;
      confirmButton.onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(value === "confirm");
    };
    cancelButton.onclick = () => finish("cancel");
    confirmButton.onclick = () => finish("confirm");
    dialog.onclose = () => finish("cancel");  // Escape
    dialog.showModal();
    cancelButton.focus();
  });
}
