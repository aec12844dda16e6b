/* «Эффективный руководитель»: the little behaviour pages need, with no inline scripts.
 *  - form[data-confirm]: ask before submitting;
 *  - select[data-navigate]: go to the chosen option's URL;
 *  - form[data-autosave]: save a draft in the background as the person types, so that nothing
 *    typed is lost; [data-autosave-status] inside the form says when it was last saved.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-navigate]") && select.value) {
      window.location.href = select.value;
    }
  });

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setupAutosave(form) {
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var dirty = false;

    function say(text, failed) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("text-danger", !!failed);
    }

    function save() {
      if (!dirty) return Promise.resolve();
      dirty = false;
      var data = new FormData(form);
      return fetch(form.action || window.location.href, {
        method: "POST",
        body: data,
        headers: { "X-Autosave": "1", "X-CSRFToken": csrfToken(form) },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          var now = new Date();
          say(form.dataset.savedText + " " + now.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" }));
        })
        .catch(function () {
          dirty = true;
          say(form.dataset.failedText, true);
        });
    }

    form.addEventListener("input", function () {
      dirty = true;
      say(form.dataset.pendingText);
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1500);
    });
    form.addEventListener("change", function () {
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 300);
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        save();
        event.preventDefault();
      }
    });
    form.addEventListener("submit", function () {
      dirty = false;
    });
  }

  document.querySelectorAll("form[data-autosave]").forEach(setupAutosave);
})();
