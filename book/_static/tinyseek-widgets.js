// On pages with saved ipywidgets, before the widgets' HTML manager (book/_ext/offline_assets.py).
(function () {
  // The manager's fonts lie beside it in the site. Each of its AMD modules (@jupyter-widgets/base,
  // controls, html-manager, html-manager/dist/libembed-amd) looks for them in the folder of its own
  // module address, so require.js (configured by this global, read when it loads) maps them all to
  // that one folder; otherwise they would resolve against the page.
  var manager = new URL("vendor/html-manager/", document.currentScript.src).href;
  var folder = manager.replace(/\/$/, "");
  window.require = {paths: {"@jupyter-widgets": folder, "@jupyter-widgets/html-manager/dist": folder}};
  window.__jupyter_widgets_assets_path__ = manager;
  // ipywidgets 8 typesets descriptions with MathJax 2's MathJax.Hub.Queue; the site has MathJax 3.
  // MathJax (deferred) has started by DOMContentLoaded, and this runs before the manager draws.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup) return;
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : null;
        if (element) mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
      }
    };
  });
})();
