// Highlight a node's links in the actor–initiative network on hover or keyboard focus.
(function () {
  "use strict";
  function wire(svg) {
    if (svg.getAttribute("data-wired")) { return; }
    svg.setAttribute("data-wired", "1");
    var links = Array.prototype.slice.call(svg.querySelectorAll(".edges line"));
    var nodes = {};
    svg.querySelectorAll(".nodes a").forEach(function (a) { nodes[a.getAttribute("data-id")] = a; });
    function on(id) {
      svg.classList.add("focus");
      nodes[id].classList.add("on");
      links.forEach(function (l) {
        var a = l.getAttribute("data-a"), b = l.getAttribute("data-b");
        if (a === id || b === id) {
          l.classList.add("on");
          var other = a === id ? b : a;
          if (nodes[other]) { nodes[other].classList.add("on"); }
        }
      });
    }
    function off() {
      svg.classList.remove("focus");
      svg.querySelectorAll(".on").forEach(function (el) { el.classList.remove("on"); });
    }
    Object.keys(nodes).forEach(function (id) {
      var a = nodes[id];
      a.addEventListener("mouseenter", function () { on(id); });
      a.addEventListener("mouseleave", off);
      a.addEventListener("focus", function () { on(id); });
      a.addEventListener("blur", off);
    });
  }
  function wireAll() { document.querySelectorAll("svg.network").forEach(wire); }
  wireAll();
  document.addEventListener("htmx:afterSettle", wireAll);
})();
