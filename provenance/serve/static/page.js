/* provenance serve: progressive enhancement of the upload form (drag & drop, no reload)
   and the compare slider.  The page works without this script: the form posts and the
   server answers with the whole page.  No inline script, no external resource (CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function setStatus(text, isError) {
    var status = document.getElementById("status");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function problemText(response, body) {
    try {
      var problem = JSON.parse(body);
      if (problem && problem.detail) { return problem.detail; }
    } catch (e) { /* not JSON: fall through */ }
    return "The server refused the files (HTTP " + response.status + ").";
  }

  function send(form, files) {
    var data = new FormData();
    var token = form.querySelector("input[name=csrf]");
    data.append("csrf", token ? token.value : "");
    for (var i = 0; i < files.length; i++) { data.append("files", files[i], files[i].name); }
    setStatus("Checking " + files.length + " file" + (files.length === 1 ? "" : "s") + "…", false);
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Provenance-Fragment": "1" }
    }).then(function (response) {
      return response.text().then(function (body) {
        if (!response.ok) { setStatus(problemText(response, body), true); return; }
        var results = document.getElementById("results");
        results.innerHTML = body;
        setStatus("Done: " + files.length + " file" + (files.length === 1 ? "" : "s") + " checked.", false);
      });
    }).catch(function () {
      setStatus("The server could not be reached.", true);
    });
  }

  /* The slider is the divider: the earlier version left of it, this file right of it. */
  function slide(range) {
    var stack = range.closest(".slider").querySelector(".stack");
    var divider = Number(range.value);
    stack.querySelectorAll("img.after").forEach(function (img) {
      img.style.clipPath = "inset(0 0 0 " + divider + "%)";
    });
  }

  function toggleOverlay(box) {
    var stack = box.closest(".slider").querySelector(".stack");
    var marked = stack.querySelector("img.after.marked");
    if (marked) { marked.classList.toggle("hidden", !box.checked); }
  }

  ready(function () {
    var form = document.getElementById("upload");
    var drop = document.getElementById("drop");
    var input = document.getElementById("files");
    if (form && input) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (input.files.length) { send(form, input.files); }
      });
      input.addEventListener("change", function () {
        if (input.files.length) { send(form, input.files); }
      });
    }
    if (form && drop) {
      ["dragenter", "dragover"].forEach(function (name) {
        drop.addEventListener(name, function (event) {
          event.preventDefault();
          drop.classList.add("over");
        });
      });
      ["dragleave", "dragend"].forEach(function (name) {
        drop.addEventListener(name, function () { drop.classList.remove("over"); });
      });
      drop.addEventListener("drop", function (event) {
        event.preventDefault();
        drop.classList.remove("over");
        var files = event.dataTransfer && event.dataTransfer.files;
        if (files && files.length) { send(form, files); }
      });
    }
    document.addEventListener("input", function (event) {
      if (event.target.classList && event.target.classList.contains("compare-range")) { slide(event.target); }
    });
    document.addEventListener("change", function (event) {
      if (event.target.classList && event.target.classList.contains("compare-overlay")) { toggleOverlay(event.target); }
    });
  });
}());
