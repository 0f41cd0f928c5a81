/* Charts for precinct pages. Data comes from <script type="application/json"> blocks (Django's
   json_script), so no page builds JavaScript from strings. ECharts is served locally. */
(function () {
  "use strict";
  var STATE_COLOURS = {
    met: "#1b7f3b", waived: "#4f7fbf", pending: "#8a96a3", due_soon: "#d99a00",
    late: "#c8102e", overdue: "#c8102e", violated: "#7a0019"
  };

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function categoryBars(el, labels, values, colour) {
    echarts.init(el).setOption({
      grid: { left: 40, right: 16, top: 24, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: values, itemStyle: { color: colour } }]
    });
  }

  /* Problem points by month: {months: [...], counts: [...]}. */
  function trend(el) {
    var d = data(el.dataset.source);
    if (d) categoryBars(el, d.months, d.counts, "#c8102e");
  }

  /* Category bars: {labels: [...], values: [...], colour?: "#..."} (e.g. officers by stars). */
  function bars(el) {
    var d = data(el.dataset.source);
    if (d) categoryBars(el, d.labels, d.values, d.colour || "#1f4e8c");
  }

  function timeline(el) {
    var d = data(el.dataset.source);
    if (!d) return;
    var bars = d.deadlines.map(function (x) {
      return { value: [x.row, x.start, x.due, x.met], state: x.state, state_label: x.state_label, title: x.title };
    });
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 110, right: 24, top: 16, bottom: 48 },
      tooltip: {
        formatter: function (p) {
          if (p.seriesName === "events") return p.data.type + " " + (p.data.subject || "");
          return d.rows[p.data.value[0]] + " " + p.data.title + " — " + (p.data.state_label || "");
        }
      },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: d.rows, inverse: true },
      dataZoom: [{ type: "inside", xAxisIndex: 0 }, { type: "slider", xAxisIndex: 0, height: 16, bottom: 8 }],
      series: [
        {
          name: "deadlines", type: "custom", data: bars,
          renderItem: function (params, api) {
            var y = api.value(0), a = api.coord([api.value(1), y]), b = api.coord([api.value(2), y]);
            var h = api.size([0, 1])[1] * 0.5;
            var shapes = [{
              type: "rect", shape: { x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 2), height: h },
              style: { fill: STATE_COLOURS[bars[params.dataIndex].state] || "#888", opacity: 0.35 }
            }];
            if (api.value(3)) {
              var m = api.coord([api.value(3), y]);
              shapes.push({ type: "circle", shape: { cx: m[0], cy: m[1], r: 4 },
                            style: { fill: STATE_COLOURS[bars[params.dataIndex].state] || "#888" } });
            }
            return { type: "group", children: shapes };
          },
          encode: { x: [1, 2], y: 0 }
        },
        {
          name: "events", type: "scatter", symbol: "diamond", symbolSize: 8,
          data: d.events.map(function (e) { return { value: [e.at, d.rows.length ? 0 : 0], type: e.type, subject: e.subject }; }),
          yAxisIndex: 0, itemStyle: { color: "#0b3d91" }, z: 3,
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#0b3d91", type: "dashed" },
                      data: [{ xAxis: d.now, label: { formatter: d.now_label || "" } }] }
        }
      ]
    });
    el.dataset.drawn = "1";
  }

  /* Several series over categories: {labels, series: [{name, values, type?}], percent?, goal?}. */
  function series(el) {
    var d = data(el.dataset.source);
    if (!d) return;
    var palette = d.colours || ["#1f4e8c", "#c8102e", "#d99a00", "#1b7f3b"];
    var s = d.series.map(function (x, i) {
      var out = { name: x.name, type: x.type || "line", data: x.values, itemStyle: { color: palette[i % palette.length] } };
      if (x.stack) out.stack = x.stack;
      if (i === 0 && d.goal !== undefined) {
        out.markLine = { symbol: "none", data: [{ yAxis: d.goal }], lineStyle: { color: "#1b7f3b", type: "dashed" } };
      }
      return out;
    });
    echarts.init(el).setOption({
      animation: false,  // drawn at once: printed and captured as shown
      grid: { left: 48, right: 16, top: 36, bottom: (d.labels.length > 8 ? 80 : 40) + (d.xname ? 16 : 0) },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: d.labels,
               axisLabel: { interval: 0, rotate: d.labels.length > 12 ? 45 : (d.labels.length > 8 ? 30 : 0) },
               name: d.xname || "", nameLocation: "middle", nameGap: d.labels.length > 12 ? 56 : 26 },
      yAxis: { type: "value", max: d.percent ? 100 : null, axisLabel: { formatter: d.percent ? "{value}%" : "{value}" } },
      series: s
    });
    el.dataset.drawn = "1";
  }

  function draw() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart=trend]").forEach(trend);
    document.querySelectorAll("[data-chart=bars]").forEach(bars);
    document.querySelectorAll("[data-chart=timeline]").forEach(timeline);
    document.querySelectorAll("[data-chart=series]").forEach(series);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
