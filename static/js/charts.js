// Leadlens chart bootstrap. Charts are server-built ECharts options placed in
// <script type="application/json" data-chart-options> next to a <div data-chart>; this one static
// script turns them into charts, so the Content-Security-Policy needs no inline script. Charts
// fill their container and follow window resizes; htmx swaps re-run the initialisation.
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

  function init(root) {
    if (typeof echarts === "undefined") return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartReady === "1") return;
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      var opts;
      try { opts = JSON.parse(src.textContent); } catch (e) { el.textContent = "Chart data could not be read."; return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
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
      charts = charts.filter(function (c) { return !c.isDisposed() && document.body.contains(c.getDom()); });
      charts.forEach(function (c) { c.resize(); });
    }, 100);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
  window.leadlensCharts = { init: init, all: function () { return charts; } };
})();
