/* Charts for precinct pages. Data comes from <script type="application/json"> blocks (Django's
   json_script), so no page builds JavaScript from strings. ECharts is served locally. Every
   tooltip is built as elements whose words are set as text (textContent), never as markup: a
   case event's subject or a person's name is data, and shows as it was typed (issue 18, V1);
   no style attribute either (the Content-Security-Policy refuses them: precinct.web.headers). */
(function () {
  "use strict";
  var STATE_COLOURS = {
    met: "#1b7f3b", waived: "#4f7fbf", pending: "#8a96a3", due_soon: "#d99a00",
    late: "#e8590c", overdue: "#c8102e", violated: "#7a0019"
  };

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* An element with its words as text. */
  function node(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  /* A tooltip: a heading in bold, then one line for each of ``lines`` (text or elements). */
  function tipBox(heading, lines) {
    var box = node("div", undefined, "chart-tip");
    box.appendChild(node("b", heading));
    lines.forEach(function (line) {
      box.appendChild(document.createElement("br"));
      box.appendChild(typeof line === "string" ? document.createTextNode(line) : line);
    });
    return box;
  }

  function number(v) {
    if (v === null || v === undefined || v === "") return "-";
    return typeof v === "number" && echarts.format ? echarts.format.addCommas(v) : String(v);
  }

  /* The tooltip of a chart over categories: the category, then each series' colour, name and
     value (what ECharts shows by default, built as elements). */
  function axisTip(params) {
    params = [].concat(params);
    var box = node("div", undefined, "chart-tip");
    if (!params.length) return box;
    box.appendChild(node("b", params[0].axisValueLabel !== undefined ? params[0].axisValueLabel : params[0].name));
    params.forEach(function (p) {
      var row = node("div", undefined, "row"), mark = node("span", undefined, "mark");
      mark.setAttribute("aria-hidden", "true");
      mark.style.background = typeof p.color === "string" ? p.color : "#888";
      row.appendChild(mark);
      var named = p.seriesName && String(p.seriesName).indexOf("series\u0000") !== 0;
      if (named) row.appendChild(node("span", p.seriesName));
      row.appendChild(node("span", number(Array.isArray(p.value) ? p.value[1] : p.value), "value"));
      box.appendChild(row);
    });
    return box;
  }

  function categoryBars(el, labels, values, colour) {
    echarts.init(el).setOption({
      grid: { left: 40, right: 16, top: 24, bottom: 40 },
      tooltip: { trigger: "axis", formatter: axisTip },
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

  /* The case timeline (supervision/views.py _timeline_chart). Row 0 holds the case's steps; each
     other row a rule and person: a bar from the step that starts the period to the legal deadline,
     coloured by its state, the deadline a dark tick, the follow-up a dot, an overdue one a dashed
     line on to now. Times are the bureau's wall clock carried as UTC, so the chart draws in UTC;
     every date reads with its year. The legend is a list under the chart; tooltips are text. */
  var ROW = 30, INK = "#1d2733", STEP = "#0b3d91", OPEN = { overdue: 1, due_soon: 1, pending: 1 };
  var MARK_STYLES = {
    step: "width:.55rem;height:.55rem;transform:rotate(45deg);background:" + STEP,
    deadline: "width:3px;height:1rem;background:" + INK,
    done: "width:.6rem;height:.6rem;border-radius:50%;background:" + INK
  };

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function dayOf(ms) {
    var t = new Date(ms);
    return t.getUTCFullYear() + "-" + two(t.getUTCMonth() + 1) + "-" + two(t.getUTCDate());
  }
  function clockOf(ms) { var t = new Date(ms); return two(t.getUTCHours()) + ":" + two(t.getUTCMinutes()); }
  function minuteOf(ms) { return dayOf(ms) + " " + clockOf(ms); }

  function legendList(el, items) {
    var old = el.parentNode.querySelector(".chart-legend[data-for='" + el.id + "']");
    if (old) old.remove();
    var ul = document.createElement("ul");
    ul.className = "chart-legend";
    ul.dataset.for = el.id;
    items.forEach(function (x) {
      var li = document.createElement("li"), mark = node("span", undefined, "swatch");
      li.dataset.mark = x.mark;
      mark.setAttribute("aria-hidden", "true");
      mark.style.cssText = (MARK_STYLES[x.mark] ||
        "width:1.4rem;height:.7rem;opacity:.5;background:" + (STATE_COLOURS[x.mark] || "#888"));
      li.appendChild(mark);
      li.appendChild(document.createTextNode(x.label));
      ul.appendChild(li);
    });
    el.insertAdjacentElement("afterend", ul);
  }

  function timeline(el) {
    var d = data(el.dataset.source);
    if (!d) return;
    var times = [], open = false;
    d.deadlines.forEach(function (x) {
      times.push(x.start, x.due, x.met);
      if (!x.met && OPEN[x.state]) open = true;
    });
    d.events.forEach(function (e) { times.push(e.at); });
    if (open && d.now) times.push(d.now);
    times = times.filter(function (t) { return t !== null && t !== undefined; });
    legendList(el, d.legend);
    if (!times.length) { el.dataset.drawn = "1"; return; }
    var lo = Math.min.apply(null, times), hi = Math.max.apply(null, times);
    var margin = Math.max((hi - lo) * 0.03, 3600000), short = hi - lo < 3 * 86400000;
    el.style.height = (24 + d.rows.length * ROW + (short ? 84 : 68)) + "px";  // every row its room
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      useUTC: true,
      grid: { left: 8, right: 44, top: 24, bottom: 40, containLabel: true },
      tooltip: {
        confine: true,
        formatter: function (p) {
          var x = p.data;
          if (p.seriesName === "events") {
            return tipBox(minuteOf(x.value[0]), [x.type + (x.subject ? " · " + x.subject : "")]);
          }
          var lines = [x.state_label, d.words.trigger + " " + minuteOf(x.value[1]),
                       d.words.deadline + " " + minuteOf(x.value[2])];
          if (x.value[3]) lines.push(d.words.done + " " + minuteOf(x.value[3]));
          return tipBox(d.rows[x.value[0]], lines);
        }
      },
      xAxis: {
        type: "time", min: lo - margin, max: hi + margin,
        axisLabel: { hideOverlap: true, formatter: function (v) { return short ? dayOf(v) + "\n" + clockOf(v) : dayOf(v); } },
        splitLine: { show: true, lineStyle: { color: "#eef1f5" } }
      },
      yAxis: {
        type: "category", data: d.rows, inverse: true, axisTick: { show: false },
        axisLabel: { interval: 0, width: Math.max(120, Math.min(240, el.clientWidth * 0.35)), overflow: "break", lineHeight: 13 }
      },
      dataZoom: [
        { type: "inside", xAxisIndex: 0 },
        { type: "slider", xAxisIndex: 0, height: 16, bottom: 8, labelFormatter: function (v) { return minuteOf(v); } }
      ],
      series: [
        {
          name: "deadlines", type: "custom", clip: true, encode: { x: [1, 2], y: 0 },
          data: d.deadlines.map(function (x) {
            return { value: [x.row, x.start, x.due, x.met], state: x.state, state_label: x.state_label };
          }),
          renderItem: function (params, api) {
            var row = api.value(0), a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
            var h = api.size([0, 1])[1] * 0.45, colour = STATE_COLOURS[d.deadlines[params.dataIndex].state] || "#888";
            var shapes = [
              { type: "rect", shape: { x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 2), height: h },
                style: { fill: colour, opacity: 0.4 } },
              { type: "rect", shape: { x: b[0] - 1.5, y: b[1] - h * 0.8, width: 3, height: h * 1.6 }, style: { fill: INK } },
              { type: "polygon", shape: { points: [[a[0], a[1] - 6], [a[0] + 6, a[1]], [a[0], a[1] + 6], [a[0] - 6, a[1]]] },
                style: { fill: STEP } }
            ];
            if (api.value(3)) {
              var m = api.coord([api.value(3), row]);
              shapes.push({ type: "circle", shape: { cx: m[0], cy: m[1], r: 5 }, style: { fill: INK, stroke: "#fff", lineWidth: 1.5 } });
            } else if (d.deadlines[params.dataIndex].state === "overdue" && d.now) {
              var n = api.coord([d.now, row]);
              shapes.push({ type: "line", shape: { x1: b[0], y1: b[1], x2: n[0], y2: n[1] },
                            style: { stroke: colour, lineWidth: 2, lineDash: [4, 3] } });
            }
            return { type: "group", children: shapes };
          }
        },
        {
          name: "events", type: "scatter", symbol: "diamond", symbolSize: 12, z: 3,
          data: d.events.map(function (e) { return { value: [e.at, 0], type: e.type, subject: e.subject }; }),
          itemStyle: { color: STEP },
          markLine: { silent: true, symbol: "none", lineStyle: { color: STEP, type: "dashed" },
                      data: [{ xAxis: d.now, label: { position: "start", formatter: d.now_label || "" } }] }
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
      tooltip: { trigger: "axis", formatter: axisTip },
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
