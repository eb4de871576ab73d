"""A page that follows a call with the progress widget, for the browser tests."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static


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
