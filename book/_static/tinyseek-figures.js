// Every slider of a kernel-free figure (tinyseek.plots.show) gets a native range input beside it:
// reachable with Tab, moved with the arrow keys, announcing the step's label (aria-valuetext).
// It runs the slider step's own plotly command, and follows the plotly slider when that moves.
(function () {
  function label(slider) {
    var prefix = slider.currentvalue && slider.currentvalue.prefix;
    return (prefix || "Step").replace(/[:\s]+$/, "");
  }
  function attach(figure) {
    var graph = figure.querySelector(".js-plotly-plot");
    if (figure.dataset.keyboard) return;
    figure.dataset.keyboard = "1";
    (graph.layout.sliders || []).forEach(function (slider, k) {
      var steps = slider.steps || [], box = document.createElement("label");
      var input = document.createElement("input");
      box.className = "tinyseek-range";
      box.appendChild(document.createTextNode(label(slider) + " "));
      input.type = "range"; input.min = 0; input.max = steps.length - 1; input.step = 1;
      var show = function (i) {
        input.value = i;
        input.setAttribute("aria-valuetext", String(steps[i] && steps[i].label));
      };
      show(slider.active || 0);
      input.addEventListener("input", function () {
        var i = Number(input.value), step = steps[i], update = {};
        update["sliders[" + k + "].active"] = i;
        show(i);
        // the step's own command (restyle, relayout, update or animate), then the slider's position
        var run = typeof Plotly[step.method] === "function" ? Plotly[step.method] : function () {};
        Promise.resolve(run.apply(null, [graph].concat(step.args))).then(function () {
          return Plotly.relayout(graph, update);
        });
      });
      graph.on("plotly_sliderchange", function (e) {
        if (e.slider._index === k) show(e.step._index);
      });
      box.appendChild(input);
      figure.appendChild(box);
    });
  }
  function scan() {
    document.querySelectorAll("figure.tinyseek-plot").forEach(function (figure) {
      var graph = figure.querySelector(".js-plotly-plot");
      if (graph && graph._fullLayout) attach(figure);
    });
  }
  // The figures draw from inline scripts while the page parses (plotly.js is loaded before them).
  document.addEventListener("DOMContentLoaded", scan);
  window.addEventListener("load", scan);
})();
