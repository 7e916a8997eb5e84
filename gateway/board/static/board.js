// The board's charts: each .chart[data-chart] element holds a JSON document (chart.py) and gets one
// uPlot panel per channel, stacked, their cursors in sync. No inline scripts, no build step.
(function () {
  "use strict";

  function panel(el, doc, p, width) {
    var series = [{}, { label: p.label, stroke: "#1d3557", width: 1.5, spanGaps: false }];
    var data = [doc.x, p.values];
    if (p.trend) {
      series.push({ label: "predicted trend", stroke: "#e76f51", dash: [6, 4], width: 1.5, spanGaps: true });
      data.push(p.trend);
    }
    var marks = doc.marks || [];
    var opts = {
      width: width, height: 150, series: series,
      cursor: { sync: { key: el.id || "chart" } },
      scales: { x: { time: true, range: function () { return [doc.start, doc.end]; } } },
      axes: [{}, { label: p.unit, size: 55 }],
      hooks: { draw: [function (u) {
        var ctx = u.ctx;
        ctx.save();
        ctx.lineWidth = 1;
        marks.forEach(function (m) {
          var x = u.valToPos(m.x, "x", true);
          ctx.strokeStyle = "#888";
          ctx.setLineDash([3, 3]);
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          ctx.fillStyle = "#555";
          ctx.fillText(m.label, x + 3, u.bbox.top + 10);
        });
        if (p.threshold !== null && p.threshold !== undefined) {
          var y = u.valToPos(p.threshold, "y", true);
          ctx.strokeStyle = "#c1121f";
          ctx.setLineDash([2, 2]);
          ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
          ctx.fillStyle = "#c1121f";
          ctx.fillText("trip " + p.threshold, u.bbox.left + 3, y - 3);
        }
        ctx.restore();
      }] }
    };
    if (p.threshold !== null && p.threshold !== undefined) {
      opts.scales.y = { range: function (u, min, max) {
        var lo = Math.min(min === null ? p.threshold : min, p.threshold);
        var hi = Math.max(max === null ? p.threshold : max, p.threshold);
        var pad = (hi - lo) * 0.1 || 1;
        return [lo - pad, hi + pad];
      } };
    }
    var box = document.createElement("div");
    box.className = "panel";
    box.dataset.channel = p.channel;
    el.appendChild(box);
    return new uPlot(opts, data, box);
  }

  function draw(el) {
    var doc = JSON.parse(el.dataset.chart);
    var width = Math.max(300, el.clientWidth - 16);
    var points = 0;
    el.textContent = "";
    if (!doc.x.length) {
      el.textContent = "No telemetry stored for this span.";
    }
    doc.panels.forEach(function (p) {
      if (!doc.x.length) { return; }
      panel(el, doc, p, width);
      points += p.values.filter(function (v) { return v !== null; }).length;
    });
    el.dataset.points = String(points);  // what was drawn (the browser tests read it)
  }


  // ---- the KPI page: .kpi-charts[data-kpi-charts] holds kpis/series.py's document
  function bars(align) {
    return uPlot.paths.bars({ size: [0.4, 40], align: align });
  }

  function plotted(el, opts, data) {
    var width = Math.max(300, el.clientWidth - 16);
    opts.width = width;
    opts.height = 220;
    var points = 0;
    data.slice(1).forEach(function (col) {
      points += col.filter(function (v) { return v !== null && v !== undefined; }).length;
    });
    el.dataset.points = String(points);  // what was drawn (the browser tests read it)
    return new uPlot(opts, data, el);
  }

  function kpiCharts(box) {
    var doc = JSON.parse(box.dataset.kpiCharts);
    var week = 7 * 86400;
    var f = doc.failures;
    plotted(document.getElementById("chart-failures"), {
      series: [{}, { label: "opened before the trip", fill: "#2a9d8f", stroke: "#2a9d8f", paths: bars(-1) },
               { label: "opened at or after the trip", fill: "#e76f51", stroke: "#e76f51", paths: bars(1) }],
      scales: { x: { time: true, range: function () { return [f.x[0] - week / 2, f.x[f.x.length - 1] + week / 2]; } },
                y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{}, { label: "tickets", size: 55 }]
    }, [f.x, f.before, f.after]);
    var l = doc.lead_bands;
    plotted(document.getElementById("chart-lead"), {
      series: [{ label: "band", value: function (u, v) { return v === null ? "–" : l.labels[v]; } },
               { label: "tripped tickets", fill: "#1d3557", stroke: "#1d3557", paths: bars(0) }],
      scales: { x: { time: false, range: function () { return [-0.5, l.labels.length - 0.5]; } },
                y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{ splits: function () { return l.labels.map(function (_, i) { return i; }); },
               values: function (u, splits) { return splits.map(function (i) { return l.labels[i]; }); } },
             { label: "tickets", size: 55 }]
    }, [l.labels.map(function (_, i) { return i; }), l.counts]);
    var fb = doc.feedback;
    plotted(document.getElementById("chart-feedback"), {
      series: [{}, { label: "CSAT %", stroke: "#2a9d8f", width: 2, scale: "pct", spanGaps: true, points: { size: 6 } },
               { label: "NPS", stroke: "#1d3557", width: 2, scale: "nps", spanGaps: true, points: { size: 6 } }],
      scales: { x: { time: true }, pct: { range: [0, 100] }, nps: { range: [-100, 100] } },
      axes: [{}, { scale: "pct", label: "CSAT %", size: 55 }, { scale: "nps", label: "NPS", side: 1, size: 55 }]
    }, [fb.x, fb.csat, fb.nps]);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-chart]").forEach(draw);
    document.querySelectorAll(".kpi-charts[data-kpi-charts]").forEach(kpiCharts);
  });
})();
