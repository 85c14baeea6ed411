/* Shared by the lead pages: messages the server sends as out-of-band toasts fade
   after a while; crmToast shows one from the browser side. */
(function () {
  "use strict";

  var TOAST_MS = 7000;

  function expire(toast) {
    setTimeout(function () { toast.remove(); }, TOAST_MS);
  }

  window.crmToast = function (text, level) {
    var area = document.getElementById("toast-area");
    if (!area || !text) return;
    var toast = document.createElement("div");
    toast.className = "alert alert-" + (level || "info") + " app-toast";
    toast.setAttribute("role", "alert");
    toast.textContent = text;
    area.prepend(toast);
    expire(toast);
  };

  htmx.onLoad(function (root) {
    if (!root.querySelectorAll) return;
    if (root.classList.contains("app-toast")) expire(root);
    Array.prototype.forEach.call(root.querySelectorAll(".app-toast"), expire);
  });
})();
