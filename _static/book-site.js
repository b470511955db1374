// The book's site-level behaviour (loaded on every page via html_js_files).
//
// 1. Drawers and sidebar toggle on every width.
//    pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 (pinned in
//    requirements.txt) each render a `.primary-toggle` (and a
//    `.secondary-toggle`): one in the pydata header, which the book theme
//    hides, and one in the article header, which the reader sees. Both
//    themes bind their click handlers with document.querySelector(), so only
//    the first, hidden button works: below 992 px neither drawer opens, and
//    at desktop width the sidebar does not collapse. Upstream:
//    pydata-sphinx-theme issue 2451, sphinx-book-theme issue 988 (and #935);
//    the open sphinx-book-theme pull request 991 binds every toggle. Until a
//    released theme carries a fix, this shim forwards a click on any other
//    toggle to the first one, so the themes' own handlers (the modal drawer
//    below 992 px, the collapsing sidebar above) do the work unchanged.
//    Remove it when the pins move to a theme release with the fix.
//
// 2. "It scrolls" hint. Wide display math, tables and code scroll sideways
//    inside their own box (book.css); on a phone nothing showed that they
//    continue. A box that overflows gets the class bp-scroll-x, and
//    bp-more-right / bp-more-left while there is more to see on that side;
//    book.css fades that edge and draws a small arrow.
//
// 3. Print: each explorer control (a generic input or select inside a
//    [data-explorer] root) gets a .bp-print-value span with its value as
//    text, kept current as the reader moves it; book.css hides the widget
//    and shows the span in print. window.bookPreparePrint() refreshes them
//    (tools/book_pdf.py calls it; the browser's print runs it on
//    beforeprint). A range followed by an <output> already shows its value.
//
// 4. Notebooks and the archive are saved, not opened as raw text (the PDF
//    opens in the browser's viewer).
(() => {
  "use strict";

  const TOGGLES = [".primary-toggle", ".secondary-toggle"];

  function forwardToggles() {
    for (const selector of TOGGLES) {
      const all = Array.from(document.querySelectorAll(selector));
      const bound = all[0]; // the one both themes' handlers are bound to
      for (const button of all.slice(1)) {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          bound.click();
          button.blur(); // the theme blurs its own button to drop the tooltip
        });
      }
    }
  }

  const SCROLLERS = [
    'mjx-container[display="true"]',
    "article table",
    ".cell_output table",
    "article div.highlight pre",
  ].join(", ");

  function markScroll(box) {
    const over = box.scrollWidth - box.clientWidth > 1;
    box.classList.toggle("bp-scroll-x", over);
    box.classList.toggle(
      "bp-more-right",
      over && box.scrollLeft + box.clientWidth < box.scrollWidth - 1,
    );
    box.classList.toggle("bp-more-left", over && box.scrollLeft > 1);
    if (over && !box.hasAttribute("tabindex")) {
      // A scrolling box must be reachable by keyboard to be scrolled.
      box.setAttribute("tabindex", "0");
      box.dataset.bpTabindex = "added";
    } else if (!over && box.dataset.bpTabindex === "added") {
      box.removeAttribute("tabindex");
      delete box.dataset.bpTabindex;
    }
  }

  function watchScrollers() {
    const seen = new WeakSet();
    const resize = new ResizeObserver((entries) => {
      for (const entry of entries) markScroll(entry.target);
    });
    const scan = () => {
      for (const box of document.querySelectorAll(SCROLLERS)) {
        if (seen.has(box)) continue;
        seen.add(box);
        resize.observe(box);
        box.addEventListener("scroll", () => markScroll(box), {
          passive: true,
        });
        markScroll(box);
      }
    };
    scan();
    // MathJax replaces the TeX with mjx-container elements after load.
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(scan);
    }
    window.addEventListener("load", () => {
      scan();
      const wait = setInterval(() => {
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
          clearInterval(wait);
          MathJax.startup.promise.then(scan);
        }
      }, 100);
      setTimeout(() => clearInterval(wait), 20000);
    });
  }

  const CONTROLS =
    "[data-explorer] input:not([type=hidden]):not([type=checkbox])" +
    ":not([type=radio]):not([type=button]), [data-explorer] select";

  function valueText(control) {
    if (control.tagName === "SELECT") {
      const option = control.options[control.selectedIndex];
      return option ? option.text : "";
    }
    return control.getAttribute("aria-valuetext") || control.value;
  }

  function syncPrintValue(control) {
    const next = control.nextElementSibling;
    if (control.type === "range" && next && next.tagName === "OUTPUT") {
      return;
    }
    let span = next && next.classList.contains("bp-print-value") ? next : null;
    if (span === null) {
      span = document.createElement("span");
      span.className = "bp-print-value";
      span.setAttribute("aria-hidden", "true");
      control.after(span);
    }
    span.textContent = valueText(control);
  }

  function preparePrint() {
    for (const control of document.querySelectorAll(CONTROLS)) {
      syncPrintValue(control);
    }
  }

  function watchControls() {
    const update = (event) => {
      const control = event.target;
      if (control instanceof Element && control.matches(CONTROLS)) {
        syncPrintValue(control);
      }
    };
    document.addEventListener("input", update, true);
    document.addEventListener("change", update, true);
    window.addEventListener("beforeprint", preparePrint);
    window.bookPreparePrint = preparePrint;
  }

  function markDownloads() {
    const links = document.querySelectorAll(
      'a[href$=".ipynb"], a[href$=".zip"]',
    );
    for (const a of links) {
      if (!a.hasAttribute("download")) a.setAttribute("download", "");
    }
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(forwardToggles);
  ready(watchScrollers);
  ready(markDownloads);
  ready(watchControls);
})();
