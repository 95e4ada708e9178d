// Report form autosave (草稿): a few seconds after typing stops, and when the page is hidden, the
// typed text is posted to the form's draft URL so that a session ending before 提交 loses nothing.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-url]");
  if (!form) return;
  var status = form.querySelector(".draft-status");
  var timer = null;
  var dirty = false;

  function fields() {
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit") return;
      if (el.type === "checkbox" && !el.checked) return;
      data.append(el.name, el.value);
    });
    return data;
  }

  function save() {
    if (!dirty) return;
    dirty = false;
    fetch(form.dataset.draftUrl, { method: "POST", body: fields(), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        if (status) status.textContent = res[0] ? "草稿已自动暂存(" + res[1].saved_at + ")" : "草稿未能暂存:" + (res[1].error || "");
      })
      .catch(function () {
        dirty = true;
        if (status) status.textContent = "草稿未能暂存,请检查网络";
      });
  }

  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save();
  });
  form.addEventListener("submit", function () { dirty = false; clearTimeout(timer); });
})();
