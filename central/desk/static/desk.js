// The web desk's only script of its own (the Content-Security-Policy allows no inline code):
// warns before the session ends and goes to the sign-in page when it has ended. It stores
// nothing in the browser.
(function () {
  "use strict";
  function tick() {
    var body = document.body;
    var end = parseInt(body.getAttribute("data-session-end") || "0", 10);
    var before = parseInt(body.getAttribute("data-warn-before") || "600", 10);
    var box = document.getElementById("session-warning");
    if (!end || !box) { return; }
    var left = end - Math.floor(Date.now() / 1000);
    if (left <= 0) {
      box.textContent = box.getAttribute("data-ended");
      box.hidden = false;
      window.location.assign("/desk/signin");
    } else if (left <= before) {
      var minutes = Math.ceil(left / 60); // the English singular for 1, as the server says it
      box.textContent = box.getAttribute(minutes === 1 ? "data-text-one" : "data-text")
        .replace("%n", String(minutes));
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  window.setInterval(tick, 15000);
}());
