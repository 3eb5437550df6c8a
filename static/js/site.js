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

  // Behaviour that templates would otherwise write inline (hx-on, <script> in HTMX fragments),
  // which the Content-Security-Policy refuses: the markup says what, this file does it.

  // <button data-remove-closest="[data-row]">: removes that ancestor (availability rows).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-closest]");
    if (!button) return;
    var target = button.closest(button.getAttribute("data-remove-closest"));
    if (target) target.remove();
  });
  // <button data-hide-empty-after-request>: its day no longer says "Not available" once a row
  // has been added.
  document.addEventListener("htmx:afterRequest", function (event) {
    var button = event.target.closest && event.target.closest("[data-hide-empty-after-request]");
    if (!button) return;
    var empty = button.closest("[data-day]").querySelector("[data-empty]");
    if (empty) empty.classList.add("hidden");
  });

  // A reader's queue: the turn (data-queue-offer, swapped in by polling) is brought into view once
  // per offer (it may be below the fold on a phone), and [data-queue-countdown] ticks between polls.
  var shownOffer = null;
  var countdownTimer = null;
  function tickCountdowns() {
    var found = document.querySelectorAll("[data-queue-countdown]");
    found.forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-queue-countdown"));
      if (!isNaN(until)) el.textContent = String(Math.max(0, Math.round((until - Date.now()) / 1000)));
    });
    return found.length;
  }
  function queueOffer() {
    var offer = document.querySelector("[data-queue-offer]");
    if (offer && offer.getAttribute("data-queue-offer") !== shownOffer) {
      shownOffer = offer.getAttribute("data-queue-offer");
      offer.scrollIntoView({block: "center", behavior: "smooth"});
    }
    if (!countdownTimer && tickCountdowns()) {
      countdownTimer = window.setInterval(function () {
        if (!tickCountdowns()) {
          window.clearInterval(countdownTimer);
          countdownTimer = null;
        }
      }, 1000);
    }
  }
  document.addEventListener("DOMContentLoaded", queueOffer);
  document.addEventListener("htmx:load", queueOffer);

  // A message thread opens at its first unread message (or its newest), and shows the newest
  // again after the person's own post; the paid question's button names the chosen price.
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-thread-live]")) return;
    var firstNew = document.querySelector("[data-first-new]");
    var end = firstNew || document.getElementById("thread-end");
    if (end) end.scrollIntoView({block: firstNew ? "center" : "nearest"});
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "thread-body") return;
    var end = document.getElementById("thread-end");
    if (end) end.scrollIntoView({block: "nearest"});
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=radio][data-price]")) return;
    var label = input.form && input.form.querySelector("[data-chosen-price]");
    if (label) label.textContent = input.getAttribute("data-price");
  });
})();
