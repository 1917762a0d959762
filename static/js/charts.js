// Leadlens chart bootstrap. Charts are server-built ECharts options carried as JSON in the
// data-chart-options attribute of a <div data-chart="ID"> (or, for older pages, in the
// <script type="application/json" id="ID"> it names); this one static script turns them into
// charts, so the Content-Security-Policy needs no inline script. The attribute survives htmx
// swaps, which drop every <script> element under the page's allowScriptTags:false. Charts fill
// their container and follow window resizes; htmx swaps re-run the initialisation.
(function () {
  "use strict";
  var charts = [];

  function formatter(name) {
    // Options cannot carry JS functions (they are JSON); a few named formatters cover the needs.
    switch (name) {
      case "percent":
        return function (v) { return (v == null ? "–" : v.toFixed(1) + "%"); };
      case "money":
        return function (v) { return (v == null ? "–" : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 })); };
      default:
        return undefined;
    }
  }

  function applyFormatters(opts) {
    ["yAxis", "xAxis"].forEach(function (k) {
      var axes = opts[k];
      if (!axes) return;
      (Array.isArray(axes) ? axes : [axes]).forEach(function (ax) {
        if (ax && ax.axisLabel && typeof ax.axisLabel.formatter === "string" && ax.axisLabel.formatter.indexOf("fmt:") === 0) {
          ax.axisLabel.formatter = formatter(ax.axisLabel.formatter.slice(4));
        }
      });
    });
    return opts;
  }

  // Charts whose element left the page (an htmx swap replaced it) are disposed, so their
  // listeners and canvases do not pile up.
  function prune() {
    charts = charts.filter(function (c) {
      if (c.isDisposed()) return false;
      if (document.body.contains(c.getDom())) return true;
      c.dispose();
      return false;
    });
  }

  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;

  function init(root) {
    if (typeof echarts === "undefined") return;
    prune();
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartReady === "1") return;
      var raw = el.dataset.chartOptions;
      if (raw == null) {
        var src = document.getElementById(el.dataset.chart);
        if (!src) return;
        raw = src.textContent;
      }
      var opts;
      try { opts = JSON.parse(raw); } catch (e) { el.textContent = "Chart data could not be read."; return; }
      if (dark && !opts.backgroundColor) opts.backgroundColor = "transparent";
      var chart = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
      chart.setOption(applyFormatters(opts));
      el.dataset.chartReady = "1";
      el.dataset.seriesCount = String((opts.series || []).length);
      charts.push(chart);
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      prune();
      charts.forEach(function (c) { c.resize(); });
    }, 100);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
  window.leadlensCharts = { init: init, all: function () { return charts; } };
})();
