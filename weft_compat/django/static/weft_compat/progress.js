/*
 * weft_compat's progress widget: follow a call by its id and show its progress, then
 * its outcome. No dependencies; include it with {% static "weft_compat/progress.js" %}.
 *
 *   WeftProgress.follow(tid, {
 *     element: document.getElementById("progress"),  // renders a bar and a line of text
 *     base: "/tasks/",                                 // where weft_compat.django.urls is included
 *     onState(body) {}, onProgress(percent, info, body) {},
 *     onSuccess(result, body) {}, onFailure(errors, body) {}, onError(httpStatus) {},
 *   });
 *
 * It listens to the call's Server-Sent Events (`<tid>/events/`) and falls back to
 * polling the status JSON (`<tid>/`) every `interval` ms (default 1000) where
 * EventSource is missing, the stream fails before its first event, or `poll: true`.
 * `follow` returns an object whose `stop()` ends the following.
 */
(function (global) {
  "use strict";

  var READY = { SUCCESS: true, FAILURE: true, REVOKED: true };

  function percentOf(info) {
    if (!info || typeof info !== "object") return null;
    if (typeof info.percent === "number") return info.percent;
    var total = info.total;
    var done = typeof info.current === "number" ? info.current : info.done;
    if (typeof total === "number" && total > 0 && typeof done === "number") {
      return (done * 100) / total;
    }
    return null;
  }

  function render(element, percent, text, state) {
    if (!element) return;
    var bar = element.querySelector("progress.weft-progress-bar");
    var line = element.querySelector(".weft-progress-text");
    if (!bar) {
      bar = document.createElement("progress");
      bar.className = "weft-progress-bar";
      bar.max = 100;
      element.appendChild(bar);
    }
    if (!line) {
      line = document.createElement("span");
      line.className = "weft-progress-text";
      element.appendChild(line);
    }
    if (percent === null) {
      bar.removeAttribute("value");
    } else {
      bar.value = Math.max(0, Math.min(100, percent));
    }
    line.textContent = text;
    element.setAttribute("data-state", state);
  }

  function follow(tid, options) {
    options = options || {};
    var base = options.base || "/tasks/";
    if (base.charAt(base.length - 1) !== "/") base += "/";
    var url = base + encodeURIComponent(tid) + "/";
    var element = options.element || null;
    var interval = options.interval || 1000;
    var stopped = false;
    var source = null;
    var timer = null;
    var seen = false;

    function call(name) {
      var callback = options[name];
      if (typeof callback === "function") {
        callback.apply(null, Array.prototype.slice.call(arguments, 1));
      }
    }

    function stop() {
      stopped = true;
      if (source) source.close();
      if (timer) clearTimeout(timer);
    }

    function show(body) {
      seen = true;
      call("onState", body);
      var state = body.state;
      if (state === "SUCCESS") {
        var result = "result" in body ? body.result : null;
        render(element, 100, "result" in body ? "Done: " + JSON.stringify(result) : "Done", state);
        call("onSuccess", result, body);
      } else if (state === "FAILURE" || state === "REVOKED") {
        var errors = body.errors || [];
        var last = errors.length ? errors[errors.length - 1].message : null;
        render(element, 100, (state === "REVOKED" ? "Revoked" : "Failed") + (last ? ": " + last : ""), state);
        call("onFailure", errors, body);
      } else {
        var percent = percentOf(body.info);
        var text = percent === null ? state : state + " " + Math.round(percent) + "%";
        render(element, percent, text, state);
        call("onProgress", percent, body.info, body);
      }
      if (READY[state]) stop();
    }

    function failed(status) {
      render(element, null, "Unavailable", "ERROR");
      call("onError", status);
      stop();
    }

    function poll() {
      if (stopped) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            failed(response.status);
            return null;
          }
          return response.json();
        })
        .then(function (body) {
          if (!body || stopped) return;
          show(body);
          if (!stopped) timer = setTimeout(poll, interval);
        })
        .catch(function () {
          if (!stopped) timer = setTimeout(poll, interval);
        });
    }

    function listen() {
      source = new EventSource(url + "events/", { withCredentials: true });
      source.addEventListener("status", function (event) {
        show(JSON.parse(event.data));
      });
      source.onerror = function () {
        // Before any event (refused, unknown id, no SSE on the way): poll, which also
        // reports the HTTP status. After one, EventSource reconnects by itself.
        if (!seen && !stopped) {
          source.close();
          poll();
        }
      };
    }

    render(element, null, "PENDING", "PENDING");
    if (options.poll || typeof global.EventSource !== "function") {
      poll();
    } else {
      listen();
    }
    return { stop: stop };
  }

  global.WeftProgress = { follow: follow, percentOf: percentOf };
})(typeof window !== "undefined" ? window : this);
