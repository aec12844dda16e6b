/* «Эффективный руководитель»: the little behaviour pages need, with no inline scripts.
 *  - form[data-confirm]: ask before submitting;
 *  - select[data-navigate]: go to the chosen option's URL;
 *  - a[data-history-back]: go back a page (its href is where to go when there is no page to go
 *    back to); a javascript: link would be an inline script, which the CSP refuses;
 *  - form[data-autosave]: save a draft in the background as the person types, so that nothing
 *    typed is lost; [data-autosave-status] inside the form says when it was last saved. The
 *    form's hidden base_revision follows each save; a 409 reply with `conflict` (the record was
 *    saved in another tab or by somebody else) is shown at the top and autosaving stops;
 *  - [data-job-status-url]: a background job's progress bar (templates/portal/_job_progress.html):
 *    poll the job's status until it ends, then show the result link or the error.
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

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setupAutosave(form) {
    var status = form.querySelector("[data-autosave-status]");
    var revision = form.querySelector("input[name$=base_revision]");
    var timer = null;
    var dirty = false;
    var inflight = null; // the save under way: one at a time, so each carries the last revision
    var stopped = false; // a newer version exists elsewhere: never overwrite it from this page

    function say(text, failed) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("text-danger", !!failed);
    }

    // The server refused the draft because the record was saved in another tab or by somebody
    // else (409 with `conflict`): say so at the top of the form, stop saving, keep the input.
    function showConflict(message) {
      stopped = true;
      window.clearTimeout(timer);
      var box = form.querySelector("[data-autosave-conflict]");
      if (!box) {
        box = document.createElement("div");
        box.className = "alert alert-danger";
        box.setAttribute("role", "alert");
        box.setAttribute("data-autosave-conflict", "");
        form.insertBefore(box, form.firstChild);
      }
      box.textContent = message;
      say(message, true);
      box.scrollIntoView({ block: "nearest" });
    }

    function post() {
      dirty = false;
      var data = new FormData(form);
      return fetch(form.action || window.location.href, {
        method: "POST",
        body: data,
        headers: { "X-Autosave": "1", "X-CSRFToken": csrfToken(form), Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.status === 409 && body.conflict) {
                showConflict(body.error);
                return;
              }
              if (!response.ok) throw new Error(String(response.status));
              if (revision && body.revision !== undefined) revision.value = String(body.revision);
              var now = new Date();
              say(form.dataset.savedText + " " + now.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" }));
            });
        })
        .catch(function () {
          dirty = true;
          say(form.dataset.failedText, true);
        });
    }

    function save() {
      if (stopped || !dirty) return inflight || Promise.resolve();
      if (inflight) return inflight; // saved again when the running save ends (still dirty)
      inflight = post().then(function () {
        inflight = null;
        if (dirty && !stopped) return save();
      });
      return inflight;
    }

    form.addEventListener("input", function () {
      if (stopped) return;
      dirty = true;
      say(form.dataset.pendingText);
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1500);
    });
    form.addEventListener("change", function () {
      if (stopped) return;
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 300);
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !stopped) {
        save();
        event.preventDefault();
      }
    });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(timer);
      dirty = false;
      if (inflight) {
        // Submit once the running save has answered, with the revision it returned.
        event.preventDefault();
        var button = event.submitter;
        inflight.then(function () {
          if (!stopped) form.requestSubmit(button);
        });
      }
    });
  }

  document.querySelectorAll("form[data-autosave]").forEach(setupAutosave);

  function setupJob(box) {
    var bar = box.querySelector("[data-job-bar]");
    var track = bar.parentNode;
    var percent = box.querySelector("[data-job-percent]");
    var statusText = box.querySelector("[data-job-status]");
    var message = box.querySelector("[data-job-message]");
    var result = box.querySelector("[data-job-result]");
    var delay = 1000;

    // The width is set here, not in a style attribute: the coming CSP allows no inline styles.
    function show(value) {
      var p = Math.max(0, Math.min(100, parseInt(value, 10) || 0));
      bar.style.width = p + "%";
      track.setAttribute("aria-valuenow", String(p));
      percent.textContent = String(p);
    }

    function finish(data) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      result.textContent = "";
      if (data.status === "failed") {
        bar.classList.add("bg-danger");
        var error = document.createElement("span");
        error.className = "text-danger";
        error.textContent = data.error;
        result.appendChild(error);
        return;
      }
      bar.classList.add("bg-success");
      if (data.result_url) {
        var link = document.createElement("a");
        link.href = data.result_url;
        link.textContent = data.result_label;
        result.appendChild(link);
      }
    }

    function poll() {
      fetch(box.dataset.jobStatusUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          show(data.status === "done" ? 100 : data.progress);
          statusText.textContent = data.status_display;
          message.textContent = data.message;
          if (data.finished) {
            finish(data);
            return;
          }
          delay = Math.min(delay * 1.25, 5000);
          window.setTimeout(poll, delay);
        })
        .catch(function () {
          // A worker restart or a network hiccup: say so, and keep asking, less often.
          message.textContent = box.dataset.jobFailedText;
          delay = Math.min(delay * 2, 15000);
          window.setTimeout(poll, delay);
        });
    }

    show(box.dataset.jobProgress);
    if (box.dataset.jobFinished !== "1") window.setTimeout(poll, 500);
  }

  document.querySelectorAll("[data-job-status-url]").forEach(setupJob);
})();
