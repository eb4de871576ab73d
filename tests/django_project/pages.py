"""Pages of the test project: one that follows a call with the progress widget (the
browser tests), and views that enqueue a call (the owner tests)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static

from tests import broker_tasks


def progress_page(request: HttpRequest, tid: str) -> HttpResponse:
    """The widget in an element, and each callback's calls recorded in the page."""
    options = {"poll": request.GET.get("poll") == "1", "interval": 200}
    html = f"""<!doctype html>
<html><head><title>progress</title></head><body>
<div id="progress"></div>
<pre id="calls"></pre>
<script src="{static("weft_compat/progress.js")}"></script>
<script>
  var calls = document.getElementById("calls");
  function record(name) {{
    return function () {{
      var item = {{name: name, args: Array.prototype.slice.call(arguments, 0, 2)}};
      calls.textContent += JSON.stringify(item) + "\\n";
    }};
  }}
  var options = {json.dumps(options)};
  options.element = document.getElementById("progress");
  options.base = "/tasks/";
  ["onProgress", "onSuccess", "onFailure", "onError"].forEach(function (name) {{
    options[name] = record(name);
  }});
  WeftProgress.follow({json.dumps(tid)}, options);
</script>
</body></html>"""
    return HttpResponse(html)


def enqueue_page(request: HttpRequest) -> JsonResponse:
    """Enqueue `add(2, 3)` (in the lane `?lane=` names, deferred with `?countdown=`)."""
    options: dict[str, object] = {}
    if "lane" in request.GET:
        options["lane"] = request.GET["lane"]
    if "countdown" in request.GET:
        options["countdown"] = float(request.GET["countdown"])
    handle = broker_tasks.add.using(**options).enqueue(2, 3)
    return JsonResponse({"tid": handle.tid})


async def enqueue_async_page(request: HttpRequest) -> JsonResponse:
    """The same from an async view, which loads the user first (`?load=0`: it does not)."""
    if request.GET.get("load") != "0":
        await request.auser()
    handle = broker_tasks.add.enqueue(2, 3)
    return JsonResponse({"tid": handle.tid})
