// PaaSTech Cloud console: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Environment values are hidden until asked for.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.reveal");
    if (!button) return;
    const input = button.closest("tr").querySelector("input[name=env_value]");
    const shown = input.type === "text";
    input.type = shown ? "password" : "text";
    button.textContent = shown ? "Show" : "Hide";
  });
  const add = document.getElementById("add-env");
  if (add) add.addEventListener("click", () => {
    const rows = document.querySelector("#env-rows tbody");
    const last = rows.lastElementChild.cloneNode(true);
    last.querySelectorAll("input").forEach((input) => { input.value = ""; });
    rows.appendChild(last);
    last.querySelector("input").focus();
  });
  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; } catch { button.textContent = "Select and copy"; }
    });
  });
  // Typed confirmations: the button stays disabled until the name matches (the server checks again).
  document.querySelectorAll("form[data-confirm-name]").forEach((form) => {
    const input = form.querySelector("input[name=confirm]");
    const button = form.querySelector("button.danger");
    const update = () => { button.disabled = input.value !== form.dataset.confirmName; };
    input.addEventListener("input", update);
    update();
  });
  // Live logs: new lines arrive as server-sent events and are appended as text (never as HTML).
  const log = document.getElementById("log");
  if (log && log.dataset.stream && window.EventSource) {
    const state = document.getElementById("log-state");
    const source = new EventSource(log.dataset.stream);
    source.onmessage = (event) => {
      const line = JSON.parse(event.data);
      const span = document.createElement("span");
      if (line.stream === "stderr") span.className = "stderr";
      span.textContent = `${line.time.slice(11, 19)} ${line.instance} ${line.text}\n`;
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.appendChild(span);
      if (atBottom) log.scrollTop = log.scrollHeight;
      const empty = document.getElementById("log-empty");
      if (empty) empty.remove();
    };
    source.addEventListener("end", () => { source.close(); if (state) state.textContent = "The log stream ended."; });
    source.onerror = () => { if (state) state.textContent = "Reconnecting to the log stream…"; };
    source.onopen = () => { if (state) state.textContent = "Following new lines live."; };
  }
});
