/* Analytics dashboard: draws the charts from the JSON beside them (the tables
   hold the same figures), redraws after an htmx swap, and keeps the period
   form honest (a typed date means a custom range). */
(function () {
  "use strict";

  var charts = [];
  var accent = "#0b6e8a";
  var palette = ["#0b6e8a", "#f79009", "#12b76a", "#7a5af8", "#ee46bc", "#2e90fa", "#f04438", "#667085", "#15b79e"];
  var locale = document.documentElement.lang || "ru";
  var money = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

  function tenge(value) { return money.format(value) + " ₸"; }
  function compact(value) {
    return new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(value);
  }

  function config(kind, data) {
    var grid = { color: "#eef1f5" };
    var base = { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } } };
    if (kind === "revenue") {
      return { type: "bar", data: { labels: data.labels, datasets: [
        { label: "₸", data: data.values, backgroundColor: accent, borderRadius: 4, yAxisID: "y" },
        { label: "#", type: "line", data: data.orders, borderColor: "#f79009", backgroundColor: "#f79009",
          pointRadius: 3, tension: 0.25, yAxisID: "y1" }
      ] }, options: Object.assign(base, {
        scales: { y: { grid: grid, ticks: { callback: compact } },
                  y1: { position: "right", grid: { display: false }, beginAtZero: true, ticks: { precision: 0 } },
                  x: { grid: { display: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (ctx) {
          return ctx.datasetIndex === 0 ? tenge(ctx.parsed.y) : String(ctx.parsed.y);
        } } } }
      }) };
    }
    if (kind === "channels") {
      return { type: "doughnut", data: { labels: data.labels, datasets: [
        { data: data.values, backgroundColor: palette, borderWidth: 2, borderColor: "#fff" }
      ] }, options: Object.assign(base, { cutout: "62%", plugins: { legend: { display: true, position: "bottom",
        labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } } } }) };
    }
    var horizontal = { type: "bar", data: { labels: data.labels, datasets: [
      { data: data.values, backgroundColor: kind === "funnel" ? "rgba(11, 110, 138, 0.8)" : accent, borderRadius: 4 }
    ] }, options: Object.assign(base, { indexAxis: "y", scales: {
      x: { grid: grid, beginAtZero: true, ticks: { callback: kind === "funnel" ? undefined : compact, precision: 0 } },
      y: { grid: { display: false }, ticks: { callback: function (value) {
        var label = this.getLabelForValue(value);
        return label.length > 22 ? label.slice(0, 21) + "…" : label;
      } } } } }) };
    if (kind !== "funnel") {
      horizontal.options.plugins.tooltip = { callbacks: { label: function (ctx) { return tenge(ctx.parsed.x); } } };
    }
    return horizontal;
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var source = document.getElementById("analytics-charts");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.getAttribute("data-chart");
      if (data[kind]) { charts.push(new Chart(canvas, config(kind, data[kind]))); }
    });
  }

  // Captured before htmx sees the change: a typed date makes the range custom,
  // a preset clears the typed dates.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-analytics-filters]");
    if (!form) { return; }
    var preset = form.querySelector("[data-preset]");
    if (event.target.hasAttribute("data-custom-date")) {
      preset.value = "custom";
    } else if (event.target === preset && preset.value !== "custom") {
      form.querySelectorAll("[data-custom-date]").forEach(function (input) { input.value = ""; });
    }
  }, true);

  var drawnFrom = null;
  function drawIfNew() {
    var source = document.getElementById("analytics-charts");
    if (source !== drawnFrom) { drawnFrom = source; draw(); }
  }
  document.addEventListener("DOMContentLoaded", drawIfNew);
  document.addEventListener("htmx:afterSettle", drawIfNew);
})();
