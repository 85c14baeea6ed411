/* The lead board: drag and drop (SortableJS) and the "move to stage" dialog, both
   posting to the lead's move endpoint through htmx. The server answers with
   out-of-band swaps (the moved card, the column heads, or fresh columns after a
   refusal) and a message; this file only turns gestures into requests. */
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board) return;
  var moveModalEl = document.getElementById("move-modal");
  var moveForm = document.getElementById("move-form");
  var pendingDrop = null; // a drop into the lost stage waits for its reason

  function moveUrl(leadId) {
    return board.dataset.moveUrl.replace("/0/", "/" + leadId + "/") + window.location.search;
  }

  function neighbourId(el) {
    while (el && !(el.classList && el.classList.contains("lead-card"))) el = el.nextElementSibling;
    return el ? el.dataset.leadId : "";
  }

  function previousId(el) {
    while (el && !(el.classList && el.classList.contains("lead-card"))) el = el.previousElementSibling;
    return el ? el.dataset.leadId : "";
  }

  function postMove(card, values) {
    card.classList.add("is-saving");
    return htmx.ajax("POST", moveUrl(card.dataset.leadId), {source: card, values: values, swap: "none"});
  }

  function putBack(drop) {
    var before = drop.from.children[drop.oldIndex] || null;
    drop.from.insertBefore(drop.item, before === drop.item ? drop.item.nextSibling : before);
  }

  function onDrop(evt) {
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
    var card = evt.item;
    var column = evt.to.closest("[data-stage-id]");
    var values = {
      stage: column.dataset.stageId,
      version: card.dataset.version,
      before: previousId(card.previousElementSibling),
      after: neighbourId(card.nextElementSibling),
      source: "drag"
    };
    if (column.dataset.stageKind === "lost" && evt.from !== evt.to) {
      pendingDrop = {item: card, from: evt.from, oldIndex: evt.oldIndex, values: values};
      openMoveDialog(card, values);
      return;
    }
    postMove(card, values);
  }

  function makeSortable(list) {
    if (list.dataset.sortableReady) return;
    list.dataset.sortableReady = "1";
    Sortable.create(list, {
      group: "board",
      draggable: ".lead-card",
      filter: "a, button, .btn",
      preventOnFilter: false,
      animation: 150,
      delay: 150,
      delayOnTouchOnly: true,
      ghostClass: "is-ghost",
      chosenClass: "is-chosen",
      dragClass: "is-dragging",
      onEnd: onDrop
    });
  }

  htmx.onLoad(function (root) {
    var lists = root.matches && root.matches("[data-sortable]") ? [root] : [];
    lists = lists.concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll("[data-sortable]") : []));
    lists.forEach(makeSortable);
  });

  /* The "move to stage" dialog: the keyboard and no-drag way, and the place a
     drop into the lost stage asks for its reason. */
  function fillMoveDialog(card, values) {
    moveForm.dataset.leadId = card.dataset.leadId;
    moveForm.querySelector(".move-client").textContent = "· " + card.querySelector(".lead-card-client").textContent;
    moveForm.elements.version.value = card.dataset.version;
    moveForm.elements.source.value = values ? "drag" : "menu";
    moveForm.elements.before.value = values ? values.before : "";
    moveForm.elements.after.value = values ? values.after : "";
    moveForm.elements.lost_reason.value = "";
    var currentStage = values ? "" : card.closest("[data-stage-id]").dataset.stageId;
    Array.prototype.forEach.call(moveForm.elements.stage, function (radio) {
      radio.checked = !!values && radio.value === values.stage;
      radio.disabled = radio.value === currentStage;
      radio.closest(".move-stage").classList.toggle("is-current", radio.value === currentStage);
    });
    toggleLostReason();
  }

  function openMoveDialog(card, values) {
    fillMoveDialog(card, values);
    bootstrap.Modal.getOrCreateInstance(moveModalEl).show();
  }

  function toggleLostReason() {
    var chosen = moveForm.querySelector("input[name=stage]:checked");
    var lost = !!chosen && chosen.dataset.kind === "lost";
    var box = moveForm.querySelector(".move-lost");
    box.hidden = !lost;
    moveForm.elements.lost_reason.required = lost;
  }

  if (moveModalEl) {
    moveModalEl.addEventListener("show.bs.modal", function (evt) {
      var trigger = evt.relatedTarget;
      if (trigger && trigger.closest(".lead-card")) {
        pendingDrop = null;
        fillMoveDialog(trigger.closest(".lead-card"), null);
      }
    });
    moveModalEl.addEventListener("shown.bs.modal", function () {
      var target = moveForm.querySelector("input[name=stage]:checked:not(:disabled)") ? moveForm.elements.lost_reason
        : moveForm.querySelector("input[name=stage]:not(:disabled)");
      if (target) target.focus();
    });
    moveModalEl.addEventListener("hidden.bs.modal", function () {
      if (pendingDrop) { putBack(pendingDrop); pendingDrop = null; }
    });
    moveForm.addEventListener("change", toggleLostReason);
    moveForm.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var card = document.getElementById("lead-" + moveForm.dataset.leadId);
      var values = {};
      new FormData(moveForm).forEach(function (value, key) { values[key] = value; });
      pendingDrop = null;
      bootstrap.Modal.getOrCreateInstance(moveModalEl).hide();
      if (card) postMove(card, values);
    });
  }

  /* A move the server could not even answer with the board's state (the lead is
     gone from this person's view, the network failed): say so and redraw. */
  document.body.addEventListener("htmx:responseError", function (evt) {
    if (!board.contains(evt.detail.elt)) return;
    window.crmToast(moveModalEl ? moveModalEl.dataset.errorText : "", "danger");
    htmx.ajax("GET", board.dataset.columnsUrl + window.location.search, {target: "#board", swap: "innerHTML"});
  });

  document.body.addEventListener("crm:modal-close", function () {
    var modal = document.getElementById("quick-create-modal");
    if (modal) bootstrap.Modal.getOrCreateInstance(modal).hide();
  });
})();
