// Keyboard-first review. No inline scripts (the CSP forbids them): this file binds the keys.
// j/k next/previous segment, a/r accept/reject the chosen code, arrow keys choose a code,
// 1-9 add a code, n "nothing (more) applies" (also saves the memo), m memo, u undo.
(function () {
  "use strict";
  let selected = 0;

  function rows() { return Array.from(document.querySelectorAll("#panel tr.code-row")); }

  function select(index) {
    const all = rows();
    all.forEach(function (row) { row.classList.remove("selected"); });
    if (!all.length) { return; }
    selected = Math.max(0, Math.min(index, all.length - 1));
    all[selected].classList.add("selected");
  }

  function selectFirstUndecided() {
    const all = rows();
    const open = all.findIndex(function (row) { return row.classList.contains("undecided"); });
    select(open >= 0 ? open : Math.min(selected, all.length - 1));
  }

  function click(selector) {
    const element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (!document.getElementById("panel")) {
      // On the queue page, j starts reviewing at the first open segment.
      if (event.key === "j" && click("#start")) { event.preventDefault(); }
      return;
    }
    const row = rows()[selected];
    let handled = true;
    switch (event.key) {
      case "j": handled = click("#next"); break;
      case "k": handled = click("#prev"); break;
      case "a": handled = !!row && !!row.querySelector("button.accept") && (row.querySelector("button.accept").click(), true); break;
      case "r": handled = !!row && !!row.querySelector("button.reject") && (row.querySelector("button.reject").click(), true); break;
      case "ArrowDown": select(selected + 1); break;
      case "ArrowUp": select(selected - 1); break;
      case "n": handled = click("#done"); break;
      case "u": handled = click("#undo button"); break;
      case "m": { const memo = document.getElementById("memo"); if (memo) { memo.focus(); } else { handled = false; } break; }
      default:
        if (/^[1-9]$/.test(event.key)) { handled = click('button.quick[data-key="' + event.key + '"]'); }
        else { handled = false; }
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("htmx:afterSwap", selectFirstUndecided);
  document.addEventListener("DOMContentLoaded", function () {
    selectFirstUndecided();
    document.documentElement.dataset.keys = "ready";  // lets tests (and impatient fingers) know
  });
})();
