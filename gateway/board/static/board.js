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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-chart]").forEach(draw);
  });
})();
