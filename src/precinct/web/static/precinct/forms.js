// A form marked data-once is sent once: a second click while the first is on its way does
// nothing, and its buttons show that the work has been asked for (the server refuses to start
// the same work twice as well: one live job per work).
(function () {
  "use strict";
  // What the templates once wrote as inline handlers (the Content-Security-Policy refuses them:
  // precinct.web.headers), as data attributes: a list marked data-autosubmit sends its form when
  // a choice is made; a button marked data-print prints the page; a form marked data-confirm
  // asks its question (the attribute's text) before it is sent.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof Element && field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) window.print();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented) return;  // not sent (a question answered no)
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
    // disabled after the submission has read the clicked button's name and value
    setTimeout(function () {
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }, true);
  // back from the browser's cache: the form can be sent again
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once][data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });
})();
