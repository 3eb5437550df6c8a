// A product page's photos (templates/shop/product_page.html). Without this file each thumbnail
// is a link to its photo in the strip; with it, a thumbnail scrolls the strip alone (the page
// stays where it is) and the thumbnail of the photo shown is marked, also after a swipe.
(function () {
  "use strict";

  function mark(gallery, index) {
    gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (thumb, n) {
      if (n === index) thumb.setAttribute("aria-current", "true");
      else thumb.removeAttribute("aria-current");
    });
  }

  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var strip = gallery.querySelector("[data-gallery-strip]");
    var thumbs = gallery.querySelectorAll("[data-gallery-thumb]");
    if (!strip) return;

    thumbs.forEach(function (thumb, index) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        strip.scrollTo({ left: index * strip.clientWidth, behavior: reduce ? "auto" : "smooth" });
        mark(gallery, index);
      });
    });

    var pending = 0;
    strip.addEventListener("scroll", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        mark(gallery, Math.round(strip.scrollLeft / Math.max(strip.clientWidth, 1)));
      }, 80);
    });
  });
})();
