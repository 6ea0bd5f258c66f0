// On a notice page served by `loa run`: refresh "N of M boards acknowledged" from the live count.
// The static page already shows the count from when it was written; on any other web server the
// request fails and that text stays.
(function () {
  "use strict";
  var el = document.querySelector("dd.acks[data-acks]");
  if (!el || !window.fetch) return;
  fetch(el.getAttribute("data-acks"), { cache: "no-store" }).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (c) {
    if (c && c.boards && String(c.version) === el.getAttribute("data-version")) {
      el.textContent = c.acknowledged + " trên " + c.boards + " bảng tin đã xác nhận hiển thị";
    }
  }).catch(function () {});
})();
