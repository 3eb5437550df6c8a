// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Dismissible alerts / toasts.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (!button) return;
    var box = button.closest("[data-dismissible]");
    if (box) box.remove();
  });

  // Close the mobile menu with Escape, and when clicking outside it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Disable submit buttons while a normal (non-HTMX) form posts, so it is not sent twice.
  // Deferred so the clicked button's name/value is still part of the submission.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("hx-post") || form.method.toLowerCase() !== "post") return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
  });

  // Pages restored from the back/forward cache must not keep their buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
  // HTMX forms get the .htmx-request class while posting; site.css dims and blocks their buttons.

  // CSRF for HTMX requests: the token comes from the csrftoken cookie (CSRF_COOKIE_HTTPONLY is
  // off for this), not from the page, so pages without forms stay free of per-visitor tokens and
  // can be cached. Forms still carry {% csrf_token %}; without a cookie, fall back to a token
  // field on the page.
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get") return;
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRFToken"] = token;
  });
})();
