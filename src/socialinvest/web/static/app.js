// socialinvest: a little JavaScript of our own. Every page works without it; it only
// (1) shows the fields that belong to the chosen kind (cost type, distribution, price source),
// (2) previews the key figures while a step is being filled in, and
// (3) follows a running job's progress.
"use strict";
(function () {
  document.documentElement.classList.add("js");

  function toggle(container, attribute, chosen) {
    container.querySelectorAll("[" + attribute + "]").forEach(function (el) {
      var wanted = el.getAttribute(attribute).split(" ");
      if (wanted.indexOf(chosen) >= 0) { el.removeAttribute("data-hidden"); } else { el.setAttribute("data-hidden", ""); }
    });
  }

  function bind(select, container, attribute) {
    if (!select || !container) { return; }
    var update = function () { toggle(container, attribute, select.value); };
    select.addEventListener("change", update);
    update();
  }

  function setUp() {
    document.querySelectorAll("fieldset[data-cost]").forEach(function (card) {
      bind(card.querySelector(".cost-type select"), card, "data-for");
    });
    document.querySelectorAll("fieldset[data-uncertain]").forEach(function (set) {
      var kind = set.querySelector("select[data-kind]");
      var params = { value: ["value"], beta: ["mean", "sd"], normal: ["mean", "sd"], lognormal: ["mean", "sd"],
        gamma: ["mean", "sd"], pert: ["min", "mode", "max"], triangular: ["min", "mode", "max"], uniform: ["min", "max"] };
      var update = function () {
        var shown = params[kind.value] || ["value"];
        set.querySelectorAll("[data-param]").forEach(function (el) {
          if (shown.indexOf(el.getAttribute("data-param")) >= 0) { el.removeAttribute("data-hidden"); } else { el.setAttribute("data-hidden", ""); }
        });
      };
      kind.addEventListener("change", update);
      update();
    });
    var mode = document.querySelector(".success-mode select");
    if (mode) { bind(mode, mode.form, "data-mode"); }
    document.querySelectorAll("fieldset[data-consequence]").forEach(function (card) {
      bind(card.querySelector(".price-mode select"), card, "data-price");
    });
    preview();
    follow();
  }

  function preview() {
    var form = document.querySelector("form[data-preview]");
    var out = document.getElementById("preview");
    if (!form || !out) { return; }
    var timer = null;
    var ask = function () {
      var body = new FormData(form);
      body.set("action", "preview");
      fetch(form.getAttribute("data-preview"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content }
      }).then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { out.innerHTML = html; })  // server-rendered, escaped by Jinja2
        .catch(function () { out.textContent = ""; });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 700); });
  }

  function follow() {
    var box = document.querySelector("[data-job]");
    if (!box) { return; }
    var status = box.getAttribute("data-status");
    if (status !== "queued" && status !== "running") { return; }
    var id = box.getAttribute("data-job");
    var bar = document.getElementById("job-progress");
    var poll = function () {
      fetch("/api/v1/jobs/" + id, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (bar) { bar.value = job.progress || 0; }
          if (job.status === "queued" || job.status === "running") { setTimeout(poll, 700); }
          else { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 500);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
})();
