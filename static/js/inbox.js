// The inbox: keep the thread scrolled to its newest message, mark the open
// conversation in the list, send the reply with Ctrl+Enter. Everything else is htmx.
(function () {
  "use strict";

  function scrollThread() {
    var box = document.getElementById("thread-messages");
    if (box) box.scrollTop = box.scrollHeight;
  }

  function markActive() {
    var thread = document.getElementById("thread");
    var current = thread && thread.dataset.conversationId;
    document.querySelectorAll(".conversation-item").forEach(function (item) {
      item.classList.toggle("active", item.dataset.conversationId === current);
    });
    var inbox = document.getElementById("inbox");
    if (inbox) inbox.classList.toggle("has-thread", Boolean(current));
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollThread();
    markActive();
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "thread") {
      scrollThread();
      markActive();
      var text = document.querySelector("#reply-form textarea");
      if (text && window.matchMedia("(min-width: 992px)").matches) text.focus();
    } else if (target.id === "conversation-list") {
      markActive();
    } else if (target.id === "reply-form") {
      var reply = target.querySelector("textarea");
      if (reply) reply.focus();
    }
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "thread-messages") {
      var placeholder = event.detail.target.querySelector(".thread-empty");
      if (placeholder) placeholder.remove();
      scrollThread();
    }
  });

  document.body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("#reply-form textarea")) {
      event.preventDefault();
      var button = event.target.form.querySelector("button[type=submit]");
      if (button && !button.disabled) event.target.form.requestSubmit(button);
    }
  });
})();
