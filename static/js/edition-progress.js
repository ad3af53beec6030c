// Live progress of an edition being sent: polls the admin's JSON endpoint and updates the
// status panel. Without JavaScript the panel's "Refresh" link does the same by hand.
(function () {
  "use strict";
  const panel = document.querySelector(".edition-status[data-progress-url]");
  if (!panel) return;
  const url = panel.dataset.progressUrl;
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);

  function show(state) {
    for (const name of ["status_label", "sent", "failed", "skipped", "remaining", "total", "percent", "temporary_errors", "last_error"]) {
      const element = field(name);
      if (element) element.textContent = String(state[name]);
    }
    const bar = field("progress");
    if (bar) {
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      bar.textContent = `${state.percent}%`;
    }
    const errors = field("error_summary");
    if (errors) errors.hidden = !state.temporary_errors;
    const resume = field("resume");
    if (resume) resume.hidden = state.status !== "sending";
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        if (!field("progress") && state.status !== "scheduled") {
          window.location.reload(); // it started (or went back to draft): show the new panel
          return;
        }
        show(state);
        if (state.status !== "sending" && state.status !== "scheduled") return;
      }
    } catch (error) {
      // The next poll tries again; the Refresh link still works.
    }
    window.setTimeout(poll, 2000);
  }

  window.setTimeout(poll, 1000);
})();
