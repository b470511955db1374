// Search snippets from file:// (loaded on search.html only, by
// _ext/offline_search.py). Sphinx's searchtools.js fetch()es every hit's
// page to cut a snippet; a file:// page may not fetch another file (one
// CORS error per hit, no snippets). window.BOOK_SEARCH_PAGES, written at
// build time into search-pages.js, holds each page's text; this answers
// those requests from it and passes every other request to the real fetch.
(() => {
  "use strict";
  const pages = window.BOOK_SEARCH_PAGES || {};
  const realFetch = window.fetch ? window.fetch.bind(window) : null;

  function docName(input) {
    const href = typeof input === "string" ? input : input && input.url;
    if (!href) return null;
    const url = new URL(href, document.baseURI);
    const root = new URL(
      document.documentElement.dataset.content_root || "./",
      document.baseURI,
    );
    if (url.protocol !== root.protocol || url.host !== root.host) return null;
    if (!url.pathname.startsWith(root.pathname)) return null;
    const rel = decodeURIComponent(url.pathname.slice(root.pathname.length));
    const name = rel.replace(/\.html$/, "");
    return Object.prototype.hasOwnProperty.call(pages, name) ? name : null;
  }

  window.fetch = (input, init) => {
    const name = docName(input);
    if (name !== null) {
      return Promise.resolve(
        new Response(pages[name], {
          status: 200,
          headers: { "Content-Type": "text/html; charset=utf-8" },
        }),
      );
    }
    if (realFetch) return realFetch(input, init);
    return Promise.reject(new TypeError("fetch is not available"));
  };
})();
