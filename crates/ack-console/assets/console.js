// Live regions: when the page's event stream (body[data-stream]) says something happened, the
// page's live part (#live) is fetched again from the same URL with part=live and swapped in.
// Without JavaScript every page still works; it is only not live.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-stream");
  var region = document.getElementById("live");
  if (!url || !region || !window.EventSource) return;
  var timer = null;
  function refresh() {
    timer = null;
    var u = new URL(window.location.href);
    u.searchParams.set("part", "live");
    fetch(u.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // Not while someone is using a control in the region: later.
        var active = document.activeElement;
        if (active && active !== document.body && region.contains(active)) {
          timer = setTimeout(refresh, 1000);
          return;
        }
        // Swapped only when it changed: a swap drops the keyboard focus and any half-made
        // choice in the region's forms.
        var next = document.createElement("template");
        next.innerHTML = html;
        if (next.innerHTML !== region.innerHTML) region.innerHTML = next.innerHTML;
        region.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {});
  }
  function soon() { if (!timer) timer = setTimeout(refresh, 150); }
  var stream = new EventSource(url);
  (document.body.getAttribute("data-types") || "").split(" ").forEach(function (t) {
    if (t) stream.addEventListener(t, soon);
  });
  stream.onmessage = soon;
  // What happened between the page's render and the stream's opening is not missed.
  stream.onopen = soon;
})();
